"""documents and photos: checked file bytes stored once per content (in the database, or only
their hash when an S3-compatible store holds them), the background documents of a consultation,
and residents' opinion photos with their review state (public only once approved)

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03 03:45:40.490239
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('storedfile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('storage', sa.String(length=10), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    op.create_table('consultationdocument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['storedfile.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by'], ['committeeuser.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('consultation_id', 'file_id', name='uq_document_once')
    )
    with op.batch_alter_table('consultationdocument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultationdocument_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('opinionphoto',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opinion_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('review', sa.String(length=20), nullable=False),
    sa.Column('review_reason', sa.String(length=200), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['storedfile.id'], ),
    sa.ForeignKeyConstraint(['opinion_id'], ['opinion.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by'], ['committeeuser.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('opinion_id', 'file_id', name='uq_photo_once')
    )
    with op.batch_alter_table('opinionphoto', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opinionphoto_opinion_id'), ['opinion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opinionphoto_review'), ['review'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('opinionphoto', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opinionphoto_review'))
        batch_op.drop_index(batch_op.f('ix_opinionphoto_opinion_id'))

    op.drop_table('opinionphoto')
    with op.batch_alter_table('consultationdocument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultationdocument_consultation_id'))

    op.drop_table('consultationdocument')
    op.drop_table('storedfile')

"""results snapshot: the public results page of a published consultation, stored when results
are published or re-analysed so the first visitor on any replica reads one row

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-03 04:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('resultssnapshot',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=400), nullable=False),
    sa.Column('format', sa.Integer(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ),
    sa.PrimaryKeyConstraint('consultation_id')
    )


def downgrade() -> None:
    op.drop_table('resultssnapshot')

"""participants: one row per (consultation, resident) who wrote an opinion or voted, written with
the first one, so participation is counted from an index (decision 0028). Filled here from the
opinions and votes already stored: nothing is lost, the counts stay what they were.

Revision ID: 0011
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'participant',
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ),
        sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
        sa.PrimaryKeyConstraint('consultation_id', 'resident_id'),
    )
    op.create_index(op.f('ix_participant_resident_id'), 'participant', ['resident_id'], unique=False)
    op.execute(
        "INSERT INTO participant (consultation_id, resident_id, first_at) "
        "SELECT cid, rid, min(at) FROM ("
        " SELECT o.consultation_id AS cid, o.resident_id AS rid, o.created_at AS at FROM opinion o"
        " WHERE o.resident_id IS NOT NULL"
        " UNION ALL"
        " SELECT o.consultation_id, v.resident_id, v.created_at FROM vote v JOIN opinion o ON o.id = v.opinion_id"
        ") AS taken_part GROUP BY cid, rid"
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_participant_resident_id'), table_name='participant')
    op.drop_table('participant')

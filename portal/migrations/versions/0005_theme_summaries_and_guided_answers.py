"""theme summaries and guided answers: the latest machine draft and its structured form beside
the published summary, and who reviewed it when (only reviewed summaries are published); the
keywords the committee typed for a theme it named; its 不属于 answers of the 确认归类 queue

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 18:07:53.971574
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'themerejection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('opinion_id', sa.Integer(), nullable=False),
        sa.Column('theme_id', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['committeeuser.id'], ),
        sa.ForeignKeyConstraint(['opinion_id'], ['opinion.id'], ),
        sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('opinion_id', 'theme_id', name='uq_theme_rejection'),
    )
    with op.batch_alter_table('themerejection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_themerejection_opinion_id'), ['opinion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_themerejection_theme_id'), ['theme_id'], unique=False)

    with op.batch_alter_table('theme', schema=None) as batch_op:
        # server_default: existing themes get an empty draft (the next analysis run writes one)
        batch_op.add_column(sa.Column('summary_draft', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('summary_points', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('summary_reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('summary_reviewed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seed_words', sa.JSON(), nullable=True))
        batch_op.create_foreign_key('fk_theme_summary_reviewed_by', 'committeeuser',
                                    ['summary_reviewed_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.drop_constraint('fk_theme_summary_reviewed_by', type_='foreignkey')
        batch_op.drop_column('seed_words')
        batch_op.drop_column('summary_reviewed_by')
        batch_op.drop_column('summary_reviewed_at')
        batch_op.drop_column('summary_points')
        batch_op.drop_column('summary_draft')
    with op.batch_alter_table('themerejection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_themerejection_theme_id'))
        batch_op.drop_index(batch_op.f('ix_themerejection_opinion_id'))
    op.drop_table('themerejection')

"""communities as tenants: streets group communities; a community has a public slug and a
street; a staff account belongs to a community (admin / reviewer / clerk) or a street (街道管理员);
at most one running analysis run per consultation (decision 0025)

An existing single-community database moves in losing nothing: each community gets a slug
derived from its name (pinyin, e.g. 梧桐里社区 → wutongli; ``c<id>`` when that is taken or
pypinyin is missing); staff accounts without a community are given the only community when
there is exactly one; runs left 'running' beside a newer running run are closed as failed so
the one-running-run index can be built.

Revision ID: 0009
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def slug_from_name(name: str, taken: set[str], fallback: str) -> str:
    """The same rule as portal.services.tenancy.suggest_slug (kept here so the migration does
    not change when the service does)."""
    base = name.strip()
    for suffix in ("社区居委会", "居委会", "社区"):
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    slug = ""
    try:
        from pypinyin import lazy_pinyin

        slug = "".join(ch for ch in "".join(lazy_pinyin(base)).lower() if ch.isascii() and ch.isalnum())[:40]
    except ImportError:
        pass
    if not slug or slug in taken or not slug[0].isalpha():
        slug = fallback
    return slug


def upgrade() -> None:
    op.create_table(
        'street',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('district', sa.String(length=100), nullable=False, server_default=''),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slug', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('street_id', sa.Integer(), nullable=True))

    bind = op.get_bind()
    community = sa.table('community', sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('slug', sa.String))
    taken: set[str] = set()
    rows = bind.execute(sa.select(community.c.id, community.c.name).order_by(community.c.id)).all()
    for cid, name in rows:
        slug = slug_from_name(name or "", taken, f"c{cid}")
        taken.add(slug)
        bind.execute(community.update().where(community.c.id == cid).values(slug=slug))

    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.alter_column('slug', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint('uq_community_slug', ['slug'])
        batch_op.create_index(batch_op.f('ix_community_street_id'), ['street_id'], unique=False)
        batch_op.create_foreign_key('fk_community_street_id', 'street', ['street_id'], ['id'])

    with op.batch_alter_table('committeeuser', schema=None) as batch_op:
        batch_op.add_column(sa.Column('street_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_committeeuser_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_committeeuser_community_id'), ['community_id'], unique=False)
        batch_op.create_foreign_key('fk_committeeuser_street_id', 'street', ['street_id'], ['id'])

    if len(rows) == 1:  # a single-community database: its staff are that community's staff
        user = sa.table('committeeuser', sa.column('community_id', sa.Integer))
        bind.execute(user.update().where(user.c.community_id.is_(None)).values(community_id=rows[0][0]))

    # one running run per consultation: older duplicates (a crash left them) are closed
    run = sa.table('analysisrun', sa.column('id', sa.Integer), sa.column('consultation_id', sa.Integer),
                   sa.column('status', sa.String), sa.column('error', sa.String),
                   sa.column('finished_at', sa.DateTime(timezone=True)))
    running = bind.execute(sa.select(run.c.id, run.c.consultation_id).where(run.c.status == 'running')
                           .order_by(run.c.consultation_id, run.c.id.desc())).all()
    seen: set[int] = set()
    for rid, cons in running:
        if cons in seen:
            bind.execute(run.update().where(run.c.id == rid).values(
                status='failed', error='分析进程意外中断（进程被终止或机器重启），本次结果未保存；之前的主题保持不变。',
                finished_at=sa.func.now()))
        seen.add(cons)
    op.create_index('uq_analysisrun_one_running', 'analysisrun', ['consultation_id'], unique=True,
                    sqlite_where=sa.text("status = 'running'"),
                    postgresql_where=sa.text("status = 'running'"))


def downgrade() -> None:
    op.drop_index('uq_analysisrun_one_running', table_name='analysisrun')
    with op.batch_alter_table('committeeuser', schema=None) as batch_op:
        batch_op.drop_constraint('fk_committeeuser_street_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_committeeuser_community_id'))
        batch_op.drop_index(batch_op.f('ix_committeeuser_street_id'))
        batch_op.drop_column('street_id')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_constraint('fk_community_street_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_community_street_id'))
        batch_op.drop_constraint('uq_community_slug', type_='unique')
        batch_op.drop_column('street_id')
        batch_op.drop_column('slug')
    op.drop_table('street')

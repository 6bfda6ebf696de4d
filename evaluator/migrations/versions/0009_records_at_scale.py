"""records at scale, time zone, finish reason

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:10:00

The records list pages, searches and filters in the database: households get their head name as
a column (backfilled from the roster row), submissions a list index and their quality flags as a
column (NULL: computed by the next page that needs them). Evaluations get the time zone their
times are shown in and the lead's reason for finishing with open checks.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evaluations') as batch:
        batch.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False,
                                   server_default='Asia/Shanghai'))
        batch.add_column(sa.Column('finish_reason', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('households') as batch:
        batch.add_column(sa.Column('head_name', sa.String(length=120), nullable=False,
                                   server_default=''))
        batch.create_index('ix_households_list',
                           ['evaluation_id', 'household_id', 'stratum', 'head_name'])
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('flags', sa.String(length=200), nullable=True))
        batch.create_index('ix_submissions_list', [
            'evaluation_id', 'current', 'received_at', 'review_state', 'source', 'submitter_id',
            'household_id', 'flags', 'deprecated_id', 'instance_id'])
    households = sa.table('households', sa.column('id', sa.Integer), sa.column('data', sa.JSON),
                          sa.column('head_name', sa.String))
    connection = op.get_bind()
    updates = [{"pk": pk, "name": str((data or {}).get("head_name") or "")[:120]}
               for pk, data in connection.execute(sa.select(households.c.id, households.c.data))]
    updates = [u for u in updates if u["name"]]
    if updates:
        connection.execute(households.update().where(households.c.id == sa.bindparam("pk"))
                           .values(head_name=sa.bindparam("name")), updates)


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_index('ix_submissions_list')
        batch.drop_column('flags')
    with op.batch_alter_table('households') as batch:
        batch.drop_index('ix_households_list')
        batch.drop_column('head_name')
    with op.batch_alter_table('evaluations') as batch:
        batch.drop_column('finish_reason')
        batch.drop_column('time_zone')

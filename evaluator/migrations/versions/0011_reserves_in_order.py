"""reserves replace non-respondents in order

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:40:00

A drawn household's recorded non-response (refused, or not reached) and, for a reserve, whether
it was released into the sample and which household it replaces (docs/sampling.md, reserves).
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sample_draws') as batch:
        batch.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('released', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('replaces_pk', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_sample_draws_replaces_pk_households'),
                                 'households', ['replaces_pk'], ['id'])
        batch.create_check_constraint(
            batch.f('ck_sample_draws_outcome_known'),
            "outcome IS NULL OR outcome IN ('refused', 'unreached')")
        batch.create_check_constraint(
            batch.f('ck_sample_draws_only_reserves_released'),
            "role = 'reserve' OR (NOT released AND replaces_pk IS NULL)")


def downgrade() -> None:
    with op.batch_alter_table('sample_draws') as batch:
        batch.drop_constraint(batch.f('ck_sample_draws_only_reserves_released'), type_='check')
        batch.drop_constraint(batch.f('ck_sample_draws_outcome_known'), type_='check')
        batch.drop_constraint(batch.f('fk_sample_draws_replaces_pk_households'),
                              type_='foreignkey')
        batch.drop_column('replaces_pk')
        batch.drop_column('released')
        batch.drop_column('outcome')

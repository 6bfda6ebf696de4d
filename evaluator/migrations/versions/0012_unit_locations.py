"""unit locations

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:40:00

Where an evaluation's unit is (latitude, longitude; both optional, from the programme's units
sheet), for the map of units on the programme dashboard.
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evaluations') as batch:
        batch.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch.create_check_constraint(op.f('ck_evaluations_latitude_range'),
                                      'latitude IS NULL OR (latitude >= -90 AND latitude <= 90)')
        batch.create_check_constraint(
            op.f('ck_evaluations_longitude_range'),
            'longitude IS NULL OR (longitude >= -180 AND longitude <= 180)')


def downgrade() -> None:
    with op.batch_alter_table('evaluations') as batch:
        batch.drop_constraint(op.f('ck_evaluations_longitude_range'), type_='check')
        batch.drop_constraint(op.f('ck_evaluations_latitude_range'), type_='check')
        batch.drop_column('longitude')
        batch.drop_column('latitude')

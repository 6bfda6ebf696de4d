"""ingest indexes: one current record per household and source; a record's photos by record

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:00:00

The submissions API looked up a household's current record and a record's photos by scanning
the evaluation's submissions and every attachment: each record cost more than the one before
(14,000 records in an evening). The unique index also makes the rule "a second record of a
household and source must be an edit of the first" hold under racing requests.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    doubled = bind.execute(sa.text(
        "SELECT evaluation_id, source, household_id FROM submissions WHERE current "
        "AND household_id IS NOT NULL GROUP BY evaluation_id, source, household_id "
        "HAVING count(*) > 1")).first()
    if doubled is not None:
        raise RuntimeError(
            f"evaluation {doubled[0]}: household {doubled[2]} has two current {doubled[1]} "
            "records; mark the older one replaced (current = false) before upgrading")
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_current_record',
                              ['evaluation_id', 'source', 'household_id'], unique=True,
                              postgresql_where=sa.text('current'),
                              sqlite_where=sa.text('current'))
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_submission_id'), ['submission_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_submission_id'))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_current_record')

"""survey uploads and who published a survey version

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 17:12:38

Surveys in the browser: an uploaded XLSForm waits in survey_uploads (its imported model, warnings
and notes) until it is published; a survey version published in the browser says who published
it and why.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('survey_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('attached', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status = 'imported' OR published_version_id IS NOT NULL", name=op.f('ck_survey_uploads_published_has_version')),
    sa.CheckConstraint("status IN ('imported', 'published')", name=op.f('ck_survey_uploads_status_known')),
    sa.ForeignKeyConstraint(['published_version_id'], ['survey_versions.id'], name=op.f('fk_survey_uploads_published_version_id_survey_versions')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_survey_uploads_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_uploads'))
    )
    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('change_note', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_survey_versions_published_by_id_users'), 'users', ['published_by_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_survey_versions_published_by_id_users'), type_='foreignkey')
        batch_op.drop_column('change_note')
        batch_op.drop_column('published_by_id')

    op.drop_table('survey_uploads')

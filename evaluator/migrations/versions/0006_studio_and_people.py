"""studio and people: rubric drafts, who published a rubric version and why, one-time
sign-in links, users who must choose their own password

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 13:21:55.777358
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("purpose IN ('welcome', 'reset')", name=op.f('ck_sign_in_links_purpose_known')),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_sign_in_links_expires_after_creation')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sign_in_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_links_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_links')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_sign_in_links_token_sha256'))
    )
    with op.batch_alter_table('sign_in_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_links_user_id'), ['user_id'], unique=False)

    op.create_table('rubric_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('survey_version_ids', sa.JSON(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('base_version_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("origin IN ('shipped', 'version', 'blank', 'import')", name=op.f('ck_rubric_drafts_origin_known')),
    sa.CheckConstraint("status = 'editing' OR published_version_id IS NOT NULL", name=op.f('ck_rubric_drafts_published_has_version')),
    sa.CheckConstraint("status IN ('editing', 'published')", name=op.f('ck_rubric_drafts_status_known')),
    sa.CheckConstraint('lock_version >= 1', name=op.f('ck_rubric_drafts_lock_version_positive')),
    sa.ForeignKeyConstraint(['base_version_id'], ['rubric_versions.id'], name=op.f('fk_rubric_drafts_base_version_id_rubric_versions')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rubric_drafts_created_by_id_users')),
    sa.ForeignKeyConstraint(['published_version_id'], ['rubric_versions.id'], name=op.f('fk_rubric_drafts_published_version_id_rubric_versions')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_rubric_drafts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_drafts'))
    )
    with op.batch_alter_table('rubric_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('based_on_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('change_note', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_rubric_versions_published_by_id_users'), 'users', ['published_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_rubric_versions_based_on_id_rubric_versions'), 'rubric_versions', ['based_on_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('rubric_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_rubric_versions_based_on_id_rubric_versions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_rubric_versions_published_by_id_users'), type_='foreignkey')
        batch_op.drop_column('change_note')
        batch_op.drop_column('based_on_id')
        batch_op.drop_column('published_by_id')

    op.drop_table('rubric_drafts')
    with op.batch_alter_table('sign_in_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_links_user_id'))

    op.drop_table('sign_in_links')

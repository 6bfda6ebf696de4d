"""programmes, feedback and appeal, rectification, unit role

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 13:42:29
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('commissioning_body', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('rubric_version_id', sa.Integer(), nullable=False),
    sa.Column('stratum_column', sa.String(length=80), nullable=False),
    sa.Column('sample_rule', sa.JSON(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("key <> ''", name=op.f('ck_programmes_key_present')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_programmes_period_ordered')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_programmes_created_by_id_users')),
    sa.ForeignKeyConstraint(['rubric_version_id'], ['rubric_versions.id'], name=op.f('fk_programmes_rubric_version_id_rubric_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('key', name=op.f('uq_programmes_key'))
    )
    op.create_table('evaluation_scores',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('data_hash', sa.String(length=80), nullable=False),
    sa.Column('total', sa.Double(), nullable=True),
    sa.Column('grade', sa.String(length=40), nullable=False),
    sa.Column('sheet', sa.JSON(), nullable=True),
    sa.Column('designs', sa.JSON(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('quality', sa.JSON(), nullable=False),
    sa.Column('scored_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_evaluation_scores_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evaluation_id', name=op.f('pk_evaluation_scores'))
    )
    op.create_table('feedback_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('total_before', sa.Double(), nullable=True),
    sa.Column('grade_before', sa.String(length=40), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_feedback_rounds_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_feedback_rounds_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_rounds')),
    sa.UniqueConstraint('evaluation_id', name=op.f('uq_feedback_rounds_evaluation_id'))
    )
    op.create_table('finding_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('responded_by_id', sa.Integer(), nullable=False),
    sa.Column('responded_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('outcome_reason', sa.Text(), nullable=False),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(answer = 'accepted') = (outcome = 'none')", name=op.f('ck_finding_responses_outcome_for_contests')),
    sa.CheckConstraint("(outcome = 'upheld') = (change <> '')", name=op.f('ck_finding_responses_upheld_changes')),
    sa.CheckConstraint("answer <> 'contested' OR reason <> ''", name=op.f('ck_finding_responses_contest_reasoned')),
    sa.CheckConstraint("answer IN ('accepted', 'contested')", name=op.f('ck_finding_responses_answer_known')),
    sa.CheckConstraint("change IN ('', 'withdrawn', 'changed')", name=op.f('ck_finding_responses_change_known')),
    sa.CheckConstraint("outcome <> 'rejected' OR outcome_reason <> ''", name=op.f('ck_finding_responses_rejection_reasoned')),
    sa.CheckConstraint("outcome IN ('none', 'pending', 'upheld', 'rejected')", name=op.f('ck_finding_responses_outcome_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_finding_responses_decided_by_id_users')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_finding_responses_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_finding_responses_finding_id_findings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responded_by_id'], ['users.id'], name=op.f('fk_finding_responses_responded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_responses')),
    sa.UniqueConstraint('finding_id', name=op.f('uq_finding_responses_finding_id'))
    )
    with op.batch_alter_table('finding_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_responses_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('rectification_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=False),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("from_state IN ('open', 'in_progress', 'submitted', 'verified')", name=op.f('ck_rectification_updates_from_known')),
    sa.CheckConstraint("to_state IN ('open', 'in_progress', 'submitted', 'verified')", name=op.f('ck_rectification_updates_to_known')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_rectification_updates_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_rectification_updates_finding_id_findings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rectification_updates_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_updates'))
    )
    with op.batch_alter_table('rectification_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_updates_evaluation_id'), ['evaluation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_updates_finding_id'), ['finding_id'], unique=False)

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('update_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attachments_response_id_finding_responses'), 'finding_responses', ['response_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_attachments_update_id_rectification_updates'), 'rectification_updates', ['update_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=120), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_evaluations_programme_id'), ['programme_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_evaluations_programme_id_programmes'), 'programmes', ['programme_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_evaluations_previous_id_evaluations'), 'evaluations', ['previous_id'], ['id'])

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('rectification', sa.String(length=20), server_default='open', nullable=False))
        batch_op.create_check_constraint(op.f('ck_findings_status_known'),
                                         "status IN ('active', 'withdrawn')")
        batch_op.create_check_constraint(
            op.f('ck_findings_rectification_known'),
            "rectification IN ('open', 'in_progress', 'submitted', 'verified')")

    _replace_check('users', 'ck_users_role_known',
                   "role IN ('admin', 'author', 'lead', 'evaluator', 'viewer', 'unit')")
    _replace_check('memberships', 'ck_memberships_role_known',
                   "role IN ('lead', 'evaluator', 'viewer', 'unit')")
    _replace_check('attachments', 'ck_attachments_owned',
                   "submission_id IS NOT NULL OR finding_id IS NOT NULL "
                   "OR response_id IS NOT NULL OR update_id IS NOT NULL")


def _replace_check(table: str, name: str, condition: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(name), type_='check')
        batch_op.create_check_constraint(op.f(name), condition)



def downgrade() -> None:
    _replace_check('attachments', 'ck_attachments_owned',
                   "submission_id IS NOT NULL OR finding_id IS NOT NULL")
    _replace_check('memberships', 'ck_memberships_role_known',
                   "role IN ('lead', 'evaluator', 'viewer')")
    _replace_check('users', 'ck_users_role_known',
                   "role IN ('admin', 'author', 'lead', 'evaluator', 'viewer')")
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_findings_rectification_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_findings_status_known'), type_='check')
        batch_op.drop_column('rectification')
        batch_op.drop_column('status')

    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evaluations_previous_id_evaluations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_evaluations_programme_id_programmes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_evaluations_programme_id'))
        batch_op.drop_column('previous_id')
        batch_op.drop_column('region')
        batch_op.drop_column('programme_id')

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachments_update_id_rectification_updates'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_attachments_response_id_finding_responses'), type_='foreignkey')
        batch_op.drop_column('update_id')
        batch_op.drop_column('response_id')

    with op.batch_alter_table('rectification_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_updates_finding_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_updates_evaluation_id'))

    op.drop_table('rectification_updates')
    with op.batch_alter_table('finding_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_responses_evaluation_id'))

    op.drop_table('finding_responses')
    op.drop_table('feedback_rounds')
    op.drop_table('evaluation_scores')
    op.drop_table('programmes')

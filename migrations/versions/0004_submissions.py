"""Add whole-version submissions, consultation questions, answers, attachments and redactions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('question_results_live', sa.Boolean(), server_default='0', nullable=False)
        )

    op.create_table(
        'questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('prompt', sa.Text(), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('section_key', sa.String(length=64), nullable=True),
        sa.Column('clause_key', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_questions_version_id_versions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
        sa.UniqueConstraint('version_id', 'position', name=op.f('uq_questions_version_id_position')),
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_version_id'), ['version_id'], unique=False)

    op.create_table(
        'submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tracking_number', sa.String(length=16), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('entered_by_id', sa.Integer(), nullable=True),
        sa.Column('submitter_name', sa.String(length=200), nullable=False),
        sa.Column('submitter_contact', sa.String(length=320), nullable=True),
        sa.Column('submitter_kind', sa.String(length=16), nullable=False),
        sa.Column('organisation_name', sa.String(length=200), nullable=True),
        sa.Column('organisation_kind', sa.String(length=16), nullable=True),
        sa.Column('region', sa.String(length=100), nullable=True),
        sa.Column('organisation_confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('organisation_confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('consent', sa.String(length=12), nullable=False),
        sa.Column('channel', sa.String(length=12), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('section_keys', sa.JSON(), nullable=False),
        sa.Column('fingerprint_hash', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('moderation_reason', sa.Text(), nullable=True),
        sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('moderated_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_submissions_version_id_versions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submissions_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_submissions_entered_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_confirmed_by_id'], ['users.id'], name=op.f('fk_submissions_organisation_confirmed_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_submissions_moderated_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
        sa.UniqueConstraint('tracking_number', name=op.f('uq_submissions_tracking_number')),
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_version_id'), ['version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_entered_by_id'), ['entered_by_id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_submissions_organisation_confirmed_by_id'), ['organisation_confirmed_by_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_submissions_moderated_by_id'), ['moderated_by_id'], unique=False)
        batch_op.create_index('ix_submissions_version_id_fingerprint_hash', ['version_id', 'fingerprint_hash'], unique=False)
        batch_op.create_index('ix_submissions_version_state_id', ['version_id', 'state', 'id'], unique=False)
        batch_op.create_index('ix_submissions_user_id_version_id', ['user_id', 'version_id'], unique=False)

    op.create_table(
        'answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_answers_submission_id_submissions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_answers_question_id_questions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
        sa.UniqueConstraint('submission_id', 'question_id', name=op.f('uq_answers_submission_id_question_id')),
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_question_id'), ['question_id'], unique=False)

    op.create_table(
        'attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('page_count', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('extraction', sa.String(length=12), nullable=False),
        sa.Column('is_original_scan', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_attachments_submission_id_submissions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_content_hash'), ['content_hash'], unique=False)

    op.create_table(
        'redactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('passage', sa.Text(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('redacted_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_redactions_submission_id_submissions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['redacted_by_id'], ['users.id'], name=op.f('fk_redactions_redacted_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_redactions')),
    )
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redactions_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redactions_redacted_by_id'), ['redacted_by_id'], unique=False)


def downgrade():
    op.drop_table('redactions')
    op.drop_table('attachments')
    op.drop_table('answers')
    op.drop_table('submissions')
    op.drop_table('questions')
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_column('question_results_live')

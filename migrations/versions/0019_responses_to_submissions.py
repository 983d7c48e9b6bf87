"""Let a response answer a whole-version submission or a free-text answer, as it answers a comment

- responses.submission_id and responses.answer_id (unique, cascade with their row); the check that a response has
  one target now counts all four (comment, campaign group, submission, answer). Existing rows stay valid.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 21:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = "0018"
branch_labels = None
depends_on = None

TWO_TARGETS = "(comment_id IS NOT NULL) <> (campaign_group_id IS NOT NULL)"
ONE_TARGET = (
    "(CASE WHEN comment_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN campaign_group_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN submission_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN answer_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answer_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_responses_submission_id'), ['submission_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_responses_answer_id'), ['answer_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_responses_submission_id_submissions'),
            'submissions',
            ['submission_id'],
            ['id'],
            ondelete='CASCADE',
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_responses_answer_id_answers'), 'answers', ['answer_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.drop_constraint(batch_op.f('ck_responses_one_target'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_one_target'), ONE_TARGET)


def downgrade():
    # Responses to submissions and answers have nowhere to go in the older schema.
    op.execute('DELETE FROM responses WHERE submission_id IS NOT NULL OR answer_id IS NOT NULL')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_one_target'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_one_target'), TWO_TARGETS)
        batch_op.drop_constraint(batch_op.f('fk_responses_answer_id_answers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_responses_submission_id_submissions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_responses_answer_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_responses_submission_id'), type_='unique')
        batch_op.drop_column('answer_id')
        batch_op.drop_column('submission_id')

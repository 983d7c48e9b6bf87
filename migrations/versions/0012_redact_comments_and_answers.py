"""Redact passages of clause comments and free-text answers, as of submissions

- redactions.comment_id and redactions.answer_id (cascade with their row); submission_id becomes optional, and a
  check keeps exactly one of the three set. Existing rows are all submissions' and stay valid.
- comments.redaction_count and answers.redaction_count, kept with the rows above (0 for every existing row), so
  pages load redactions only for the few that have some.

A comment's "do not publish" answer needs no schema change: comments.display_as (String(12)) takes "private"
beside "name" and "anonymous", and every existing row keeps the value it had.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 17:45:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ONE_TARGET = (
    "(CASE WHEN submission_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN comment_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN answer_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redaction_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redaction_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answer_id', sa.Integer(), nullable=True))
        batch_op.alter_column('submission_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_redactions_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redactions_answer_id'), ['answer_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_redactions_comment_id_comments'), 'comments', ['comment_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_redactions_answer_id_answers'), 'answers', ['answer_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.create_check_constraint(batch_op.f('ck_redactions_one_target'), ONE_TARGET)


def downgrade():
    # Redactions of comments and answers have nowhere to go in the older schema.
    op.execute('DELETE FROM redactions WHERE submission_id IS NULL')
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_redactions_one_target'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_redactions_answer_id_answers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_redactions_comment_id_comments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_redactions_answer_id'))
        batch_op.drop_index(batch_op.f('ix_redactions_comment_id'))
        batch_op.alter_column('submission_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('answer_id')
        batch_op.drop_column('comment_id')

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('redaction_count')

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('redaction_count')

"""Let staff split and merge campaign groups

- comments.campaign_locked: a comment staff took out of a group is left alone by grouping from then on.
- campaign_groups.merged_into_id: a group merged into another names it, so a letter that still finds the old
  group (by its text, or a join already under way) joins the one it was merged into.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-01 17:45:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('campaign_locked', sa.Boolean(), server_default=sa.text('false'), nullable=False)
        )
    with op.batch_alter_table('campaign_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('campaign_groups', schema=None) as batch_op:
        batch_op.drop_column('merged_into_id')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('campaign_locked')

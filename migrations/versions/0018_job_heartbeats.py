"""Give job runs a heartbeat, so a run its worker lost (a restart) can be marked failed instead of running for ever

- import_runs.heartbeat_at, analysis_theme_runs.heartbeat_at: when the job last said it was alive
  (`app.jobs.RowJob.sweep`).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 21:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('analysis_theme_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('analysis_theme_runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')

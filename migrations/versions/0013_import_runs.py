"""Add import runs: a web table import checked and stored off the request, with its progress and outcome

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 18:15:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_checked', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('problems', sa.JSON(), nullable=False),
        sa.Column('preview', sa.JSON(), nullable=False),
        sa.Column('created', sa.JSON(), nullable=False),
        sa.Column('created_count', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_import_runs_staff_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_import_runs_version_id_versions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs')),
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_runs_version_id'), ['version_id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_runs_version_id'))
        batch_op.drop_index(batch_op.f('ix_import_runs_staff_id'))
    op.drop_table('import_runs')

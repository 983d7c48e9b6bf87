"""Describe consultations (agency, contact, why, next steps, documents); keep superseded versions closed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False))
        batch_op.add_column(sa.Column('why', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('next_steps', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('is_demo', sa.Boolean(), server_default='0', nullable=False))

    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_when_superseded', sa.Boolean(), server_default='0', nullable=False))

    op.create_table('policy_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Integer(), server_default='0', nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_policy_documents_policy_id_policies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_documents')),
    sa.UniqueConstraint('policy_id', 'position', name=op.f('uq_policy_documents_policy_id_position'))
    )
    with op.batch_alter_table('policy_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_documents_policy_id'), ['policy_id'], unique=False)


def downgrade():
    with op.batch_alter_table('policy_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_documents_policy_id'))
    op.drop_table('policy_documents')
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_column('open_when_superseded')
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.drop_column('is_demo')
        batch_op.drop_column('next_steps')
        batch_op.drop_column('why')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('agency')

"""Add email notifications (settings, follows, the outbox) and lock sign-ins per account and source

Notifications are queued in the outbox table by the request and sent by a worker. Wrong passwords are counted
per account and source in login_throttles, so a stranger's guesses no longer lock the owner out everywhere; the
per-account columns they replace are dropped.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('receipt', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('reply', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('response', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('moderation', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('new_version', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('closing', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('digest', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('locale', sa.String(length=10), server_default='en', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings')),
    )
    op.create_table(
        'policy_follows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('locale', sa.String(length=10), server_default='en', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_policy_follows_policy_id_policies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_policy_follows_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_follows')),
        sa.UniqueConstraint('policy_id', 'email', name=op.f('uq_policy_follows_policy_id_email')),
        sa.UniqueConstraint('policy_id', 'user_id', name=op.f('uq_policy_follows_policy_id_user_id')),
    )
    with op.batch_alter_table('policy_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_follows_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_follows_user_id'), ['user_id'], unique=False)

    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('sent_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key')),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_user_id'), ['user_id'], unique=False)

    op.create_table(
        'login_throttles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_throttles_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttles')),
        sa.UniqueConstraint('user_id', 'source', name=op.f('uq_login_throttles_user_id_source')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.drop_table('login_throttles')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_user_id'))
        batch_op.drop_index('ix_outbox_status_id')
    op.drop_table('outbox')
    with op.batch_alter_table('policy_follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_follows_user_id'))
        batch_op.drop_index(batch_op.f('ix_policy_follows_policy_id'))
    op.drop_table('policy_follows')
    op.drop_table('notification_settings')

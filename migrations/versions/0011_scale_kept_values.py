"""Keep a campaign group's representative and its exact text's hash; indexes for grouping; queue-first ingest

- campaign_groups.representative_id (the earliest published member, kept by delta) and fingerprint_hash, unique
  per clause, so two letters grouped at once meet at one group instead of making two.
- comments.form_token (unique per author: a retried POST finds the comment it made) and comments.processed
  (False until the deferred work after a post is done; a partial index is the sweeper's queue).
- Indexes for the exact-fingerprint lookup (clause, fingerprint, id), a group's published members
  (group, state, id), and the near-duplicate check (a clause's ungrouped top-level comments by id).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:40:00.000000

"""
import hashlib

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('representative_id', sa.Integer(), nullable=True))

    # Existing groups: the hash of their text (a duplicate pair left by the old race keeps the first), and their
    # earliest published member.
    bind = op.get_bind()
    seen = set()
    rows = bind.execute(sa.text('SELECT id, clause_id, fingerprint FROM campaign_groups ORDER BY id')).all()
    for group_id, clause_id, text in rows:
        digest = hashlib.sha256((text or '').encode('utf-8')).hexdigest()
        if (clause_id, digest) in seen:
            continue
        seen.add((clause_id, digest))
        bind.execute(
            sa.text('UPDATE campaign_groups SET fingerprint_hash = :h WHERE id = :i'), {'h': digest, 'i': group_id}
        )
    bind.execute(
        sa.text(
            "UPDATE campaign_groups SET representative_id = (SELECT min(m.id) FROM comments m "
            "WHERE m.campaign_group_id = campaign_groups.id AND m.state = 'published')"
        )
    )

    with op.batch_alter_table('campaign_groups', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_campaign_groups_clause_id_fingerprint_hash'), ['clause_id', 'fingerprint_hash']
        )

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('processed', sa.Boolean(), server_default=sa.text('true'), nullable=False))
        batch_op.drop_index(batch_op.f('ix_comments_fingerprint_hash'))
        batch_op.drop_index(batch_op.f('ix_comments_campaign_group_id'))
        batch_op.create_index('ix_comments_clause_fingerprint_id', ['clause_id', 'fingerprint_hash', 'id'], unique=False)
        batch_op.create_index('ix_comments_group_state_id', ['campaign_group_id', 'state', 'id'], unique=False)
        batch_op.create_index(
            'ix_comments_ungrouped',
            ['clause_id', 'id'],
            unique=False,
            postgresql_where=sa.text('campaign_group_id IS NULL AND parent_id IS NULL'),
            sqlite_where=sa.text('campaign_group_id IS NULL AND parent_id IS NULL'),
        )
        batch_op.create_index(
            'ix_comments_unprocessed',
            ['id'],
            unique=False,
            postgresql_where=sa.text('NOT processed'),
            sqlite_where=sa.text('NOT processed'),
        )
        batch_op.create_unique_constraint(batch_op.f('uq_comments_user_id_form_token'), ['user_id', 'form_token'])


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_comments_user_id_form_token'), type_='unique')
        batch_op.drop_index('ix_comments_unprocessed')
        batch_op.drop_index('ix_comments_ungrouped')
        batch_op.drop_index('ix_comments_group_state_id')
        batch_op.drop_index('ix_comments_clause_fingerprint_id')
        batch_op.create_index(batch_op.f('ix_comments_campaign_group_id'), ['campaign_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_fingerprint_hash'), ['fingerprint_hash'], unique=False)
        batch_op.drop_column('processed')
        batch_op.drop_column('form_token')

    with op.batch_alter_table('campaign_groups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_campaign_groups_clause_id_fingerprint_hash'), type_='unique')
        batch_op.drop_column('representative_id')
        batch_op.drop_column('fingerprint_hash')

"""The analysis workbench: search index (FTS5 / tsvector), codebook, tag applications, assignments, themes

Existing comments and clauses are indexed here; after this, index rows are written with the rows they index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('clause_id', sa.Integer(), nullable=True),
        sa.Column('campaign_group_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('verified', sa.Boolean(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('folded', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['campaign_group_id'], ['campaign_groups.id'], name=op.f('fk_search_documents_campaign_group_id_campaign_groups'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['clause_id'], ['clauses.id'], name=op.f('fk_search_documents_clause_id_clauses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_search_documents_policy_id_policies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_search_documents_version_id_versions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
        sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_search_documents_kind_ref_id')),
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_campaign_group_id'), ['campaign_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_clause_id'), ['clause_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index('ix_search_documents_version_kind_id', ['version_id', 'kind', 'id'], unique=False)

    op.create_table(
        'analysis_tags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_analysis_tags_created_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['parent_id'], ['analysis_tags.id'], name=op.f('fk_analysis_tags_parent_id_analysis_tags'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_analysis_tags_policy_id_policies'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_tags')),
        sa.UniqueConstraint('policy_id', 'name', name=op.f('uq_analysis_tags_policy_id_name')),
    )
    with op.batch_alter_table('analysis_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_tags_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_tags_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_tags_policy_id'), ['policy_id'], unique=False)

    op.create_table(
        'analysis_tag_applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tag_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('coder_id', sa.Integer(), nullable=True),
        sa.Column('second', sa.Boolean(), nullable=False),
        sa.Column('quote_exact', sa.Text(), nullable=True),
        sa.Column('quote_start', sa.Integer(), nullable=True),
        sa.Column('quote_end', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['coder_id'], ['users.id'], name=op.f('fk_analysis_tag_applications_coder_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tag_id'], ['analysis_tags.id'], name=op.f('fk_analysis_tag_applications_tag_id_analysis_tags'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_analysis_tag_applications_version_id_versions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_tag_applications')),
        sa.UniqueConstraint('tag_id', 'kind', 'ref_id', 'coder_id', name=op.f('uq_analysis_tag_applications_tag_id_kind_ref_id_coder_id')),
    )
    with op.batch_alter_table('analysis_tag_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_tag_applications_coder_id'), ['coder_id'], unique=False)
        batch_op.create_index('ix_analysis_tag_applications_item', ['kind', 'ref_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_tag_applications_version_id'), ['version_id'], unique=False)

    op.create_table(
        'analysis_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('analyst_id', sa.Integer(), nullable=False),
        sa.Column('second', sa.Boolean(), nullable=False),
        sa.Column('assigned_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['analyst_id'], ['users.id'], name=op.f('fk_analysis_assignments_analyst_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_analysis_assignments_assigned_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_analysis_assignments_version_id_versions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_assignments')),
        sa.UniqueConstraint('kind', 'ref_id', 'second', name=op.f('uq_analysis_assignments_kind_ref_id_second')),
    )
    with op.batch_alter_table('analysis_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_assignments_analyst_id'), ['analyst_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_assignments_assigned_by_id'), ['assigned_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_assignments_version_id'), ['version_id'], unique=False)

    op.create_table(
        'analysis_theme_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('themes_wanted', sa.Integer(), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=40), nullable=False),
        sa.Column('item_count', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_analysis_theme_runs_requested_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_analysis_theme_runs_version_id_versions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_theme_runs')),
    )
    with op.batch_alter_table('analysis_theme_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_theme_runs_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_theme_runs_version_id'), ['version_id'], unique=False)

    op.create_table(
        'analysis_theme_suggestions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.Column('terms', sa.JSON(), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('representatives', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('tag_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_analysis_theme_suggestions_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['run_id'], ['analysis_theme_runs.id'], name=op.f('fk_analysis_theme_suggestions_run_id_analysis_theme_runs'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_id'], ['analysis_tags.id'], name=op.f('fk_analysis_theme_suggestions_tag_id_analysis_tags'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_theme_suggestions')),
    )
    with op.batch_alter_table('analysis_theme_suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_theme_suggestions_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_theme_suggestions_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_theme_suggestions_tag_id'), ['tag_id'], unique=False)

    op.create_table(
        'campaign_band_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('band', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_campaign_band_keys_comment_id_comments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_campaign_band_keys_version_id_versions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_band_keys')),
    )
    with op.batch_alter_table('campaign_band_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_band_keys_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index('ix_campaign_band_keys_version_band_id', ['version_id', 'band', 'id'], unique=False)

    from app.analysis.schema import create_engine_parts

    bind = op.get_bind()
    create_engine_parts(op.execute, bind.dialect.name)
    _backfill(bind)


def _backfill(bind):
    """Index what is already there: every clause and every comment."""
    from app.analysis.textsearch import fold

    versions = {
        row.id: row for row in bind.execute(sa.text('SELECT id, policy_id, status, created_at FROM versions'))
    }
    insert = sa.text(
        'INSERT INTO search_documents (kind, ref_id, policy_id, version_id, clause_id, campaign_group_id, state, '
        'public, verified, channel, body, folded, created_at) VALUES (:kind, :ref_id, :policy_id, :version_id, '
        ':clause_id, :group, :state, :public, :verified, :channel, :body, :folded, :created_at)'
    )
    for row in bind.execute(sa.text('SELECT id, version_id, text FROM clauses')):
        version = versions[row.version_id]
        bind.execute(insert, dict(
            kind='clause', ref_id=row.id, policy_id=version.policy_id, version_id=row.version_id,
            clause_id=row.id, group=None, state='published', public=version.status != 'working',
            verified=False, channel='policy', body=row.text, folded=fold(row.text), created_at=version.created_at,
        ))
    from app.analysis.lsh import band_keys
    from app.comments.campaigns import normalise

    keys = sa.text('INSERT INTO campaign_band_keys (version_id, comment_id, band) VALUES (:v, :c, :b)')
    comments = bind.execute(sa.text(
        'SELECT id, version_id, clause_id, campaign_group_id, state, author_verified, body, created_at, parent_id '
        'FROM comments ORDER BY id'
    )).all()
    for row in comments:
        version = versions[row.version_id]
        bind.execute(insert, dict(
            kind='comment', ref_id=row.id, policy_id=version.policy_id, version_id=row.version_id,
            clause_id=row.clause_id, group=row.campaign_group_id, state=row.state,
            public=row.state == 'published' and version.status != 'working',
            verified=bool(row.author_verified), channel='online', body=row.body, folded=fold(row.body),
            created_at=row.created_at,
        ))
        if row.parent_id is None:
            for band in band_keys(normalise(row.body)):
                bind.execute(keys, dict(v=row.version_id, c=row.id, b=band))


def downgrade():
    from app.analysis.schema import drop_engine_parts

    drop_engine_parts(op.execute, op.get_bind().dialect.name)
    for table in ('campaign_band_keys', 'analysis_theme_suggestions', 'analysis_theme_runs', 'analysis_assignments',
                  'analysis_tag_applications', 'analysis_tags', 'search_documents'):
        op.drop_table(table)

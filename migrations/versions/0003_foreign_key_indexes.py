"""Index the foreign keys that had no index

Deleting or anonymising a user sets these columns to NULL (and deleting a version clears the rows that point at
it); without an index each such delete scans the whole referencing table. PostgreSQL never adds these by itself.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

INDEXES = [
    ('audit_events', 'actor_id'),
    ('comments', 'moderated_by_id'),
    ('comment_placements', 'confirmed_by_id'),
    ('comment_reports', 'reporter_id'),
    ('responses', 'author_id'),
    ('responses', 'changed_in_version_id'),
    ('versions', 'parent_id'),
]


def upgrade():
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def downgrade():
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))

"""Add a te reo Māori heading to sections

A draft may give a section's heading in te reo Māori beside the English one (`## Purpose {mi: Te aronga}
{#purpose}`); pages and PDFs show both. Existing sections have none (NULL).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heading_mi', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.drop_column('heading_mi')

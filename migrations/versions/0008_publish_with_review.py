"""Publish with review: sign-offs per policy, publication requests and approvals, superseded finals

A policy says how many people sign a publication off (1 or 2); a working version records who asked for it to
be published; approvals are kept per reviewed revision, so an edit after an approval voids it. A final version
that a later final took over records when.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:40:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publish_signoffs", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publication_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("publication_requested_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_versions_publication_requested_by_id"),
            ["publication_requested_by_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_versions_publication_requested_by_id_users"),
            "users",
            ["publication_requested_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "publication_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_publication_approvals_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_publication_approvals_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_approvals")),
        sa.UniqueConstraint(
            "version_id",
            "user_id",
            "revision",
            name=op.f("uq_publication_approvals_version_id_user_id_revision"),
        ),
    )
    with op.batch_alter_table("publication_approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publication_approvals_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("publication_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_approvals_user_id"))
    op.drop_table("publication_approvals")
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_versions_publication_requested_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_versions_publication_requested_by_id"))
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("publication_requested_by_id")
        batch_op.drop_column("publication_requested_at")
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.drop_column("publish_signoffs")

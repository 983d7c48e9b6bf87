"""Record engagement events (hui, workshops, meetings) and link their "what we heard" summaries

- engagement_events: one hui, workshop or meeting on a published version: day, place, region, host, how many
  people came.
- submissions.event_id: the submission that is an event's "what we heard" summary (at most one per event;
  an event with a summary is not deleted, hence RESTRICT).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 21:10:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "engagement_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "attendees IS NULL OR attendees >= 0", name=op.f("ck_engagement_events_attendees_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_engagement_events_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_engagement_events_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_events")),
    )
    with op.batch_alter_table("engagement_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_events_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_events_version_id_held_on", ["version_id", "held_on"], unique=False
        )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_submissions_event_id"), ["event_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_submissions_event_id_engagement_events"),
            "engagement_events",
            ["event_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade():
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_submissions_event_id_engagement_events"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_submissions_event_id"), type_="unique")
        batch_op.drop_column("event_id")
    with op.batch_alter_table("engagement_events", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_events_version_id_held_on")
        batch_op.drop_index(batch_op.f("ix_engagement_events_created_by_id"))
    op.drop_table("engagement_events")

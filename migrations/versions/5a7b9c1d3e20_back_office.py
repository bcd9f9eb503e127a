"""Back office: API tokens, an event's audit history, partner logos, series settings

- ``api_token``: organisers' bearer tokens for the API, stored as SHA-256 hashes.
- ``audit_log.event_id``: the event an entry concerns (the event or one of its
  registrations); filled here for the entries about events.
- ``partner.logo_filename``: the uploaded logo in the instance folder.
- ``series``: a slug for its events' slugs, a venue for workshop series, and the dates it
  leaves out (a German state's public holidays, listed dates).

Revision ID: 5a7b9c1d3e20
Revises: 3c1d2e7a9b40
Create Date: 2026-12-02 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5a7b9c1d3e20"
down_revision = "3c1d2e7a9b40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_api_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_event_id"), ["event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_log_event_id_event"),
            "event",
            ["event_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute("UPDATE audit_log SET event_id = object_id WHERE object_type = 'event'")

    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_filename", sa.String(length=100), nullable=True))

    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("venue_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("exclude_holidays", sa.String(length=10), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("exclude_dates", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_series_slug"), ["slug"])
        batch_op.create_foreign_key(
            batch_op.f("fk_series_venue_id_venue"),
            "venue",
            ["venue_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade():
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_series_venue_id_venue"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_series_slug"), type_="unique")
        batch_op.drop_column("exclude_dates")
        batch_op.drop_column("exclude_holidays")
        batch_op.drop_column("venue_id")
        batch_op.drop_column("slug")

    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_column("logo_filename")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_log_event_id_event"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_audit_log_event_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))
        batch_op.drop_column("event_id")

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")

"""Content version: counted up by every commit that changes what public pages show

``content_version`` holds one row; the public pages kept as rendered are keyed by it
(``roadshow.pagecache``). ``registration.created_at`` gets an index: the back office's
dashboard counts the registrations of the last days; ``event.ends_at`` one for what has not
ended yet (the listing and its filters).

Revision ID: b2c4d6e8f0a1
Revises: 9e1f3a5c7b42
Create Date: 2026-12-03 15:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b2c4d6e8f0a1"
down_revision = "9e1f3a5c7b42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_version")),
    )
    op.bulk_insert(table, [{"id": 1, "value": 1}])
    op.create_index("ix_registration_created_at", "registration", ["created_at"])
    op.create_index("ix_event_ends_at", "event", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_event_ends_at", table_name="event")
    op.drop_index("ix_registration_created_at", table_name="registration")
    op.drop_table("content_version")

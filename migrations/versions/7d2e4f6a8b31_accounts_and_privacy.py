"""Accounts and personal data: sessions that end, a second factor, erased records

- ``user.session_version``: raised at logout and password change; older sessions stop.
- ``user.password_changed_at``: set-password and reset links work once.
- ``user.totp_secret``, ``totp_enabled_at``, ``totp_last_step``,
  ``recovery_code_hashes``: the TOTP factor.
- ``api_token.label``: what a token is for, shown on the token page.
- ``site_setting``: settings an admin changes in the product.
- ``anonymised_at`` on attendees, subscribers and outbox messages: erased (DSGVO).

Revision ID: 7d2e4f6a8b31
Revises: 5a7b9c1d3e20
Create Date: 2026-12-02 12:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7d2e4f6a8b31"
down_revision = "5a7b9c1d3e20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("recovery_code_hashes", sa.JSON(), server_default="[]", nullable=False)
        )

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label", sa.String(length=100), server_default="", nullable=False)
        )

    op.create_table(
        "site_setting",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_setting")),
    )

    for table in ("attendee", "subscriber", "outbox_message"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True)
            )


def downgrade():
    for table in ("outbox_message", "subscriber", "attendee"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("anonymised_at")
    op.drop_table("site_setting")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("label")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("recovery_code_hashes")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("session_version")

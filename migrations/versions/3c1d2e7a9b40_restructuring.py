"""Seats taken kept on the event; signed manage links; unused API token column dropped; index renamed

- ``event.seats_taken``: the seats held by confirmed attendees, filled from the rows here
  and recounted by every change of seats from now on.
- ``subscriber.unsubscribe_token_hash`` goes: manage links are signed with the secret key
  (itsdangerous) instead of stored. Links sent before keep working only if they were made
  with the same key; they were derived from it before, too, and the new form differs, so
  old manage links end (the subscription, the feed and its address stay).
- ``user.api_token_hash`` goes: nothing used it (organiser API tokens get a table of
  their own when the organiser API arrives).
- ``ix_registration_event_id_status_created_at`` covered ``(event_id, status, id)``; it is
  now called ``ix_registration_event_id_status_id``.

Revision ID: 3c1d2e7a9b40
Revises: fb4555e66955
Create Date: 2026-12-02 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3c1d2e7a9b40"
down_revision = "fb4555e66955"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seats_taken", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_event_seats_taken_not_negative"), "seats_taken >= 0"
        )
    op.execute(
        """
        UPDATE event SET seats_taken = (
            SELECT count(attendee.id) FROM attendee
            JOIN registration ON registration.id = attendee.registration_id
            WHERE attendee.event_id = event.id
              AND registration.status = 'confirmed'
              AND attendee.status = 'active'
        )
        """
    )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_constraint("uq_subscriber_unsubscribe_token_hash", type_="unique")
        batch_op.drop_column("unsubscribe_token_hash")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint("uq_user_api_token_hash", type_="unique")
        batch_op.drop_column("api_token_hash")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_event_id_status_created_at")
        batch_op.create_index(
            "ix_registration_event_id_status_id", ["event_id", "status", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_user_api_token_hash", ["api_token_hash"])
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_event_id_status_id")
        batch_op.create_index(
            "ix_registration_event_id_status_created_at", ["event_id", "status", "id"], unique=False
        )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsubscribe_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_subscriber_unsubscribe_token_hash", ["unsubscribe_token_hash"]
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_event_seats_taken_not_negative"), type_="check")
        batch_op.drop_column("seats_taken")

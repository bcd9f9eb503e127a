"""Attendance: check-in codes, webinar report imports, who may check in

- ``attendee.check_in_code``: the ticket's code (QR code in mails), filled for every
  existing attendee.
- ``check_in.attended`` and ``check_in.import_id``: a webinar report's row may hold the
  minutes of someone who stayed too short to count.
- ``attendance_import``: each imported report, once per event and file.
- ``event.min_attended_minutes`` (None: half the duration) and
  ``event.partners_may_check_in``.
- ``outbox_message.images``: pictures shown in a mail's HTML by ``cid:`` (the ticket's QR code).
- ``check_in.method`` may be ``api`` (a check-in sent by a program with a token).

Revision ID: 9e1f3a5c7b42
Revises: 7d2e4f6a8b31
Create Date: 2026-12-02 18:35:46
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "9e1f3a5c7b42"
down_revision = "7d2e4f6a8b31"
branch_labels = None
depends_on = None

# As roadshow.tokens made them on the day of this migration.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWX"


OLD_METHODS = "'qr', 'manual', 'walk_in', 'webinar_import'"
NEW_METHODS = OLD_METHODS + ", 'api'"


def _code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(16))


def upgrade():
    op.create_table(
        "attendance_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("min_minutes", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_attendance_import_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["user.id"],
            name=op.f("fk_attendance_import_imported_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_import")),
        sa.UniqueConstraint(
            "event_id", "file_sha256", name=op.f("uq_attendance_import_event_id_file_sha256")
        ),
    )
    with op.batch_alter_table("attendance_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_import_event_id"), ["event_id"])

    with op.batch_alter_table("attendee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_in_code", sa.String(length=20), nullable=True))
    attendee = sa.table("attendee", sa.column("id", sa.Integer), sa.column("check_in_code"))
    connection = op.get_bind()
    ids = connection.execute(sa.select(attendee.c.id)).scalars().all()
    for attendee_id in ids:
        connection.execute(
            attendee.update().where(attendee.c.id == attendee_id).values(check_in_code=_code())
        )
    with op.batch_alter_table("attendee", schema=None) as batch_op:
        batch_op.alter_column("check_in_code", existing_type=sa.String(length=20), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_attendee_check_in_code"), ["check_in_code"]
        )

    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attended", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_check_in_import_id"), ["import_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_check_in_import_id_attendance_import"),
            "attendance_import",
            ["import_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(batch_op.f("ck_check_in_checkinmethod"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_check_in_checkinmethod"), sa.text(f"method IN ({NEW_METHODS})")
        )

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_attended_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "partners_may_check_in", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("images", sa.JSON(), server_default="[]", nullable=False))


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("images")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("partners_may_check_in")
        batch_op.drop_column("min_attended_minutes")

    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_check_in_checkinmethod"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_check_in_checkinmethod"), sa.text(f"method IN ({OLD_METHODS})")
        )
        batch_op.drop_constraint(
            batch_op.f("fk_check_in_import_id_attendance_import"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_check_in_import_id"))
        batch_op.drop_column("import_id")
        batch_op.drop_column("attended")

    with op.batch_alter_table("attendee", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_attendee_check_in_code"), type_="unique")
        batch_op.drop_column("check_in_code")

    with op.batch_alter_table("attendance_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_import_event_id"))
    op.drop_table("attendance_import")

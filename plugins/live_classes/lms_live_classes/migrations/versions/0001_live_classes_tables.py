"""live classes tables

Revision ID: 0001_live_classes
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import lms.models.types

revision = "0001_live_classes"
down_revision = None
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, lms.models.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "live_classes_classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _utc("starts_at"),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _utc("started_at", True),
        _utc("ended_at", True),
        sa.Column("room_name", sa.String(length=64), nullable=False),
        _utc("reminder_sent_at", True),
        _utc("created_at"),
        _utc("updated_at"),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalog_courses.id"],
            name=op.f("fk_live_classes_classes_course_id_catalog_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_live_classes_classes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons_lessons.id"],
            name=op.f("fk_live_classes_classes_lesson_id_lessons_lessons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_classes_classes")),
        sa.UniqueConstraint("room_name", name=op.f("uq_live_classes_classes_room_name")),
    )
    with op.batch_alter_table("live_classes_classes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_live_classes_classes_course_starts", ["course_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_live_classes_classes_status_starts", ["status", "starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_live_classes_classes_lesson_id"), ["lesson_id"], unique=False
        )

    op.create_table(
        "live_classes_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _utc("joined_at"),
        _utc("left_at", True),
        _utc("last_seen_at"),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["live_classes_classes.id"],
            name=op.f("fk_live_classes_intervals_class_id_live_classes_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_live_classes_intervals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_classes_intervals")),
    )
    with op.batch_alter_table("live_classes_intervals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_live_classes_intervals_class_user", ["class_id", "user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_live_classes_intervals_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "live_classes_attendance_rules",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("late_after_minutes", sa.Integer(), nullable=False),
        sa.Column("present_share", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalog_courses.id"],
            name=op.f("fk_live_classes_attendance_rules_course_id_catalog_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_live_classes_attendance_rules")),
    )

    op.create_table(
        "live_classes_chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        _utc("created_at"),
        _utc("deleted_at", True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["live_classes_classes.id"],
            name=op.f("fk_live_classes_chat_messages_class_id_live_classes_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"],
            ["users.id"],
            name=op.f("fk_live_classes_chat_messages_deleted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_live_classes_chat_messages_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_classes_chat_messages")),
    )
    with op.batch_alter_table("live_classes_chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_live_classes_chat_messages_class_created", ["class_id", "created_at"], unique=False
        )

    op.create_table(
        "live_classes_calendar_tokens",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        _utc("created_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_live_classes_calendar_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_live_classes_calendar_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_live_classes_calendar_tokens_token")),
    )


def downgrade() -> None:
    op.drop_table("live_classes_calendar_tokens")
    with op.batch_alter_table("live_classes_chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_live_classes_chat_messages_class_created")
    op.drop_table("live_classes_chat_messages")
    op.drop_table("live_classes_attendance_rules")
    with op.batch_alter_table("live_classes_intervals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_classes_intervals_user_id"))
        batch_op.drop_index("ix_live_classes_intervals_class_user")
    op.drop_table("live_classes_intervals")
    with op.batch_alter_table("live_classes_classes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_classes_classes_lesson_id"))
        batch_op.drop_index("ix_live_classes_classes_status_starts")
        batch_op.drop_index("ix_live_classes_classes_course_starts")
    op.drop_table("live_classes_classes")

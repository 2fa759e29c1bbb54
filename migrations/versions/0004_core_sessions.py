"""core: one row per signed-in browser (user_sessions) instead of one token per user

Revision ID: 0004_core_sessions
Revises: 0003_core_permissions
Create Date: 2026-12-01 18:40:00
"""

import sqlalchemy as sa
from alembic import op

import lms.models.types

revision = "0004_core_sessions"
down_revision = "0003_core_permissions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", lms.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    # Every existing cookie named the old per-user token: those browsers sign in again.
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_token")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("session_token", sa.String(length=32), nullable=False, server_default="-")
        )
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")

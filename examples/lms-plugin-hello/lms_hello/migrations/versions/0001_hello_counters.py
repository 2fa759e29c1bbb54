"""hello counters

Revision ID: 0001_hello
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_hello"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hello_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hello_counters")),
        sa.UniqueConstraint("name", name=op.f("uq_hello_counters_name")),
    )


def downgrade() -> None:
    op.drop_table("hello_counters")

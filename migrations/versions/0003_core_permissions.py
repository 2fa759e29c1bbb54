"""permission grants

Revision ID: 0003_core_permissions
Revises: 0002_core_jobs
Create Date: 2026-12-01 18:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_core_permissions"
down_revision = "0002_core_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "permissions",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_permissions")),
    )
    op.create_table(
        "permission_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permission", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["permission"],
            ["permissions.name"],
            name=op.f("fk_permission_grants_permission_permissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permission_grants")),
        sa.UniqueConstraint(
            "permission", "role", name=op.f("uq_permission_grants_permission_role")
        ),
    )
    with op.batch_alter_table("permission_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permission_grants_permission"), ["permission"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("permission_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permission_grants_permission"))
    op.drop_table("permission_grants")
    op.drop_table("permissions")

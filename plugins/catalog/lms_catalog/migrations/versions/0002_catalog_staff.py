"""course staff roles and the record of staff changes

Revision ID: 0002_catalog_staff
Revises: 0002_catalog_certificate_sharing
Create Date: 2026-12-01 18:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

import lms.models.types

revision = "0002_catalog_staff"
down_revision = "0002_catalog_certificate_sharing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_course_instructors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), server_default="instructor", nullable=False)
        )
    op.create_table(
        "catalog_course_staff_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("former_owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lms.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_catalog_course_staff_changes_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalog_courses.id"],
            name=op.f("fk_catalog_course_staff_changes_course_id_catalog_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["former_owner_id"],
            ["users.id"],
            name=op.f("fk_catalog_course_staff_changes_former_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_catalog_course_staff_changes_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_course_staff_changes")),
    )
    with op.batch_alter_table("catalog_course_staff_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_course_staff_changes_course_id"), ["course_id"], unique=False
        )
    # Owners removed from their own course's staff (the bug this release fixes)
    # are listed again, first.
    op.execute(
        "INSERT INTO catalog_course_instructors (course_id, user_id, position, role) "
        "SELECT c.id, c.owner_id, -1, 'instructor' FROM catalog_courses c "
        "WHERE c.owner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM catalog_course_instructors i "
        "WHERE i.course_id = c.id AND i.user_id = c.owner_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("catalog_course_staff_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_course_staff_changes_course_id"))
    op.drop_table("catalog_course_staff_changes")
    with op.batch_alter_table("catalog_course_instructors", schema=None) as batch_op:
        batch_op.drop_column("role")

"""jobs: outbox, delayed and unique tasks, tracebacks, ETA

Revision ID: 0002_core_jobs
Revises: 0001_core
Create Date: 2026-12-01 18:40:00
"""

import sqlalchemy as sa
from alembic import op

import lms.models.types

revision = "0002_core_jobs"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("traceback", sa.Text(), nullable=True))
        batch.add_column(sa.Column("unique_key", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("run_at", lms.models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("pushed_at", lms.models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("eta_at", lms.models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_unique_constraint("uq_tasks_name_unique_key", ["name", "unique_key"])
        batch.create_index("ix_tasks_status", ["status"])
    # Tasks queued before this upgrade were pushed the old way; the outbox must
    # not push them a second time.
    op.execute("UPDATE tasks SET pushed_at = created_at WHERE status = 'queued'")


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index("ix_tasks_status")
        batch.drop_constraint("uq_tasks_name_unique_key", type_="unique")
        batch.drop_column("eta_at")
        batch.drop_column("pushed_at")
        batch.drop_column("run_at")
        batch.drop_column("unique_key")
        batch.drop_column("traceback")

"""certificates: the holder decides whether the public verification page shows details

Revision ID: 0002_catalog_certificate_sharing
Revises: 0001_catalog
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_catalog_certificate_sharing"
down_revision = "0001_catalog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_certificates") as batch:
        batch.add_column(
            sa.Column("is_public", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("catalog_certificates") as batch:
        batch.drop_column("is_public")

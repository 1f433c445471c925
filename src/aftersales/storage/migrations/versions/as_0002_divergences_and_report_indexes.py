"""divergences and report indexes

Revision ID: as_0002
Revises: as_0001
Divergences from the platform, the resolution time and the indexes the report queries use.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.storage.tables import PREFIX, SCHEMA, name

# revision identifiers, used by Alembic.
revision: str = "as_0002"
down_revision: str | Sequence[str] | None = "as_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def legacy(index: str) -> str:
    """An index name of the first releases, which did not carry the table prefix."""
    return index if PREFIX == "aftersales_" else f"{PREFIX}{index}"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        name("divergence"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("platform_id", sa.String(), nullable=False),
        sa.Column("platform_status", sa.String(), nullable=False),
        sa.Column("our_state", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        schema=SCHEMA,
    )
    with op.batch_alter_table(name("divergence"), schema=SCHEMA) as batch_op:
        batch_op.create_index(f"ix_{PREFIX}divergence_case_id", ["case_id"], unique=False)

    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch_op:
        batch_op.add_column(sa.Column("resolution_seconds", sa.Integer(), nullable=True))
        batch_op.create_index(legacy("ix_case_shop_opened"), ["shop_id", "opened_at"], unique=False)

    with op.batch_alter_table(name("event"), schema=SCHEMA) as batch_op:
        batch_op.create_index(legacy("ix_event_event_case"), ["event", "case_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table(name("event"), schema=SCHEMA) as batch_op:
        batch_op.drop_index(legacy("ix_event_event_case"))

    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch_op:
        batch_op.drop_index(legacy("ix_case_shop_opened"))
        batch_op.drop_column("resolution_seconds")

    with op.batch_alter_table(name("divergence"), schema=SCHEMA) as batch_op:
        batch_op.drop_index(f"ix_{PREFIX}divergence_case_id")

    op.drop_table(name("divergence"), schema=SCHEMA)

"""outbound intents: a merchant command written before WeChat is called

Revision ID: as_0008
Revises: as_0007
- intent: one row per outbound command, unique per case and command id,
  indexed by status for the echo, the sync and ``verify``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from aftersales.storage.tables import PREFIX, SCHEMA, UTCDateTime, name

revision: str = "as_0008"
down_revision: str | Sequence[str] | None = "as_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        name("intent"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("command_id", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("actor_role", sa.String(), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("api", sa.String(), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("written_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "command_id", name=f"uq_{PREFIX}intent_command"),
        schema=SCHEMA,
    )
    op.create_index(f"ix_{PREFIX}intent_open", name("intent"), ["status", "case_id"], schema=SCHEMA)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(f"ix_{PREFIX}intent_open", table_name=name("intent"), schema=SCHEMA)
    op.drop_table(name("intent"), schema=SCHEMA)

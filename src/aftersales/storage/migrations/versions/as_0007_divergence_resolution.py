"""divergence: resolved by a later sync (resolved_at, resolved_seq)

Revision ID: as_0007
Revises: as_0006

A divergence that a later sync explains is kept, marked with when it was resolved and the
case's event that stood then; ``verify`` and the report count the open ones only. The
downgrade drops both columns (a resolved divergence counts as open again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.storage.tables import SCHEMA, name

revision: str = "as_0007"
down_revision: str | Sequence[str] | None = "as_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table(name("divergence"), schema=SCHEMA) as batch:
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(name("divergence"), schema=SCHEMA) as batch:
        batch.drop_column("resolved_seq")
        batch.drop_column("resolved_at")

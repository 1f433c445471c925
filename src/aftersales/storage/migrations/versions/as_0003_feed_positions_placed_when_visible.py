"""feed positions placed when visible

Revision ID: as_0003
Revises: as_0002
Feed rows get an ``id`` in insert order; ``position`` becomes nullable and unique, given once
the row is visible (PostgreSQL writers commit out of order). Positions already given are kept,
so outbox cursors stay valid.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.storage.tables import SCHEMA, name

# revision identifiers, used by Alembic.
revision: str = "as_0003"
down_revision: str | Sequence[str] | None = "as_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _quoted(table: str) -> str:
    """A table's name (schema-qualified when there is one) quoted for the dialect: the prefix
    and schema are settings, never SQL."""
    preparer = op.get_context().dialect.identifier_preparer
    return preparer.format_table(sa.table(name(table), schema=SCHEMA))


def _keep_rows(columns: str) -> None:
    """Copy the feed aside and drop it, so it can be created again under the same names."""
    op.execute(f"CREATE TABLE {_quoted('feed_copy')} AS SELECT {columns} FROM {_quoted('feed')}")
    op.drop_table(name("feed"), schema=SCHEMA)


def _restart_ids(column: str) -> None:
    """PostgreSQL: the serial's sequence continues after the copied ids."""
    if op.get_context().dialect.name == "postgresql":
        feed = _quoted("feed")
        op.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:feed, :column), "
                f"coalesce((SELECT max({column}) FROM {feed}), 0) + 1, false)"
            ).bindparams(
                sa.bindparam("feed", feed, type_=sa.String()),
                sa.bindparam("column", column, type_=sa.String()),
            )
        )


def upgrade() -> None:
    """Upgrade schema."""
    FEED, COPY = _quoted("feed"), _quoted("feed_copy")
    _keep_rows("position, case_id, seq")
    op.create_table(
        name("feed"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("position"),
        schema=SCHEMA,
    )
    op.execute(
        f"INSERT INTO {FEED} (id, position, case_id, seq) "
        f"SELECT position, position, case_id, seq FROM {COPY}"
    )
    op.drop_table(name("feed_copy"), schema=SCHEMA)
    _restart_ids("id")


def downgrade() -> None:
    """Downgrade schema."""
    FEED, COPY = _quoted("feed"), _quoted("feed_copy")
    # Rows not placed yet follow the placed ones, in insert order.
    _keep_rows(
        f"coalesce(position, id + (SELECT coalesce(max(position), 0) FROM {FEED})) AS position, "
        "case_id, seq"
    )
    op.create_table(
        name("feed"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        schema=SCHEMA,
    )
    op.execute(
        f"INSERT INTO {FEED} (position, case_id, seq) SELECT position, case_id, seq FROM {COPY}"
    )
    op.drop_table(name("feed_copy"), schema=SCHEMA)
    _restart_ids("position")

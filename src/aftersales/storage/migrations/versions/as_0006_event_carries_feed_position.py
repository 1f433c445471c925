"""the event row carries its feed position; the feed table goes

Revision ID: as_0006
Revises: as_0005
An event's place in the global feed becomes a column of its own row (``position``, unique), so a
command writes one row less and runs one statement less. Every position already given moves to
its event, so outbox cursors stay valid; events without one (on PostgreSQL, those the feed's
reader had not placed yet) are placed after them, in the order they were inserted. The
downgrade gives the feed table back with the same positions.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.storage.tables import PREFIX, SCHEMA, name

# revision identifiers, used by Alembic.
revision: str = "as_0006"
down_revision: str | Sequence[str] | None = "as_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = f"uq_{PREFIX}event_position"


def _quoted(table: str) -> str:
    """A table's name (schema-qualified when there is one) quoted for the dialect: the prefix
    and schema are settings, never SQL."""
    preparer = op.get_context().dialect.identifier_preparer
    return preparer.format_table(sa.table(name(table), schema=SCHEMA))


def upgrade() -> None:
    """Upgrade schema."""
    EVENT, FEED, PLACED = _quoted("event"), _quoted("feed"), _quoted("feed_placed")
    op.add_column(
        name("event"), sa.Column("position", sa.BigInteger(), nullable=True), schema=SCHEMA
    )
    op.execute(
        f"UPDATE {EVENT} AS e SET position = (SELECT f.position FROM {FEED} f "
        "WHERE f.case_id = e.case_id AND f.seq = e.seq)"
    )
    # Events the reader had not placed (PostgreSQL) follow, in insert order; then any event
    # without a feed row. Plain SQL throughout, so the offline script does the same.
    op.execute(
        f"CREATE TABLE {PLACED} AS SELECT e.case_id, e.seq, "
        f"(SELECT coalesce(max(position), 0) FROM {EVENT}) + row_number() OVER ("
        "ORDER BY CASE WHEN f.id IS NULL THEN 1 ELSE 0 END, f.id, e.case_id, e.seq) AS position "
        f"FROM {EVENT} e LEFT JOIN {FEED} f ON f.case_id = e.case_id AND f.seq = e.seq "
        "WHERE e.position IS NULL"
    )
    op.execute(
        f"UPDATE {EVENT} AS e SET position = (SELECT p.position FROM {PLACED} p "
        "WHERE p.case_id = e.case_id AND p.seq = e.seq) WHERE e.position IS NULL"
    )
    op.drop_table(name("feed_placed"), schema=SCHEMA)
    op.create_index(INDEX, name("event"), ["position"], unique=True, schema=SCHEMA)
    op.drop_table(name("feed"), schema=SCHEMA)


def downgrade() -> None:
    """Downgrade schema."""
    EVENT, FEED = _quoted("event"), _quoted("feed")
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
        f"SELECT position, position, case_id, seq FROM {EVENT} WHERE position IS NOT NULL"
    )
    # Events not placed yet (PostgreSQL) follow, unplaced, in case and sequence order.
    op.execute(
        f"INSERT INTO {FEED} (id, position, case_id, seq) "
        f"SELECT (SELECT coalesce(max(position), 0) FROM {EVENT}) "
        "+ row_number() OVER (ORDER BY case_id, seq), NULL, case_id, seq "
        f"FROM {EVENT} WHERE position IS NULL"
    )
    if op.get_context().dialect.name == "postgresql":  # the serial goes on after the ids
        op.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:feed, 'id'), "
                f"coalesce((SELECT max(id) FROM {FEED}), 0) + 1, false)"
            ).bindparams(sa.bindparam("feed", FEED, type_=sa.String()))
        )
    op.drop_index(INDEX, name("event"), schema=SCHEMA)
    op.drop_column(name("event"), "position", schema=SCHEMA)  # SQLite >= 3.35 drops columns

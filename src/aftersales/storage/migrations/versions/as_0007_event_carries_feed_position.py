"""the event row carries its feed position; the feed table goes

Revision ID: as_0007
Revises: as_0004
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
revision: str = "as_0007"
down_revision: str | Sequence[str] | None = "as_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = f"uq_{PREFIX}event_position"


def _qualified(table: str) -> str:
    return f"{SCHEMA}.{table}" if SCHEMA else table


EVENT, FEED = _qualified(name("event")), _qualified(name("feed"))
PLACED = _qualified(name("feed_placed"))


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        name("event"), sa.Column("position", sa.BigInteger(), nullable=True), schema=SCHEMA
    )
    op.execute(
        f"UPDATE {EVENT} SET position = (SELECT f.position FROM {FEED} f "
        f"WHERE f.case_id = {EVENT}.case_id AND f.seq = {EVENT}.seq)"
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
        f"UPDATE {EVENT} SET position = (SELECT p.position FROM {PLACED} p "
        f"WHERE p.case_id = {EVENT}.case_id AND p.seq = {EVENT}.seq) WHERE position IS NULL"
    )
    op.drop_table(name("feed_placed"), schema=SCHEMA)
    op.create_index(INDEX, name("event"), ["position"], unique=True, schema=SCHEMA)
    op.drop_table(name("feed"), schema=SCHEMA)


def downgrade() -> None:
    """Downgrade schema."""
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
    if op.get_bind().dialect.name == "postgresql":  # the serial continues after the copied ids
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{FEED}', 'id'), "
            f"coalesce((SELECT max(id) FROM {FEED}), 0) + 1, false)"
        )
    op.drop_index(INDEX, name("event"), schema=SCHEMA)
    op.drop_column(name("event"), "position", schema=SCHEMA)  # SQLite >= 3.35 drops columns

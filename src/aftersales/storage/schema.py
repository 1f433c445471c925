"""The store's schema as one object: Alembic's migrations, and the package's rows as a whole.

``store.schema`` (a :class:`Schema`) is how the command line and the pytest plugin upgrade,
take back, stamp and read the schema's revision, and how a throwaway test database is counted
and emptied, without reaching for the engine.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import migrate
from .engine import shown, translate
from .tables import PREFIX, SCHEMA, metadata, name


class Schema:
    """The schema of one database (the package's own Alembic version table and branch).

    ``bind`` is an ``Engine`` (each call runs in a transaction of its own) or a ``Connection``
    (each call runs in the connection's transaction: a host migrates its schema and ours in one
    deployment step, committing or rolling back both).
    """

    def __init__(self, bind: Engine | Connection) -> None:
        self._bind = bind

    def upgrade(self, revision: str = "head") -> str:
        """Create or upgrade the schema to ``revision``; the revision reached."""
        return migrate.upgrade(self._bind, revision)

    def downgrade(self, revision: str = "-1") -> str:
        """Take the schema back to ``revision`` (``base`` removes every table)."""
        return migrate.downgrade(self._bind, revision)

    def stamp(self, revision: str = "head") -> str:
        """Record ``revision`` without running migrations."""
        return migrate.stamp(self._bind, revision)

    def current(self) -> str | None:
        """The revision the schema is at; ``None`` if it has none."""
        return migrate.current(self._bind)

    @staticmethod
    def head() -> str:
        """The newest revision the package ships."""
        return migrate.head()

    @staticmethod
    def upgrade_sql(revision: str = "head", dialect: str = "postgresql") -> str:
        """The SQL an upgrade from nothing to ``revision`` would run, for a DBA to review."""
        return migrate.upgrade_sql(None, revision, dialect)

    def shown_url(self) -> str:
        """The database's URL with its password hidden."""
        return shown(self._bind.engine.url)

    def cases_held(self) -> int:
        """How many cases the database holds, read only and whatever the schema's revision."""
        with translate(), self._connection(write=False) as conn:
            if not sa.inspect(conn).has_table(name("case"), schema=SCHEMA):
                return 0
            table = sa.table(name("case"), schema=SCHEMA)
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def rows_held(self) -> int:
        """How many rows the package's tables hold (cases, divergences, intents, refusals...),
        read only and whatever the schema's revision: 0 for a database without them."""
        with translate(), self._connection(write=False) as conn:
            present = set(sa.inspect(conn).get_table_names(schema=SCHEMA))
            total = 0
            for table in metadata.sorted_tables:
                if table.name in present:
                    counted = sa.select(sa.func.count()).select_from(
                        sa.table(table.name, schema=SCHEMA)
                    )
                    total += int(conn.execute(counted).scalar_one())
            return total

    def empty(self) -> None:
        """Delete every row of the package's tables (a throwaway test database)."""
        with self._connection(write=True) as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(sa.delete(table))

    @contextmanager
    def _connection(self, *, write: bool) -> Iterator[Connection]:
        if isinstance(self._bind, Connection):
            yield self._bind
        elif write:
            with self._bind.begin() as conn:
                yield conn
        else:
            with self._bind.connect() as conn:
                yield conn


def holds_only_package_tables(path: Path) -> bool:
    """Whether a SQLite file holds the package's tables and its version table, and nothing else
    (so a tool that made it may delete it); read only."""
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
            query = "SELECT name FROM sqlite_master WHERE type = 'table'"
            names = {row[0] for row in conn.execute(query)}
    except sqlite3.DatabaseError:
        return False
    # Only the package's tables (indexes follow their tables), with its version table.
    return migrate.VERSION_TABLE in names and all(
        table.startswith((PREFIX, "sqlite_")) for table in names
    )

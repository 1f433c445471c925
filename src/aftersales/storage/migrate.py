"""Schema migrations with Alembic, kept apart from the host application's.

The package's revisions carry the branch label ``aftersales`` and record themselves in their own
version table, ``aftersales_alembic_version`` (with the table prefix), so an order service's own
Alembic history and ours never meet: ``aftersales db upgrade`` on a database that has the
host's migrations touches neither the host's tables nor its ``alembic_version``.

To run both in one deployment step, run the host's upgrade and then :func:`upgrade` on one
connection inside one transaction (``docs/concepts/embedding.md``). Not from inside the host's
``env.py``: Alembic keeps one environment per process, and a nested one tears down the host's.
"""

from __future__ import annotations

from importlib import resources
from io import StringIO
from typing import Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from .engine import make_engine, translate
from .tables import PREFIX, SCHEMA

VERSION_TABLE: Final = f"{PREFIX}alembic_version"
LEGACY_REVISIONS: Final = {"0001": "as_0001", "0002": "as_0002", "0003": "as_0003"}
"""Revisions of releases that kept their version in the shared ``alembic_version`` table."""


def alembic_config(connection: Connection | None = None, url: str = "") -> Config:
    """The Alembic configuration: scripts shipped in the package, our own version table."""
    config = Config()
    location = resources.files("aftersales.storage").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision the package ships."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None
    return found


def _on(db: str | Engine | Connection) -> tuple[Engine | None, Connection | None]:
    if isinstance(db, Connection):
        return None, db
    engine = db if isinstance(db, Engine) else make_engine(db)
    return engine, None


def _run(db: str | Engine | Connection, action: str, revision: str | None = None) -> str:
    engine, connection = _on(db)
    with translate():
        if connection is not None:
            return _act(connection, action, revision)
        assert engine is not None
        with engine.begin() as conn:
            return _act(conn, action, revision)


def _act(conn: Connection, action: str, revision: str | None) -> str:
    adopt_legacy_version(conn)
    config = alembic_config(conn)
    if action == "upgrade":
        command.upgrade(config, revision or "head")
    elif action == "downgrade":
        command.downgrade(config, revision or "-1")
    elif action == "stamp":
        command.stamp(config, revision or "head")
    return current(conn) or ""


def upgrade(db: str | Engine | Connection, revision: str = "head") -> str:
    """Bring the schema up to ``revision``; the revision it is at afterwards."""
    return _run(db, "upgrade", revision)


def downgrade(db: str | Engine | Connection, revision: str = "-1") -> str:
    """Take the schema back to ``revision`` (``base`` removes every table of the package)."""
    return _run(db, "downgrade", revision)


def stamp(db: str | Engine | Connection, revision: str = "head") -> str:
    """Record ``revision`` as the schema's without running any migration."""
    return _run(db, "stamp", revision)


def stamp_head(conn: Connection) -> None:
    """Record the newest revision: the schema was just created from the tables themselves."""
    command.stamp(alembic_config(conn), "head")


def current(db: str | Engine | Connection) -> str | None:
    """The revision the schema is at (``None`` before the first upgrade)."""
    engine, connection = _on(db)
    with translate():
        if connection is None:
            assert engine is not None
            with engine.connect() as conn:
                return _current(conn)
        return _current(connection)


def _current(conn: Connection) -> str | None:
    options = {"version_table": VERSION_TABLE, "version_table_schema": SCHEMA}
    found = MigrationContext.configure(conn, opts=options).get_current_revision()
    if found is None and not sa.inspect(conn).has_table(VERSION_TABLE, schema=SCHEMA):
        return _legacy(conn)  # a release before v2: read, not moved (that is for upgrade)
    return found


def _legacy(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version", schema=SCHEMA):
        return None
    shared = sa.table("alembic_version", sa.column("version_num"), schema=SCHEMA)
    for (revision,) in conn.execute(sa.select(shared.c.version_num)):
        if revision in LEGACY_REVISIONS:
            return LEGACY_REVISIONS[revision]
    return None


def upgrade_sql(
    start: str | None = None, revision: str = "head", dialect: str = "postgresql"
) -> str:
    """The SQL an upgrade from ``start`` to ``revision`` would run, for a DBA to review."""
    out = StringIO()
    config = alembic_config(url=f"{dialect}://")
    config.output_buffer = out
    command.upgrade(config, f"{start}:{revision}" if start else revision, sql=True)
    return out.getvalue()


def adopt_legacy_version(conn: Connection) -> None:
    """Releases before contract v2 kept their revision in the shared ``alembic_version`` table:
    move it into the package's own table (and drop the shared one if that emptied it)."""
    inspector = sa.inspect(conn)
    if inspector.has_table(VERSION_TABLE, schema=SCHEMA) or not inspector.has_table(
        "alembic_version", schema=SCHEMA
    ):
        return
    shared = sa.table("alembic_version", sa.column("version_num"), schema=SCHEMA)
    found = [row[0] for row in conn.execute(sa.select(shared.c.version_num))]
    ours = [rev for rev in found if rev in LEGACY_REVISIONS]
    if not ours:
        return
    version = sa.Table(
        VERSION_TABLE,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), primary_key=True),
        schema=SCHEMA,
    )
    version.create(conn)
    conn.execute(version.insert().values(version_num=LEGACY_REVISIONS[ours[0]]))
    conn.execute(shared.delete().where(shared.c.version_num.in_(ours)))
    if len(found) == len(ours):
        conn.execute(sa.text(f"DROP TABLE {_qualified('alembic_version')}"))


def _qualified(table: str) -> str:
    return f"{SCHEMA}.{table}" if SCHEMA else table

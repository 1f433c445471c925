"""Schema migrations with Alembic, kept apart from the host application's.

The package's revisions carry the branch label ``aftersales`` and record themselves in their own
version table, ``aftersales_alembic_version`` (with the table prefix), so an order service's own
Alembic history and ours never meet: ``aftersales db upgrade`` on a database that has the
host's migrations touches neither the host's tables nor its ``alembic_version``.

Release 0.1 kept its revisions (``0001``-``0003``) in the shared ``alembic_version``; they are
adopted only when the package's own tables are there in that revision's shape, so a host's own
``0001`` is never taken for ours, and only our own version table is ever written. A host's
autogenerate leaves our tables alone with :mod:`aftersales.storage.autogenerate`'s filters.

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
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, Engine

from ..workflow.errors import InvalidInput
from .engine import make_engine, translate
from .settings import check_backend
from .tables import PREFIX, SCHEMA, name

VERSION_TABLE: Final = f"{PREFIX}alembic_version"
LEGACY_REVISIONS: Final = {"0001": "as_0001", "0002": "as_0002", "0003": "as_0003"}
"""Revisions of release 0.1, which kept its version in the shared ``alembic_version`` table."""
LEGACY_TABLES: Final = ("case", "event", "feed", "refused", "timer")
"""The tables every 0.1 revision has (``timer`` is gone since ``as_0004``)."""


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
    check_backend(engine.dialect.name)
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
    if action in ("upgrade", "stamp"):
        ensure_schema(conn)
    adopt_legacy_version(conn)
    config = alembic_config(conn)
    try:
        if action == "upgrade":
            command.upgrade(config, revision or "head")
        elif action == "downgrade":
            command.downgrade(config, revision or "-1")
        elif action == "stamp":
            command.stamp(config, revision or "head")
    except CommandError as exc:
        raise InvalidInput(
            f"Cannot {action} to {revision!r}: {exc}.",
            f"无法{_ZH[action]}到 {revision!r}:{exc}。",
            "revision",
        ) from exc
    return current(conn) or ""


_ZH: Final = {"upgrade": "升级", "downgrade": "降级", "stamp": "标记"}


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


def _legacy_shape(conn: Connection) -> str | None:
    """The 0.1 revision the package's own tables show (``None``: they are not 0.1's)."""
    inspector = sa.inspect(conn)
    found = set(inspector.get_table_names(schema=SCHEMA))
    if not {name(table) for table in LEGACY_TABLES} <= found:
        return None  # as_0004 dropped the timer table: only a 0.1 schema has all five
    if name("divergence") not in found:
        return "0001"
    feed = {column["name"] for column in inspector.get_columns(name("feed"), schema=SCHEMA)}
    return "0003" if "id" in feed else "0002"


def _legacy(conn: Connection) -> str | None:
    """The revision 0.1 recorded in the shared ``alembic_version``, if the package's tables are
    there in that revision's shape: a host's own ``0001`` beside no such tables is the host's."""
    shape = _legacy_shape(conn)
    if shape is None or not sa.inspect(conn).has_table("alembic_version", schema=SCHEMA):
        return None
    shared = sa.table("alembic_version", sa.column("version_num"), schema=SCHEMA)
    found = conn.execute(sa.select(shared.c.version_num).where(shared.c.version_num == shape))
    return LEGACY_REVISIONS[shape] if found.first() is not None else None


def upgrade_sql(
    start: str | None = None, revision: str = "head", dialect: str = "postgresql"
) -> str:
    """The SQL an upgrade from ``start`` to ``revision`` would run, for a DBA to review (first
    the schema's creation, when ``AFTERSALES_DB_SCHEMA`` names one)."""
    check_backend(dialect)
    out = StringIO()
    if SCHEMA is not None and start is None:
        create = sa.schema.CreateSchema(SCHEMA, if_not_exists=True)
        compiler = sa.make_url(f"{dialect}://").get_dialect()()
        out.write(f"{create.compile(dialect=compiler)};\n\n")
    config = alembic_config(url=f"{dialect}://")
    config.output_buffer = out
    command.upgrade(config, f"{start}:{revision}" if start else revision, sql=True)
    return out.getvalue()


def adopt_legacy_version(conn: Connection) -> None:
    """Release 0.1 kept its revision in the shared ``alembic_version`` table: move it into the
    package's own table. Only when the package's own tables are there in the shape of that
    revision; only that one row is deleted, and the shared table itself is left alone (it may
    be the host's)."""
    if sa.inspect(conn).has_table(VERSION_TABLE, schema=SCHEMA):
        return
    revision = _legacy(conn)
    if revision is None:
        return
    version = sa.Table(
        VERSION_TABLE,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), primary_key=True),
        schema=SCHEMA,
    )
    version.create(conn)
    conn.execute(version.insert().values(version_num=revision))
    shared = sa.table("alembic_version", sa.column("version_num"), schema=SCHEMA)
    old = next(key for key, value in LEGACY_REVISIONS.items() if value == revision)
    conn.execute(shared.delete().where(shared.c.version_num == old))


def ensure_schema(conn: Connection) -> None:
    """Create ``AFTERSALES_DB_SCHEMA`` if it is missing (PostgreSQL); SQLite has no schemas."""
    check_backend(conn.dialect.name)
    if SCHEMA is not None:
        conn.execute(sa.schema.CreateSchema(SCHEMA, if_not_exists=True))

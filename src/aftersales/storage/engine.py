"""Engines and transactions: SQLite (the default) tuned for many writers, PostgreSQL via psycopg."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from ..workflow.errors import StorageUnavailable

DEFAULT_URL = "sqlite:///aftersales.db"


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and write-locking transactions.

    ``BEGIN IMMEDIATE`` takes SQLite's write lock when a transaction starts, so two writers queue
    instead of failing when the first reader tries to write.
    """
    try:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Every transaction here ends in an explicit commit or rollback: no reset needed.
        kwargs.setdefault("pool_reset_on_return", None)
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            kwargs.setdefault("poolclass", StaticPool)
            kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = sa.create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StorageUnavailable(
            f"Bad database URL {url!r}: {exc}.", f"数据库地址无效 {url!r}:{exc}。", "db"
        ) from exc
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Tx:
    """An open transaction on a DBAPI connection, with the dialect that compiles for it."""

    dialect: Dialect
    dbapi: Any


@contextmanager
def raw_transaction(engine: Engine, session: Session | None = None) -> Iterator[Tx]:
    """A transaction for the hot paths, run on the DBAPI connection without SQLAlchemy's
    per-statement machinery: the caller's session (never committed here) or our own.

    On SQLite it takes the write lock at BEGIN (``BEGIN IMMEDIATE``), so writers queue instead
    of failing when a reader tries to upgrade.
    """
    if session is not None:
        conn = session.connection()
        yield Tx(conn.dialect, conn.connection.driver_connection)
        return
    try:
        fairy = engine.raw_connection()
    except OperationalError as exc:
        raise _unavailable(exc) from exc
    try:
        driver = fairy.driver_connection
        if engine.dialect.name == "sqlite":
            driver.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        yield Tx(engine.dialect, driver)
        fairy.commit()
    except BaseException:
        fairy.rollback()
        raise
    finally:
        fairy.close()


def _unavailable(exc: OperationalError) -> StorageUnavailable:
    return StorageUnavailable(
        f"Cannot reach the database: {exc.orig}.", f"无法连接数据库:{exc.orig}。", "db"
    )


@contextmanager
def transaction(engine: Engine, session: Session | None = None) -> Iterator[Connection]:
    """A connection inside a transaction: the caller's session (never committed here) or our own."""
    if session is not None:
        yield session.connection()
        return
    try:
        with engine.begin() as conn:
            yield conn
    except OperationalError as exc:
        if exc.connection_invalidated or "connect" in str(exc.orig).lower():
            raise _unavailable(exc) from exc
        raise

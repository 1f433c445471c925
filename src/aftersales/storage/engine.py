"""Engines, transactions, and the one place database errors become the package's errors.

SQLite (a file) gets WAL, a busy timeout, ``synchronous=NORMAL`` and write-locking transactions;
PostgreSQL goes through psycopg 3. Every statement of the package runs on a SQLAlchemy
``Connection`` inside :func:`transaction`, so SQLAlchemy's events, ``echo`` and instrumentation
see each one, and every database error leaves as :class:`StorageUnavailable`, :class:`Conflict`
or :class:`InvalidInput` with the driver's error chained (the way httpx maps transport errors).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from ..workflow.errors import AftersalesError, Conflict, InvalidInput, StorageUnavailable
from .codec import dumps, loads


def database_url(db: str) -> sa.URL:
    """A database URL from a URL or a plain file path (a path means a SQLite file)."""
    try:  # a path is taken as it is: "?" and "%" in a file name are not URL syntax
        url = sa.make_url(db) if "://" in db else sa.URL.create("sqlite", database=db)
    except (ArgumentError, ValueError) as exc:
        raise StorageUnavailable(
            f"Bad database URL: {exc}.", f"数据库地址无效:{exc}。", "db"
        ) from None
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def shown(url: str | sa.URL) -> str:
    """A URL for messages: the password masked."""
    try:
        parsed = database_url(url) if isinstance(url, str) else url
    except StorageUnavailable:
        return "<unreadable URL>"
    return parsed.render_as_string(hide_password=True)


def make_engine(db: str, **kwargs: Any) -> Engine:
    """An engine for ``db`` (a URL, or a plain path to a SQLite file).

    JSON columns are written and read with ``orjson`` unless ``json_serializer`` and
    ``json_deserializer`` say otherwise.

    ``BEGIN IMMEDIATE`` takes SQLite's write lock when a transaction starts, so two writers queue
    instead of failing when the first reader tries to write.
    """
    url = database_url(db)
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StorageUnavailable(
            f"Cases are stored in SQLite or PostgreSQL, not {url.get_backend_name()}: "
            f"{shown(url)}.",
            f"售后单只能存放在 SQLite 或 PostgreSQL 中,不支持 {url.get_backend_name()}:"
            f"{shown(url)}。",
            "db",
        )
    kwargs.setdefault("pool_reset_on_return", None)  # every transaction ends explicitly
    kwargs.setdefault("json_serializer", dumps)  # orjson, falling back to json
    kwargs.setdefault("json_deserializer", loads)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    try:
        engine = sa.create_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError, TypeError) as exc:
        raise StorageUnavailable(
            f"Cannot use database {shown(url)}: {exc}.",
            f"无法使用数据库 {shown(url)}:{exc}。",
            "db",
        ) from None
    if engine.dialect.name == "sqlite":
        tune_sqlite(engine)
    return engine


def tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and write-locking transactions for a SQLite engine."""

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


_RETRYABLE = ("40001", "40P01")  # PostgreSQL: serialization failure, deadlock


def translated(exc: BaseException) -> AftersalesError:
    """The package's error for a database error."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", "")
    if isinstance(exc, sa.exc.IntegrityError):
        return Conflict(f"The database refused a duplicate: {text}.", f"数据重复:{text}。", None)
    if state in _RETRYABLE:
        return Conflict(
            f"Another transaction got there first ({text}); try again.",
            f"其他事务先完成了修改({text}),请重试。",
            None,
        )
    if isinstance(exc, sa.exc.DataError):
        return InvalidInput(
            f"The database refused a value: {text}.", f"数据库拒绝了一个值:{text}。", None
        )
    missing = "no such table" in text or state in ("42P01", "3F000")  # no table; no schema
    hint = " (run `aftersales db upgrade`)" if missing else ""
    return StorageUnavailable(
        f"The database failed: {text}{hint}.", f"数据库出错:{text}{hint}。", "db"
    )


DB_ERRORS = (sa.exc.DBAPIError, sa.exc.TimeoutError, sa.exc.DisconnectionError, OSError)
"""What the database (or the way to it) may raise; anything else is a bug of ours, left loud."""


@contextmanager
def translate() -> Iterator[None]:
    """Run a block; a database error in it leaves as the package's error, the cause chained."""
    try:
        yield
    except AftersalesError:
        raise
    except DB_ERRORS as exc:
        raise translated(exc) from exc


@contextmanager
def transaction(engine: Engine, session: Session | None = None) -> Iterator[Connection]:
    """A connection inside a transaction: the caller's session (never committed here) or our
    own, committed at the end. Database errors leave translated."""
    with translate():
        if session is not None:
            yield session.connection()
            return
        with engine.begin() as conn:
            yield conn


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """A savepoint: a failure inside rolls back only the block, so the caller's transaction
    goes on (a duplicate key inside a caller's session, say)."""
    nested = conn.begin_nested()
    try:
        yield
    except BaseException:
        nested.rollback()
        raise
    nested.commit()

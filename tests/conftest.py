"""Shared fixtures. The storage contract runs on every backend: SQLite (a WAL file) and
PostgreSQL (AFTERSALES_PG_URL); PostgreSQL tests skip with a message when no server is
configured, and fail instead when AFTERSALES_REQUIRE_PG=1 (as in CI)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from aftersales import Case, open_case
from aftersales.storage import CaseStore
from aftersales.storage.tables import metadata, name
from tests.support import facts


@pytest.fixture
def make_case() -> Callable[..., Case]:
    """Open a case with the given fact overrides (and ``policy=``)."""

    def make(policy: dict[str, Any] | None = None, **overrides: Any) -> Case:
        return open_case(facts(**overrides), policy=policy)

    return make


PG_URL = os.environ.get("AFTERSALES_PG_URL")
REQUIRE_PG = os.environ.get("AFTERSALES_REQUIRE_PG") == "1"


def pg_url_or_skip() -> str:
    """The PostgreSQL URL, or skip (fail when required) with the reason."""
    if not PG_URL:
        message = "PostgreSQL not configured: set AFTERSALES_PG_URL to run these tests"
        if REQUIRE_PG:
            pytest.fail(message + " (AFTERSALES_REQUIRE_PG=1)")
        pytest.skip(message)
    try:
        with sa.create_engine(PG_URL).connect():
            pass
    except sa.exc.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URL} unreachable: {exc.orig}")
        pytest.skip(f"PostgreSQL at {PG_URL} unreachable")
    return PG_URL


def fresh_pg(url: str) -> str:
    """Empty the test database of every table the package or a host test made, whichever
    revision made it: the names are read from the database, so a table a later (or earlier)
    revision left behind in a shared test database cannot leak into this run."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        for table in sa.inspect(conn).get_table_names():
            if table.startswith((name(""), "host_")) or table == "alembic_version":
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A database URL with no aftersales tables yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.db'}"
    return fresh_pg(pg_url_or_skip())


@pytest.fixture
def store(db_url) -> CaseStore:
    """A store on each backend with the schema created."""
    store = CaseStore(db_url)
    store.create_schema()
    yield store
    store.engine.dispose()

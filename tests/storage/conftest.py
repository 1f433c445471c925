"""One contract suite, every backend: SQLite (a WAL file) and PostgreSQL (AFTERSALES_PG_URL).

PostgreSQL tests skip with a message when no server is configured, and fail instead when
AFTERSALES_REQUIRE_PG=1 (as in CI).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from aftersales.storage import CaseStore
from aftersales.storage.tables import metadata

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
    """Empty the aftersales tables of the PostgreSQL database."""
    engine = sa.create_engine(url)
    metadata.drop_all(engine)
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

"""Alembic owns the schema: upgrading an empty database gives exactly the declared tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aftersales import AftersalesError
from aftersales.storage import CaseStore, make_engine
from aftersales.storage.migrate import downgrade, upgrade
from aftersales.storage.tables import metadata
from tests.support import facts


def test_upgrade_matches_the_models_and_downgrades(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    store = CaseStore(engine)
    assert store.open_case(facts()).state == "requested"
    engine.dispose()
    downgrade(db_url, "base")
    engine = make_engine(db_url)
    assert "aftersales_case" not in sa.inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize("url", ["nonsense://", "sqlite+nodriver:///x.db"])
def test_bad_url_is_a_clear_error(url):
    with pytest.raises(AftersalesError) as info:
        CaseStore(url)
    assert info.value.code == "storage_unavailable"


def test_unreachable_database_is_a_clear_error():
    store = CaseStore("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(AftersalesError) as info:
        store.get("C1")
    assert info.value.code == "storage_unavailable"


def test_feed_upgrade_keeps_positions_and_continues_after_them(db_url):
    upgrade(db_url, "0002")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO aftersales_feed (position, case_id, seq) "
                "VALUES (1, 'A', 1), (2, 'A', 2), (5, 'B', 1)"
            )
        )
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    store = CaseStore(engine)
    store.open_case(facts(case_id="C"))
    before_reading = feed(engine)
    [item] = store.events_since(5)
    assert (item.position, item.case_id) == (6, "C")
    assert feed(engine) == [(1, 1, "A"), (2, 2, "A"), (5, 5, "B"), (6, 6, "C")]
    # SQLite's writer places its row; PostgreSQL's rows wait for the reader.
    placed_by_writer = engine.dialect.name == "sqlite"
    assert before_reading[-1] == (6, 6 if placed_by_writer else None, "C")
    store.open_case(facts(case_id="D"))
    engine.dispose()
    downgrade(db_url, "0002")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT position, case_id FROM aftersales_feed ORDER BY 1"))
        assert [case_id for _, case_id in rows] == ["A", "A", "B", "C", "D"]
    engine.dispose()
    downgrade(db_url, "base")


def feed(engine) -> list[tuple]:
    with engine.connect() as conn:
        query = "SELECT id, position, case_id FROM aftersales_feed ORDER BY id"
        return [tuple(row) for row in conn.execute(sa.text(query))]

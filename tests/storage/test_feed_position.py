"""The feed position lives in the event row: SQLite gives it as the event is written, and
``verify`` reports an event without one there (an outbox would never see it)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from aftersales.storage import CaseStore
from aftersales.storage.tables import event_table
from aftersales.storage.verify import verify
from tests.support import MERCHANT, at, facts


def test_sqlite_places_each_event_as_it_is_written_and_verify_sees_one_without(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    store.create_schema()
    store.open_case(facts())
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    with store.engine.connect() as conn:
        positions = conn.execute(sa.select(event_table.c.position).order_by("seq")).scalars()
        assert list(positions) == [1, 2]
    assert verify(store).ok
    with store.engine.begin() as conn:
        conn.execute(event_table.update().where(event_table.c.seq == 2).values(position=None))
    report = verify(store)
    assert [(d.case_id, d.seq) for d in report.divergences] == [("C1", 2)]
    assert "feed position" in str(report.divergences[0])
    store.engine.dispose()


def test_postgresql_places_events_when_the_feed_is_read(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite places events as they are written")
    store = CaseStore(db_url)
    store.create_schema()
    store.open_case(facts())
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(event_table.c.position)).scalar_one() is None
    assert verify(store).ok  # not placed yet is not a problem there
    assert [i.position for i in store.events_since(0)] == [1]
    store.engine.dispose()

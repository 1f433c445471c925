"""Every statement of the store is visible to SQLAlchemy's instrumentation, and every database
error leaves as the package's error with the driver's error chained, on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from aftersales import Actor, Conflict, StorageUnavailable
from aftersales.storage import CaseStore
from aftersales.storage.tables import event_table
from tests.support import MERCHANT, at, facts


def _seen(store: CaseStore) -> list[str]:
    """The first words of every statement the engine's event listeners see from now on."""
    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _statement(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(" ".join(statement.split()[:3]))

    return seen


def test_every_statement_of_open_and_send_is_seen_by_the_engines_events(store):
    seen = _seen(store)
    store.open_case(facts())
    opened = list(seen)
    seen.clear()
    store.send("C1", "agree", actor=MERCHANT, at=at(1), command_id="agree-1")
    sent = list(seen)
    writes = [s.split()[0] for s in sent if s.split()[0] in ("INSERT", "UPDATE")]
    assert sorted(writes) == ["INSERT", "UPDATE"]  # the event (with its feed position); the case
    assert any("aftersales_event" in s for s in sent if s.startswith("INSERT"))
    assert any(s.startswith("SELECT") for s in sent)  # the case, and the command id
    assert sum(s.startswith("INSERT") for s in opened) == 2  # the case, its event
    store.open_case(facts(case_id="C2", order_id="O2"))
    seen.clear()
    assert store.fire_due_timers(at(days=30))  # C2's merchant did not answer: agreed for them
    assert any(s.startswith("UPDATE") for s in seen)


def test_echo_shows_the_store_statements(db_url, caplog):
    from aftersales.storage import make_engine

    engine = make_engine(db_url, echo=True)
    store = CaseStore(engine)
    store.create_schema()
    caplog.clear()
    with caplog.at_level("INFO", logger="sqlalchemy.engine"):
        store.open_case(facts())
    assert any("INSERT INTO aftersales_event" in r.getMessage() for r in caplog.records)
    engine.dispose()


def test_a_missing_schema_is_storage_unavailable_saying_what_to_run(db_url):
    store = CaseStore(db_url)
    with pytest.raises(StorageUnavailable) as info:
        store.get("C1")
    assert "aftersales db upgrade" in info.value.message_en
    assert isinstance(info.value.__cause__, sa.exc.DBAPIError)  # the driver's error, chained


def test_an_unreachable_database_is_storage_unavailable_with_the_cause():
    store = CaseStore("postgresql+psycopg://nobody:s3cret@127.0.0.1:9/none")
    with pytest.raises(StorageUnavailable) as info:
        store.open_case(facts())
    assert isinstance(info.value.__cause__, sa.exc.OperationalError)
    assert "s3cret" not in info.value.message_en


def test_a_duplicate_key_is_conflict_with_the_cause(store):
    store.open_case(facts())
    with store.engine.begin() as conn:  # another writer took seq 2 behind the store's back
        row = dict(
            conn.execute(sa.select(event_table).where(event_table.c.seq == 1)).mappings().one()
        )
        conn.execute(
            event_table.insert().values({**row, "seq": 2, "command_id": None, "position": 9})
        )
    with pytest.raises(Conflict) as info:
        store.send("C1", "agree", actor=MERCHANT, at=at(1))
    assert isinstance(info.value.__cause__, sa.exc.IntegrityError)
    assert [e.seq for e in store.history("C1")] == [1, 2]  # nothing more was written


def test_each_engine_encodes_json_with_its_own_serializer(db_url):
    """The compiled statements are kept per engine: a second engine with another
    ``json_serializer`` is not served the first engine's compiled processors."""
    import json

    from aftersales.storage import make_engine

    plain = CaseStore(db_url)
    plain.create_schema()
    plain.open_case(facts())  # compiles the store's statements for the first engine
    plain.send("C1", "agree", actor=MERCHANT, at=at(1))
    used: list[object] = []

    def serializer(value: object) -> str:
        used.append(value)
        return json.dumps(value)

    other = CaseStore(make_engine(db_url, json_serializer=serializer))
    other.send("C1", "refund_succeeded", actor=Actor.system(), at=at(2))
    assert used, "the second engine's json_serializer was never called"
    assert other.get("C1").state == plain.get("C1").state
    plain.engine.dispose()
    other.engine.dispose()


def test_a_command_updates_only_the_columns_that_changed(store):
    store.open_case(facts(type="return_refund"))
    updates: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _statement(_conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.startswith("UPDATE"):
            updates.append(statement.split(" WHERE ")[0])

    store.send("C1", "agree", actor=MERCHANT, at=at(1))  # awaiting the return: not final
    [update] = updates
    assert "state" in update and "final" not in update and "refund_amount" not in update
    assert all(f"{c}=" in update.replace(" ", "") for c in ("due_at", "timer_error", "version"))
    row = store.get("C1")
    assert row.state == "awaiting_return" and not row.final

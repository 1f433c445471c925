"""Host events: listeners run inside the transaction of every event the store records (opening,
commands, timers the sweeper fires, syncs), so a host's row moves with the case or not at all;
and the relay, for hosts that follow the feed from a durable cursor instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from aftersales import Case, EventRecord, InvalidInput, TransitionNotAllowed
from aftersales.storage import CaseStore, FeedItem, FileCursor, relay
from tests.support import BUYER, MERCHANT, at, facts

host = sa.MetaData()
host_order = sa.Table(
    "host_order",
    host,
    sa.Column("order_id", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(64)),
    sa.Column("events", sa.Integer, nullable=False, default=0),
)
FIXTURES = Path(__file__).parents[1] / "wechat" / "fixtures"


class Boom(Exception):
    pass


class Host:
    """A host's listener: moves its order row; raises on the event named ``fail_on``."""

    def __init__(self) -> None:
        self.fail_on: str | None = None
        self.seen: list[tuple[str, int, str]] = []

    def __call__(self, conn: Connection, case: Case, event: EventRecord) -> None:
        self.seen.append((case.case_id, event.seq, event.event))
        conn.execute(
            host_order.update()
            .where(host_order.c.order_id == case.record.facts.order_id)
            .values(state=event.state_after, events=host_order.c.events + 1)
        )
        if event.event == self.fail_on:
            raise Boom(event.event)


@pytest.fixture
def hosted(store):
    host.drop_all(store.engine)
    host.create_all(store.engine)
    with store.engine.begin() as conn:
        conn.execute(host_order.insert(), [{"order_id": "O1"}, {"order_id": "O-WX-1"}])
    listener = Host()
    store.on_event(listener)
    yield store, listener
    host.drop_all(store.engine)


def row(store: CaseStore, order_id: str = "O1") -> tuple[str | None, int]:
    with store.engine.connect() as conn:
        found = conn.execute(
            sa.select(host_order.c.state, host_order.c.events).where(
                host_order.c.order_id == order_id
            )
        ).one()
    return found.state, found.events


def test_opening_and_a_command_move_the_host_row(hosted):
    store, listener = hosted
    store.open_case(facts())
    assert row(store) == ("requested", 1)
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    assert row(store) == ("refunding", 2)
    assert listener.seen == [("C1", 1, "open"), ("C1", 2, "agree")]


def test_a_raising_listener_leaves_nothing(hosted):
    store, listener = hosted
    listener.fail_on = "open"
    with pytest.raises(Boom):
        store.open_case(facts())
    assert store.count_cases() == 0 and row(store) == (None, 0)
    listener.fail_on = "agree"
    store.open_case(facts())
    with pytest.raises(Boom):
        store.send("C1", "agree", actor=MERCHANT, at=at(1))
    assert store.get("C1").state == "requested" and store.get("C1").version == 1
    assert row(store) == ("requested", 1)
    assert store.refusals() == []  # not a refusal: the write failed
    assert [item.event.event for item in store.events_since(0)] == ["open"]


def test_inside_the_callers_session_the_host_row_commits_or_rolls_back_with_it(hosted):
    store, _ = hosted
    with Session(store.engine) as session, session.begin():
        store.open_case(facts(), session=session)
    assert row(store) == ("requested", 1)
    with pytest.raises(Boom), Session(store.engine) as session, session.begin():
        store.send("C1", "agree", actor=MERCHANT, at=at(1), session=session)
        inside = sa.select(host_order.c.state).where(host_order.c.order_id == "O1")
        assert session.execute(inside).scalar_one() == "refunding"  # seen inside
        raise Boom("the host's own next step failed")
    assert row(store) == ("requested", 1) and store.get("C1").state == "requested"


def test_a_timer_the_sweeper_fires_moves_the_host_row_in_its_transaction(hosted):
    store, listener = hosted
    store.open_case(facts())
    listener.fail_on = "expire"  # the merchant's silence: the timer agrees
    with pytest.raises(Boom):
        store.fire_due_timers(at(days=3))
    assert store.get("C1").state == "requested" and row(store) == ("requested", 1)
    listener.fail_on = None
    fired = store.fire_due_timers(at(days=3))
    assert [event.event for event in fired] == ["expire"]
    assert row(store) == (fired[-1].state_after, 2)


def test_timers_due_before_a_command_move_the_host_row_too(hosted):
    store, listener = hosted
    store.open_case(facts())
    with pytest.raises(TransitionNotAllowed):  # the deadline passed: the timer agreed first
        store.send("C1", "reject", actor=MERCHANT, at=at(days=3), data={})
    state = store.get("C1").state
    assert state != "requested" and row(store) == (state, 2)
    assert [seen[2] for seen in listener.seen] == ["open", "expire"]


def test_a_sync_moves_the_host_row_and_a_raising_listener_undoes_it(hosted):
    from aftersales.wechat import ShopConfig, sync

    store, listener = hosted
    order = json.loads((FIXTURES / "order_merchant_refund_success.json").read_text("utf-8"))
    listener.fail_on = "refund_succeeded"
    with pytest.raises(Boom):
        sync(store, order, shop=ShopConfig(shop_id="S1"))
    assert store.count_cases() == 0 and row(store, "O-WX-1") == (None, 0)
    assert store.divergences() == []
    listener.fail_on = None
    result = sync(store, order, shop=ShopConfig(shop_id="S1"))
    assert result.action in ("opened", "applied")
    case = store.get("wx-WX-1")
    assert row(store, "O-WX-1") == (case.state, case.version)


# -- the relay ------------------------------------------------------------------------------------


def test_the_relay_hands_each_event_once_from_its_cursor(store, tmp_path):
    store.open_case(facts())
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    cursor = FileCursor(tmp_path / "feed.cursor")
    seen: list[FeedItem] = []
    done = relay(store, seen.append, cursor, batch=1)
    assert (done.handled, done.position) == (2, seen[-1].position)
    assert [(item.case_id, item.event.event) for item in seen] == [("C1", "open"), ("C1", "agree")]
    assert cursor.load() == seen[-1].position
    assert relay(store, seen.append, cursor).handled == 0  # nothing new
    store.open_case(facts(case_id="C2"))
    assert relay(store, seen.append, FileCursor(tmp_path / "feed.cursor")).handled == 1
    assert seen[-1].case_id == "C2"


def test_a_handler_that_raises_stops_the_relay_where_it_was(store, tmp_path):
    for n in range(3):
        store.open_case(facts(case_id=f"C{n}"))
    cursor = FileCursor(tmp_path / "feed.cursor")
    handled: list[str] = []

    def handler(item: FeedItem) -> None:
        if item.case_id == "C1" and not handled[1:]:
            handled.append("failed")
            raise Boom(item.case_id)
        handled.append(item.case_id)

    with pytest.raises(Boom):
        relay(store, handler, cursor)
    first = store.events_since(0)[0].position
    assert cursor.load() == first  # C0 handled and kept; C1 comes again
    done = relay(store, handler, cursor, limit=1)
    assert done.handled == 1 and handled == ["C0", "failed", "C1"]
    assert relay(store, handler, cursor).handled == 1 and handled[-1] == "C2"


@pytest.mark.parametrize("text", ["", "-1", "12abc", "9" * 30, "\xff"])
def test_a_damaged_cursor_is_invalid_input_and_nothing_is_handled(store, tmp_path, text):
    store.open_case(facts())
    path = tmp_path / "feed.cursor"
    path.write_bytes(text.encode("latin-1"))
    seen: list[Any] = []
    with pytest.raises(InvalidInput) as info:
        relay(store, seen.append, FileCursor(path))
    assert info.value.field == "cursor" and seen == []


def test_relay_refuses_a_bad_batch_or_limit(store, tmp_path):
    cursor = FileCursor(tmp_path / "c")
    with pytest.raises(InvalidInput):
        relay(store, print, cursor, batch=0)
    with pytest.raises(InvalidInput):
        relay(store, print, cursor, limit=-1)

    class Junk:
        def load(self) -> Any:
            return "7"

        def save(self, position: int) -> None:
            raise AssertionError("never saved")

    with pytest.raises(InvalidInput):
        relay(store, print, Junk())


def test_listeners_see_the_events_in_the_feeds_order(hosted):
    store, listener = hosted
    store.open_case(facts())
    store.open_case(facts(case_id="C2", order_id="O1", sku_id="other"))
    store.send("C1", "withdraw", actor=BUYER, at=at(2))
    feed = [(item.case_id, item.event.seq, item.event.event) for item in store.events_since(0)]
    if store.engine.dialect.name == "sqlite":
        assert listener.seen == feed  # placed on insert: the feed is the write order
    else:
        # PostgreSQL places what became visible together case by case: each case in order.
        assert sorted(listener.seen) == sorted(feed)
        for case_id in ("C1", "C2"):
            assert [e for e in listener.seen if e[0] == case_id] == [
                e for e in feed if e[0] == case_id
            ]


def test_listeners_given_to_the_store_are_called_in_order(db_url):
    calls: list[str] = []
    store = CaseStore(
        db_url,
        listeners=[
            lambda conn, case, event: calls.append(f"first:{event.event}"),
            lambda conn, case, event: calls.append(f"second:{event.event}"),
        ],
    )
    store.create_schema()
    store.open_case(facts())
    store.fire_due_timers(at(days=3))
    assert calls == ["first:open", "second:open", "first:expire", "second:expire"]
    store.engine.dispose()

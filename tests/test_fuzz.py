"""Generated junk at every entrance: the store, the history parser, the WeChat parsers. Nothing but
the package's own errors ever escapes, and a refused command writes nothing."""

from __future__ import annotations

import contextlib
import json
import string

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales import Actor, AftersalesError
from aftersales.histories import HistoryError, parse_history
from aftersales.storage import CaseStore
from aftersales.storage.tables import event_table
from aftersales.wechat import AfterSaleOrder, parse_notification, reconcile, sync
from aftersales.workflow.vocabulary import EVENT_ROLES
from tests.support import T0, facts

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=40)
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
events = st.sampled_from([*EVENT_ROLES, "", "open", "bogus"])
actors = st.one_of(
    st.builds(Actor, st.sampled_from(["merchant", "buyer", "platform", "system", "x"]), text),
    st.builds(Actor, st.sampled_from(["merchant", "buyer"]), st.sampled_from(["S1", "B1"])),
    junk,
)
times = st.one_of(
    st.datetimes(timezones=st.just(T0.tzinfo)).map(lambda d: d.replace(year=2026, month=3)),
    text,
    st.integers(),
    st.none(),
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    store = CaseStore(str(tmp_path_factory.mktemp("fuzz") / "fuzz.db"))
    store.create_schema()
    # A merchant timer of three years: no timer falls due at the generated March 2026 times,
    # so a refused command must leave the log exactly as it was.
    store.open_case(facts(), policy={"merchant_response": "P1095D"})
    yield store
    store.engine.dispose()


def log_size(store: CaseStore) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(event_table)).scalar_one()


@SETTINGS
@given(event=events, actor=actors, at=times, data=junk, command_id=st.one_of(st.none(), junk))
def test_send_junk(fuzz_store, event, actor, at, data, command_id):
    before = log_size(fuzz_store)
    try:
        fuzz_store.send("C1", event, actor=actor, at=at, data=data, command_id=command_id)
    except AftersalesError:
        assert log_size(fuzz_store) == before


@SETTINGS
@given(
    overrides=st.dictionaries(
        st.sampled_from(["case_id", "order_id", "type", "paid_amount", "opened_at", "sku_id", "x"]),
        junk,
        max_size=3,
    ),
    policy=st.one_of(st.none(), junk),
)
def test_open_junk(fuzz_store, overrides, policy):
    before = log_size(fuzz_store)
    try:
        fuzz_store.open_case({**facts(case_id="F"), **overrides}, policy=policy)
    except AftersalesError:
        assert log_size(fuzz_store) == before
        return
    assert log_size(fuzz_store) == before + 1
    with fuzz_store.engine.begin() as conn:  # keep the next example's id free
        conn.execute(sa.text("DELETE FROM aftersales_event WHERE case_id NOT IN ('C1')"))
        conn.execute(sa.text("DELETE FROM aftersales_case WHERE case_id NOT IN ('C1')"))


line = st.one_of(
    junk.map(lambda value: json.dumps(value, ensure_ascii=False)),
    st.text(alphabet=string.printable, max_size=60),
    st.just('{"op": "open", "at": "2026-03-01T10:00:00+08:00", "case_id": 1}'),
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line, max_size=6))
def test_history_parser_junk(lines):
    try:
        parse_history("\n".join(lines), "fuzz.jsonl")
    except HistoryError as exc:
        assert str(exc).startswith("fuzz.jsonl:")


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(junk, junk.map(json.dumps), st.binary(max_size=80)))
def test_notification_parser_never_raises(body):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    notification = parse_notification(payload)
    assert notification.kind in ("aftersale", "complaint", "unreadable")


@SETTINGS
@given(order=junk, status=st.sampled_from(["MERCHANT_PROCESSING", "USER_CANCELD", "X", ""]))
def test_sync_never_raises_for_what_wechat_sends(fuzz_store, order, status):
    body = {"after_sale_order": {"after_sale_order_id": "WX-FUZZ", "status": status}}
    if isinstance(order, dict):
        body["after_sale_order"].update(order)
    result = sync(fuzz_store, body)
    assert result.action in ("divergence", "opened", "applied", "in_sync")
    for payload in (order, body):
        with contextlib.suppress(ValueError):  # its one documented refusal
            AfterSaleOrder.read(payload)  # type: ignore[arg-type]
    reconcile(fuzz_store, parse_notification(json.dumps({"Event": "x", "body": order})))

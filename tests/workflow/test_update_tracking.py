"""``update_tracking``: the platform gives the real waybill of a parcel recorded before WeChat
showed it (issue #21 item 9). An addition of this package, like ``set_deadline``: only the
platform sends it, only while a parcel is on its way, and it changes nothing but the log.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from aftersales import AftersalesError, Case, open_case
from aftersales.workflow.graph import machine_graph
from aftersales.workflow.vocabulary import EVENT_ROLES, TRACKING_EVENTS, TRACKING_STATES
from tests.support import BUYER, MERCHANT, PLATFORM, SYSTEM, at, facts


def returning(**overrides) -> Case:
    """A return the buyer shipped with a placeholder waybill: awaiting the merchant's receipt."""
    case = open_case(facts(type="return_refund", **overrides))
    case.send("agree", actor=MERCHANT, at=at(1))
    case.send("ship_return", actor=BUYER, at=at(2), data={"tracking": "wechat:WX1"})
    return case


def reshipped() -> Case:
    """An exchange whose replacement left with a placeholder waybill."""
    case = open_case(facts(type="exchange", buyer_reason="quality_issue"))
    case.send("agree", actor=MERCHANT, at=at(1))
    case.send("ship_return", actor=BUYER, at=at(2), data={"tracking": "SF-BACK"})
    case.send("reship", actor=MERCHANT, at=at(3), data={"tracking": "wechat:WX1"})
    return case


def intercepted() -> Case:
    case = open_case(facts())
    case.send("intercept", actor=MERCHANT, at=at(1), data={"tracking": "wechat:WX1"})
    return case


def refused(case: Case, event: str, actor, when, **data) -> AftersalesError:
    before, held = copy.copy(case.record), case.events
    with pytest.raises(AftersalesError) as info:
        case.send(event, actor=actor, at=when, data=data)
    assert case.record == before and case.events == held
    return info.value


@pytest.mark.parametrize(
    ("make", "state"),
    [
        (returning, "awaiting_receipt"),
        (reshipped, "exchange_shipped"),
        (intercepted, "intercepting"),
    ],
)
def test_a_self_transition_leaves_state_and_timer_untouched(make, state):
    case = make()
    before = copy.copy(case.record)
    assert case.tracking == "wechat:WX1"
    record = case.send(
        "update_tracking", actor=PLATFORM, at=at(5), data={"tracking": "SF-REAL"}, origin="platform"
    )
    assert (record.state_before, record.state_after, record.entered) == (state, state, ())
    assert record.timer == before.timer and case.timer == before.timer
    # Only the log's bookkeeping moves: the record is the one before, one event on.
    assert case.record == replace(before, seq=before.seq + 1, last_at=at(5))
    assert case.tracking == "SF-REAL" and record.data == {"tracking": "SF-REAL"}


def test_only_the_platform_sends_it():
    assert EVENT_ROLES["update_tracking"] == "platform"
    case = returning()
    for actor in (MERCHANT, BUYER, SYSTEM):
        error = refused(case, "update_tracking", actor, at(5), tracking="SF-REAL")
        assert error.code == "permission_denied"
    assert case.tracking == "wechat:WX1"


def test_only_while_a_parcel_is_on_its_way():
    # The machine allows it exactly in the states a tracking-bearing event enters.
    edges = machine_graph().edges
    sources = {e.source for e in edges if e.event == "update_tracking"}
    entered = {
        e.target for e in edges if e.event in TRACKING_EVENTS and e.event != "update_tracking"
    }
    assert sources == entered == set(TRACKING_STATES)
    assert all(e.source == e.target for e in edges if e.event == "update_tracking")
    # Before the return ships, and once the goods are received, there is no parcel to update.
    case = open_case(facts(type="return_refund"))
    case.send("agree", actor=MERCHANT, at=at(1))
    assert refused(case, "update_tracking", PLATFORM, at(2), tracking="SF1").code == (
        "transition_not_allowed"
    )
    case = returning()
    case.send("confirm_receipt", actor=MERCHANT, at=at(3))
    assert case.state == "refunding"
    assert refused(case, "update_tracking", PLATFORM, at(4), tracking="SF1").code == (
        "transition_not_allowed"
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "tracking"),
        ({"tracking": ""}, "tracking"),
        ({"tracking": "   "}, "tracking"),
        ({"tracking": "x" * 65}, "tracking"),
        ({"tracking": "SF\n1"}, "tracking"),
        ({"tracking": 12345}, "tracking"),
        ({"tracking": "SF1", "note": "x"}, "note"),
        ({"tracking": "SF1", "sku_id": ""}, "sku_id"),
    ],
)
def test_the_waybill_is_validated_as_every_tracking_field(data, field):
    case = returning()
    error = refused(case, "update_tracking", PLATFORM, at(5), **data)
    assert (error.code, error.field) == ("invalid_input", field)
    # The same input is refused for the event that recorded the waybill in the first place.
    fresh = open_case(facts(type="return_refund"))
    fresh.send("agree", actor=MERCHANT, at=at(1))
    assert refused(fresh, "ship_return", BUYER, at(2), **data).field == field


def test_a_new_sku_only_for_the_replacement():
    case = reshipped()
    case.send(
        "update_tracking",
        actor=PLATFORM,
        at=at(5),
        data={"tracking": "SF-NEW", "sku_id": "SKU-2"},
        origin="platform",
    )
    assert case.events[-1].data == {"tracking": "SF-NEW", "sku_id": "SKU-2"}
    for make in (returning, intercepted):
        error = refused(make(), "update_tracking", PLATFORM, at(5), tracking="SF1", sku_id="SKU-2")
        assert (error.code, error.field) == ("invalid_input", "sku_id")


def test_the_case_goes_on_as_before_once_the_waybill_is_replaced():
    case = returning()
    case.send("update_tracking", actor=PLATFORM, at=at(5), data={"tracking": "SF-REAL"})
    case.send("confirm_receipt", actor=MERCHANT, at=at(6))
    case.send("refund_succeeded", actor=SYSTEM, at=at(7))
    assert case.state == "refunded" and case.tracking == "SF-REAL"
    # The merchant's receipt timer still fires at the time the return started it.
    timed = returning()
    due = timed.timer.due
    timed.send("update_tracking", actor=PLATFORM, at=at(5), data={"tracking": "SF-REAL"})
    timed.fire_due_timers(due)
    assert timed.state == "refunding" and timed.events[-1].at == due


def test_cases_of_every_contract_version_receive_it():
    # No outcome changes, so it is not gated on the contract version (as set_deadline is not).
    opened = returning()
    v1 = Case.reopen(replace(opened.events[0], note={}))
    assert v1.record.workflow_version == 1
    v1.send("agree", actor=MERCHANT, at=at(1))
    v1.send("ship_return", actor=BUYER, at=at(2), data={"tracking": "wechat:WX1"})
    v1.send("update_tracking", actor=PLATFORM, at=at(3), data={"tracking": "SF-REAL"})
    assert v1.tracking == "SF-REAL" and v1.state == "awaiting_receipt"

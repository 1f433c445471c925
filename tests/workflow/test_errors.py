"""Every error code of spec section 8, the check order of section 3, and refusals change nothing."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from aftersales import Actor, AftersalesError, InvalidInput, PermissionDenied, open_case
from aftersales.workflow.errors import ERROR_CLASSES
from tests.support import BUYER, MERCHANT, PLATFORM, SYSTEM, at, ev, facts, negotiate


def refused(case, event, actor, when, **data) -> AftersalesError:
    """Send a command that must be refused; check it changed nothing; return the error."""
    before = copy.deepcopy(case.record)
    with pytest.raises(AftersalesError) as info:
        case.send(event, actor=actor, at=when, data=data)
    assert case.record == before
    err = info.value
    assert err.message_en and err.message_zh
    return err


def negotiated(make_case, **overrides):
    case = make_case(**overrides)
    negotiate(case, "agreed_cancel", evidence=[ev("chat_record")])
    return case


# -- invalid_input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"negotiation_type": "invite_cancel"}, "reason"),
        ({"negotiation_type": "haggle", "reason": "agreed_cancel"}, "negotiation_type"),
        ({"negotiation_type": "invite_cancel", "reason": "agreed_cancel", "x": 1}, "x"),
        ({"negotiation_type": "modify_request", "reason": "modify_amount_only"}, None),
        (
            {"negotiation_type": "modify_request", "reason": "agreed_new_plan", "amount": 1.5},
            "amount",
        ),
        (
            {"negotiation_type": "invite_cancel", "reason": "agreed_cancel", "message": "x" * 501},
            "message",
        ),
    ],
)
def test_invalid_negotiation_input(make_case, data, field):
    err = refused(make_case(), "negotiate", MERCHANT, at(1), **data)
    assert err.code == "invalid_input"
    if field:
        assert err.field == field


def test_naive_backwards_and_unknown_inputs(make_case):
    case = make_case()
    case.send("intervene", actor=PLATFORM, at=at(5), data={"message": "auto"})
    assert refused(case, "withdraw", BUYER, datetime(2026, 3, 2, 10)).field == "at"
    assert refused(case, "withdraw", BUYER, at(4)).field == "at"
    assert refused(case, "haggle", BUYER, at(6)).code == "invalid_input"
    assert refused(case, "withdraw", BUYER, "yesterday").code == "invalid_input"
    assert refused(case, "submit_evidence", MERCHANT, at(6), evidence=[{"kind": "x"}]).field


def test_ship_return_without_tracking_is_invalid_input(make_case):
    case = make_case(type="return_refund")
    case.send("agree", actor=MERCHANT, at=at(1))
    assert refused(case, "ship_return", BUYER, at(2)).code == "invalid_input"
    assert refused(case, "ship_return", BUYER, at(2), tracking="").code == "invalid_input"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"type": "return_refund", "shipped": False}, "invalid_input", "shipped"),
        (
            {"category": "ordinary", "seven_day_return": "supported_until_used"},
            "invalid_input",
            None,
        ),
        ({"requested_amount": 10001}, "invalid_amount", "requested_amount"),
        ({"requested_amount": 0}, "invalid_amount", "requested_amount"),
        ({"paid_amount": 0, "requested_amount": 0}, "invalid_amount", "paid_amount"),
        ({"paid_amount": 100.0}, "invalid_input", "paid_amount"),
        ({"opened_at": datetime(2026, 3, 1)}, "invalid_input", "opened_at"),
        ({"case_id": ""}, "invalid_input", "case_id"),
        ({"category": "books"}, "invalid_input", "category"),
    ],
)
def test_bad_facts_are_refused(overrides, code, field):
    with pytest.raises(AftersalesError) as info:
        open_case(facts(**overrides))
    assert info.value.code == code
    if field:
        assert info.value.field == field


def test_bad_policy_is_invalid_input():
    with pytest.raises(InvalidInput):
        open_case(facts(), policy={"merchant_response": "two days"})
    case = open_case(facts(), policy={"merchant_response": "PT36H"})
    assert case.timer is not None and case.timer.due == at(36)


# -- permission_denied -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "actor"),
    [
        ("agree", BUYER),
        ("agree", Actor.merchant("S2")),
        ("withdraw", Actor.buyer("B2")),
        ("withdraw", MERCHANT),
        ("rule", MERCHANT),
        ("refund_succeeded", PLATFORM),
        ("intervene", Actor("customer_service", "X")),
    ],
)
def test_wrong_actor_is_permission_denied(make_case, event, actor):
    data = {"message": "m"} if event == "intervene" else {}
    assert refused(make_case(), event, actor, at(1), **data).code == "permission_denied"


# -- transition_not_allowed ------------------------------------------------------------------


def test_event_not_allowed_in_state(make_case):
    case = make_case()
    assert refused(case, "confirm_receipt", MERCHANT, at(1)).code == "transition_not_allowed"
    assert refused(case, "accept", BUYER, at(1)).code == "transition_not_allowed"


def test_accept_on_evidence_request_and_supply_on_other(make_case):
    case = make_case(category="fresh")
    negotiate(case, "no_seven_day_return_request_quality_evidence")
    assert refused(case, "accept", BUYER, at(2)).code == "transition_not_allowed"
    other = negotiated(lambda **kw: make_case(**kw))
    err = refused(other, "supply_evidence", BUYER, at(2), evidence=[ev("image")])
    assert err.code == "transition_not_allowed"


def test_max_negotiations_reached(make_case):
    case = negotiated(make_case, policy={"max_negotiations": 1})
    case.send("decline", actor=BUYER, at=at(2))
    err = refused(
        case,
        "negotiate",
        MERCHANT,
        at(3),
        negotiation_type="invite_cancel",
        reason="no_such_reason",
    )
    # The limit is a state matter and comes before the reason guard.
    assert err.code == "transition_not_allowed"


def test_escalate_after_deadline_finds_case_closed(make_case):
    case = make_case()
    case.send("reject", actor=MERCHANT, at=at(1))
    # Seven days pass with no sweeper: the escalation timer fires first, at its own due time.
    with pytest.raises(AftersalesError) as info:
        case.send("escalate", actor=BUYER, at=at(1, days=8))
    assert info.value.code == "transition_not_allowed"
    assert case.state == "closed" and case.events[-1].at == at(1, days=7)


def test_final_state_absorbs(make_case):
    case = make_case()
    case.send("withdraw", actor=BUYER, at=at(1))
    for event, actor in [("agree", MERCHANT), ("withdraw", BUYER), ("expire", SYSTEM)]:
        assert refused(case, event, actor, at(2)).code == "transition_not_allowed"


def test_expire_without_running_timer(make_case):
    case = make_case()
    case.send("intervene", actor=PLATFORM, at=at(1), data={"message": "m"})
    assert refused(case, "expire", SYSTEM, at(2)).code == "transition_not_allowed"


# -- guards ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "data"),
    [
        ({}, {"negotiation_type": "invite_cancel", "reason": "nope"}),
        ({}, {"negotiation_type": "request_evidence", "reason": "agreed_cancel"}),
        ({}, {"negotiation_type": "invite_cancel", "reason": "virtual_service_completed"}),
        ({}, {"negotiation_type": "invite_cancel", "reason": "no_seven_day_return_invite_cancel"}),
        (
            {"type": "return_refund"},
            {"negotiation_type": "request_evidence", "reason": "buyer_unreachable"},
        ),
        (
            {"category": "custom", "type": "return_refund"},
            {"negotiation_type": "modify_request", "reason": "refund_without_return", "amount": 1},
        ),
        (
            {"shipped": False},
            {"negotiation_type": "invite_cancel", "reason": "shipped_interception_failed"},
        ),
    ],
)
def test_reason_that_does_not_fit_is_invalid_reason(make_case, overrides, data):
    err = refused(
        make_case(**overrides), "negotiate", MERCHANT, at(1), evidence=[ev("image")], **data
    )
    assert (err.code, err.field) == ("invalid_reason", "reason")


def test_need_image_reason_without_media_is_evidence_required(make_case):
    err = refused(
        make_case(),
        "negotiate",
        MERCHANT,
        at(1),
        negotiation_type="invite_cancel",
        reason="agreed_cancel",
        evidence=[ev("reshipment_tracking")],
    )
    assert err.code == "evidence_required"


@pytest.mark.parametrize("amount", [0, -5, 10001])
def test_modify_amount_out_of_range(make_case, amount):
    err = refused(
        make_case(),
        "negotiate",
        MERCHANT,
        at(1),
        negotiation_type="modify_request",
        reason="agreed_new_plan",
        amount=amount,
        evidence=[ev("image")],
    )
    assert (err.code, err.field) == ("invalid_amount", "amount")


def test_modify_amount_only_must_lower_the_amount(make_case):
    err = refused(
        make_case(),
        "negotiate",
        MERCHANT,
        at(1),
        negotiation_type="modify_request",
        reason="modify_amount_only",
        amount=10000,
        evidence=[ev("image")],
    )
    assert err.code == "invalid_amount"


def test_ruling_amount_out_of_range(make_case):
    case = make_case()
    case.send("intervene", actor=PLATFORM, at=at(1), data={"message": "m"})
    err = refused(case, "rule", PLATFORM, at(2), outcome="buyer", amount=20000)
    assert err.code == "invalid_amount"


def test_supply_evidence_and_refund_offline_need_evidence(make_case):
    case = make_case(category="fresh")
    negotiate(case, "no_seven_day_return_request_quality_evidence")
    assert refused(case, "supply_evidence", BUYER, at(2)).code == "evidence_required"
    case.send("withdraw", actor=BUYER, at=at(2))
    failed = make_case()
    failed.send("agree", actor=MERCHANT, at=at(1))
    failed.send("refund_failed", actor=SYSTEM, at=at(2), data={"message": "bank rejected"})
    err = refused(failed, "refund_offline", MERCHANT, at(3), evidence=[ev("image")])
    assert err.code == "evidence_required"
    failed.send(
        "refund_offline", actor=MERCHANT, at=at(3), data={"evidence": [ev("payment_proof")]}
    )
    assert (failed.state, failed.refund_amount) == ("refunded", 10000)


def test_forbid_policy_codes(make_case):
    case = make_case(policy={"direct_rejection": "forbid"})
    assert refused(case, "reject", MERCHANT, at(1)).code == "negotiation_required"


# -- precedence (section 3): input, actor, state, guards ---------------------------------------


def test_check_order(make_case):
    case = make_case()
    case.send("withdraw", actor=BUYER, at=at(1))
    # Everything wrong at once: the input error wins...
    assert refused(case, "negotiate", BUYER, at(0), negotiation_type="x").code == "invalid_input"
    # ...then the actor, before the state...
    assert (
        refused(
            case, "negotiate", BUYER, at(2), negotiation_type="invite_cancel", reason="nope"
        ).code
        == "permission_denied"
    )
    # ...then the state, before the guards.
    err = refused(
        case, "negotiate", MERCHANT, at(2), negotiation_type="invite_cancel", reason="nope"
    )
    assert err.code == "transition_not_allowed"


def test_every_code_has_a_class_and_one_test_above():
    assert set(ERROR_CLASSES) == {
        "transition_not_allowed",
        "permission_denied",
        "evidence_required",
        "negotiation_required",
        "invalid_amount",
        "invalid_reason",
        "invalid_input",
        "limit_reached",  # tests/workflow/test_contract_v2.py
        "not_found",
        "conflict",
        # WeChat refused an outbound call (tests/wechat).
        "platform_error",
        # Not a refusal: the database failed (tested in tests/storage).
        "storage_unavailable",
    }
    assert issubclass(PermissionDenied, AftersalesError)


# -- idempotency -----------------------------------------------------------------------------


def test_repeated_command_id_returns_first_result(make_case):
    case = make_case()
    first = case.send("agree", actor=MERCHANT, at=at(1), command_id="cmd-1")
    again = case.send("agree", actor=MERCHANT, at=at(2), command_id="cmd-1")
    assert again is first and len(case.events) == 2

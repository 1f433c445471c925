"""Contract v2, section 11: one test (or a few) per amendment, named after it.

Each reads as the steps the parties take; where the spec was silent, the comment says what the
package chose.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from aftersales import AftersalesError, Case, open_case
from tests.support import BUYER, MERCHANT, PLATFORM, SYSTEM, at, ev, facts, negotiate


def refused(case: Case, event: str, actor, when, **data) -> AftersalesError:
    before = copy.copy(case.record)
    with pytest.raises(AftersalesError) as info:
        case.send(event, actor=actor, at=when, data=data)
    assert case.record == before
    return info.value


def v1(case: Case) -> Case:
    """The same case as the v1 release opened it: its opening notes no contract version."""
    return Case.reopen(replace(case.events[0], note={}))


def declined(case: Case) -> Case:
    """Fresh goods: the merchant asks for quality evidence (no image of its own), the buyer
    declines. A rejection now needs a media item."""
    negotiate(case, "no_seven_day_return_request_quality_evidence")
    case.send("decline", actor=BUYER, at=at(2))
    return case


def rejected_after_decline(make_case) -> Case:
    return declined(make_case(category="fresh", buyer_reason="quality_issue"))


# -- 11.1 facts --------------------------------------------------------------------------------


def test_facts_type_exchange_needs_shipped_goods():
    assert open_case(facts(type="exchange")).record.case_type == "exchange"
    with pytest.raises(AftersalesError) as info:
        open_case(facts(type="exchange", shipped=False))
    assert (info.value.code, info.value.field) == ("invalid_input", "shipped")


def test_facts_sku_count_received_used_platform_id_defaults():
    record = open_case(facts()).record
    assert (record.facts.sku_id, record.facts.count) == ("", 1)
    assert (record.facts.received, record.facts.used, record.facts.platform_id) == (
        False,
        False,
        None,
    )
    given = open_case(facts(sku_id="SKU-9", count=2, received=True, platform_id="WX1"))
    assert given.events[0].data["sku_id"] == "SKU-9" and given.record.facts.count == 2
    for bad, field in [({"count": 0}, "count"), ({"shipped": False, "received": True}, "received")]:
        with pytest.raises(AftersalesError) as info:
            open_case(facts(**bad))
        assert (info.value.code, info.value.field) == ("invalid_input", field)


# -- 11.2 states -------------------------------------------------------------------------------


def test_state_intercepting_with_its_interception_timer(make_case):
    case = make_case()
    case.send("intercept", actor=MERCHANT, at=at(1), data={"tracking": "SF1"})
    assert case.state == "intercepting" and case.timer.kind == "interception"
    assert case.timer.due == at(1, days=5)
    # Nothing heard from the carrier in five days: a failed interception, back to the merchant.
    case.fire_due_timers(at(1, days=5))
    assert case.state == "requested" and case.timer.kind == "merchant_response"


def test_state_return_lapsed_replaces_cancelled_after_the_return_timer(make_case):
    case = make_case(type="return_refund")
    case.send("agree", actor=MERCHANT, at=at(1))
    case.fire_due_timers(at(1, days=7))
    assert case.state == "return_lapsed" and not case.final
    assert case.timer.kind == "escalation" and case.timer.due == at(1, days=14)
    case.fire_due_timers(at(1, days=14))
    assert case.state == "cancelled"


def test_state_return_lapsed_under_contract_v1_still_cancels_at_once(make_case):
    case = v1(make_case(type="return_refund"))
    case.send("agree", actor=MERCHANT, at=at(1))
    case.fire_due_timers(at(1, days=7))
    assert case.state == "cancelled"


def test_state_exchange_shipped_and_exchanged(make_case):
    case = make_case(type="exchange", buyer_reason="quality_issue")
    case.send("agree", actor=MERCHANT, at=at(1))
    case.send("ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    assert case.state == "awaiting_receipt"
    assert refused(case, "confirm_receipt", MERCHANT, at(3)).code == "transition_not_allowed"
    case.send("reship", actor=MERCHANT, at=at(3), data={"tracking": "SF2"})
    assert case.state == "exchange_shipped" and case.timer.kind == "buyer_receipt"
    case.send("confirm_exchange", actor=BUYER, at=at(4))
    assert case.state == "exchanged" and case.final and case.refund_amount is None


def test_state_exchange_shipped_buyer_receipt_timer_completes_the_exchange(make_case):
    case = make_case(type="exchange")
    case.send("agree", actor=MERCHANT, at=at(1))
    case.send("ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    case.send("reship", actor=MERCHANT, at=at(3), data={"tracking": "SF2"})
    case.fire_due_timers(at(3, days=10))
    assert case.state == "exchanged"


def test_exchange_merchant_receipt_expiry_refunds(make_case):
    case = make_case(type="exchange")
    case.send("agree", actor=MERCHANT, at=at(1))
    case.send("ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    case.fire_due_timers(at(2, days=10))
    assert case.state == "refunding"
    case.send("refund_succeeded", actor=SYSTEM, at=at(2, days=11))
    assert (case.state, case.refund_amount) == ("refunded", 10000)


# -- 11.3 events -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["requested", "buyer_declined", "rejected"])
def test_event_modify_returns_the_case_to_the_merchant(make_case, where):
    case = make_case()
    if where == "buyer_declined":
        negotiate(case, "agreed_cancel", evidence=[ev("chat_record")])
        case.send("decline", actor=BUYER, at=at(2))
    if where == "rejected":
        case.send("reject", actor=MERCHANT, at=at(2))
    case.send("modify", actor=BUYER, at=at(3), data={"requested_amount": 6000})
    assert case.state == "requested" and case.path[-1] == "requested"
    # The merchant's 48 hours start afresh from the change (a modify in rejected also ends the
    # escalation window: the merchant decides again first).
    assert case.timer.kind == "merchant_response" and case.timer.due == at(3, days=2)
    case.send("agree", actor=MERCHANT, at=at(4))
    case.send("refund_succeeded", actor=SYSTEM, at=at(5))
    assert (case.state, case.refund_amount) == ("refunded", 6000)


def test_event_modify_follows_the_rules_of_open(make_case):
    case = make_case(shipped=False)
    assert refused(case, "modify", BUYER, at(1)).code == "invalid_input"  # changes nothing
    err = refused(case, "modify", BUYER, at(1), type="return_refund")
    assert (err.code, err.field) == ("invalid_input", "type")
    assert refused(case, "modify", BUYER, at(1), requested_amount=10001).code == "invalid_amount"


def test_event_intercept_only_for_a_shipped_unreceived_refund(make_case):
    for overrides in ({"received": True}, {"shipped": False}, {"type": "return_refund"}):
        case = make_case(**overrides)
        err = refused(case, "intercept", MERCHANT, at(1), tracking="SF1")
        assert err.code == "transition_not_allowed"
    assert refused(make_case(), "intercept", MERCHANT, at(1)).code == "invalid_input"


def test_event_intercept_succeeded_refunds_and_intercept_failed_returns(make_case):
    case = make_case()
    case.send("intercept", actor=MERCHANT, at=at(1), data={"tracking": "SF1"})
    case.send("intercept_succeeded", actor=SYSTEM, at=at(2))
    assert case.state == "refunding"
    other = make_case()
    other.send("intercept", actor=MERCHANT, at=at(1), data={"tracking": "SF1"})
    other.send("intercept_failed", actor=SYSTEM, at=at(2), data={"message": "delivered"})
    assert other.state == "requested"
    other.send("withdraw", actor=BUYER, at=at(3))
    assert other.state == "cancelled"


def test_event_reship_only_for_an_exchange(make_case):
    case = make_case(type="return_refund")
    case.send("agree", actor=MERCHANT, at=at(1))
    case.send("ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    err = refused(case, "reship", MERCHANT, at(3), tracking="SF2")
    assert err.code == "transition_not_allowed"


def test_event_close_from_any_non_final_state(make_case):
    case = make_case()
    case.send("intercept", actor=MERCHANT, at=at(1), data={"tracking": "SF1"})
    assert refused(case, "close", PLATFORM, at(2)).code == "invalid_input"  # message required
    case.send("close", actor=PLATFORM, at=at(2), data={"message": "customer service closed it"})
    assert case.state == "closed" and case.liability is None
    assert refused(case, "close", PLATFORM, at(3), message="again").code == (
        "transition_not_allowed"
    )


def test_event_escalate_and_withdraw_from_return_lapsed(make_case):
    case = make_case(type="return_refund")
    case.send("agree", actor=MERCHANT, at=at(1))
    case.fire_due_timers(at(1, days=7))
    case.send("escalate", actor=BUYER, at=at(1, days=8))
    assert case.state == "platform_intervention"
    # Nobody rejected: the assessment finds nothing against the merchant.
    case.send("rule", actor=PLATFORM, at=at(1, days=9))
    assert (case.state, case.liability) == ("closed", "buyer")
    other = make_case(type="return_refund")
    other.send("agree", actor=MERCHANT, at=at(1))
    other.fire_due_timers(at(1, days=7))
    other.send("withdraw", actor=BUYER, at=at(1, days=8))
    assert other.state == "cancelled"


def intervened(make_case) -> Case:
    case = make_case()
    case.send("reject", actor=MERCHANT, at=at(1))
    case.send("escalate", actor=BUYER, at=at(2))
    return case


@pytest.mark.parametrize(
    ("data", "state", "liability", "refund"),
    [
        ({"liability": "merchant"}, "refunding", "merchant", 10000),
        ({"liability": "merchant", "amount": 7000}, "refunding", "merchant", 7000),
        ({"liability": "both", "amount": 5000}, "refunding", "both", 5000),
        ({"liability": "buyer"}, "closed", "buyer", None),
        ({"liability": "none"}, "closed", "none", None),
        ({"liability": "none", "amount": 3000}, "refunding", "none", 3000),
        ({"outcome": "buyer"}, "refunding", "merchant", 10000),
        ({"outcome": "merchant"}, "closed", "buyer", None),
    ],
)
def test_event_rule_with_liability(make_case, data, state, liability, refund):
    case = intervened(make_case)
    case.send("rule", actor=PLATFORM, at=at(3), data=data)
    assert (case.state, case.liability, case.record.refund_due) == (state, liability, refund)
    if state == "refunding":
        case.send("refund_succeeded", actor=SYSTEM, at=at(4))
        expected = "partially_refunded" if refund < 10000 else "refunded"
        assert (case.state, case.refund_amount) == (expected, refund)
    # The direct rejection's assessment is recorded whatever the platform decided.
    rule = case.events[3]
    assert rule.note["assessment"]["rules"] == ["R1_direct_rejection"]
    assert rule.note["disagrees"] == (liability != "merchant")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"liability": "both"}, "invalid_input"),  # both needs an amount
        ({"liability": "both", "amount": 10000}, "invalid_amount"),  # ...below the request
        ({"liability": "buyer", "amount": 100}, "invalid_input"),
        ({"outcome": "merchant", "amount": 100}, "invalid_input"),
        ({"outcome": "buyer", "liability": "merchant"}, "invalid_input"),
        ({"liability": "merchant", "amount": 10001}, "invalid_amount"),
        ({"liability": "guilty"}, "invalid_input"),
    ],
)
def test_event_rule_refusals(make_case, data, code):
    assert refused(intervened(make_case), "rule", PLATFORM, at(3), **data).code == code


def test_event_rule_amount_without_a_party_when_the_assessment_holds_the_buyer(make_case):
    case = rejected_after_decline(make_case)
    case.send("reject", actor=MERCHANT, at=at(3), data={"evidence": [ev("image")]})
    case.send("escalate", actor=BUYER, at=at(4))
    # Defensible: the assessment holds the buyer; a bare amount would refund nobody's fault.
    err = refused(case, "rule", PLATFORM, at(5), amount=2000)
    assert (err.code, err.field) == ("invalid_input", "amount")


# -- 11.3 the application limit ------------------------------------------------------------------


def test_max_applications_counts_the_opening_and_every_modify(make_case):
    case = make_case()
    for hours in range(1, 5):  # the opening was the first application; four changes follow
        case.send("modify", actor=BUYER, at=at(hours), data={"requested_amount": 9000 - hours})
    assert case.record.application_count == 5
    err = refused(case, "modify", BUYER, at(6), requested_amount=5000)
    assert (err.code, err.field) == ("limit_reached", "max_applications")


def test_max_applications_policy_and_prior_applications():
    case = open_case(facts(), policy={"max_applications": 2})
    case.send("modify", actor=BUYER, at=at(1), data={"buyer_reason": "quality_issue"})
    assert refused(case, "modify", BUYER, at(2), buyer_reason="other").code == "limit_reached"
    # A store tells a new case how many applications the product line already used.
    assert Case.open(facts(), prior_applications=4).record.application_count == 5
    with pytest.raises(AftersalesError) as info:
        Case.open(facts(), prior_applications=5)
    assert info.value.code == "limit_reached"


# -- 11.4 negotiation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "fits"),
    [
        ({}, True),  # shipped, not yet received
        ({"received": True, "buyer_reason": "no_reason"}, True),  # personal reason
        ({"received": True, "buyer_reason": "other"}, True),
        ({"received": True, "buyer_reason": "quality_issue"}, False),  # ask for evidence instead
        ({"shipped": False}, False),
    ],
)
def test_no_seven_day_return_invite_cancel_needs_shipped_and_unreceived_or_personal(
    make_case, overrides, fits
):
    case = make_case(category="fresh", **({"buyer_reason": "quality_issue"} | overrides))
    data = {"negotiation_type": "invite_cancel", "reason": "no_seven_day_return_invite_cancel"}
    if fits:
        case.send("negotiate", actor=MERCHANT, at=at(1), data=data)
        assert case.state == "negotiating"
    else:
        assert refused(case, "negotiate", MERCHANT, at(1), **data).code == "invalid_reason"


def test_no_seven_day_return_invite_cancel_follows_a_buyer_modify(make_case):
    case = make_case(category="fresh", received=True, buyer_reason="quality_issue")
    case.send("modify", actor=BUYER, at=at(1), data={"buyer_reason": "no_reason"})
    negotiate(case, "no_seven_day_return_invite_cancel", hours=2)
    assert case.state == "negotiating"


@pytest.mark.parametrize(
    "reason", ["no_seven_day_return_invite_cancel", "no_seven_day_return_request_quality_evidence"]
)
def test_supported_until_used_virtual_goods_need_used(make_case, reason):
    unused = make_case(category="virtual")
    err = refused(
        unused, "negotiate", MERCHANT, at(1), negotiation_type=_type(reason), reason=reason
    )
    assert err.code == "invalid_reason"
    used = make_case(category="virtual", used=True)
    negotiate(used, reason)
    assert used.state == "negotiating"


def _type(reason: str) -> str:
    return "invite_cancel" if reason.endswith("invite_cancel") else "request_evidence"


def test_new_type_moves_between_all_three_types(make_case):
    case = make_case()
    negotiate(
        case,
        "agreed_new_plan",
        amount=10000,
        new_type="exchange",
        evidence=[ev("chat_record")],
    )
    case.send("accept", actor=BUYER, at=at(2))
    assert (case.state, case.record.case_type) == ("awaiting_return", "exchange")
    unshipped = make_case(shipped=False)
    err = refused(
        unshipped,
        "negotiate",
        MERCHANT,
        at(1),
        negotiation_type="modify_request",
        reason="agreed_new_plan",
        amount=10000,
        new_type="exchange",
        evidence=[ev("chat_record")],
    )
    assert (err.code, err.field) == ("invalid_input", "new_type")


# -- 11.5 and 11.6 rejection and liability -------------------------------------------------------


def _escalated_without_evidence(case: Case) -> Case:
    case.send("reject", actor=MERCHANT, at=at(3))
    assert case.events[-1].note["findings"] == ["R2_missing_evidence"]
    case.send("escalate", actor=BUYER, at=at(4))
    return case


def test_evidence_submitted_during_the_intervention_cures_missing_evidence(make_case):
    case = _escalated_without_evidence(rejected_after_decline(make_case))
    case.send("demand_evidence", actor=PLATFORM, at=at(5))
    case.send("submit_evidence", actor=MERCHANT, at=at(6), data={"evidence": [ev("image")]})
    assert case.assess().rules == ("R4_defensible",)
    case.send("rule", actor=PLATFORM, at=at(7))
    assert (case.state, case.liability) == ("closed", "buyer")


def test_evidence_submitted_under_contract_v1_leaves_missing_evidence(make_case):
    case = _escalated_without_evidence(declined(v1(make_case(category="fresh"))))
    case.send("submit_evidence", actor=MERCHANT, at=at(6), data={"evidence": [ev("image")]})
    assert case.assess().rules == ("R2_missing_evidence",)


def test_submitted_evidence_never_cures_a_direct_rejection(make_case):
    case = make_case()
    case.send("reject", actor=MERCHANT, at=at(1))
    case.send("escalate", actor=BUYER, at=at(2))
    case.send("submit_evidence", actor=MERCHANT, at=at(3), data={"evidence": [ev("image")]})
    assert case.assess().rules == ("R1_direct_rejection",)


def test_evidence_timeout_still_holds_when_the_demand_lapsed_first(make_case):
    case = _escalated_without_evidence(rejected_after_decline(make_case))
    case.send("demand_evidence", actor=PLATFORM, at=at(5))
    case.fire_due_timers(at(5, days=2))
    case.send("submit_evidence", actor=MERCHANT, at=at(6, days=2), data={"evidence": [ev("image")]})
    # Late evidence covers the rejection, but the lapsed demand stands.
    assert case.assess().rules == ("R3_evidence_timeout",)


def test_the_assessment_judges_the_last_rejection(make_case):
    case = make_case()
    case.send("reject", actor=MERCHANT, at=at(1))  # direct: R1
    case.send("modify", actor=BUYER, at=at(2), data={"requested_amount": 8000})
    assert case.record.rejection is None  # the buyer's change asks for a fresh decision
    negotiate(case, "buyer_unreachable", hours=3, evidence=[ev("image")])
    case.send("decline", actor=BUYER, at=at(4))
    case.send("reject", actor=MERCHANT, at=at(5), data={"evidence": [ev("chat_record")]})
    case.send("escalate", actor=BUYER, at=at(6))
    assert case.assess().rules == ("R4_defensible",)


@pytest.mark.parametrize(
    ("overrides", "rules"),
    [
        ({}, ("R2_missing_evidence",)),  # ordinary goods: judged by evidence alone
        ({"category": "fresh"}, ("R1_direct_rejection",)),
        ({"category": "virtual"}, ("R1_direct_rejection",)),
        ({"seven_day_return": "not_supported"}, ("R1_direct_rejection",)),
    ],
)
def test_direct_rejection_scope_special_goods(overrides, rules):
    case = open_case(facts(**overrides), policy={"direct_rejection_scope": "special_goods"})
    case.send("reject", actor=MERCHANT, at=at(1))
    assert tuple(case.events[-1].note["findings"]) == rules
    proven = open_case(facts(), policy={"direct_rejection_scope": "special_goods"})
    proven.send("reject", actor=MERCHANT, at=at(1), data={"evidence": [ev("shipping_proof")]})
    assert proven.events[-1].note["defensible"] is True


def test_direct_rejection_scope_special_goods_with_forbid():
    policy = {"direct_rejection_scope": "special_goods", "direct_rejection": "forbid"}
    ordinary = open_case(facts(), policy=policy)
    assert refused(ordinary, "reject", MERCHANT, at(1)).code == "evidence_required"
    fresh = open_case(facts(category="fresh"), policy=policy)
    assert refused(fresh, "reject", MERCHANT, at(1)).code == "negotiation_required"


def test_rejecting_an_exchange_in_receipt_is_refusing_to_reship(make_case):
    case = make_case(type="exchange")
    case.send("agree", actor=MERCHANT, at=at(1))
    case.send("ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    reship_refused = case.would("reject", MERCHANT, data={"evidence": [ev("reshipment_tracking")]})
    assert reship_refused.risk == ("R2_missing_evidence",)  # needs media counter-evidence
    case.send("reject", actor=MERCHANT, at=at(3), data={"evidence": [ev("image")]})
    assert case.state == "rejected" and case.events[-1].note["defensible"] is True


# -- 11.7 policy, 11.8 errors ---------------------------------------------------------------


def test_policy_new_keys_and_their_defaults():
    policy = open_case(facts()).record.policy
    assert (policy.interception.days, policy.buyer_receipt.days) == (5, 10)
    assert (policy.max_applications, policy.direct_rejection_scope) == (5, "all")


def test_command_id_reused_for_another_command_is_conflict(make_case):
    case = make_case()
    first = case.send(
        "modify", actor=BUYER, at=at(1), data={"requested_amount": 5000}, command_id="k"
    )
    assert (
        case.send("modify", actor=BUYER, at=at(2), data={"requested_amount": 5000}, command_id="k")
        is first
    )
    for event, actor, data in [
        ("modify", BUYER, {"requested_amount": 4000}),  # other data
        ("withdraw", BUYER, {}),  # another event
    ]:
        err = refused_with_id(case, event, actor, data, "k")
        assert (err.code, err.field) == ("conflict", "command_id")
    assert len(case.events) == 2


def refused_with_id(case: Case, event, actor, data, command_id) -> AftersalesError:
    with pytest.raises(AftersalesError) as info:
        case.send(event, actor=actor, at=at(3), data=data, command_id=command_id)
    return info.value


# -- 11.9 histories --------------------------------------------------------------------------


def test_every_event_record_carries_its_origin(make_case):
    case = make_case()
    local = case.send("agree", actor=MERCHANT, at=at(1))
    learned = case.send("refund_succeeded", actor=SYSTEM, at=at(2), origin="platform")
    assert (case.events[0].origin, local.origin, learned.origin) == ("local", "local", "platform")
    with pytest.raises(AftersalesError) as info:
        make_case().send("agree", actor=MERCHANT, at=at(1), origin="console")
    assert (info.value.code, info.value.field) == ("invalid_input", "origin")

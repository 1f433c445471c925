"""The merchant guide's three scenarios, each on its recommended path and on a direct rejection.

Each test reads as the steps a customer-service agent takes in the merchant console.
"""

from __future__ import annotations

import pytest

from aftersales import EvidenceRequired, NegotiationRequired
from tests.support import BUYER, MERCHANT, PLATFORM, SYSTEM, at, ev


def _rule_after_escalation(case, hours: float) -> None:
    case.send("escalate", actor=BUYER, at=at(hours))
    case.send("rule", actor=PLATFORM, at=at(hours + 1))


# -- Scenario 1: virtual goods already served (虚拟商品已完成服务) -----------------------------


def test_virtual_served_invite_cancel_buyer_cancels(make_case):
    case = make_case(category="virtual", paid_amount=19900, requested_amount=19900)
    # The merchant invites the buyer to cancel, with proof the service was completed.
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={
            "negotiation_type": "invite_cancel",
            "reason": "virtual_service_completed",
            "evidence": [ev("service_completion_proof")],
        },
    )
    # The buyer accepts: the case is cancelled at once through the transient buyer_accepted.
    case.send("accept", actor=BUYER, at=at(2))
    assert case.path == ["requested", "negotiating", "buyer_accepted", "cancelled"]
    assert case.final and case.refund_amount is None and case.liability is None


def test_virtual_partly_served_partial_refund(make_case):
    case = make_case(category="virtual", paid_amount=19900, requested_amount=19900)
    # Half the course was taken: the merchant proposes a partial refund of the rest.
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={
            "negotiation_type": "modify_request",
            "reason": "modify_amount_only",
            "amount": 9950,
            "evidence": [ev("chat_record")],
        },
    )
    case.send("accept", actor=BUYER, at=at(2))
    assert case.state == "refunding"
    case.send("refund_succeeded", actor=SYSTEM, at=at(3))
    assert case.state == "partially_refunded"
    assert case.refund_amount == 9950


def test_virtual_buyer_times_out_then_defensible_rejection(make_case):
    case = make_case(category="virtual")
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={
            "negotiation_type": "invite_cancel",
            "reason": "virtual_service_completed",
            "evidence": [ev("service_completion_proof")],
        },
    )
    # The buyer lets the 48 h answer window pass; the merchant rejects with the chat record too.
    case.send("reject", actor=MERCHANT, at=at(50), data={"evidence": [ev("chat_record", "m-2")]})
    assert case.path[-2:] == ["buyer_timed_out", "rejected"]
    assert case.events[-1].note == {"defensible": True, "findings": []}
    _rule_after_escalation(case, 60)
    assert (case.state, case.liability, case.liability_rules) == (
        "closed",
        "buyer",
        ("R4_defensible",),
    )


def test_virtual_rejection_without_chat_record_is_merchant_liable(make_case):
    case = make_case(category="virtual")
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={
            "negotiation_type": "invite_cancel",
            "reason": "virtual_service_completed",
            "evidence": [ev("service_completion_proof")],
        },
    )
    case.send("decline", actor=BUYER, at=at(2))
    case.send("reject", actor=MERCHANT, at=at(3), data={"evidence": [ev("image")]})
    _rule_after_escalation(case, 4)
    assert case.liability == "merchant"
    assert case.liability_rules == ("R2_missing_evidence",)
    assert case.state == "refunding" and case.record.refund_due == 10000


def test_virtual_direct_rejection_makes_merchant_liable(make_case):
    case = make_case(category="virtual")
    # The wrong way: rejecting at once because "virtual goods have no seven-day return".
    case.send(
        "reject", actor=MERCHANT, at=at(1), data={"evidence": [ev("service_completion_proof")]}
    )
    assert case.events[-1].note["findings"] == ["R1_direct_rejection"]
    _rule_after_escalation(case, 2)
    assert case.liability == "merchant"
    assert case.liability_rules == ("R1_direct_rejection",)
    case.send("refund_succeeded", actor=SYSTEM, at=at(4))
    assert case.state == "refunded" and case.refund_amount == 10000


# -- Scenario 2: fresh food, plants, custom goods without seven-day return -------------------


@pytest.mark.parametrize("category", ["fresh", "plants", "custom"])
def test_no_seven_day_return_invite_cancel(make_case, category):
    case = make_case(category=category)
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={"negotiation_type": "invite_cancel", "reason": "no_seven_day_return_invite_cancel"},
    )
    case.send("accept", actor=BUYER, at=at(5))
    assert case.state == "cancelled"


def _request_quality_evidence(case) -> None:
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={
            "negotiation_type": "request_evidence",
            "reason": "no_seven_day_return_request_quality_evidence",
        },
    )
    # The buyer answers with photos of the spoiled goods.
    case.send("supply_evidence", actor=BUYER, at=at(3), data={"evidence": [ev("image", "b-1")]})
    assert case.state == "evidence_supplied"


def test_fresh_quality_evidence_then_full_refund(make_case):
    case = make_case(category="fresh", paid_amount=5800, requested_amount=5800)
    _request_quality_evidence(case)
    case.send("agree", actor=MERCHANT, at=at(4))
    case.send("refund_succeeded", actor=SYSTEM, at=at(5))
    assert (case.state, case.refund_amount) == ("refunded", 5800)


def test_fresh_partial_damage_partial_refund(make_case):
    case = make_case(category="fresh", paid_amount=5800, requested_amount=5800)
    _request_quality_evidence(case)
    # Two of six peaches were bruised: the merchant offers a third back.
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(4),
        data={
            "negotiation_type": "modify_request",
            "reason": "modify_amount_only",
            "amount": 1933,
            "evidence": [ev("image")],
        },
    )
    case.send("accept", actor=BUYER, at=at(5))
    case.send("refund_succeeded", actor=SYSTEM, at=at(6))
    assert (case.state, case.refund_amount) == ("partially_refunded", 1933)


def test_plants_refund_without_return(make_case):
    case = make_case(category="plants", type="return_refund")
    # A return of a living plant helps nobody: offer a refund without sending it back.
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={
            "negotiation_type": "modify_request",
            "reason": "refund_without_return",
            "amount": 10000,
        },
    )
    case.send("accept", actor=BUYER, at=at(2))
    assert case.path[-2:] == ["buyer_accepted", "refunding"]
    assert case.record.case_type == "refund"


def test_custom_counter_evidence_rejection_is_defensible(make_case):
    case = make_case(category="custom")
    _request_quality_evidence(case)
    # The photos show wear, not a defect: the merchant rejects with counter-evidence.
    case.send("reject", actor=MERCHANT, at=at(4), data={"evidence": [ev("video", "m-9")]})
    case.send("escalate", actor=BUYER, at=at(5))
    case.send("rule", actor=PLATFORM, at=at(6))
    assert (case.state, case.liability) == ("closed", "buyer")


def test_fresh_direct_rejection_merchant_liable_and_forbidden_by_policy(make_case):
    liable = make_case(category="fresh")
    liable.send("reject", actor=MERCHANT, at=at(1), data={"reject_reason": "生鲜不支持七天无理由"})
    _rule_after_escalation(liable, 2)
    assert liable.liability == "merchant"

    forbid = make_case(category="fresh", policy={"direct_rejection": "forbid"})
    with pytest.raises(NegotiationRequired):
        forbid.send("reject", actor=MERCHANT, at=at(1), data={"evidence": [ev("image")]})
    assert forbid.state == "requested" and len(forbid.events) == 1


# -- Scenario 3: cancellation agreed offline (协商一致取消售后) --------------------------------


def _invite_agreed_cancel(case, evidence) -> None:
    case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={"negotiation_type": "invite_cancel", "reason": "agreed_cancel", "evidence": evidence},
    )


def test_agreed_cancel_buyer_cancels(make_case):
    case = make_case()
    _invite_agreed_cancel(case, [ev("chat_record")])
    case.send("accept", actor=BUYER, at=at(2))
    assert case.state == "cancelled"


@pytest.mark.parametrize("proof", ["chat_record", "reshipment_tracking", "payment_proof"])
def test_agreed_cancel_declined_rejection_with_proof_is_defensible(make_case, proof):
    case = make_case()
    # The negotiation itself needs an image; the proof may come with the rejection.
    _invite_agreed_cancel(case, [ev("image")])
    case.send("decline", actor=BUYER, at=at(2))
    case.send("reject", actor=MERCHANT, at=at(3), data={"evidence": [ev(proof, "p-1")]})
    _rule_after_escalation(case, 4)
    assert (case.state, case.liability) == ("closed", "buyer")


def test_agreed_cancel_rejection_without_proof_merchant_liable(make_case):
    case = make_case()
    _invite_agreed_cancel(case, [ev("image")])
    case.send("decline", actor=BUYER, at=at(2))
    case.send("reject", actor=MERCHANT, at=at(3), data={"evidence": [ev("shipping_proof")]})
    _rule_after_escalation(case, 4)
    assert (case.liability, case.liability_rules) == ("merchant", ("R2_missing_evidence",))


def test_agreed_cancel_forbid_policy_refuses_rejection_without_proof(make_case):
    case = make_case(policy={"direct_rejection": "forbid"})
    _invite_agreed_cancel(case, [ev("image")])
    case.send("decline", actor=BUYER, at=at(2))
    with pytest.raises(EvidenceRequired):
        case.send("reject", actor=MERCHANT, at=at(3))
    assert case.state == "buyer_declined"

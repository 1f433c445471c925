"""Asking before acting: the verdicts come from the same checks as the commands."""

from __future__ import annotations

from tests.support import BUYER, MERCHANT, at, ev, negotiate


def test_direct_rejection_is_allowed_but_risky(make_case):
    verdict = make_case().allowed(MERCHANT)["reject"]
    assert (verdict.allowed, verdict.state_after) == (True, "rejected")
    assert (verdict.defensible, verdict.risk) == (False, ("R1_direct_rejection",))


def test_forbid_policy_verdict_carries_the_refusal_and_the_risk(make_case):
    verdict = make_case(policy={"direct_rejection": "forbid"}).would("reject", MERCHANT)
    assert (verdict.allowed, verdict.code) == (False, "negotiation_required")
    assert verdict.risk == ("R1_direct_rejection",)


def test_rejection_after_negotiation_depends_on_the_evidence(make_case):
    case = make_case(category="virtual")
    negotiate(case, "virtual_service_completed", evidence=[ev("service_completion_proof")])
    case.send("decline", actor=BUYER, at=at(2))
    bare = case.would("reject", MERCHANT)
    assert (bare.allowed, bare.defensible, bare.risk) == (True, False, ("R2_missing_evidence",))
    proven = case.would("reject", MERCHANT, data={"evidence": [ev("chat_record")]})
    assert (proven.defensible, proven.risk) == (True, ())
    assert case.state == "buyer_declined" and len(case.events) == 3  # nothing was sent


def test_no_risk_is_claimed_where_rejection_is_not_possible(make_case):
    case = make_case()
    case.send("withdraw", actor=BUYER, at=at(1))
    verdict = case.would("reject", MERCHANT)
    assert (verdict.allowed, verdict.code, verdict.defensible) == (
        False,
        "transition_not_allowed",
        None,
    )


def test_verdicts_fire_due_timers_on_the_copy_only(make_case):
    case = make_case()
    case.send("reject", actor=MERCHANT, at=at(1))
    late = case.would("escalate", BUYER, at=at(1, days=8))
    assert (late.allowed, late.code) == (False, "transition_not_allowed")
    assert case.state == "rejected"
    assert case.would("escalate", BUYER, at=at(2)).state_after == "platform_intervention"

"""When ``refund_amount`` is set, as docs/concepts/embedding.md says: once the money has moved,
to the amount due; never for a case that ends without a refund."""

from __future__ import annotations

from tests.support import BUYER, MERCHANT, SYSTEM, at, ev


def test_none_while_refunding_then_the_agreed_amount(make_case):
    case = make_case(category="virtual", paid_amount=19900, requested_amount=19900)
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
    assert (case.state, case.refund_amount) == ("refunding", None)
    case.send("refund_succeeded", actor=SYSTEM, at=at(3))
    assert (case.state, case.refund_amount) == ("partially_refunded", 9950)


def test_the_requested_amount_when_the_merchant_agrees(make_case):
    case = make_case()
    case.send("agree", actor=MERCHANT, at=at(1))
    assert case.refund_amount is None
    case.send("refund_succeeded", actor=SYSTEM, at=at(2))
    assert (case.state, case.refund_amount) == ("refunded", 10000)


def test_an_offline_refund_after_a_failed_one(make_case):
    case = make_case()
    case.send("agree", actor=MERCHANT, at=at(1))
    case.send("refund_failed", actor=SYSTEM, at=at(2))
    assert case.refund_amount is None
    case.send(
        "refund_offline",
        actor=MERCHANT,
        at=at(3),
        data={"evidence": [ev("refund_certificate")]},
    )
    assert (case.state, case.refund_amount) == ("refunded", 10000)


def test_none_for_a_case_that_ends_without_a_refund(make_case):
    case = make_case()
    case.send("withdraw", actor=BUYER, at=at(1))
    assert case.final and case.refund_amount is None

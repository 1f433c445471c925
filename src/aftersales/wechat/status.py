"""Our states and WeChat's after-sale statuses, both ways. One table, data.

All 22 statuses of the after-sale order (``getaftersaleorder.status`` and the
``channels_ec_aftersale_update`` notification) are here. WeChat's names stay at this edge.
"""

from __future__ import annotations

from typing import Final

from ..workflow.vocabulary import MERCHANT_TURN

STATUSES: Final[dict[str, tuple[str, ...]]] = {
    "MERCHANT_PROCESSING": MERCHANT_TURN,
    "USER_WAIT_CONFIRM_UPDATE": ("negotiating",),
    "WAIT_PACKAGE_INTERCEPT": ("intercepting",),
    "MERCHANT_REJECT_REFUND": ("rejected",),
    "MERCHANT_REJECT_RETURN": ("rejected",),
    "MERCHANT_REJECT_EXCHANGE": ("rejected",),
    "MERCHANT_REJECT_RESHIP": ("rejected",),
    "USER_WAIT_RETURN": ("awaiting_return",),
    "RETURN_CLOSED": ("return_lapsed",),
    "MERCHANT_WAIT_RECEIPT": ("awaiting_receipt",),
    "PLATFORM_REFUNDING": ("refunding",),
    "PLATFORM_REFUND_FAIL": ("refund_failed",),
    "MERCHANT_OVERDUE_REFUND": ("refund_failed",),
    "USER_WAIT_CONFIRM": ("refund_failed", "refunded", "partially_refunded"),
    "MERCHANT_REFUND_SUCCESS": ("refunded", "partially_refunded"),
    "MERCHANT_RETURN_SUCCESS": ("refunded", "partially_refunded"),
    "USER_WAIT_RECEIPT": ("exchange_shipped",),
    "MERCHANT_EXCHANGE_SUCCESS": ("exchanged",),
    "USER_CANCELD": ("cancelled",),  # sic: the platform's spelling
    "MERCHANT_FAIL": ("closed",),
    "MERCHANT_REFUND_RETRY_FAIL": ("closed",),
    "USER_WAIT_HANDLE_MERCHANT_AFTER_SALE": (),
}
"""Each WeChat status and the states of ours it can mean. ``USER_WAIT_CONFIRM`` (the merchant
uploaded an offline refund's certificate, the buyer has yet to confirm it) is not final: a case
still in ``refund_failed`` stays there until WeChat shows the refund done.
``USER_WAIT_HANDLE_MERCHANT_AFTER_SALE`` (an after-sale the merchant opened for the buyer) is not
modelled: meeting it is a divergence.
``buyer_accepted`` (transient) and ``platform_intervention`` (a dispute order of its own) have no
after-sale status. Where several statuses can mean one state, the first listed is the one a case
in that state shows, unless its case type decides (see :func:`status_for`)."""

NOT_MODELLED: Final = frozenset({"USER_WAIT_HANDLE_MERCHANT_AFTER_SALE"})

_REJECTED: Final = {
    "refund": "MERCHANT_REJECT_REFUND",
    "return_refund": "MERCHANT_REJECT_RETURN",
    "exchange": "MERCHANT_REJECT_EXCHANGE",
}
_SUCCESS: Final = {"refund": "MERCHANT_REFUND_SUCCESS", "return_refund": "MERCHANT_RETURN_SUCCESS"}
_SHOWN: Final = {
    state: next(status for status, states in STATUSES.items() if state in states)
    for state in dict.fromkeys(state for states in STATUSES.values() for state in states)
}
"""The status a case in each state shows when its case type does not decide: the first listed."""


def status_for(state: str, case_type: str, rejected_from: str | None = None) -> str | None:
    """WeChat's status for a case in ``state`` of ``case_type`` (``None`` where it has none).

    ``rejected_from`` is the state a rejection was made in: an exchange rejected in
    ``awaiting_receipt`` is the merchant refusing to ship the replacement.
    """
    if state == "rejected":
        if case_type == "exchange" and rejected_from == "awaiting_receipt":
            return "MERCHANT_REJECT_RESHIP"
        return _REJECTED.get(case_type)
    if state in ("refunded", "partially_refunded"):
        return _SUCCESS.get(case_type, "MERCHANT_REFUND_SUCCESS")
    return _SHOWN.get(state)


def states_for_status(status: str) -> frozenset[str]:
    """Every state of ours WeChat's ``status`` can mean; empty for a status not modelled or not
    known (the platform adds values: callers record those as divergences, never fail)."""
    return frozenset(STATUSES.get(status, ()))


def is_known(status: str) -> bool:
    """Whether ``status`` is one of WeChat's statuses this table knows."""
    return status in STATUSES

"""Our states and WeChat's after-sale statuses, both ways (spec section 10.2). One table, data.

All 22 statuses of the after-sale order (``getaftersaleorder.status`` and the
``channels_ec_aftersale_update`` notification) are here. WeChat's names stay at this edge.
"""

from __future__ import annotations

from typing import Final

STATUSES: Final[dict[str, tuple[str, ...]]] = {
    "MERCHANT_PROCESSING": ("requested", "buyer_declined", "buyer_timed_out", "evidence_supplied"),
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
    "USER_WAIT_CONFIRM": ("refunded", "partially_refunded"),
    "MERCHANT_REFUND_SUCCESS": ("refunded", "partially_refunded"),
    "MERCHANT_RETURN_SUCCESS": ("refunded", "partially_refunded"),
    "USER_WAIT_RECEIPT": ("exchange_shipped",),
    "MERCHANT_EXCHANGE_SUCCESS": ("exchanged",),
    "USER_CANCELD": ("cancelled",),  # sic: the platform's spelling
    "MERCHANT_FAIL": ("closed",),
    "MERCHANT_REFUND_RETRY_FAIL": ("closed",),
    "USER_WAIT_HANDLE_MERCHANT_AFTER_SALE": (),
}
"""Each WeChat status and the states of ours it can mean. ``USER_WAIT_HANDLE_MERCHANT_AFTER_SALE``
(an after-sale the merchant opened for the buyer) is not modelled: meeting it is a divergence.
``buyer_accepted`` (transient) and ``platform_intervention`` (a dispute order of its own) have no
after-sale status."""

NOT_MODELLED: Final = frozenset({"USER_WAIT_HANDLE_MERCHANT_AFTER_SALE"})

_REJECTED: Final = {
    "refund": "MERCHANT_REJECT_REFUND",
    "return_refund": "MERCHANT_REJECT_RETURN",
    "exchange": "MERCHANT_REJECT_EXCHANGE",
}
_SUCCESS: Final = {"refund": "MERCHANT_REFUND_SUCCESS", "return_refund": "MERCHANT_RETURN_SUCCESS"}
_STATUS_OF: Final = {
    "negotiating": "USER_WAIT_CONFIRM_UPDATE",
    "intercepting": "WAIT_PACKAGE_INTERCEPT",
    "awaiting_return": "USER_WAIT_RETURN",
    "return_lapsed": "RETURN_CLOSED",
    "awaiting_receipt": "MERCHANT_WAIT_RECEIPT",
    "refunding": "PLATFORM_REFUNDING",
    "refund_failed": "PLATFORM_REFUND_FAIL",
    "exchange_shipped": "USER_WAIT_RECEIPT",
    "exchanged": "MERCHANT_EXCHANGE_SUCCESS",
    "cancelled": "USER_CANCELD",
    "closed": "MERCHANT_FAIL",
}
"""The status a case in one of these states shows; the other states are decided below."""


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
    if state in STATUSES["MERCHANT_PROCESSING"]:
        return "MERCHANT_PROCESSING"
    return _STATUS_OF.get(state)


def states_for_status(status: str) -> frozenset[str]:
    """Every state of ours WeChat's ``status`` can mean; empty for a status not modelled or not
    known (the platform adds values: callers record those as divergences, never fail)."""
    return frozenset(STATUSES.get(status, ()))


def is_known(status: str) -> bool:
    """Whether ``status`` is one of WeChat's statuses this table knows."""
    return status in STATUSES

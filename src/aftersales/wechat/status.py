"""Our states and WeChat's after-sale status strings, both ways. One table, data only."""

from __future__ import annotations

from typing import Final

from ..workflow.errors import InvalidInput

# (state, case type or None for both) -> WeChat status
STATUS_BY_STATE: Final[dict[tuple[str, str | None], str]] = {
    ("requested", None): "MERCHANT_PROCESSING",
    ("buyer_declined", None): "MERCHANT_PROCESSING",
    ("buyer_timed_out", None): "MERCHANT_PROCESSING",
    ("evidence_supplied", None): "MERCHANT_PROCESSING",
    ("negotiating", None): "USER_WAIT_CONFIRM_UPDATE",
    ("awaiting_return", None): "USER_WAIT_RETURN",
    ("awaiting_receipt", None): "MERCHANT_WAIT_RECEIPT",
    ("refunding", None): "PLATFORM_REFUNDING",
    ("refund_failed", None): "PLATFORM_REFUND_FAIL",
    ("rejected", "refund"): "MERCHANT_REJECT_REFUND",
    ("rejected", "return_refund"): "MERCHANT_REJECT_RETURN",
    ("cancelled", None): "USER_CANCELD",  # sic: the platform's spelling
    ("refunded", "refund"): "MERCHANT_REFUND_SUCCESS",
    ("refunded", "return_refund"): "MERCHANT_RETURN_SUCCESS",
    ("partially_refunded", None): "MERCHANT_REFUND_SUCCESS",
    ("closed", None): "MERCHANT_FAIL",
}
"""Where WeChat has no status of ours (``buyer_accepted`` is transient, ``platform_intervention``
is a dispute order of its own) there is no entry."""


def status_for(state: str, case_type: str) -> str | None:
    """WeChat's status for a case in ``state`` of ``case_type`` (``None`` where it has none)."""
    return STATUS_BY_STATE.get((state, case_type), STATUS_BY_STATE.get((state, None)))


def states_for_status(status: str) -> frozenset[str]:
    """Every state of ours that WeChat's ``status`` can mean."""
    states = frozenset(state for (state, _), known in STATUS_BY_STATE.items() if known == status)
    if not states:
        raise InvalidInput(
            f"Unknown WeChat after-sale status {status!r}.",
            f"未知的微信售后单状态 {status!r}。",
            "status",
        )
    return states

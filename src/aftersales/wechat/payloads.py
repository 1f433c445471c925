"""Bodies of WeChat Shop after-sales API calls built from our cases, and platform replies read
back into our error codes."""

from __future__ import annotations

from typing import Any, Final

from ..workflow.case import Case
from ..workflow.errors import (
    AftersalesError,
    InvalidInput,
    NegotiationRequired,
    TransitionNotAllowed,
)
from ..workflow.reasons import catalog
from ..workflow.record import EventRecord

CASE_TYPE_CODES: Final = {"refund": 1, "return_refund": 2}
NEGOTIATION_TYPE_CODES: Final = {"invite_cancel": 1, "request_evidence": 2, "modify_request": 3}
ACCEPT_TYPES: Final = {"return": 1, "refund": 2}


class PlatformTargetError(InvalidInput):
    """The command cannot be expressed as a WeChat API call (a reason with no WeChat code)."""


def merchantupdateaftersale_body(
    case: Case, negotiation: EventRecord, after_sale_order_id: str
) -> dict[str, Any]:
    """The ``merchantupdateaftersale`` body (售后协商) for an accepted ``negotiate`` event."""
    if negotiation.event != "negotiate":
        raise ValueError(f"event {negotiation.seq} is {negotiation.event}, not negotiate")
    data = negotiation.data
    reason = catalog()[data["reason"]]
    if reason.wechat_code is None:
        raise PlatformTargetError(
            f"Reason {reason.key} has no WeChat update_reason_type; it cannot be sent to WeChat.",
            f"协商说明「{reason.label_zh}」没有对应的微信协商原因编码,无法提交到微信。",
            "reason",
        )
    # Negotiations happen only before any accepted change of type, so the case still has the
    # type it was opened with unless this negotiation changes it.
    new_type = data.get("new_type") or reason.new_type or case.record.facts.type
    media = [e["ref"] for e in data.get("evidence", ()) if e["kind"] != "reshipment_tracking"]
    message = reason.message_zh + (f" {data['message']}" if data.get("message") else "")
    return {
        "after_sale_order_id": after_sale_order_id,
        "type": CASE_TYPE_CODES[new_type],
        "amount": data.get("amount", case.record.facts.requested_amount),
        "merchant_update_desc": message,
        "update_reason_type": reason.wechat_code,
        "merchant_update_type": NEGOTIATION_TYPE_CODES[data["negotiation_type"]],
        "media_ids": media,
    }


def rejectapply_body(
    rejection: EventRecord, after_sale_order_id: str, reject_reason_type: int
) -> dict[str, Any]:
    """The ``rejectapply`` body (拒绝售后) for an accepted ``reject`` event; the platform reason
    code comes from the caller (WeChat's ``rejectreason/get`` list is dynamic)."""
    if rejection.event != "reject":
        raise ValueError(f"event {rejection.seq} is {rejection.event}, not reject")
    body: dict[str, Any] = {
        "after_sale_order_id": after_sale_order_id,
        "reject_reason_type": reject_reason_type,
    }
    if rejection.data.get("reject_reason"):
        body["reject_reason"] = rejection.data["reject_reason"]
    return body


def acceptapply_body(
    case: Case, after_sale_order_id: str, address_id: str | None = None
) -> dict[str, Any]:
    """The ``acceptapply`` body (同意售后) for ``agree`` or ``confirm_receipt`` on ``case`` as it
    stands before the command: agreeing a return needs the merchant's ``address_id``."""
    is_return = case.state != "awaiting_receipt" and case.record.case_type == "return_refund"
    if is_return and not address_id:
        raise InvalidInput(
            "Agreeing a return needs the merchant's return address_id.",
            "同意退货需要提供商家退货地址 address_id。",
            "address_id",
        )
    body: dict[str, Any] = {
        "after_sale_order_id": after_sale_order_id,
        "accept_type": ACCEPT_TYPES["return" if is_return else "refund"],
    }
    if is_return:
        body["address_id"] = address_id
    return body


PLATFORM_ERRORS: Final[dict[int, type[AftersalesError]]] = {
    10021068: NegotiationRequired,  # negotiate first; reject only after the buyer times out
    10020001: TransitionNotAllowed,  # illegal status
    10021041: TransitionNotAllowed,  # not supported in the current status
}


def error_for_platform_reply(errcode: int, errmsg: str = "") -> AftersalesError | None:
    """Our error for a WeChat API reply, or ``None`` for success (``errcode`` 0)."""
    if errcode == 0:
        return None
    cls = PLATFORM_ERRORS.get(errcode)
    if cls is None:
        return None
    return cls(
        f"WeChat refused the call ({errcode}): {errmsg}".rstrip(": "),
        f"微信拒绝了该操作({errcode}):{errmsg}",
        "platform",
    )

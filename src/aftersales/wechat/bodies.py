"""The WeChat API call that carries each merchant command, built before the command is recorded.

:func:`outbound` turns a merchant command on a case into ``(api_name, body)``. Evidence reaches
WeChat only from items that carry a WeChat ``media_id`` (``ref`` is the caller's own handle).
Reason codes come from the catalog or the shop's configuration: the codes of the seed's own
reasons are not published, so without one the command is refused by name before any call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..workflow.case import Case
from ..workflow.errors import EvidenceRequired, InvalidInput, InvalidReason
from ..workflow.inputs import (
    Evidence,
    EvidenceData,
    NegotiateData,
    RejectData,
    TrackingData,
    parse,
)
from ..workflow.liability import rejection_findings
from ..workflow.reasons import catalog
from ..workflow.vocabulary import EVENT_DATA
from .codes import NEGOTIATION_TYPE_CODES, TYPE_CODES

API: Final = "https://api.weixin.qq.com/channels/ec/aftersale/"
"""Where the calls go: ``API + name + "?access_token=..."`` (the caller's gateway posts them)."""
ACCEPT_RETURN, ACCEPT_REFUND = 1, 2


@dataclass(frozen=True)
class ShopConfig:
    """One shop's WeChat settings: what the platform needs that a case does not hold."""

    shop_id: str
    reason_codes: Mapping[str, int] = field(default_factory=dict)
    """WeChat ``update_reason_type`` by our reason key, overriding or adding to the catalog's."""
    reject_reason_types: Mapping[str, int] = field(default_factory=dict)
    """WeChat ``reject_reason_type`` (from ``rejectreason/get``) for rejecting a ``refund``, a
    ``return_refund``, an ``exchange``, and for refusing to ``reship``."""
    address_id: str | None = None
    """The return address, for agreeing to a return or an exchange."""
    delivery_id: str = "OTHER"
    """The carrier of replacements (WeChat's carrier code; ``OTHER`` for the rest)."""
    categories: Mapping[str, str] = field(default_factory=dict)
    """The category of each product id, for cases a sync opens."""
    category: str = "ordinary"
    """The category of products ``categories`` does not name."""
    buyer_reasons: Mapping[str, str] = field(default_factory=dict)
    """Our ``buyer_reason`` by WeChat's buyer reason code (from ``reason/get``), for cases a
    sync opens; codes not here are read by the built-in table and their words."""

    def reason_code(self, reason: str) -> int | None:
        """The ``update_reason_type`` of one of our reasons, if anyone knows it."""
        if reason in self.reason_codes:
            return self.reason_codes[reason]
        row = catalog().get(reason)
        return None if row is None else row.wechat_code

    def reason_for(self, code: int) -> str | None:
        """Our reason for WeChat's ``update_reason_type``."""
        for reason in catalog():
            if self.reason_code(reason) == code:
                return reason
        return None


def media_ids(evidence: tuple[Evidence, ...], media_only: bool = True) -> list[str]:
    """The WeChat media ids of the evidence items that have one."""
    return [e.media_id for e in evidence if e.media_id and (e.is_media or not media_only)]


def outbound(
    case: Case,
    event: str,
    data: Mapping[str, Any],
    platform_id: str,
    shop: ShopConfig,
    complaint_id: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The call for a merchant ``event`` on ``case`` as it stands before the command."""
    payload = parse(EVENT_DATA[event], data)
    body: dict[str, Any] = {"after_sale_order_id": platform_id}
    if event == "submit_evidence":
        assert isinstance(payload, EvidenceData)
        # 106/108 (evidence demanded) take a proof; 103 (客服处理中) only a message, whatever it
        # carries: addcomplaintproof there is refused with 10021504 (complaint guide).
        api = "addcomplaintproof" if case.record.evidence_demanded else "addcomplaintmaterial"
        return api, _proof(payload, complaint_id)
    if event == "agree":
        return "acceptapply", {**body, **_accept(case, shop)}
    if event == "confirm_receipt":
        return "acceptapply", {**body, "accept_type": ACCEPT_REFUND}
    if event == "negotiate":
        assert isinstance(payload, NegotiateData)
        return "merchantupdateaftersale", {**body, **_negotiation(case, payload, shop)}
    if event == "reject":
        assert isinstance(payload, RejectData)
        return _rejection(case, payload, body, shop)
    if event == "reship":
        assert isinstance(payload, TrackingData)
        return "acceptexchangereship", {
            **body,
            "waybill_id": payload.tracking,
            "delivery_id": shop.delivery_id,
        }
    if event == "refund_offline":
        assert isinstance(payload, EvidenceData)
        certificates = media_ids(payload.evidence)
        if not certificates:
            raise _no_media("refund certificate or payment proof")
        note = next((e.note for e in payload.evidence if e.note), None)
        return "uploadrefundcertificate", {
            **body,
            "refund_certificates": certificates,
            "desc": note or "商家已线下退款,凭证见附件。",
        }
    raise InvalidInput(
        f"{event} has no WeChat merchant API: do it in the shop console and let sync record it.",
        f"{event} 没有对应的微信商家接口:请在小店后台操作,由同步记录。",
        "event",
    )


def _accept(case: Case, shop: ShopConfig) -> dict[str, Any]:
    if case.record.case_type == "refund":
        return {"accept_type": ACCEPT_REFUND}
    if not shop.address_id:
        raise InvalidInput(
            "Agreeing to a return or an exchange needs the shop's return address_id.",
            "同意退货或换货需要店铺的退货地址 address_id。",
            "address_id",
        )
    return {"accept_type": ACCEPT_RETURN, "address_id": shop.address_id}


def _negotiation(case: Case, payload: NegotiateData, shop: ShopConfig) -> dict[str, Any]:
    reason = catalog()[payload.reason]
    code = shop.reason_code(reason.key)
    if code is None:
        raise InvalidReason(
            f"Reason {reason.key} ({reason.label_zh}) has no WeChat update_reason_type: neither "
            "the catalog nor the platform's reason lists offer one with its label. Map it to "
            f"the code WeChat gives the situation: ShopConfig(reason_codes={{'{reason.key}': "
            "<update_reason_type>}).",
            f"协商说明「{reason.label_zh}」({reason.key})没有微信协商原因编码:目录和平台原因"
            f"列表中均无同名原因。请在店铺配置中映射:reason_codes={{'{reason.key}': 编码}}。",
            "reason",
        )
    media = media_ids(payload.evidence)
    if reason.need_image and not media:
        raise _no_media("image")
    new_type = payload.new_type or reason.new_type or case.record.case_type
    message = reason.message_zh + (f" {payload.message}" if payload.message else "")
    return {
        "type": TYPE_CODES[new_type],
        "amount": payload.amount if payload.amount is not None else case.record.requested_amount,
        "merchant_update_desc": message,
        "update_reason_type": code,
        "merchant_update_type": NEGOTIATION_TYPE_CODES[payload.negotiation_type],
        "media_ids": media,
    }


def _rejection(
    case: Case, payload: RejectData, body: dict[str, Any], shop: ShopConfig
) -> tuple[str, dict[str, Any]]:
    """``rejectapply`` (or ``rejectexchangereship``) with the reason type chosen for this
    rejection (else the shop's default for the case type) and the evidence as
    ``reject_certificates``: WeChat judges the rejection on what it received, so a rejection
    that is defensible only thanks to items without a ``media_id`` is refused here."""
    reship = case.record.case_type == "exchange" and case.state == "awaiting_receipt"
    scene = "reship" if reship else case.record.case_type
    code = payload.reject_reason_type or shop.reject_reason_types.get(scene)
    if code is None:
        raise InvalidInput(
            f"WeChat needs a reject_reason_type to reject ({scene}): give it in the command's "
            "data or the shop's reject_reason_types (from rejectreason/get).",
            f"微信拒绝售后需要 reject_reason_type({scene}):"
            "请在指令数据或店铺配置 reject_reason_types 中提供。",
            "reject_reason_type",
        )
    sent = tuple(e for e in payload.evidence if e.media_id)
    kept = rejection_findings(case.record, case.state, payload.evidence)
    if not kept and rejection_findings(case.record, case.state, sent):
        raise _no_media("counter-evidence the rejection rests on")
    call = {**body, "reject_reason_type": code}
    if payload.reject_reason:
        call["reject_reason"] = payload.reject_reason
    certificates = [e.media_id for e in sent if e.media_id]
    if certificates or reship:
        call["reject_certificates"] = certificates
    return ("rejectexchangereship" if reship else "rejectapply"), call


def _proof(payload: EvidenceData, complaint_id: str | None) -> dict[str, Any]:
    if not complaint_id:
        raise InvalidInput(
            "WeChat has no dispute (complaint_id) for this case yet: sync the dispute first.",
            "该售后单在微信尚无纠纷单(complaint_id):请先同步纠纷单。",
            "complaint_id",
        )
    notes = "; ".join(e.note for e in payload.evidence if e.note)
    return {
        "complaint_id": complaint_id,
        "content": (notes or "商家按平台要求补充凭证。")[:500],
        "media_id_list": media_ids(payload.evidence, media_only=False),
    }


def _no_media(what: str) -> EvidenceRequired:
    return EvidenceRequired(
        f"WeChat needs a {what} uploaded to WeChat: give evidence with its media_id.",
        f"微信需要已上传到微信的凭证({what}):请提供带 media_id 的凭证。",
        "evidence",
    )

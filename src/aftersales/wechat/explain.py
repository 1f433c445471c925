"""Which events explain WeChat's status: candidates from the order, tried on copies of the case.

A fetched order says more than its status: ``refund_info.refund_reason`` says why money moved,
``merchant_update_detail`` what the console negotiated, ``details`` the buyer's new evidence.
:class:`OrderView` turns that into candidate events, preferred first; :func:`explain_status`
tries them, breadth first, with the very rules a command meets, and returns the shortest sequence
that shows WeChat's status.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from ..storage import Intent
from ..workflow.case import Case
from ..workflow.errors import AftersalesError
from ..workflow.record import Actor, EventRecord
from .bodies import ShopConfig
from .codes import (
    ACCEPTANCE_REASONS,
    AGREEMENT_REASONS,
    CASE_TYPES,
    EXPIRY_REASONS,
    INTERCEPTION_REASONS,
    NEGOTIATION_TYPE_CODES,
    RULING_REASONS,
    TYPE_CODES,
)
from .messages import AfterSaleOrder, read_int
from .status import states_for_status, status_for

MAX_STEPS: Final = 3
"""The longest sequence of events one message may explain."""
SYSTEM, PLATFORM = Actor.system(), Actor.platform()
AUTO_AGREED: Final = Actor("system", "platform_auto_agree")
"""The expiry WeChat's ``refund_reason`` 4 reports: the platform agreed at once to refund goods
not yet shipped, not a merchant who let the response window lapse."""
WAYBILL_EVENTS: Final = frozenset({"ship_return", "reship"})
"""Events whose ``tracking`` a fetched after-sale order shows (an interception's parcel is the
order's own shipment, which the after-sale order does not carry)."""
WAYBILL_STATES: Final = {"awaiting_receipt": "ship_return", "exchange_shipped": "reship"}
"""The state each of :data:`WAYBILL_EVENTS` leaves a case in: while it waits there, a later
order's waybill replaces the placeholder that event recorded (``update_tracking``)."""
PlatformStep = tuple[str, Actor, dict[str, Any], bool]
"""One event to apply: its name, actor, data and whether it was inferred."""


def explain_status(
    case: Case, status: str, at: datetime, platform: OrderView
) -> tuple[list[PlatformStep], Case] | None:
    """The shortest sequence of events, each taken by the rules on a copy of ``case`` at ``at``,
    that shows WeChat's ``status`` (preferred events first); and the case it leads to."""
    start = case.copy()
    start.fire_due_timers(at)
    frontier: list[tuple[Case, list[PlatformStep]]] = [(start, [])]
    for depth in range(MAX_STEPS + 1):
        following: list[tuple[Case, list[PlatformStep]]] = []
        for current, steps in frontier:
            if platform.matches(current, status):
                return steps, current
            if depth == MAX_STEPS or current.final:
                continue
            for step in platform.candidates(current, status, at):
                probe = current.copy()
                event, actor, data, inferred = step
                try:
                    probe.send(
                        event, actor=actor, at=at, data=data, origin="platform", inferred=inferred
                    )
                except AftersalesError:
                    continue
                following.append((probe, [*steps, step]))
        frontier = following
    return None


def ran_ahead(case: Case, status: str) -> EventRecord | None:
    """The local timer expiry that took the case past WeChat's ``status`` (a version-2 linked
    case whose own timer fired before the platform's), if one did."""
    wanted = states_for_status(status)
    for record in reversed(case.events):
        if record.event == "expire" and record.origin == "local" and record.state_before in wanted:
            return record
    return None


class OrderView:
    """What a fetched order (or a notification, which knows only the status) says each event
    would carry, and which events it points to."""

    def __init__(self, order: AfterSaleOrder, shop: ShopConfig | None) -> None:
        self.order = order
        self.shop = shop or ShopConfig(shop_id="")
        self.missing = ""
        """Why an event WeChat shows could not be expressed, for the divergence."""
        self.now: datetime | None = None
        """Our clock when the order was followed: a remaining-seconds deadline counts from it."""
        self.intents: list[Intent] = []
        """The case's open outbound intents: WeChat's step may be one of ours (the echo)."""
        self.wants_order = False
        """Whether the caller can fetch the order: a notification's step that would carry a
        waybill placeholder is then followed from the fetched order instead."""

    @property
    def placeholder(self) -> str:
        """The tracking recorded for a waybill WeChat's message does not show."""
        return f"wechat:{self.order.after_sale_order_id}"

    def lacks_waybill(self, steps: list[PlatformStep]) -> bool:
        """Whether a step records the buyer's return or the merchant's reshipment with the
        placeholder (the fetched order carries their waybills: ``return_info``,
        ``exchange_delivery_info``)."""
        return any(
            event in WAYBILL_EVENTS and data.get("tracking") == self.placeholder
            for event, _, data, _ in steps
        )

    def awaits_waybill(self, case: Case) -> bool:
        """Whether the parcel the case waits for (the buyer's return, the replacement) still
        has the placeholder: a fetched order may show its real waybill."""
        return case.state in WAYBILL_STATES and case.tracking == self.placeholder

    def matches(self, case: Case, status: str) -> bool:
        record = case.record
        if case.state not in states_for_status(status):
            return False
        if status.startswith("MERCHANT_REJECT_"):  # which rejection depends on the case
            rejected_from = record.rejection.from_state if record.rejection else None
            return status_for(case.state, record.case_type, rejected_from) == status
        if status != "MERCHANT_PROCESSING":
            return True
        wanted = CASE_TYPES.get(self.order.type, record.case_type)
        amount = self.order.amount if self.order.amount is not None else record.requested_amount
        return (record.case_type, record.requested_amount) == (wanted, amount)

    def candidates(self, case: Case, status: str, at: datetime) -> list[PlatformStep]:
        """Events that may explain the move, the ones ``refund_reason`` points to first."""
        order, facts = self.order, case.record.facts
        merchant, buyer = Actor.merchant(facts.shop_id), Actor.buyer(facts.buyer_id)
        placeholder = self.placeholder
        hinted: list[PlatformStep] = [(i.event, i.actor, i.data, False) for i in self.intents]
        reason = order.refund_reason
        if reason in EXPIRY_REASONS:
            hinted.append(("expire", AUTO_AGREED if reason == 4 else SYSTEM, {}, False))
        if reason in ACCEPTANCE_REASONS:
            hinted.append(("accept", buyer, {}, False))
        if reason in AGREEMENT_REASONS:
            hinted += [("agree", merchant, {}, False), ("confirm_receipt", merchant, {}, False)]
        if reason in RULING_REASONS:
            hinted += [("rule", PLATFORM, data, False) for data in self.rulings(case)]
        if reason in INTERCEPTION_REASONS:
            hinted.append(("intercept_succeeded", SYSTEM, {}, False))
        found: list[PlatformStep] = []
        if case.state == "negotiating" and status == "MERCHANT_PROCESSING":
            found.append(self.buyer_answer(case, buyer, at))
        for event, actor, data in (
            ("negotiate", merchant, self.negotiation(case)),
            ("modify", buyer, self.modification(case, status)),
            ("refund_offline", merchant, self.certificates()),
        ):
            if data:
                found.append((event, actor, data, False))
        rejection = {"reject_reason": order.reject_reason} if order.reject_reason else {}
        found += [
            ("reject", merchant, rejection, False),
            ("agree", merchant, {}, False),
            ("confirm_receipt", merchant, {}, False),
            ("reship", merchant, self.reshipment(placeholder), False),
            ("intercept", merchant, {"tracking": placeholder}, False),
            ("accept", buyer, {}, False),
            ("ship_return", buyer, {"tracking": order.return_waybill or placeholder}, False),
            ("confirm_exchange", buyer, {}, False),
            ("withdraw", buyer, {}, False),
            ("refund_succeeded", SYSTEM, {}, False),
            ("refund_failed", SYSTEM, {}, False),
            ("intercept_succeeded", SYSTEM, {}, False),
            ("intercept_failed", SYSTEM, {}, False),
            *[("rule", PLATFORM, data, False) for data in self.rulings(case)],
            ("close", PLATFORM, {"message": f"closed on WeChat ({status})"}, False),
            ("expire", SYSTEM, {}, False),
        ]
        unique: dict[str, PlatformStep] = {}
        for step in hinted + found:
            unique.setdefault(f"{step[0]}:{sorted(step[2].items())}", step)
        return list(unique.values())

    def intent_for(self, step: PlatformStep) -> Intent | None:
        """The open intent a step is, if it is one of ours."""
        event, actor, data, _ = step
        for intent in self.intents:
            if (intent.event, intent.actor, intent.data) == (event, actor, data):
                return intent
        return None

    def buyer_answer(self, case: Case, buyer: Actor, at: datetime) -> PlatformStep:
        """The buyer left a negotiation: new evidence after a request for it
        is ``supply_evidence``; a move at or after the buyer's deadline is ``expire``; anything
        else is ``decline``. Each is inferred."""
        last, timer = case.record.last_negotiation, case.timer
        seen = {e.get("ref") for r in case.events for e in r.data.get("evidence", ())}
        new = [media for media in self.order.buyer_media if media not in seen]
        if last is not None and last.negotiation_type == "request_evidence" and new:
            evidence = [{"kind": "image", "ref": media, "media_id": media} for media in new]
            return ("supply_evidence", buyer, {"evidence": evidence}, True)
        if timer is not None and timer.kind == "buyer_response" and at >= timer.due:
            return ("expire", SYSTEM, {}, True)
        return ("decline", buyer, {}, True)

    def reshipment(self, placeholder: str) -> dict[str, Any]:
        """The replacement WeChat shows shipped: its waybill and, when the exchange changed
        it, the new SKU."""
        order = self.order
        data: dict[str, Any] = {"tracking": order.exchange_waybill or placeholder}
        if order.exchange_sku:
            data["sku_id"] = order.exchange_sku
        return data

    def negotiation(self, case: Case) -> dict[str, Any]:
        """The console negotiation ``merchant_update_detail`` shows, as our event's data."""
        update = self.order.update
        if not update:
            return {}
        types = {code: name for name, code in NEGOTIATION_TYPE_CODES.items()}
        kinds = {code: name for name, code in TYPE_CODES.items()}
        negotiation_type = types.get(_number(update.get("merchant_update_type")) or 0)
        code = _number(update.get("update_reason_type"))
        reason = self.shop.reason_for(code) if code is not None else None
        if negotiation_type is None or reason is None:
            self.missing = (
                f"the console negotiation (update_reason_type {code}) has no reason in the "
                "catalog or the shop's reason_codes"
            )
            return {}
        data: dict[str, Any] = {"negotiation_type": negotiation_type, "reason": reason}
        if negotiation_type == "modify_request":
            data["amount"] = _number(update.get("new_after_sale_amount")) or self.order.amount
            new_type = kinds.get(_number(update.get("new_after_sale_type")) or 0)
            if new_type:
                data["new_type"] = new_type
        found = update.get("media_ids")
        media = (
            [m for m in found[:50] if isinstance(m, str) and m] if isinstance(found, list) else []
        )
        if media:
            data["evidence"] = [{"kind": "image", "ref": m, "media_id": m} for m in media]
        desc = update.get("merchant_update_desc")
        if isinstance(desc, str) and desc.strip():
            data["message"] = desc[: case.record.policy.max_message_chars]
        return data

    def modification(self, case: Case, status: str) -> dict[str, Any]:
        """The buyer's change of the request WeChat shows, as ``modify`` data."""
        order, record = self.order, case.record
        if status != "MERCHANT_PROCESSING":
            return {}
        data: dict[str, Any] = {}
        wanted = CASE_TYPES.get(order.type)
        if wanted is not None and wanted != record.case_type:
            data["type"] = wanted
        if order.amount is not None and order.amount != record.requested_amount:
            data["requested_amount"] = order.amount
        return data

    def certificates(self) -> dict[str, Any]:
        """The merchant's offline refund certificates, as ``refund_offline`` data."""
        media = self.order.refund_certificates
        if not media:
            return {}
        return {
            "evidence": [{"kind": "refund_certificate", "ref": m, "media_id": m} for m in media]
        }

    def rulings(self, case: Case) -> list[dict[str, Any]]:
        """The ruling a refund reason points to (5 merchant, 23 both, 6 none, with the amount
        refunded), or else the rulings that might have closed or refunded the case."""
        reason, amount = self.order.refund_reason, self.order.amount
        paid = case.record.facts.paid_amount
        money = {"amount": amount} if amount is not None and 0 < amount <= paid else {}
        if reason == 5:
            return [{"liability": "merchant", **money}]
        if reason == 23 and money:
            return [{"liability": "both", **money}]
        if reason == 6:
            return [{"liability": "none", **money}]
        return [{}, {"liability": "buyer"}, {"liability": "merchant"}]

    def deadline(self, at: datetime) -> datetime | None:
        """The platform's deadline: absolute as sent, or remaining seconds counted from when the
        order was fetched (our clock when followed, never before the order's own time)."""
        order = self.order
        if order.deadline is not None or order.deadline_in is None:
            return order.deadline
        fetched = max(self.now or at, at)
        return fetched + timedelta(seconds=order.deadline_in)

    def deadline_step(self, case: Case, at: datetime) -> list[PlatformStep]:
        """The platform's clock wins: its deadline replaces the running timer's due time."""
        deadline, timer = self.deadline(at), case.timer
        if deadline is None or timer is None or deadline <= at:
            return []
        if abs((timer.due - deadline).total_seconds()) < 1:
            return []
        return [("set_deadline", PLATFORM, {"due": deadline.isoformat()}, False)]

    def tracking_step(self, case: Case, at: datetime) -> list[PlatformStep]:
        """The real waybill of the parcel the log records with the placeholder, once the
        fetched order shows it: ``update_tracking`` with the buyer's return waybill
        (``return_info``) while the merchant awaits the goods, or the replacement's
        (``exchange_delivery_info``, with its new SKU) while it is on its way. An interception
        keeps its placeholder: the after-sale order does not carry the order's own delivery.
        A waybill the rules refuse (too long, control characters) leaves the placeholder."""
        placeholder, order = self.placeholder, self.order
        if not self.awaits_waybill(case):
            return []
        if case.state == "awaiting_receipt":
            data = {"tracking": order.return_waybill} if order.return_waybill else {}
        else:
            data = self.reshipment(placeholder) if order.exchange_waybill else {}
        if not data:
            return []
        try:
            case.copy().send("update_tracking", actor=PLATFORM, at=at, data=data, origin="platform")
        except AftersalesError:
            return []
        return [("update_tracking", PLATFORM, data, False)]


def _number(value: Any) -> int | None:
    number = read_int(value)
    return None if number is None or number < 0 else number

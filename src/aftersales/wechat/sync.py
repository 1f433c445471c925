"""Following WeChat: fetched orders, notifications and disputes make the stored case agree.

:func:`sync` takes a fetched after-sale order (``getaftersaleorder``), :func:`reconcile` a
notification, :func:`sync_complaint` a fetched dispute. Each opens an unknown case (given the
shop), then looks for the shortest sequence of events (origin ``platform``, at the platform's
time) that takes our case to WeChat's status, tried on a copy with the very rules a command
meets, and applies it in one transaction. ``refund_info.refund_reason`` says which event moved
the money; a buyer's decline, new evidence or silence is inferred and marked so. Each step's
command id comes from the order, its status and the platform's time, so a message delivered
ten times writes once. A waybill recorded as the placeholder ``wechat:<after_sale_order_id>``
is replaced (``update_tracking``) by the first fetched order that shows the real one. When no
sequence explains WeChat, a divergence is kept, once, and the case stays as it was. Only our
own failures (the database) raise: the platform then retries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, TypeAlias

from sqlalchemy.orm import Session

from ..storage import CaseStore, Intent
from ..workflow.case import Case
from ..workflow.errors import AftersalesError, Conflict, StorageUnavailable
from ..workflow.record import Actor, EventRecord
from ..workflow.vocabulary import STATE_TIMERS
from .act import check_shop, error_for_platform_reply, platform_command_id
from .bodies import ShopConfig
from .codes import (
    CASE_TYPES,
    COMPLAINT_STATUSES,
    CONCLUDED,
    INTERCEPTION_REASONS,
    INTERVENTION_CANCELLED,
    MERCHANT_EVIDENCE_DEMANDED,
    MERCHANT_EVIDENCE_LAPSED,
    NOT_MODELLED_TYPES,
    buyer_reason,
)
from .explain import PLATFORM, SYSTEM, OrderView, PlatformStep, explain_status, ran_ahead
from .messages import AfterSaleOrder, ComplaintOrder, Notification, fingerprint
from .status import NOT_MODELLED, is_known, states_for_status

SyncAction: TypeAlias = Literal[
    "opened", "applied", "in_sync", "stale", "divergence", "unknown", "ignored"
]
"""What following one message did: :attr:`SyncResult.action`."""


@dataclass(frozen=True)
class SyncResult:
    """What following one message of WeChat's did."""

    action: SyncAction
    """``opened`` (and explained), ``applied``, ``in_sync``, ``stale`` (an older notification the
    case has moved past), ``divergence``, ``unknown`` (a notification of an after-sale order
    no case is linked to: fetch it and sync it), or ``ignored`` (a push of an event the library
    does not follow; nothing is recorded)."""
    case_id: str | None
    platform_status: str
    our_state: str | None
    events: tuple[EventRecord, ...] = ()
    reason: str | None = None
    """Why a divergence was kept, or what to do next."""


def sync(
    store: CaseStore,
    order: AfterSaleOrder | Mapping[str, Any] | str | bytes,
    *,
    shop: ShopConfig | None = None,
    session: Session | None = None,
) -> SyncResult:
    """Make the stored case agree with a fetched after-sale order (opening it if unknown)."""
    if not isinstance(order, AfterSaleOrder):
        try:
            order = AfterSaleOrder.read(order)
        except (ValueError, RecursionError) as exc:
            return _unreadable(store, str(exc)[:200], fingerprint(order), session)
    read = order
    return _retrying(session, lambda: _sync(store, read, shop, session))


def _sync(
    store: CaseStore, read: AfterSaleOrder, shop: ShopConfig | None, session: Session | None
) -> SyncResult:
    at = read.update_time or read.create_time
    with _following(store, session) as ctx:
        case = ctx.case_for(read.after_sale_order_id)
        check_shop(case, shop)
        opened = case is None
        if case is None:
            case = ctx.open_from(read, shop)
        if case is None:
            return ctx.diverge(read.key, read.after_sale_order_id, read.status, None, ctx.why)
        found = ctx.follow(case, read.status, at, read.key, OrderView(read, shop))
        if found.action == "in_sync" and opened:
            return SyncResult("opened", found.case_id, found.platform_status, found.our_state)
        return found


Fetch = Callable[[str], AfterSaleOrder | Mapping[str, Any] | str | bytes]
"""Fetches an after-sale order by its id: ``getaftersaleorder``'s reply (through a gateway)."""
UNKNOWN_ORDER: Final = "no case is linked to this after-sale order: fetch it and sync it"
IGNORED: Final = "an event the library does not follow: answer WeChat with success"


def reconcile(
    store: CaseStore,
    notification: Notification,
    *,
    shop: ShopConfig | None = None,
    fetch: Fetch | None = None,
    session: Session | None = None,
) -> SyncResult:
    """Follow one notification: an after-sale status change, or a dispute's. An after-sale
    order no case is linked to comes back ``unknown`` and nothing is recorded: fetch the order
    and :func:`sync` it, or pass ``fetch`` and this does it (then follows a dispute's
    notification); a ``fetch`` that fails raises, so WeChat pushes again. With ``fetch``, a
    notification whose step needs a waybill only the order shows (the buyer's return, the
    replacement's shipment) is followed from the fetched order too, so the real waybill is
    recorded rather than the placeholder ``wechat:<after_sale_order_id>``; so is a notification
    of a case whose parcel still has the placeholder, which the order's waybill replaces."""
    try:
        found = _reconcile(store, notification, shop, session, wants_order=fetch is not None)
    except _NeedsOrder:  # a waybill only the order carries: follow the order instead
        found = SyncResult("unknown", None, notification.status, None)
    if found.action != "unknown" or fetch is None:
        return found
    order = fetch(notification.after_sale_order_id)
    if isinstance(order, Mapping) and isinstance(order.get("errcode"), int):
        error = error_for_platform_reply(order["errcode"], str(order.get("errmsg", "")))
        if error is not None:
            raise error  # WeChat could not say what the order is: not a divergence
    synced = sync(store, order, shop=shop, session=session)
    if notification.kind == "complaint" and synced.case_id is not None:
        return _retrying(session, lambda: _complaint(store, notification, shop, session))
    return synced


class _NeedsOrder(Exception):
    """A notification's step would carry a placeholder for a waybill the fetched order has."""


def _reconcile(
    store: CaseStore,
    notification: Notification,
    shop: ShopConfig | None,
    session: Session | None,
    *,
    wants_order: bool = False,
) -> SyncResult:
    if notification.kind == "ignored":
        return SyncResult("ignored", None, notification.status, None, reason=IGNORED)
    if notification.kind == "unreadable":
        return _unreadable(store, notification.problem or "unreadable", notification.key, session)
    if notification.kind == "complaint":
        return _retrying(session, lambda: _complaint(store, notification, shop, session))
    return _retrying(
        session, lambda: _reconcile_once(store, notification, shop, session, wants_order)
    )


def _reconcile_once(
    store: CaseStore,
    notification: Notification,
    shop: ShopConfig | None,
    session: Session | None,
    wants_order: bool,
) -> SyncResult:
    with _following(store, session) as ctx:
        case = ctx.case_for(notification.after_sale_order_id)
        check_shop(case, shop)
        if case is None:
            return SyncResult("unknown", None, notification.status, None, reason=UNKNOWN_ORDER)
        at = notification.create_time
        if at is not None and at < case.last_at:
            return SyncResult("stale", case.case_id, notification.status, case.state)
        known = AfterSaleOrder(notification.after_sale_order_id, notification.status)
        view = OrderView(known, shop)
        view.wants_order = wants_order
        return ctx.follow(case, notification.status, at, notification.key, view)


def sync_complaint(
    store: CaseStore,
    complaint: ComplaintOrder | Mapping[str, Any] | str | bytes,
    *,
    shop: ShopConfig | None = None,
    session: Session | None = None,
) -> SyncResult:
    """Follow a fetched dispute (``getcomplaintorder``): the intervention, and the platform's
    judgement as a ruling with its liability (user, merchant, both, none). A ``shop`` of
    another shop than the case's is refused (``permission_denied``), as for :func:`sync`."""
    if not isinstance(complaint, ComplaintOrder):
        try:
            complaint = ComplaintOrder.read(complaint)
        except (ValueError, RecursionError) as exc:
            return _unreadable(store, str(exc)[:200], fingerprint(complaint), session)
    read = complaint
    return _retrying(session, lambda: _sync_complaint(store, read, shop, session))


def _sync_complaint(
    store: CaseStore, read: ComplaintOrder, shop: ShopConfig | None, session: Session | None
) -> SyncResult:
    status = str(read.status)
    key = f"wechat:complaint:{read.complaint_id}:{status}:{len(read.rulings)}"
    if read.appeals:
        key += f":{len(read.appeals)}"
    with _following(store, session) as ctx:
        case = ctx.case_for(read.after_sale_order_id)
        if case is None:
            why = "no case is linked to the dispute's after-sale order"
            return ctx.diverge(key, read.after_sale_order_id, status, None, why)
        check_shop(case, shop)
        if read.complaint_id:
            ctx.store.link_complaint(case.case_id, read.complaint_id, session=ctx.session)
        if case.liability is not None or case.final:
            if read.reversed and case.liability == read.rulings[-1][0]:
                why = (
                    f"WeChat judged the merchant's appeal effective (history item 35) after the "
                    f"ruling this case recorded (liability {case.liability}); no event reverses "
                    "a ruling the case already took: settle it by hand"
                )
                return ctx.diverge(key, read.after_sale_order_id, status, case, why)
            return SyncResult("in_sync", case.case_id, status, case.state)
        steps = _intervention_steps(case)
        at = case.last_at
        if read.rulings:
            liable, when = read.rulings[-1]
            data: dict[str, Any] = {"liability": liable}
            if read.reversed:
                if liable == "both":
                    why = (
                        "WeChat judged the merchant's appeal of a ruling on both parties effective "
                        "(history item 35); the dispute does not say the partial refund's amount"
                    )
                    return ctx.diverge(key, read.after_sale_order_id, status, case, why)
                # The platform refunded on its ruling; the effective appeal lifts the
                # merchant's liability, and the refund stands.
                data = {"liability": "none", "amount": case.record.requested_amount}
                when = max((a for _, a, _ in read.appeals if a is not None), default=when)
            steps.append(("rule", PLATFORM, data, False))
            at = max(when or at, at)
        return ctx.checked(case, steps, at, key, status)


def _complaint(
    store: CaseStore, notification: Notification, shop: ShopConfig | None, session: Session | None
) -> SyncResult:
    code, status = notification.complaint_status, notification.status
    with _following(store, session) as ctx:
        case = ctx.case_for(notification.after_sale_order_id)
        if case is None:
            return SyncResult("unknown", None, status, None, reason=UNKNOWN_ORDER)
        check_shop(case, shop)
        if notification.complaint_id:
            ctx.store.link_complaint(case.case_id, notification.complaint_id, session=ctx.session)
        at = notification.create_time
        if at is not None and at < case.last_at:
            return SyncResult("stale", case.case_id, status, case.state)
        if code not in COMPLAINT_STATUSES:
            why = "a dispute status this library does not know"
            return ctx.diverge(
                notification.key, notification.after_sale_order_id, status, case, why
            )
        if code in CONCLUDED:
            why = "the ruling is in the dispute's history: fetch getcomplaintorder, sync_complaint"
            return SyncResult("in_sync", case.case_id, status, case.state, reason=why)
        when = ctx.applied(case, at)
        view = case.copy()
        view.fire_due_timers(when)  # our own timers due by then fire first
        return ctx.checked(case, _dispute_steps(view, code), when, notification.key, status)


def _dispute_steps(case: Case, code: int | None) -> list[PlatformStep]:
    buyer = Actor.buyer(case.record.facts.buyer_id)
    if code in INTERVENTION_CANCELLED:
        return [("withdraw", buyer, {}, False)] if case.state == "platform_intervention" else []
    steps = _intervention_steps(case)
    if code in MERCHANT_EVIDENCE_DEMANDED and not case.record.evidence_demanded:
        steps.append(("demand_evidence", PLATFORM, {}, False))
    if code in MERCHANT_EVIDENCE_LAPSED and case.record.evidence_demanded:
        steps.append(("expire", SYSTEM, {}, False))
    return steps


def _before_dispute(case: Case, status: str) -> bool:
    """Whether WeChat's after-sale ``status`` is the one the case showed when the dispute opened
    (the platform keeps showing it while it handles the dispute)."""
    entered = (e for e in reversed(case.events) if e.state_after == case.state != e.state_before)
    opened = next(entered, None)
    return opened is not None and (opened.state_before or "") in states_for_status(status)


def _intervention_steps(case: Case) -> list[PlatformStep]:
    """The event that puts the case under intervention, if it is not yet: the buyer escalating
    a rejection or a lapsed return, or else the platform stepping in."""
    if case.state == "platform_intervention" or case.final:
        return []
    if case.state in ("rejected", "return_lapsed"):
        return [("escalate", Actor.buyer(case.record.facts.buyer_id), {}, False)]
    return [("intervene", PLATFORM, {"message": "WeChat opened a dispute (纠纷单)"}, False)]


# -- following -------------------------------------------------------------------------------


class _Context:
    """One message followed in one transaction."""

    def __init__(self, store: CaseStore, session: Session) -> None:
        self.store, self.session = store, session
        self.why = ""
        self.now = store.clock()

    def applied(self, case: Case, at: datetime | None) -> datetime:
        """When a platform step is recorded: the platform's time, never before the case's last
        event, and never ahead of our clock (a platform clock running ahead of ours is applied
        at our now, so our own later commands still follow it)."""
        last = case.last_at
        when = max(at or last, last)
        return min(when, max(self.now, last))

    def case_for(self, platform_id: str) -> Case | None:
        case_id = self.store.linked_case(platform_id, session=self.session)
        if case_id is None or not self.store.hold_case(case_id, session=self.session):
            return None
        return self.store.get(case_id, session=self.session)

    def open_from(self, order: AfterSaleOrder, shop: ShopConfig | None) -> Case | None:
        if shop is None:
            self.why = "unknown after-sale order: pass the shop's ShopConfig to open it"
            return None
        order_id = order.order_id or f"wx-order-{order.after_sale_order_id}"
        others = self.store.shops_of_order(order_id, session=self.session) - {shop.shop_id}
        if others:
            self.why = f"order {order_id} belongs to another shop ({sorted(others)[0]})"
            return None
        case_type = CASE_TYPES.get(order.type)
        unmodelled = NOT_MODELLED_TYPES.get(order.type) or NOT_MODELLED_TYPES.get(order.sub_type)
        if unmodelled:
            self.why = f"not modelled: {unmodelled}"
            return None
        if case_type is None or order.amount is None or order.create_time is None:
            self.why = (
                f"cannot open a case from this order (type {order.type!r}, no amount or time)"
            )
            return None
        shipped, received = goods_state(order, case_type)
        facts = {
            "case_id": f"wx-{order.after_sale_order_id}",
            "order_id": order_id,
            "shop_id": shop.shop_id,
            "buyer_id": order.openid or "unknown",
            "type": case_type,
            "category": shop.categories.get(order.product_id, shop.category),
            "paid_amount": order.amount,
            "requested_amount": order.amount,
            "buyer_reason": shop.buyer_reasons.get(order.reason)
            or buyer_reason(order.reason, order.reason_text),
            "shipped": shipped,
            "received": received,
            "sku_id": order.sku_id,
            "count": order.count,
            "platform_id": order.after_sale_order_id,
            "opened_at": min(order.create_time, self.now),
        }
        try:
            self.store.open_case(
                facts,
                origin="platform",
                command_id=f"wechat:{order.after_sale_order_id}:open",
                session=self.session,
            )
        except (StorageUnavailable, Conflict) as exc:
            if isinstance(exc, StorageUnavailable) or self.case_for(order.after_sale_order_id):
                raise  # another delivery opened it first: follow the message again
            self.why = f"cannot open the case: {exc.message_en}"
            return None
        except AftersalesError as exc:
            self.why = f"cannot open the case: {exc.code}: {exc.message_en}"
            return None
        if order.complaint_id:
            self.store.link_complaint(
                str(facts["case_id"]), order.complaint_id, session=self.session
            )
        return self.store.get(str(facts["case_id"]), session=self.session)

    def follow(
        self, case: Case, status: str, at: datetime | None, key: str, platform: OrderView
    ) -> SyncResult:
        platform_id = platform.order.after_sale_order_id
        if status in NOT_MODELLED or not is_known(status):
            why = (
                "merchant-initiated after-sales are not modelled"
                if status in NOT_MODELLED
                else "a status this library does not know"
            )
            return self.diverge(key, platform_id, status, case, why)
        stamp = max(at or case.last_at, case.last_at)
        if case.state == "platform_intervention" and _before_dispute(case, status):
            why = "WeChat keeps showing the status it had when the dispute opened"
            return SyncResult("in_sync", case.case_id, status, case.state, reason=why)
        when = self.applied(case, at)
        platform.intents = self.store.open_intents(case.case_id, session=self.session)
        platform.now = self.now
        found = explain_status(case, status, when, platform)
        if found is None:
            ahead = ran_ahead(case, status)
            if ahead is not None:  # once per expiry, however often WeChat repeats itself
                timer = STATE_TIMERS.get(ahead.state_before or "", "timer")
                why = (
                    f"our {timer} timer ran ahead of WeChat: it fired at {ahead.at.isoformat()} "
                    f"({ahead.state_before} -> {ahead.state_after}) while WeChat still shows "
                    f"{status}; later statuses are applied where they follow from {case.state}"
                )
                key = f"wechat:{platform_id}:ran-ahead:{ahead.seq}"
                return self.diverge(key, platform_id, status, case, why)
            why = platform.missing or f"no sequence of events takes {case.state} to {status}"
            return self.diverge(key, platform_id, status, case, why)
        steps, reached = found
        if platform.wants_order and (
            platform.lacks_waybill(steps) or platform.awaits_waybill(reached)
        ):
            raise _NeedsOrder
        steps = (
            steps + platform.deadline_step(reached, when) + platform.tracking_step(reached, when)
        )
        return self.apply(case, steps, when, key, status, platform, stamp)

    def checked(
        self, case: Case, steps: list[PlatformStep], at: datetime, key: str, status: str
    ) -> SyncResult:
        """Apply ``steps`` if the rules take them all on a copy; else keep a divergence."""
        stamp, at = at, self.applied(case, at)
        probe = case.copy()
        for event, actor, data, inferred in steps:
            try:
                probe.send(
                    event, actor=actor, at=at, data=data, origin="platform", inferred=inferred
                )
            except AftersalesError as exc:
                platform_id = case.record.facts.platform_id or ""
                why = f"{event} does not fit the case: {exc.code}: {exc.message_en}"
                return self.diverge(key, platform_id, status, case, why)
        return self.apply(case, steps, at, key, status, stamp=stamp)

    def apply(
        self,
        case: Case,
        steps: list[PlatformStep],
        at: datetime,
        key: str,
        status: str,
        platform: OrderView | None = None,
        stamp: datetime | None = None,
    ) -> SyncResult:
        """Apply ``steps`` at ``at`` in one savepoint, under command ids derived from the
        platform's time ``stamp`` (``at`` unless the platform's clock ran ahead of ours)."""
        if not steps:  # our own timers due by the platform's time fire, at their own times
            fired = self.store.fire_due_timers(at, case_id=case.case_id, session=self.session)
            self.resolved(case, fired[-1].seq if fired else case.version, at, key)
            if not fired:
                return SyncResult("in_sync", case.case_id, status, case.state)
            return SyncResult("applied", case.case_id, status, fired[-1].state_after, tuple(fired))
        platform_id = case.record.facts.platform_id or case.case_id
        done = []
        try:
            with self.store.savepoint(self.session):  # every step of the message, or none
                for index, step in enumerate(steps):
                    event, actor, data, inferred = step
                    ours = None if platform is None else platform.intent_for(step)
                    if ours is not None:  # the echo of our own command: recorded as ours
                        done.append(self.completed(case, ours, at))
                        continue
                    done.append(
                        self.store.send(
                            case.case_id,
                            event,
                            actor=actor,
                            at=at,
                            data=data,
                            command_id=_step_command_id(
                                platform_id, step, status, stamp or at, index
                            ),
                            origin="platform",
                            inferred=inferred,
                            session=self.session,
                        )
                    )
        except (StorageUnavailable, Conflict):
            raise
        except AftersalesError as exc:
            why = f"the store refused {event}: {exc.code}: {exc.message_en}"
            return self.diverge(key, platform_id, status, case, why)
        self.resolved(case, done[-1].seq, at, key)
        new = tuple(record for record in done if record.seq > case.record.seq)
        if not new:  # another delivery of the message recorded every step first
            return SyncResult("in_sync", case.case_id, status, done[-1].state_after)
        return SyncResult("applied", case.case_id, status, new[-1].state_after, new)

    def completed(self, case: Case, intent: Intent, at: datetime) -> EventRecord:
        """Record an open intent WeChat's message shows done, with its own data, actor and
        command id (origin ``local``), at its own time where that keeps the log in order."""
        last = case.last_at
        when = intent.at if (last is None or last <= intent.at) and intent.at <= at else at
        record = self.store.send(
            case.case_id,
            intent.event,
            actor=intent.actor,
            at=when,
            data=intent.data,
            command_id=intent.command_id,
            session=self.session,
        )
        self.store.close_intent(
            case.case_id, intent.command_id, done=True, seq=record.seq, session=self.session
        )
        return record

    def resolved(self, case: Case, seq: int, at: datetime, key: str) -> None:
        """The case agrees with WeChat now: what it disagreed with before is explained."""
        self.store.resolve_divergences(
            case.case_id,
            case.record.facts.platform_id or "",
            seq=seq,
            at=at,
            complaint=key.startswith("wechat:complaint:"),
            session=self.session,
        )

    def diverge(
        self, key: str, platform_id: str, status: str, case: Case | None, why: str
    ) -> SyncResult:
        at = case.last_at if case is not None else None
        self.store.record_divergence(
            key=key,
            platform_id=platform_id,
            status=status,
            case_id=None if case is None else case.case_id,
            our_state=None if case is None else case.state,
            reason=why,
            at=at or self.store.clock(),
            session=self.session,
        )
        return SyncResult(
            "divergence",
            None if case is None else case.case_id,
            status,
            None if case is None else case.state,
            reason=why,
        )


@contextmanager
def _following(store: CaseStore, session: Session | None) -> Iterator[_Context]:
    """One transaction for the whole message: the caller's session, or our own."""
    with store.unit_of_work(session) as unit:
        yield _Context(store, unit)


def _step_command_id(
    platform_id: str, step: PlatformStep, status: str, at: datetime, index: int
) -> str:
    """A platform step's command id: from the order, its status and WeChat's time; a replaced
    waybill's from the waybill itself, so it is recorded once however many messages show it
    (and never takes the id of a step an earlier message at the same time recorded)."""
    event, _, data, _ = step
    if event == "update_tracking":
        return f"wechat:{platform_id}:waybill:{data['tracking']}"
    return platform_command_id(platform_id, status, at, index)


RETRIES: Final = 5
"""How often a message is followed again after another delivery of it won the race."""


def _retrying(session: Session | None, follow: Callable[[], SyncResult]) -> SyncResult:
    """Follow a message; when another writer changed the case first (another delivery of the
    same message, say), follow it again on the fresh case: it then applies once or finds the
    case in sync. Inside a caller's session the caller's transaction decides, so no retry."""
    for left in range(RETRIES, -1, -1):
        try:
            return follow()
        except Conflict:
            if session is not None or left == 0:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


NOT_SHIPPED_REASONS: Final = frozenset({4, 8})
"""``refund_reason`` 4 (not shipped: the platform agreed at once) and 8 (the merchant shipped too
late: the platform refunded): the goods never left."""


def goods_state(order: AfterSaleOrder, case_type: str) -> tuple[bool, bool]:
    """Whether the goods were shipped and received, as the after-sale order itself says it
    (the first rule that applies decides; see docs/concepts/wechat.md):

    1. a return or an exchange: shipped (WeChat takes them only for shipped goods); received
       when ``details.receive_product`` says so or the buyer sent the goods back
       (``return_info.waybill_id``);
    2. ``details.receive_product`` true: shipped and received;
    3. a parcel being intercepted (``WAIT_PACKAGE_INTERCEPT``, ``refund_reason`` 22): shipped,
       not received;
    4. a waybill for goods sent back: shipped and received;
    5. ``refund_reason`` 4 or 8: neither;
    6. otherwise (a refund-only request the order says nothing more about): shipped, not
       received, since WeChat agrees at once to refund goods not shipped (``refund_reason`` 4),
       and an open request is on goods that left (the merchant may still intercept them).
    """
    returned = bool(order.return_waybill)
    if case_type != "refund":
        return True, order.received or returned
    if order.received:
        return True, True
    if order.status == "WAIT_PACKAGE_INTERCEPT" or order.refund_reason in INTERCEPTION_REASONS:
        return True, False
    if returned:
        return True, True
    if order.refund_reason in NOT_SHIPPED_REASONS:
        return False, False
    return True, False


def _unreadable(store: CaseStore, problem: str, key: str, session: Session | None) -> SyncResult:
    store.record_divergence(
        key=f"wechat:unreadable:{key}",
        platform_id="",
        status="",
        case_id=None,
        our_state=None,
        reason=f"unreadable message: {problem}",
        at=store.clock(),  # the message says no time of its own: when it was read
        session=session,
    )
    return SyncResult("divergence", None, "", None, reason=problem)

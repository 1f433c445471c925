"""Incoming ``channels_ec_aftersale_update`` notifications, reconciled with our cases.

The platform pushes a notification up to ten times; processing one again changes nothing.
When exactly one buyer or payment event explains the platform's new status, it is applied;
otherwise the disagreement is recorded as a divergence for ``verify`` and the report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ..storage.store import CaseStore
from ..workflow.errors import InvalidInput
from ..workflow.record import Actor
from .status import states_for_status, status_for

EVENT_NAME: Final = "channels_ec_aftersale_update"

IMPLIED: Final[tuple[tuple[str, str], ...]] = (
    ("accept", "buyer"),  # the buyer accepted the negotiation
    ("withdraw", "buyer"),  # the buyer cancelled
    ("refund_succeeded", "system"),
    ("refund_failed", "system"),
    ("ship_return", "buyer"),  # the buyer shipped the goods back
)
"""Events a notification can imply, in order of preference when several reach the same state
(accepting an invitation to cancel and withdrawing both cancel; the invitation is what the
platform records)."""


@dataclass(frozen=True)
class Notification:
    """One decrypted after-sale status notification."""

    create_time: int
    status: str
    after_sale_order_id: str
    order_id: str

    @property
    def key(self) -> str:
        """Identifies a delivery: the same notification pushed again has the same key."""
        return f"wechat:{self.after_sale_order_id}:{self.create_time}:{self.status}"

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.create_time, UTC)


@dataclass(frozen=True)
class Reconciliation:
    """What processing a notification did."""

    action: str
    """``applied``, ``in_sync`` or ``divergence``."""
    case_id: str
    our_state: str
    platform_status: str
    event: str | None = None


def parse_notification(payload: str | bytes | Mapping[str, Any]) -> Notification:
    """Read a decrypted notification (JSON text or a mapping); bad input is ``invalid_input``."""
    try:
        obj = json.loads(payload) if isinstance(payload, str | bytes) else dict(payload)
        if obj.get("Event") != EVENT_NAME:
            raise ValueError(f"Event is {obj.get('Event')!r}, not {EVENT_NAME}")
        body = obj["finder_shop_aftersale_status_update"]
        notification = Notification(
            create_time=int(obj["CreateTime"]),
            status=str(body["status"]),
            after_sale_order_id=str(body["after_sale_order_id"]),
            order_id=str(body.get("order_id", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            f"Not an after-sale update notification: {exc}.", f"不是售后单更新通知:{exc}。", None
        ) from exc
    states_for_status(notification.status)  # an unknown status is a clear error
    return notification


def reconcile(store: CaseStore, notification: Notification) -> Reconciliation:
    """Bring our case in line with the platform's notification, or record why not."""
    case_id = store.case_for_platform_id(notification.after_sale_order_id)
    case = store.get(case_id)
    status = notification.status
    current = status_for(case.state, case.record.case_type)
    if current == status:
        return Reconciliation("in_sync", case_id, case.state, status)
    at = max(notification.at, case.last_at)
    parties = {"buyer": Actor.buyer(case.record.facts.buyer_id), "system": Actor.system()}
    # The notification carries no waybill: the platform's id stands in for it.
    data: dict[str, Any] = {"tracking": f"wechat:{notification.after_sale_order_id}"}
    fits = []
    for event, role in IMPLIED:
        verdict = case.would(event, parties[role], at=at, **data)
        after = verdict.state_after or ""
        if verdict.allowed and status_for(after, case.record.case_type) == status:
            fits.append((event, role, after))
    if fits and len({target for _, _, target in fits}) == 1:
        event, role, _ = fits[0]
        fields: dict[str, Any] = data if event == "ship_return" else {}
        actor = parties[role]
        store.send(case_id, event, actor=actor, at=at, command_id=notification.key, **fields)
        return Reconciliation("applied", case_id, case.state, status, event)
    store.record_divergence(
        case_id, notification.after_sale_order_id, status, case.state, notification.key, at
    )
    return Reconciliation("divergence", case_id, case.state, status)

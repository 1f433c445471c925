"""Test helpers: a fixed clock, actors, case facts and evidence. No test reads the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from aftersales import Actor, Case, EventRecord, catalog

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=CST)

MERCHANT = Actor.merchant("S1")
BUYER = Actor.buyer("B1")
PLATFORM = Actor.platform()
SYSTEM = Actor.system()


def at(hours: float = 0, days: float = 0) -> datetime:
    """A fixed time: T0 plus an offset."""
    return T0 + timedelta(hours=hours, days=days)


def facts(**overrides: Any) -> dict[str, Any]:
    """The facts of a plain refund case, with overrides."""
    base: dict[str, Any] = {
        "case_id": "C1",
        "order_id": "O1",
        "shop_id": "S1",
        "buyer_id": "B1",
        "type": "refund",
        "category": "ordinary",
        "paid_amount": 10000,
        "requested_amount": 10000,
        "buyer_reason": "no_reason",
        "opened_at": T0,
    }
    if "case_id" in overrides and "order_id" not in overrides:
        base["order_id"] = f"O-{overrides['case_id']}"  # one open case per order line
    return {**base, **overrides}


def ev(kind: str, ref: str = "m-1") -> dict[str, str]:
    """One evidence item."""
    return {"kind": kind, "ref": ref}


def negotiate(case: Case, reason: str, hours: float = 1, **data: Any) -> EventRecord:
    """The merchant negotiates with ``reason`` (type from the catalog) at ``at(hours)``."""
    ntype = catalog()[reason].negotiation_type
    return case.send(
        "negotiate",
        actor=MERCHANT,
        at=at(hours),
        data={"negotiation_type": ntype, "reason": reason, **data},
    )

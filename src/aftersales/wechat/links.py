"""Where our cases meet WeChat's orders: the platform id links, and divergences.

A divergence is kept once per message (its key), in the store's ``divergence`` table, and never
changes a case. ``aftersales verify`` and ``aftersales report`` list them with the raw status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..storage.commitments import Commitments
from ..storage.engine import savepoint, transaction
from ..storage.repository import not_found, safe_text
from ..storage.store import CaseStore
from ..storage.tables import case_table, divergence_table
from ..workflow.errors import Conflict, NotFound

_case = case_table.c


@dataclass(frozen=True)
class Divergence:
    """WeChat said something no sequence of our events explains."""

    id: int
    case_id: str | None
    platform_id: str
    platform_status: str
    """The raw status (or dispute status) WeChat sent."""
    our_state: str | None
    reason: str
    at: datetime


def link_platform_id(
    store: CaseStore, case_id: str, platform_id: str, *, session: Session | None = None
) -> None:
    """Link WeChat's after-sale order id to our case; ``conflict`` if another case has it."""
    with transaction(store.engine, session) as conn:
        taken = case_for(conn, platform_id)
        if taken not in (None, case_id):
            raise Conflict(
                f"WeChat after-sale {platform_id} is linked to case {taken} already.",
                f"微信售后单 {platform_id} 已关联售后单 {taken}。",
                "platform_id",
            )
        if not store.repository.commitments.reseal(conn, case_id, platform_id=platform_id):
            raise not_found(case_id)


def case_for_platform_id(
    store: CaseStore, platform_id: str, *, session: Session | None = None
) -> str:
    """Our case id for WeChat's after-sale order id; ``not_found`` if none is linked."""
    with transaction(store.engine, session) as conn:
        found = case_for(conn, platform_id)
    if found is None:
        raise NotFound(
            f"No case is linked to WeChat after-sale {platform_id!r:.80}.",
            f"没有售后单关联到微信售后单 {platform_id!r:.80}。",
            "platform_id",
        )
    return found


def case_for(conn: Connection, platform_id: str) -> str | None:
    """Our case id for WeChat's after-sale order id, inside a transaction."""
    query = sa.select(_case.case_id).where(_case.platform_id == platform_id)
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def complaint_of(conn: Connection, case_id: str) -> str | None:
    """The dispute id WeChat gave the case, if any."""
    query = sa.select(_case.complaint_id).where(_case.case_id == case_id)
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def link_complaint(
    conn: Connection, case_id: str, complaint_id: str, *, key: bytes | None = None
) -> None:
    """Keep the dispute id WeChat gave the case (``key``: the store's secret, for its seal)."""
    Commitments(key).reseal(conn, case_id, complaint_id=complaint_id)


def record_divergence(
    conn: Connection,
    *,
    key: str,
    platform_id: str,
    status: str,
    case_id: str | None,
    our_state: str | None,
    reason: str,
    at: datetime,
) -> bool:
    """Keep a disagreement with WeChat once per message; whether it was new."""
    exists = sa.select(divergence_table.c.id).where(divergence_table.c.key == key)
    if conn.execute(exists).first() is not None:
        return False
    row = {
        "key": safe_text(key, 300),
        "platform_id": safe_text(platform_id, 128),
        "platform_status": safe_text(status, 64),
        "case_id": case_id,
        "our_state": our_state,
        "reason": safe_text(reason, 500),
        "at": at,
    }
    try:
        with savepoint(conn):  # two deliveries at once: the second finds the key taken
            conn.execute(divergence_table.insert().values(**row))
    except sa.exc.IntegrityError:
        return False
    return True


def divergences(
    store: CaseStore, case_id: str | None = None, *, session: Session | None = None
) -> list[Divergence]:
    """Every recorded disagreement with WeChat (of one case, or all), oldest first."""
    query = sa.select(divergence_table).order_by(divergence_table.c.id)
    if case_id is not None:
        query = query.where(divergence_table.c.case_id == case_id)
    with transaction(store.engine, session) as conn:
        return [
            Divergence(
                row.id,
                row.case_id,
                row.platform_id,
                row.platform_status,
                row.our_state,
                row.reason,
                row.at,
            )
            for row in conn.execute(query)
        ]

"""The sweeper: fire due timers a batch of cases at a time, one case's failure isolated.

A case's running timer is its row's ``due_at``. The sweeper reads the due cases (locking them
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), lets each case fire its timers, and writes the
whole batch with one statement per table. A case that cannot be loaded, or whose expiry fails,
is parked: its row keeps the error, the sweeper skips it from then on, and every other due
timer fires. A row that says a timer is due while the case's own record disagrees is repaired
from the record (and logged).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..results import ParkedTimer
from ..workflow.case import Case
from ..workflow.record import PLATFORM_TIMERS, EventRecord
from .repository import CASE_COLUMNS, Repository, safe_text
from .statements import Statement
from .tables import case_table

logger = logging.getLogger("aftersales.sweeper")

_case = case_table.c
_PLATFORM_OWNED = sa.and_(
    _case.platform_id.is_not(None),
    _case.platform_id != "",
    _case.workflow_version >= 3,
    # the kinds are this package's constants, written into the statement (it is compiled once,
    # so an expanding IN of bound values is not available)
    _case.timer_kind.in_([sa.literal_column(f"'{kind}'") for kind in sorted(PLATFORM_TIMERS)]),
)
"""A row whose running timer the platform's clock owns (``CaseRecord.platform_owns``)."""
_DUE_NOW = sa.and_(_case.due_at <= sa.bindparam("b_now"), _case.timer_error.is_(None))
_DUE = (
    sa.select(*CASE_COLUMNS, _case.due_at, _case.timer_kind)
    .where(_DUE_NOW, sa.not_(_PLATFORM_OWNED))
    .order_by(_case.due_at)
)
DUE_CASES = Statement(_DUE.limit(sa.bindparam("b_limit")).with_for_update(skip_locked=True))
"""The due cases a local timer moves, soonest first, locked (rows another sweeper holds are
skipped). Cases waiting for WeChat are not among them, so however many there are, they never
hold back the cases behind them."""
DUE_CASE = Statement(
    _DUE.where(_case.case_id == sa.bindparam("b_case_id")).with_for_update(skip_locked=True)
)
_WAITING = (
    sa.select(_case.case_id, _case.platform_id, _case.timer_kind, _case.due_at)
    .where(_DUE_NOW, _PLATFORM_OWNED)
    .order_by(_case.due_at, _case.case_id)
)
WAITING = Statement(_WAITING.limit(sa.bindparam("b_limit")))
"""The linked cases whose platform-owned timer fell due: read, not locked, never moved."""
WAITING_CASE = Statement(_WAITING.where(_case.case_id == sa.bindparam("b_case_id")))


@dataclass(frozen=True)
class DueForFetch:
    """A linked case whose platform-owned timer fell due: fetch its after-sale order and
    ``sync`` it; the sweeper does not move it (docs/concepts/wechat.md, the platform's clock)."""

    case_id: str
    platform_id: str
    timer: str
    due: datetime


class Swept(list[EventRecord]):
    """The events the sweep fired, and (``due_for_fetch``) the linked cases it left to WeChat."""

    due_for_fetch: list[DueForFetch]

    def __init__(self, events: list[EventRecord], due_for_fetch: list[DueForFetch]) -> None:
        super().__init__(events)
        self.due_for_fetch = due_for_fetch


def sweep(
    conn: Connection,
    repository: Repository,
    now: datetime,
    limit: int,
    case_id: str | None,
    touched: set[str] | None = None,
) -> Swept:
    """Fire the timers due at ``now`` of at most ``limit`` cases (or of ``case_id``); the ids
    of the cases read are added to ``touched``."""
    if case_id is None:
        found = DUE_CASES.rows(conn, {"b_now": now, "b_limit": limit})
        held = WAITING.rows(conn, {"b_now": now, "b_limit": limit})
    else:
        found = DUE_CASE.rows(conn, {"b_now": now, "b_case_id": case_id})
        held = WAITING_CASE.rows(conn, {"b_now": now, "b_case_id": case_id})
    batch: list[Any] = []
    waiting = [
        DueForFetch(row["case_id"], row["platform_id"], row["timer_kind"], row["due_at"])
        for row in held
    ]
    if touched is not None:
        touched.update(values["case_id"] for values in found)
    for row in map(lambda values: SimpleNamespace(**values), found):
        try:
            loaded = repository.loaded(conn, row)
            case = loaded.case
            if not case.fire_due_timers(now):
                timer = case.due_for_fetch(now)
                if timer is None:
                    _repair(conn, row, case)
                else:
                    platform_id = case.record.facts.platform_id or ""
                    waiting.append(DueForFetch(case.case_id, platform_id, timer.kind, timer.due))
                continue
        except sa.exc.SQLAlchemyError:
            raise  # the database failed, not the case: every case waits for it
        except Exception as exc:  # one case must not stop the others
            _park(conn, repository, row.case_id, exc)
            continue
        batch.append(loaded)
    repository.append(conn, batch)
    return Swept([event for item in batch for event in item.case.events], waiting)


def _park(conn: Connection, repository: Repository, case_id: str, exc: Exception) -> None:
    error = safe_text(f"{type(exc).__name__}: {exc}", 500)
    logger.error("case %s: its due timer cannot fire, parked: %s", case_id, error)
    repository.commitments.reseal(conn, case_id, timer_error=error)


def _repair(conn: Connection, row: Any, case: Case) -> None:
    timer = case.timer
    logger.warning(
        "case %s: its row said a %s timer was due at %s; its record says %s. Row repaired.",
        row.case_id,
        row.timer_kind,
        row.due_at,
        "no timer" if timer is None else f"{timer.kind} due at {timer.due.isoformat()}",
    )
    conn.execute(
        case_table.update()
        .where(_case.case_id == row.case_id, _case.version == row.version)
        .values(
            due_at=None if timer is None else timer.due,
            timer_kind=None if timer is None else timer.kind,
        )
    )


def parked_timers(conn: Connection) -> list[ParkedTimer]:
    """Every parked case, oldest due first."""
    rows = conn.execute(
        sa.select(_case.case_id, _case.due_at, _case.timer_kind, _case.timer_error)
        .where(_case.timer_error.is_not(None))
        .order_by(_case.due_at, _case.case_id)
    )
    return [ParkedTimer(r.case_id, r.due_at, r.timer_kind, r.timer_error) for r in rows]


def unpark(conn: Connection, repository: Repository, case_id: str) -> bool | None:
    """Clear a case's parked error: whether it had one, or ``None`` if there is no such case."""
    parked = conn.execute(sa.select(_case.timer_error).where(_case.case_id == case_id)).first()
    if parked is None:
        return None
    if parked.timer_error is None:
        return False
    repository.commitments.reseal(conn, case_id, timer_error=None)
    return True

"""The statements of the hot paths, prepared once over the SQLModel tables."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .prepared import Prepared
from .tables import UTCDateTime, case_table, event_table, feed_table, refused_table, timer_table


def _p(name: str, type_: Any = None) -> Any:
    return sa.bindparam(name, type_=type_)


SELECT_CASE = Prepared(
    sa.select(case_table.c.snapshot, case_table.c.version, case_table.c.digest).where(
        case_table.c.case_id == _p("p_case_id")
    )
)
INSERT_CASE = Prepared(case_table.insert())
UPDATE_CASE = Prepared(
    case_table.update()
    .where(case_table.c.case_id == _p("p_case_id"), case_table.c.version == _p("p_version"))
    .values(
        state=_p("p_state"),
        due_at=_p("p_due_at", UTCDateTime()),
        last_at=_p("p_last_at", UTCDateTime()),
        liability=_p("p_liability"),
        refund_amount=_p("p_refund_amount"),
        resolution_seconds=_p("p_resolution_seconds"),
        version=_p("p_new_version"),
        digest=_p("p_digest"),
        snapshot=_p("p_snapshot"),
    )
)
INSERT_EVENT = Prepared(event_table.insert())
SELECT_EVENT = Prepared(
    sa.select(*event_table.columns).where(
        event_table.c.case_id == _p("p_case_id"), event_table.c.seq == _p("p_seq")
    )
)
INSERT_FEED = Prepared(feed_table.insert().values(case_id=_p("p_case_id"), seq=_p("p_seq")))
"""A feed row without its position: placed by :data:`PLACE_FEED` once it is visible."""
INSERT_FEED_PLACED = Prepared(
    feed_table.insert().values(
        case_id=_p("p_case_id"),
        seq=_p("p_seq"),
        position=sa.select(
            sa.func.coalesce(sa.func.max(feed_table.c.position), 0) + 1
        ).scalar_subquery(),
    )
)
"""A feed row placed on insert: for SQLite, whose one writer commits in the order it inserts."""
_unplaced = (
    sa.select(feed_table.c.id, sa.func.row_number().over(order_by=feed_table.c.id).label("n"))
    .where(feed_table.c.position.is_(None))
    .cte("unplaced")
)
PLACE_FEED = (
    feed_table.update()
    .where(feed_table.c.id == _unplaced.c.id)
    .values(
        position=sa.select(
            sa.func.coalesce(sa.func.max(feed_table.c.position), 0)
        ).scalar_subquery()
        + _unplaced.c.n
    )
)
"""Give every visible row without a position the next positions, in insert order."""
CLOSE_TIMER = Prepared(
    timer_table.update()
    .where(timer_table.c.case_id == _p("p_case_id"), timer_table.c.status == "running")
    .values(
        status=_p("p_status"),
        ended_seq=_p("p_ended_seq"),
        fired_at=_p("p_fired_at", UTCDateTime()),
    )
)
INSERT_TIMER = Prepared(
    timer_table.insert().values(
        case_id=_p("p_case_id"),
        kind=_p("p_kind"),
        state=_p("p_state"),
        due_at=_p("p_due_at", UTCDateTime()),
        status=_p("p_status"),
        started_seq=_p("p_started_seq"),
    )
)
_DUE = (
    sa.select(
        case_table.c.case_id, case_table.c.snapshot, case_table.c.version, case_table.c.digest
    )
    .join(timer_table, timer_table.c.case_id == case_table.c.case_id)
    .where(timer_table.c.status == "running", timer_table.c.due_at <= _p("p_now", UTCDateTime()))
)
DUE_CASES = Prepared(
    _DUE.order_by(timer_table.c.due_at).limit(_p("p_limit")).with_for_update(skip_locked=True)
)
"""Cases with a timer due, soonest first, with what loading them needs; on PostgreSQL their
timer and case rows are locked, rows another sweeper holds skipped."""
DUE_CASE = Prepared(
    _DUE.where(case_table.c.case_id == _p("p_case_id")).with_for_update(skip_locked=True)
)
INSERT_REFUSED = Prepared(
    refused_table.insert().values(
        case_id=_p("p_case_id"),
        event=_p("p_event"),
        actor_role=_p("p_actor_role"),
        actor_id=_p("p_actor_id"),
        at=_p("p_at", UTCDateTime()),
        code=_p("p_code"),
        field=_p("p_field"),
        state=_p("p_state"),
        command_id=_p("p_command_id"),
        data=_p("p_data"),
    )
)

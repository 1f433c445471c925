"""The report's queries: after-sales metrics counted in SQL, per shop and period.

Everything is counted over indexed columns (the case row, the log's event column, the
refused-command log); only the medians and the weekly buckets are finished in Python.
:class:`ReportMethods` is the part of :class:`CaseStore` that runs them; the figures are the
models of :mod:`aftersales.metrics`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ..metrics import SUMMED, Metrics, MetricsReport, NegotiationStat, Period, Week
from .engine import transaction
from .tables import case_table, event_table, refused_table


class ReportMethods:
    """The store's metrics: :meth:`report` and :meth:`weekly`."""

    engine: Engine

    def report(
        self, period: Period | None = None, *, session: Session | None = None
    ) -> MetricsReport:
        """Metrics for all cases of ``period`` (default: every case) and for each category."""
        where = period_filters(period or Period())
        groups: dict[str, Metrics] = defaultdict(lambda: Metrics())
        with transaction(self.engine, session) as conn:
            _cases(conn, groups, where)
            _rejections(conn, groups, where)
            _negotiations(conn, groups, where)
            _interventions(conn, groups, where)
            _events(conn, groups, where)
            medians = _resolutions(conn, where)
        for cat, values in medians.items():
            groups[cat].median_resolution_hours = statistics.median(values) / 3600
        return _with_total(dict(groups), [v for values in medians.values() for v in values])

    def weekly(
        self,
        period: Period | None = None,
        *,
        zone: tzinfo | None = None,
        session: Session | None = None,
    ) -> list[Week]:
        """Per week of opening (from Monday midnight in ``zone``; by default ``period.since``'s
        time zone, or UTC): rejection rate and merchant-liable share."""
        period = period or Period()
        if zone is None and period.since is not None:
            zone = period.since.tzinfo
        weeks: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        with transaction(self.engine, session) as conn:
            for opened, was_rejected, liability in conn.execute(_weekly_query(period)):
                local = opened.astimezone(zone) if zone is not None else opened
                day = local.replace(hour=0, minute=0, second=0, microsecond=0)
                bucket = weeks[day - timedelta(days=day.weekday())]
                bucket[0] += 1
                bucket[1] += bool(was_rejected)
                bucket[2] += liability is not None
                bucket[3] += liability == "merchant"
        return [
            Week(start, b[1] / b[0] if b[0] else None, b[3] / b[2] if b[2] else None)
            for start, b in sorted(weeks.items())
        ]


def period_filters(period: Period) -> list[Any]:
    """The conditions on the case table that choose the cases of ``period``."""
    found: list[Any] = []
    if period.shop is not None:
        found.append(case_table.c.shop_id == period.shop)
    if period.since is not None:
        found.append(case_table.c.opened_at >= period.since)
    if period.until is not None:
        found.append(case_table.c.opened_at < period.until)
    return found


def _weekly_query(period: Period) -> Any:
    rejected = (
        sa.select(event_table.c.case_id).where(event_table.c.event == "reject").scalar_subquery()
    )
    return sa.select(
        case_table.c.opened_at, case_table.c.case_id.in_(rejected), case_table.c.liability
    ).where(*period_filters(period))


def _json_text(conn: Connection, column: Any, key: str) -> Any:
    # SQLite reads the JSON column with json_extract, PostgreSQL its JSONB with ->>.
    return sa.type_coerce(column, sa.JSON)[key].as_string()


_JOINED = event_table.join(case_table, event_table.c.case_id == case_table.c.case_id)
_CATEGORY = case_table.c.category
_EVENT_COUNTS = {
    "modify": "modifications",
    "intercept": "interceptions",
    "intercept_succeeded": "interceptions_succeeded",
}
"""The events the report counts, each into its figure."""


def _cases(conn: Connection, groups: dict[str, Metrics], where: list[Any]) -> None:
    query = sa.select(
        _CATEGORY,
        sa.func.count(),
        sa.func.count().filter(case_table.c.type == "exchange"),
        sa.func.count().filter(case_table.c.state == "exchanged"),
        sa.func.sum(case_table.c.version),  # a case's version is its number of events
    ).where(*where)
    for cat, n, exchanges, exchanged, events in conn.execute(query.group_by(_CATEGORY)):
        metrics = groups[cat]
        metrics.cases, metrics.exchanges, metrics.exchanged = n, exchanges, exchanged
        metrics.events_by_origin["local"] = int(events or 0)  # _events takes the platform's out


def _rejections(conn: Connection, groups: dict[str, Metrics], where: list[Any]) -> None:
    direct = event_table.c.state_before == "requested"
    rejections = (
        sa.select(
            _CATEGORY,
            sa.func.count(sa.distinct(event_table.c.case_id)),
            sa.func.count().filter(direct),
            sa.func.count().filter(direct, event_table.c.origin == "platform"),
        )
        .select_from(_JOINED)
        .where(event_table.c.event == "reject", *where)
        .group_by(_CATEGORY)
    )
    for cat, cases, n_direct, console in conn.execute(rejections):
        metrics = groups[cat]
        metrics.rejected_cases, metrics.direct_rejections = cases, n_direct
        metrics.console_direct_rejections = console
    blocked = (
        sa.select(_CATEGORY, sa.func.count())
        .select_from(
            refused_table.join(case_table, refused_table.c.case_id == case_table.c.case_id)
        )
        .where(
            refused_table.c.event == "reject",
            refused_table.c.code == "negotiation_required",
            *where,
        )
        .group_by(_CATEGORY)
    )
    for cat, n in conn.execute(blocked):
        groups[cat].blocked_direct_rejections = n


def _negotiations(conn: Connection, groups: dict[str, Metrics], where: list[Any]) -> None:
    answer = event_table.alias("answer")
    ntype = _json_text(conn, event_table.c.data, "negotiation_type")
    reason = _json_text(conn, event_table.c.data, "reason")
    went_along = sa.case((answer.c.event.in_(("accept", "supply_evidence")), 1), else_=0)
    query = (
        sa.select(_CATEGORY, ntype, reason, sa.func.count(), sa.func.sum(went_along))
        .select_from(
            _JOINED.outerjoin(
                answer,
                sa.and_(
                    answer.c.case_id == event_table.c.case_id,
                    answer.c.seq == event_table.c.seq + 1,
                ),
            )
        )
        .where(event_table.c.event == "negotiate", *where)
        .group_by(_CATEGORY, ntype, reason)
        .order_by(_CATEGORY, ntype, reason)
    )
    for cat, kind, why, count, accepted in conn.execute(query):
        groups[cat].negotiations.append(
            NegotiationStat(
                negotiation_type=kind, reason=why, count=count, accepted=int(accepted or 0)
            )
        )


def _interventions(conn: Connection, groups: dict[str, Metrics], where: list[Any]) -> None:
    intervened = (
        sa.select(_CATEGORY, sa.func.count(sa.distinct(event_table.c.case_id)))
        .select_from(_JOINED)
        .where(event_table.c.event.in_(("intervene", "escalate")), *where)
        .group_by(_CATEGORY)
    )
    for cat, n in conn.execute(intervened):
        groups[cat].interventions = n
    ruled = (
        sa.select(_CATEGORY, case_table.c.liability, sa.func.count())
        .where(case_table.c.liability.is_not(None), *where)
        .group_by(_CATEGORY, case_table.c.liability)
    )
    for cat, liability, n in conn.execute(ruled):
        metrics = groups[cat]
        metrics.rulings[liability] = n
        metrics.ruled += n
        if liability == "merchant":
            metrics.merchant_liable = n


def _events(conn: Connection, groups: dict[str, Metrics], where: list[Any]) -> None:
    """The events learned from the platform (a partial index holds just those; every other event
    is local) and the events of the kinds the report counts (the event index): no pass over the
    whole log."""
    platform = (
        sa.select(_CATEGORY, sa.func.count())
        .select_from(_JOINED)
        .where(event_table.c.origin == "platform", *where)
        .group_by(_CATEGORY)
    )
    for cat, n in conn.execute(platform):
        origins = groups[cat].events_by_origin
        origins["platform"] = n
        origins["local"] = origins.get("local", 0) - n
    kinds = (
        sa.select(_CATEGORY, event_table.c.event, sa.func.count())
        .select_from(_JOINED)
        .where(event_table.c.event.in_(_EVENT_COUNTS), *where)
        .group_by(_CATEGORY, event_table.c.event)
    )
    for cat, kind, n in conn.execute(kinds):
        setattr(groups[cat], _EVENT_COUNTS[kind], n)
    for metrics in groups.values():
        metrics.events_by_origin = {k: v for k, v in metrics.events_by_origin.items() if v}


def _resolutions(conn: Connection, where: list[Any]) -> dict[str, list[int]]:
    medians: dict[str, list[int]] = defaultdict(list)
    query = sa.select(_CATEGORY, case_table.c.resolution_seconds).where(
        case_table.c.resolution_seconds.is_not(None), *where
    )
    for cat, seconds in conn.execute(query):
        medians[cat].append(seconds)
    return medians


def _with_total(groups: dict[str, Metrics], resolutions: list[int]) -> MetricsReport:
    total = Metrics()
    for name in SUMMED:
        setattr(total, name, sum(getattr(m, name) for m in groups.values()))
    merged: dict[tuple[str, str], NegotiationStat] = {}
    for metrics in groups.values():
        for stat in metrics.negotiations:
            into = merged.setdefault(
                (stat.negotiation_type, stat.reason),
                NegotiationStat(negotiation_type=stat.negotiation_type, reason=stat.reason),
            )
            into.count += stat.count
            into.accepted += stat.accepted
        for key, value in metrics.rulings.items():
            total.rulings[key] = total.rulings.get(key, 0) + value
        for key, value in metrics.events_by_origin.items():
            total.events_by_origin[key] = total.events_by_origin.get(key, 0) + value
    total.negotiations = [merged[key] for key in sorted(merged)]
    total.median_resolution_hours = statistics.median(resolutions) / 3600 if resolutions else None
    return MetricsReport(total, dict(sorted(groups.items())))

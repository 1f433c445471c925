"""After-sales metrics from the store, per shop and period, overall and by category.

Everything is counted in SQL over indexed columns (the case row, the log's event column, the
refused-command log); only the median and the weekly buckets are finished in Python.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .storage.engine import transaction
from .storage.store import CaseStore
from .storage.tables import case_table, event_table, refused_table

ALL = "all"


@dataclass
class NegotiationStat:
    """How often one negotiation type and reason was used, and how often the buyer went along
    (accepted it, or supplied the evidence it asked for)."""

    negotiation_type: str
    reason: str
    count: int = 0
    accepted: int = 0

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.count if self.count else None


@dataclass
class Metrics:
    """The figures of one group of cases (a category, or all)."""

    cases: int = 0
    rejected_cases: int = 0
    direct_rejections: int = 0
    blocked_direct_rejections: int = 0
    negotiations: list[NegotiationStat] = field(default_factory=list)
    interventions: int = 0
    ruled: int = 0
    merchant_liable: int = 0
    median_resolution_hours: float | None = None

    @property
    def rejection_rate(self) -> float | None:
        """售后拒绝率: cases with a merchant rejection / cases."""
        return self.rejected_cases / self.cases if self.cases else None

    @property
    def merchant_liable_share(self) -> float | None:
        """Of the cases the platform ruled, the share where the merchant was liable."""
        return self.merchant_liable / self.ruled if self.ruled else None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["rejection_rate"] = self.rejection_rate
        out["merchant_liable_share"] = self.merchant_liable_share
        out["negotiations"] = [
            {**asdict(n), "acceptance_rate": n.acceptance_rate} for n in self.negotiations
        ]
        return out


def _filters(shop: str | None, since: datetime | None, until: datetime | None) -> list[Any]:
    found: list[Any] = []
    if shop is not None:
        found.append(case_table.c.shop_id == shop)
    if since is not None:
        found.append(case_table.c.opened_at >= since)
    if until is not None:
        found.append(case_table.c.opened_at < until)
    return found


def _json_text(conn: Connection, column: Any, key: str) -> Any:
    # The log keeps data as JSON text: SQLite reads it as JSON directly, PostgreSQL after a cast.
    if conn.dialect.name == "postgresql":
        return sa.cast(column, sa.JSON)[key].as_string()
    return sa.type_coerce(column, sa.JSON)[key].as_string()


def report(
    store: CaseStore,
    shop: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Metrics]:
    """Metrics for ``all`` cases and for each category, of ``shop`` opened in [since, until)."""
    where = _filters(shop, since, until)
    groups: dict[str, Metrics] = defaultdict(Metrics)
    category = case_table.c.category
    joined = event_table.join(case_table, event_table.c.case_id == case_table.c.case_id)
    with transaction(store.engine) as conn:
        for cat, n in conn.execute(
            sa.select(category, sa.func.count()).where(*where).group_by(category)
        ):
            groups[cat].cases = n
        rejections = (
            sa.select(
                category,
                sa.func.count(sa.distinct(event_table.c.case_id)),
                sa.func.sum(sa.case((event_table.c.state_before == "requested", 1), else_=0)),
            )
            .select_from(joined)
            .where(event_table.c.event == "reject", *where)
            .group_by(category)
        )
        for cat, cases, direct in conn.execute(rejections):
            groups[cat].rejected_cases, groups[cat].direct_rejections = cases, int(direct or 0)
        blocked = (
            sa.select(category, sa.func.count())
            .select_from(
                refused_table.join(case_table, refused_table.c.case_id == case_table.c.case_id)
            )
            .where(
                refused_table.c.event == "reject",
                refused_table.c.code == "negotiation_required",
                *where,
            )
            .group_by(category)
        )
        for cat, n in conn.execute(blocked):
            groups[cat].blocked_direct_rejections = n
        _negotiations(conn, groups, where)
        _interventions(conn, groups, where)
        medians = defaultdict(list)
        for cat, seconds in conn.execute(
            sa.select(category, case_table.c.resolution_seconds).where(
                case_table.c.resolution_seconds.is_not(None), *where
            )
        ):
            medians[cat].append(seconds)
    for cat, values in medians.items():
        groups[cat].median_resolution_hours = statistics.median(values) / 3600
    return _with_total(dict(groups), [v for values in medians.values() for v in values])


def _negotiations(conn: Connection, groups: dict[str, Metrics], where: list[Any]) -> None:
    answer = event_table.alias("answer")
    ntype = _json_text(conn, event_table.c.data, "negotiation_type")
    reason = _json_text(conn, event_table.c.data, "reason")
    went_along = sa.case((answer.c.event.in_(("accept", "supply_evidence")), 1), else_=0)
    query = (
        sa.select(case_table.c.category, ntype, reason, sa.func.count(), sa.func.sum(went_along))
        .select_from(
            event_table.join(case_table, event_table.c.case_id == case_table.c.case_id).outerjoin(
                answer,
                sa.and_(
                    answer.c.case_id == event_table.c.case_id,
                    answer.c.seq == event_table.c.seq + 1,
                ),
            )
        )
        .where(event_table.c.event == "negotiate", *where)
        .group_by(case_table.c.category, ntype, reason)
        .order_by(case_table.c.category, ntype, reason)
    )
    for cat, kind, why, count, accepted in conn.execute(query):
        groups[cat].negotiations.append(NegotiationStat(kind, why, count, int(accepted or 0)))


def _interventions(conn: Connection, groups: dict[str, Metrics], where: list[Any]) -> None:
    category = case_table.c.category
    joined = event_table.join(case_table, event_table.c.case_id == case_table.c.case_id)
    intervened = (
        sa.select(category, sa.func.count(sa.distinct(event_table.c.case_id)))
        .select_from(joined)
        .where(event_table.c.event.in_(("intervene", "escalate")), *where)
        .group_by(category)
    )
    for cat, n in conn.execute(intervened):
        groups[cat].interventions = n
    ruled = sa.select(
        category,
        sa.func.count(),
        sa.func.sum(sa.case((case_table.c.liability == "merchant", 1), else_=0)),
    ).where(case_table.c.liability.is_not(None), *where)
    for cat, n, merchant in conn.execute(ruled.group_by(category)):
        groups[cat].ruled, groups[cat].merchant_liable = n, int(merchant or 0)


def _with_total(groups: dict[str, Metrics], resolutions: list[int]) -> dict[str, Metrics]:
    total = Metrics()
    for name in ("cases", "rejected_cases", "direct_rejections", "blocked_direct_rejections"):
        setattr(total, name, sum(getattr(m, name) for m in groups.values()))
    for name in ("interventions", "ruled", "merchant_liable"):
        setattr(total, name, sum(getattr(m, name) for m in groups.values()))
    merged: dict[tuple[str, str], NegotiationStat] = {}
    for metrics in groups.values():
        for stat in metrics.negotiations:
            into = merged.setdefault(
                (stat.negotiation_type, stat.reason),
                NegotiationStat(stat.negotiation_type, stat.reason),
            )
            into.count += stat.count
            into.accepted += stat.accepted
    total.negotiations = [merged[key] for key in sorted(merged)]
    total.median_resolution_hours = statistics.median(resolutions) / 3600 if resolutions else None
    return {ALL: total, **dict(sorted(groups.items()))}


def weekly(
    store: CaseStore,
    shop: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[datetime, float | None, float | None]]:
    """Per week of opening (Monday, UTC): rejection rate and merchant-liable share."""
    where = _filters(shop, since, until)
    rejected = (
        sa.select(event_table.c.case_id).where(event_table.c.event == "reject").scalar_subquery()
    )
    query = sa.select(
        case_table.c.opened_at, case_table.c.case_id.in_(rejected), case_table.c.liability
    ).where(*where)
    weeks: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with transaction(store.engine) as conn:
        for opened, was_rejected, liability in conn.execute(query):
            day = opened.replace(hour=0, minute=0, second=0, microsecond=0)
            bucket = weeks[day - timedelta(days=day.weekday())]
            bucket[0] += 1
            bucket[1] += bool(was_rejected)
            bucket[2] += liability is not None
            bucket[3] += liability == "merchant"
    return [
        (week, b[1] / b[0] if b[0] else None, b[3] / b[2] if b[2] else None)
        for week, b in sorted(weeks.items())
    ]

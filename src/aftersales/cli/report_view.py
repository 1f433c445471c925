"""The report as tables for people (``aftersales report``)."""

from __future__ import annotations

from rich.table import Table

from ..metrics import Metrics, MetricsReport
from .console import safe


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def report_table(report: MetricsReport) -> Table:
    """One row per category and one for all cases."""
    table = Table(title="after-sales report / 售后指标")
    for column in (
        "category",
        "cases",
        "rejection rate",
        "direct rej. (console)",
        "blocked direct",
        "negotiations",
        "interventions",
        "merchant liable",
        "exchanges",
        "interceptions",
        "changed requests",
        "median h",
    ):
        table.add_column(column)
    for name, m in [("all", report.overall), *report.by_category.items()]:
        hours = m.median_resolution_hours
        table.add_row(
            safe(name),
            str(m.cases),
            _rate(m.rejection_rate),
            f"{m.direct_rejections} ({m.console_direct_rejections})",
            str(m.blocked_direct_rejections),
            str(sum(n.count for n in m.negotiations)),
            str(m.interventions),
            _rate(m.merchant_liable_share),
            f"{m.exchanged}/{m.exchanges}",
            f"{m.interceptions_succeeded}/{m.interceptions}",
            str(m.modifications),
            "-" if hours is None else f"{hours:.1f}",
        )
    rulings = ", ".join(f"{k} {v}" for k, v in sorted(report.overall.rulings.items())) or "none"
    origins = ", ".join(f"{k} {v}" for k, v in sorted(report.overall.events_by_origin.items()))
    table.caption = f"rulings by liability: {rulings}; events by origin: {origins or 'none'}"
    return table


def negotiation_table(metrics: Metrics) -> Table:
    """Each negotiation type and reason, how often used and accepted."""
    table = Table(title="negotiations / 协商")
    for column in ("type", "reason", "count", "accepted", "rate"):
        table.add_column(column)
    for n in metrics.negotiations:
        table.add_row(
            safe(n.negotiation_type),
            safe(n.reason),
            str(n.count),
            str(n.accepted),
            _rate(n.acceptance_rate),
        )
    return table

"""``aftersales report``: after-sales metrics per shop and period, and WeChat's divergences."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..formats import ReportOutput
from ..metrics import MetricsReport, Period
from ..storage import PlatformDivergence
from .console import err, fail, handled, out, print_json, safe
from .options import Db, Json, Tz, moment_option, open_store, zone_option
from .report_view import negotiation_table, report_table


def report_command(
    db: Db = None,
    shop: Annotated[str | None, typer.Option(help="Only this shop.")] = None,
    since: Annotated[str | None, typer.Option(help="Opened on or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Opened before (ISO date).")] = None,
    tz: Tz = "Asia/Shanghai",
    as_json: Json = False,
    chart: Annotated[
        Path | None, typer.Option(help="Draw the weekly rates into this SVG file.")
    ] = None,
) -> None:
    """After-sales metrics per shop and period, overall and by category.

    Rejection rate (售后拒绝率), direct rejections (also those made in the shop console) and
    blocked ones, negotiations and their acceptance, interventions, rulings by liability,
    exchanges, interceptions, changed requests, events by origin, median time to resolution,
    and WeChat divergences with their raw status. Days start at midnight in --tz.

    Example: aftersales report --db cases.db --shop S1 --since 2026-03-01
    """
    zone = zone_option(tz)
    start, end = moment_option(since, "since", zone), moment_option(until, "until", zone)
    if start is not None and end is not None and start >= end:
        fail("--since must come before --until")
    with handled():
        store = open_store(db)
        period = Period(shop, start, end)
        result = store.report(period)
        platform = store.divergences(period=period)  # the chosen cases' disagreements
        _print(result, platform, as_json)
        if chart is not None:
            from .chart import draw_weekly

            draw_weekly(store.weekly(period, zone=zone), chart)
            err.print(f"chart written to {safe(chart)}")


def _print(result: MetricsReport, platform: list[PlatformDivergence], as_json: bool) -> None:
    if as_json:
        groups = {"all": result.overall, **result.by_category}
        print_json(
            ReportOutput.model_validate(
                {"groups": groups, "divergences": platform}, from_attributes=True
            )
        )
        return
    out.print(report_table(result))
    out.print(negotiation_table(result.overall))
    for d in platform:
        out.print(
            f"[yellow]WeChat {safe(d.platform_status)} for {safe(d.case_id or '-')}"
            f" ({safe(d.our_state or '-')}): {safe(d.reason)}[/yellow]"
        )

"""The ``aftersales`` command: thin commands over the library."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console

from .account import outcome_account, summary_table
from .histories import (
    HistoryError,
    MemoryTarget,
    Outcome,
    Target,
    dump_lines,
    export_lines,
    replay_file,
)
from .storage.engine import DEFAULT_URL
from .storage.replay import StoreTarget
from .storage.store import CaseStore
from .workflow.errors import AftersalesError

app = typer.Typer(
    help="WeChat Shop after-sales cases as an explicit, tested state machine.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic).", no_args_is_help=True)
timers_app = typer.Typer(help="Durable timers.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(timers_app, name="timers")

out = Console()
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[str, typer.Option("--db", help="Database URL.")]


def _store(url: str) -> CaseStore:
    try:
        return CaseStore(url)
    except AftersalesError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def replay(
    files: Annotated[list[Path], typer.Argument(help="History files (JSON Lines).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
    db: Annotated[str | None, typer.Option("--db", help="Replay through this store.")] = None,
) -> None:
    """Replay case histories and check their expectations.

    Exit 0 when every expectation held, 1 when one failed or a command was refused
    unexpectedly, 2 when a file cannot be read or parsed.

    Example: aftersales replay tests/histories/*.jsonl
    """
    store = None
    if db:
        from .storage.migrate import upgrade

        store = _store(db)
        upgrade(db)  # the schema is Alembic's, also when a replay creates the database
    outcomes: list[Outcome] = []
    code = 0
    for path in files:
        target: Target = StoreTarget(store) if store is not None else MemoryTarget()
        try:
            outcome = replay_file(path, target)
        except HistoryError as exc:
            err.print(f"[red]{exc}[/red]")
            code = 2
            continue
        outcomes.append(outcome)
        for failure in outcome.failures:
            err.print(f"[red]{failure}[/red]")
        code = max(code, 0 if outcome.ok else 1)
        if as_json:
            print(json.dumps(outcome.to_json(), ensure_ascii=False))
        elif len(files) == 1:
            out.print(outcome_account(outcome))
    if not as_json and len(files) > 1:
        out.print(summary_table(outcomes))
    raise typer.Exit(code)


@app.command()
def export(
    case_id: Annotated[str, typer.Argument(help="The case to export.")],
    db: DbOption = DEFAULT_URL,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
) -> None:
    """Write a stored case as a history file that replays to the same states.

    Example: aftersales export C1 --db sqlite:///aftersales.db -o C1.jsonl
    """
    store = _store(db)
    try:
        text = dump_lines(export_lines(store.history(case_id), store.get(case_id)))
    except AftersalesError as exc:
        err.print(f"[red]{exc.code}: {exc}[/red]")
        raise typer.Exit(1) from exc
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
def verify(
    db: DbOption = DEFAULT_URL,
    case: Annotated[str | None, typer.Option("--case", help="Only this case.")] = None,
) -> None:
    """Check every stored case: digest chain intact, log replays to the recorded states.

    Exits 1 on any divergence. Example: aftersales verify --db sqlite:///aftersales.db
    """
    from .storage.verify import verify_all, verify_case

    store = _store(db)
    found = [d for d in [verify_case(store, case)] if d] if case else verify_all(store)
    for divergence in found:
        err.print(f"[red]{divergence}[/red]")
    checked = 1 if case else len(store.case_ids())
    out.print(f"{checked} case(s) checked, {len(found)} divergence(s)")
    # Disagreements with WeChat are not integrity faults: shown, not failed on.
    for row in store.divergences():
        if case is None or row["case_id"] == case:
            out.print(
                f"[yellow]platform: {row['case_id']} is {row['our_state']}, WeChat says "
                f"{row['platform_status']} ({row['platform_id']})[/yellow]"
            )
    raise typer.Exit(1 if found else 0)


@timers_app.command("run")
def timers_run(
    db: DbOption = DEFAULT_URL,
    once: Annotated[bool, typer.Option("--once", help="One sweep, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between sweeps.")] = 5.0,
    now: Annotated[str | None, typer.Option(help="Sweep as of this time (ISO 8601).")] = None,
    batch: Annotated[int, typer.Option(help="Cases per transaction.")] = 500,
) -> None:
    """Fire due timers: once, or every INTERVAL seconds until interrupted.

    Example: aftersales timers run --db sqlite:///aftersales.db --once
    """
    store = _store(db)
    while True:
        total = 0
        with out.status("sweeping due timers...") as status:
            while True:
                fired = store.fire_due_timers(now or datetime.now(UTC), limit=batch)
                total += fired
                status.update(f"sweeping due timers... {total} fired")
                if fired == 0:
                    break
        out.print(f"{total} timer event(s) fired")
        if once:
            return
        time.sleep(interval)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = DEFAULT_URL) -> None:
    """Create or upgrade the schema with Alembic. Example: aftersales db upgrade --db URL"""
    from .storage.migrate import upgrade

    upgrade(db)
    out.print(f"schema at head: {db}")


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="SQLite file; recreated each run.")] = Path(
        "aftersales-demo.db"
    ),
    diagrams: Annotated[
        Path | None, typer.Option(help="Render the training diagrams into this folder.")
    ] = None,
) -> None:
    """Play the seed scenarios through a fresh SQLite store and show each case's path.

    The database file is deleted and recreated on every run, so running it twice works.
    """
    from .demo import run_demo

    run_demo(db, out, diagrams)


def main() -> None:  # pragma: no cover - the console script
    app()


diagrams_app = typer.Typer(help="Training diagrams.", no_args_is_help=True)
app.add_typer(diagrams_app, name="diagrams")


@diagrams_app.command("render")
def diagrams_render(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write.")] = Path("diagrams"),
) -> None:
    """Regenerate the committed training set (DOT and SVG) and diagrams/index.html."""
    from .diagrams.render import render_all

    written = render_all(out_dir)
    out.print(f"{len(written)} files written to {out_dir}/")


@app.command()
def diagram(
    history_file: Annotated[
        Path | None, typer.Option("--history", help="Draw this history's path.")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="Draw this stored case.")] = None,
    db: DbOption = DEFAULT_URL,
    output: Annotated[Path, typer.Option("-o", "--output", help="File stem.")] = Path("case"),
    fmt: Annotated[str, typer.Option("--format", help="svg, png, pdf or dot.")] = "svg",
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """Draw one case's actual path over the machine, steps numbered.

    Example: aftersales diagram --history tests/histories/idempotent_retries.jsonl --format png
    """
    from .diagrams.render import FORMATS, Lang, case_diagram, write

    if fmt not in FORMATS or lang not in ("zh", "en") or (history_file is None) == (case is None):
        err.print("give exactly one of --history or --case; --format svg|png|pdf|dot; --lang zh|en")
        raise typer.Exit(2)
    try:
        if history_file is not None:
            target = MemoryTarget()
            replay_file(history_file, target)
            shown = target.case
        else:
            assert case is not None
            shown = _store(db).get(case)
    except (HistoryError, AftersalesError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    dot = case_diagram(shown.events, shown.path, shown.case_id, cast(Lang, lang))  # checked above
    [written] = write(dot, output.parent, output.name, [fmt])
    out.print(f"wrote {written}")


def _day(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        err.print(f"[red]--{name} must be a date like 2026-03-01[/red]")
        raise typer.Exit(2) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("report")
def report_command(
    db: DbOption = DEFAULT_URL,
    shop: Annotated[str | None, typer.Option(help="Only this shop.")] = None,
    since: Annotated[str | None, typer.Option(help="Opened on or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Opened before (ISO date).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
    chart: Annotated[
        Path | None, typer.Option(help="Draw the weekly rates into this SVG file.")
    ] = None,
) -> None:
    """After-sales metrics per shop and period, overall and by category.

    Rejection rate (售后拒绝率), direct and blocked direct rejections, negotiations and their
    acceptance, interventions and the merchant-liable share, median time to resolution.

    Example: aftersales report --db sqlite:///aftersales.db --shop S1 --since 2026-03-01
    """
    from .metrics import report, weekly

    store = _store(db)
    start, end = _day(since, "since"), _day(until, "until")
    groups = report(store, shop, start, end)
    divergences = store.divergences()
    if as_json:
        payload = {name: metrics.to_json() for name, metrics in groups.items()}
        print(json.dumps({"groups": payload, "divergences": len(divergences)}, default=str))
    else:
        out.print(_report_table(groups))
        out.print(_negotiation_table(groups["all"]))
        if divergences:
            out.print(f"[yellow]{len(divergences)} divergence(s) from WeChat Shop[/yellow]")
    if chart is not None:
        from .chart import draw_weekly

        draw_weekly(weekly(store, shop, start, end), chart)
        out.print(f"chart written to {chart}")


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _report_table(groups: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="after-sales report / 售后指标")
    for column in (
        "category",
        "cases",
        "rejection rate",
        "direct rej.",
        "blocked direct",
        "negotiations",
        "interventions",
        "merchant liable",
        "median h",
    ):
        table.add_column(column)
    for name, m in groups.items():
        hours = m.median_resolution_hours
        table.add_row(
            name,
            str(m.cases),
            _rate(m.rejection_rate),
            str(m.direct_rejections),
            str(m.blocked_direct_rejections),
            str(sum(n.count for n in m.negotiations)),
            str(m.interventions),
            _rate(m.merchant_liable_share),
            "-" if hours is None else f"{hours:.1f}",
        )
    return table


def _negotiation_table(metrics: Any) -> Any:
    from rich.table import Table

    table = Table(title="negotiations / 协商")
    for column in ("type", "reason", "count", "accepted", "rate"):
        table.add_column(column)
    for n in metrics.negotiations:
        table.add_row(
            n.negotiation_type, n.reason, str(n.count), str(n.accepted), _rate(n.acceptance_rate)
        )
    return table

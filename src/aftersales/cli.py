"""The ``aftersales`` command: thin commands over the library.

Each command builds the library object, calls it, and formats the result: JSON for machines
(``--json``), tables for people. ``--db`` takes a database URL or a plain path to a SQLite file,
the same way everywhere (or ``AFTERSALES_DB``); only ``demo`` and ``db upgrade`` create one.
"""

from __future__ import annotations

from .extras import require

require("the aftersales command", "cli", "typer", "rich", "sqlalchemy", "alembic")

import math
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from . import __version__
from .console import (
    EXIT_CODES_HELP,
    FAILED,
    OK,
    db_option_value,
    err,
    existing_sqlite_file,
    fail,
    handled,
    out,
    print_json,
    progress,
    safe,
    settings,
)
from .formats import (
    DbCurrentOutput,
    ExportOutput,
    ReplayFileOutput,
    ReportOutput,
    TimersOutput,
    VerifyOutput,
)
from .histories import HistoryError, MemoryTarget, Outcome, Target, dump_lines, export_lines
from .workflow.errors import StorageUnavailable
from .workflow.inputs import MAX_YEAR, MIN_YEAR

app = typer.Typer(
    help=f"WeChat Shop after-sales cases as an explicit, tested state machine. {EXIT_CODES_HELP}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help=f"Database schema (Alembic). {EXIT_CODES_HELP}", no_args_is_help=True)
timers_app = typer.Typer(help=f"Durable timers. {EXIT_CODES_HELP}", no_args_is_help=True)
diagrams_app = typer.Typer(help="Training diagrams.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(timers_app, name="timers")
app.add_typer(diagrams_app, name="diagrams")

Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL, or a path to a SQLite file (or AFTERSALES_DB)."),
]
Json = Annotated[bool, typer.Option("--json", help="JSON on stdout, for machines.")]
SUMMARY_ABOVE = 40
"""Above this many history files, the summary table is printed only when asked for."""


def _version(value: bool) -> None:
    if value:
        out.print(f"aftersales {__version__}")
        raise typer.Exit(OK)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """WeChat Shop after-sales cases as an explicit, tested state machine."""
    settings["debug"] = debug


def _store(db: str | None, *, create: bool = False) -> Any:
    from .storage import CaseStore

    url = db_option_value(db)
    if not create:
        existing_sqlite_file(url)
    secret = os.environ.get("AFTERSALES_SECRET")
    return CaseStore(url, secret=secret.encode() if secret else None)


@app.command()
def replay(
    files: Annotated[list[Path], typer.Argument(help="History files (JSON Lines).")],
    as_json: Json = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Replay through this store (created if missing).")
    ] = None,
    table: Annotated[
        bool | None, typer.Option("--table/--no-table", help="Summary table of several files.")
    ] = None,
) -> None:
    """Replay case histories and check their expectations.

    Exit 0 when every expectation held, 1 when one failed or a command was refused
    unexpectedly, 2 when a file cannot be read or parsed.

    Example: aftersales replay tests/histories/*.jsonl
    """
    from .account import outcome_account, summary_table
    from .histories import replay_file

    with handled():
        store = _replay_store(db)
        outcomes: list[Outcome] = []
        code = OK
        with progress("replaying", len(files) if len(files) > 1 else None) as advance:
            for path in files:
                advance()
                target: Target = MemoryTarget() if store is None else _store_target(store)
                try:
                    outcome = replay_file(path, target)
                except HistoryError as exc:
                    err.print(f"[red]{safe(exc)}[/red]")
                    code = max(code, 2)
                    if as_json and len(files) > 1:  # one file: its summary, or nothing
                        failed = ReplayFileOutput(
                            file=str(path), ok=False, failures=[str(exc)], case=None
                        )
                        print_json(failed)
                    continue
                outcomes.append(outcome)
                for failure in outcome.failures:
                    err.print(f"[red]{safe(failure)}[/red]")
                code = max(code, OK if outcome.ok else FAILED)
                if as_json:
                    _replay_json(outcome, several=len(files) > 1)
                elif len(files) == 1:
                    out.print(outcome_account(outcome))
        if (
            not as_json
            and len(files) > 1
            and (table or (table is None and len(files) <= SUMMARY_ABOVE))
        ):
            out.print(summary_table(outcomes))
        elif not as_json and len(files) > 1:
            passed = sum(o.ok for o in outcomes)
            out.print(f"{passed} passed, {len(files) - passed} failed")
    raise typer.Exit(code)


def _replay_store(db: str | None) -> Any:
    if not db:
        return None
    from .storage.migrate import upgrade

    store = _store(db, create=True)
    upgrade(store.engine)  # the schema is Alembic's, also when a replay creates the database
    return store


def _store_target(store: Any) -> Target:
    from .storage.replay import StoreTarget

    return cast(Target, StoreTarget(store))


def _replay_json(outcome: Outcome, several: bool) -> None:
    if not several:
        print_json(outcome.summary())
        return
    failures = [str(f) for f in outcome.failures]
    print_json(
        ReplayFileOutput(
            file=outcome.source, ok=outcome.ok, failures=failures, case=outcome.summary()
        )
    )


@app.command()
def export(
    case_id: Annotated[str, typer.Argument(help="The case to export.")],
    db: Db = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
    as_json: Json = False,
) -> None:
    """Write a stored case as a history file that replays to the same outcome.

    Exit 4 if there is no such case. Example: aftersales export C1 --db cases.db -o C1.jsonl
    """
    with handled():
        store = _store(db)
        lines = export_lines(store.history(case_id), store.get(case_id))
        if output is not None:
            output.write_text(dump_lines(lines), encoding="utf-8")
        if as_json:
            written = str(output) if output is not None else None
            print_json(ExportOutput(case_id=case_id, lines=lines, output=written))
        elif output is None:
            print(dump_lines(lines), end="")
        else:
            out.print(f"wrote {safe(output)}")


@app.command()
def verify(
    db: Db = None,
    case: Annotated[str | None, typer.Option("--case", help="Only this case.")] = None,
    engine: Annotated[
        str, typer.Option(help="compiled (the dispatch table) or psm (python-statemachine).")
    ] = "compiled",
    as_json: Json = False,
) -> None:
    """Check every stored case against its log: the digest chain, the replay under the rules,
    and everything the case row stores. Exit 1 on any divergence, 4 if --case names no case.

    Example: aftersales verify --db cases.db --engine psm
    """
    from .storage.verify import verify as check
    from .wechat.links import divergences

    if engine not in ("compiled", "psm"):
        fail("--engine is compiled or psm")
    with handled():
        store = _store(db)
        if case is not None:
            store.get(case)  # not found: exit 4, not a divergence
        total = 1 if case else store.count_cases()
        with progress("verifying", total) as advance:
            report = check(store, case, engine=cast(Any, engine), progress=advance)
        platform = [d for d in divergences(store) if case is None or d.case_id == case]
    if as_json:
        print_json(
            VerifyOutput.model_validate(
                {
                    "checked": report.checked,
                    "divergences": report.divergences,
                    "platform_divergences": platform,
                },
                from_attributes=True,
            )
        )
    else:
        for divergence in report.divergences:
            err.print(f"[red]{safe(divergence)}[/red]")
        out.print(f"{report.checked} case(s) checked, {len(report.divergences)} divergence(s)")
        for d in platform:  # disagreements with WeChat are shown, not failed on
            out.print(
                f"[yellow]WeChat: {safe(d.case_id or '-')} is {safe(d.our_state or '-')}, "
                f"WeChat says {safe(d.platform_status)} ({safe(d.reason)})[/yellow]"
            )
    raise typer.Exit(FAILED if report.divergences else OK)


@timers_app.command("run")
def timers_run(
    db: Db = None,
    once: Annotated[bool, typer.Option("--once", help="One sweep, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between sweeps.")] = 5.0,
    now: Annotated[
        str | None, typer.Option(help="Sweep as of this time (ISO 8601); with --once.")
    ] = None,
    batch: Annotated[int, typer.Option(help="Cases per transaction.")] = 500,
    as_json: Json = False,
) -> None:
    """Fire due timers: once, or every INTERVAL seconds until interrupted. Exit 1 when a case's
    timer is parked (its expiry failed; the others fired).

    In the loop, a sweep the database refuses (locked, restarting) is reported and tried again at
    the next interval; --once exits 3 instead.

    Example: aftersales timers run --db cases.db --once
    """
    if now is not None and not once:
        fail("--now sweeps one instant: use it with --once")
    if not (math.isfinite(interval) and interval >= 0.1):
        fail("--interval must be a number of seconds, 0.1 or more")
    if batch < 1:
        fail("--batch must be 1 or more")
    with handled():
        store = _store(db)
        while True:
            try:
                fired = _sweep(store, now, batch)
            except StorageUnavailable as exc:
                if once:
                    raise
                err.print(f"[yellow]sweep failed, trying again: {safe(exc.message_en)}[/yellow]")
                time.sleep(interval)
                continue
            parked = store.parked_timers()
            swept = datetime.now(UTC).astimezone().replace(microsecond=0)
            stamp = swept.isoformat()
            if as_json:
                print_json(
                    TimersOutput.model_validate(
                        {"at": swept, "fired": fired, "parked": parked}, from_attributes=True
                    )
                )
            else:
                out.print(f"{stamp} {fired} timer event(s) fired, {len(parked)} parked")
                for p in parked:
                    err.print(f"[yellow]parked: {safe(p.case_id)}: {safe(p.error)}[/yellow]")
            if once:
                raise typer.Exit(FAILED if parked else OK)
            time.sleep(interval)


def _sweep(store: Any, now: str | None, batch: int) -> int:
    total = 0
    with progress("sweeping", None) as advance:
        while True:
            fired = store.fire_due_timers(now or datetime.now(UTC), limit=batch)
            total += len(fired)
            advance(len(fired))
            if not fired:
                return total


@timers_app.command("unpark")
def timers_unpark(case_id: Annotated[str, typer.Argument()], db: Db = None) -> None:
    """Let the sweeper try a parked case's timer again. Example: aftersales timers unpark C1"""
    with handled():
        released = _store(db).unpark_timer(case_id)
    if released:
        out.print(f"{safe(case_id)}: timer unparked")
    else:
        out.print(f"{safe(case_id)} has no parked timer: nothing to do")


@db_app.command("upgrade")
def db_upgrade(
    db: Db = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL instead of running it.")
    ] = False,
) -> None:
    """Create or upgrade the schema (its own Alembic version table and branch).

    Example: aftersales db upgrade --db postgresql://user@host/shop
    """
    from .storage.migrate import upgrade, upgrade_sql

    with handled():
        if sql:
            if _dialect(db) != "postgresql":
                fail(
                    "--sql prints PostgreSQL's migrations",
                    "SQLite's need a live database: run aftersales db upgrade on a copy",
                )
            print(upgrade_sql(None, revision, "postgresql"), end="")
            return
        store = _store(db, create=True)
        at = upgrade(store.engine, revision)
    out.print(f"schema at {at}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[
        str, typer.Option(help="Target revision (base removes every table).", show_default=False)
    ],
    db: Db = None,
) -> None:
    """Take the schema back to REVISION.

    Example: aftersales db downgrade --revision as_0003 --db cases.db
    """
    from .storage.migrate import downgrade

    with handled():
        at = downgrade(_store(db).engine, revision)
    out.print(f"schema at {at or 'base'}")


@db_app.command("current")
def db_current(db: Db = None, as_json: Json = False) -> None:
    """Show the revision the schema is at. Example: aftersales db current --db cases.db"""
    from .storage.migrate import current, head

    with handled():
        at = current(_store(db).engine)
    if as_json:
        print_json(DbCurrentOutput(current=at, head=head()))
    else:
        out.print(f"{at or 'none'} (head {head()})")


@db_app.command("stamp")
def db_stamp(
    revision: Annotated[str, typer.Option(help="The revision the schema already has.")] = "head",
    db: Db = None,
) -> None:
    """Record REVISION without running migrations.

    Example: aftersales db stamp --revision head --db x.db
    """
    from .storage.migrate import stamp

    with handled():
        at = stamp(_store(db).engine, revision)
    out.print(f"schema stamped at {at}")


def _dialect(db: str | None) -> str:
    from .storage.engine import database_url

    return database_url(db_option_value(db)).get_backend_name()


@app.command()
def demo(
    db: Annotated[str, typer.Option("--db", help="SQLite URL or path; recreated each run.")] = (
        "aftersales-demo.db"
    ),
    diagrams: Annotated[
        Path | None, typer.Option(help="Render the training diagrams into this folder.")
    ] = None,
) -> None:
    """Play the seed scenarios through a fresh SQLite store and show each case's path.

    The database is deleted and recreated on every run, so running it twice works; a file
    that is not a database this demo made is never deleted.
    """
    from .demo import run_demo

    with handled():
        run_demo(db, out, diagrams)


@diagrams_app.command("render")
def diagrams_render(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write.")] = Path("diagrams"),
) -> None:
    """Regenerate the committed training set (DOT and SVG) and its page.

    Example: aftersales diagrams render --out diagrams
    """
    with handled():
        from .diagrams.training import render_all

        written = render_all(out_dir)
    out.print(f"{len(written)} files written to {safe(out_dir)}/")


@app.command()
def diagram(
    history_file: Annotated[
        Path | None, typer.Option("--history", help="Draw this history's path.")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="Draw this stored case.")] = None,
    db: Db = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="File stem, file name, or a folder.")
    ] = Path("case"),
    fmt: Annotated[str, typer.Option("--format", help="svg, png, pdf or dot.")] = "svg",
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """Draw one case's actual path over the machine, steps numbered.

    Example: aftersales diagram --history tests/histories/idempotent_retries.jsonl --format png
    """
    from .histories import replay_file

    with handled():
        from .diagrams.render import FORMATS, case_diagram, write

        if (
            fmt not in FORMATS
            or lang not in ("zh", "en")
            or (history_file is None) == (case is None)
        ):
            fail("give exactly one of --history or --case; --format svg|png|pdf|dot; --lang zh|en")
        if history_file is not None:
            target = MemoryTarget()
            replay_file(history_file, target)
            shown = target.case
        else:
            assert case is not None
            shown = _store(db).get(case)
        dot = case_diagram(shown.events, shown.path, shown.case_id, cast(Any, lang))
        stem = output / "case" if output.is_dir() else output  # -o a folder: case.<format> in it
        if stem.suffix == f".{fmt}":  # -o c1.svg, not c1.svg.svg
            stem = stem.with_suffix("")
        [written] = write(dot, stem.parent, stem.name, [fmt], lang=lang)
    out.print(f"wrote {safe(written)}")


def _day(value: str | None, name: str, zone: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--{name} must be a date like 2026-03-01")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        fail(f"--{name} must lie in the years {MIN_YEAR} to {MAX_YEAR}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


@app.command("report")
def report_command(
    db: Db = None,
    shop: Annotated[str | None, typer.Option(help="Only this shop.")] = None,
    since: Annotated[str | None, typer.Option(help="Opened on or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Opened before (ISO date).")] = None,
    tz: Annotated[str, typer.Option(help="Time zone of the day boundaries.")] = "Asia/Shanghai",
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
    from .metrics import Period, period_case_ids, report, weekly
    from .report_view import negotiation_table, report_table
    from .wechat.links import divergences

    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder of zones
        fail(f"unknown time zone {tz!r}", "use an IANA name such as Asia/Shanghai")
    with handled():
        store = _store(db)
        period = Period(shop, _day(since, "since", zone), _day(until, "until", zone))
        result = report(store, period)
        platform = divergences(store)
        if period != Period():  # only the chosen cases' disagreements with WeChat
            chosen = period_case_ids(store, period)
            platform = [d for d in platform if d.case_id in chosen]
        if as_json:
            groups = {"all": result.overall, **result.by_category}
            print_json(
                ReportOutput.model_validate(
                    {"groups": groups, "divergences": platform}, from_attributes=True
                )
            )
        else:
            out.print(report_table(result))
            out.print(negotiation_table(result.overall))
            for d in platform:
                out.print(
                    f"[yellow]WeChat {safe(d.platform_status)} for {safe(d.case_id or '-')}"
                    f" ({safe(d.our_state or '-')}): {safe(d.reason)}[/yellow]"
                )
        if chart is not None:
            from .chart import draw_weekly

            draw_weekly(weekly(store, period, zone=zone), chart)
            err.print(f"chart written to {safe(chart)}")


def main() -> None:  # pragma: no cover - the console script
    app()

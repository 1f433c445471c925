"""The ``aftersales`` command: thin commands over the library."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

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
    store = _store(db) if db else None
    if store is not None:
        store.create_schema()
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
    from .diagrams.render import FORMATS, case_diagram, write

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
    dot = case_diagram(shown.events, shown.path, shown.case_id, lang)  # type: ignore[arg-type]
    [written] = write(dot, output.parent, output.name, [fmt])
    out.print(f"wrote {written}")

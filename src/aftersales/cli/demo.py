"""``aftersales demo``: the seed scenarios played through a SQLite store, timers fired by the
sweeper."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..histories import Outcome, parse_history, replay_lines
from ..scenarios import SCENARIOS, SITUATIONS, history
from ..storage import CaseStore, StoreTarget, database_url, holds_only_package_tables, shown
from ..workflow.advice import advice_at_merchant_turns
from ..workflow.errors import InvalidInput
from ..workflow.liability import RULES
from ..workflow.record import EventRecord
from ..workflow.vocabulary import EVENT_LABELS
from .advice_view import move_label
from .console import handled, out, safe


def _print_case(console: Console, outcome: Outcome, risky: bool) -> None:
    case = outcome.case
    mark = "[green]ok[/green]" if outcome.ok else "[red]FAILED[/red]"
    note = " [red](direct rejection: what not to do)[/red]" if risky else ""
    console.print(f"  {mark} [bold]{case.case_id}[/bold]{note}")
    console.print(f"     path: {' → '.join(case.path)}")
    if case.liability:
        rules = ", ".join(case.liability_rules)
        console.print(
            f"     liability: {case.liability} ({rules}): {RULES[case.liability_rules[0]].zh}"
        )
    else:
        console.print("     liability: not ruled (no platform judgement needed)")
    refund = case.refund_amount
    console.print(
        f"     refunded: {refund / 100:.2f} yuan" if refund is not None else "     refunded: -"
    )
    console.print(f"     advice / 建议: {advice_line(case.events, SITUATIONS.get(outcome.source))}")
    for failure in outcome.failures:
        console.print(f"     [red]{failure}[/red]")


def advice_line(events: list[EventRecord], situation: dict[str, object] | None) -> str:
    """The advice at each merchant turn of a case, and whether the merchant followed it."""
    shown = []
    for seq, advice in advice_at_merchant_turns(events, situation):
        assert advice.event is not None  # a merchant turn
        key = " ".join(str(v) for v in (advice.event, advice.data.get("reason")) if v)
        move = f"{move_label(advice.event, advice.data).zh} ({key})"
        done = next((e for e in events[seq:] if e.actor.role == "merchant"), None)
        if done is None:
            mark = ""
        elif (done.event, done.data.get("reason")) == (advice.event, advice.data.get("reason")):
            mark = " [green]✓[/green]"
        else:
            mark = f" [red]✗ did {done.event} / 实际{EVENT_LABELS[done.event].zh}[/red]"
        shown.append(f"{move}{mark}")
    return " → ".join(shown) or "-"


def _summary(outcomes: list[Outcome]) -> Table:
    table = Table(title="outcome per case / 各售后单结果")
    for column in ("case", "state", "liability", "rules", "refund (yuan)"):
        table.add_column(column)
    for outcome in outcomes:
        case = outcome.case
        refund = case.refund_amount
        table.add_row(
            case.case_id,
            case.state,
            case.liability or "-",
            ", ".join(rule.split("_", 1)[0] for rule in case.liability_rules) or "-",
            f"{refund / 100:.2f}" if refund is not None else "-",
        )
    return table


def demo_file(db: str) -> Path:
    """The SQLite file of the demo, recreated only if this demo made it (or it is missing)."""
    url = database_url(db)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise InvalidInput(
            f"The demo needs a SQLite file, not {shown(url)}.",
            f"演示需要 SQLite 文件,而不是 {shown(url)}。",
            "db",
        )
    path = Path(url.database)
    if path.exists() and not holds_only_package_tables(path):
        raise InvalidInput(
            f"{path} exists and is not a database the demo made: it is left alone; "
            "give another --db.",
            f"{path} 已存在且不是演示创建的数据库,未做改动;请换一个 --db。",
            "db",
        )
    return path


def run_demo(db: str, console: Console, diagrams: Path | None = None) -> list[Outcome]:
    """Recreate the demo database, replay every seed history into it, print paths and
    liability, verify, and optionally render the diagrams."""
    path = demo_file(db)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = CaseStore(str(path))
    store.schema.upgrade()
    console.print(
        f"[bold]Seed scenarios replayed into {safe(path)}[/bold] (timers fired by the sweeper)"
    )
    outcomes = []
    for scenario in SCENARIOS:
        console.print(f"\n[bold]{scenario.title_zh}[/bold]  {scenario.title_en}")
        for name in scenario.files:
            text = history(name).read_text(encoding="utf-8")
            outcome = replay_lines(parse_history(text, name), StoreTarget(store), name)
            outcomes.append(outcome)
            _print_case(console, outcome, risky=name == scenario.risky)
    console.print(_summary(outcomes))
    checked = store.verify()
    console.print(
        f"\nverified {checked.checked} stored cases: {len(checked.divergences)} log mismatches"
    )
    if diagrams is not None:
        from ..diagrams.training import render_all

        written = render_all(diagrams)
        console.print(f"rendered {len(written)} diagram files into {diagrams}/")
    store.dispose()
    return outcomes


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
    with handled():
        run_demo(db, out, diagrams)

"""The demo: the seed scenarios played through a SQLite store, timers fired by the sweeper."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from .histories import Outcome, parse_history, replay_lines
from .scenarios import SCENARIOS, history
from .storage.migrate import upgrade
from .storage.replay import StoreTarget
from .storage.store import CaseStore
from .storage.verify import verify_all
from .workflow.liability import RULES


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
    for failure in outcome.failures:
        console.print(f"     [red]{failure}[/red]")


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


def run_demo(db: Path, console: Console, diagrams: Path | None = None) -> list[Outcome]:
    """Recreate ``db``, replay every seed history into it, print paths and liability."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    upgrade(url)
    store = CaseStore(url)
    console.print(f"[bold]Seed scenarios replayed into {db}[/bold] (timers fired by the sweeper)")
    outcomes = []
    for scenario in SCENARIOS:
        console.print(f"\n[bold]{scenario.title_zh}[/bold]  {scenario.title_en}")
        for name in scenario.files:
            text = history(name).read_text(encoding="utf-8")
            outcome = replay_lines(parse_history(text, name), StoreTarget(store), name)
            outcomes.append(outcome)
            _print_case(console, outcome, risky=name == scenario.risky)
    console.print(_summary(outcomes))
    divergences = verify_all(store)
    console.print(
        f"\nverified {len(store.case_ids())} stored cases: {len(divergences)} divergences"
    )
    if diagrams is not None:
        from .diagrams.render import render_all

        written = render_all(diagrams)
        console.print(f"rendered {len(written)} diagram files into {diagrams}/")
    store.engine.dispose()
    return outcomes

"""``aftersales replay`` and ``aftersales export``: case histories in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..formats import ExportOutput, ReplayFileOutput
from ..histories import (
    HistoryError,
    MemoryTarget,
    Outcome,
    Target,
    dump_lines,
    export_lines,
    replay_file,
)
from ..storage import CaseStore, StoreTarget
from .account import outcome_account, summary_table
from .console import FAILED, OK, err, handled, out, print_json, progress, safe
from .options import Db, Json, open_store

SUMMARY_ABOVE = 40
"""Above this many history files, the summary table is printed only when asked for."""


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

    Example: aftersales replay fresh-quality.jsonl (as aftersales export wrote it; aftersales
    docs shows where the histories that come with the package are)
    """
    with handled():
        store = _replay_store(db)
        outcomes: list[Outcome] = []
        code = OK
        with progress("replaying", len(files) if len(files) > 1 else None) as advance:
            for path in files:
                advance()
                target: Target = MemoryTarget() if store is None else StoreTarget(store)
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
                code = max(code, _shown(outcome, as_json, len(files)))
        _summary(outcomes, len(files), as_json, table)
    raise typer.Exit(code)


def _shown(outcome: Outcome, as_json: bool, files: int) -> int:
    """Print one file's outcome; its exit code."""
    for failure in outcome.failures:
        err.print(f"[red]{safe(failure)}[/red]")
    if as_json:
        _replay_json(outcome, several=files > 1)
    elif files == 1:
        out.print(outcome_account(outcome))
    return OK if outcome.ok else FAILED


def _summary(outcomes: list[Outcome], files: int, as_json: bool, table: bool | None) -> None:
    if as_json or files < 2:
        return
    if table or (table is None and files <= SUMMARY_ABOVE):
        out.print(summary_table(outcomes))
    else:
        passed = sum(o.ok for o in outcomes)
        out.print(f"{passed} passed, {files - passed} failed")


def _replay_store(db: str | None) -> CaseStore | None:
    if not db:
        return None
    store = open_store(db, create=True)
    store.schema.upgrade()  # the schema is Alembic's, also when a replay creates the database
    return store


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
        store = open_store(db)
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

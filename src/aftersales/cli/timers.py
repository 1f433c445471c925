"""``aftersales timers``: the sweeper that fires due timers, and unparking a case's timer."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from ..formats import TimersOutput
from ..storage import CaseStore, DueForFetch
from ..workflow.errors import StorageUnavailable
from .console import (
    EXIT_CODES_HELP,
    FAILED,
    OK,
    err,
    fail,
    handled,
    out,
    print_json,
    progress,
    safe,
)
from .options import Db, Json, open_store

timers_app = typer.Typer(help=f"Durable timers. {EXIT_CODES_HELP}", no_args_is_help=True)


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
        store = open_store(db)
        while True:
            try:
                fired, waiting = _sweep(store, now, batch)
            except StorageUnavailable as exc:
                if once:
                    raise
                err.print(f"[yellow]sweep failed, trying again: {safe(exc.message_en)}[/yellow]")
                time.sleep(interval)
                continue
            parked = _report(store, fired, waiting, as_json)
            if once:
                raise typer.Exit(FAILED if parked else OK)
            time.sleep(interval)


def _report(store: CaseStore, fired: int, waiting: list[DueForFetch], as_json: bool) -> int:
    """Print one sweep: the events fired, the parked timers and the linked cases waiting for
    WeChat; how many are parked."""
    parked = store.parked_timers()
    swept = datetime.now(UTC).astimezone().replace(microsecond=0)
    if as_json:
        document = {"at": swept, "fired": fired, "parked": parked, "due_for_fetch": waiting}
        print_json(TimersOutput.model_validate(document, from_attributes=True))
    else:
        out.print(
            f"{swept.isoformat()} {fired} timer event(s) fired, {len(parked)} parked, "
            f"{len(waiting)} waiting for WeChat"
        )
        for p in parked:
            err.print(f"[yellow]parked: {safe(p.case_id)}: {safe(p.error)}[/yellow]")
        for w in waiting:
            err.print(
                f"waiting for WeChat: {safe(w.case_id)} ({safe(w.timer)} due "
                f"{w.due.isoformat()}): fetch after-sale order {safe(w.platform_id)} and sync it"
            )
    return len(parked)


def _sweep(store: CaseStore, now: str | None, batch: int) -> tuple[int, list[DueForFetch]]:
    """Sweep until no local timer is due; the events fired, and the cases left to WeChat."""
    total = 0
    with progress("sweeping", None) as advance:
        while True:
            swept = store.fire_due_timers(now or datetime.now(UTC), batch=batch)
            total += len(swept)
            advance(len(swept))
            if not swept:
                return total, swept.due_for_fetch


@timers_app.command("unpark")
def timers_unpark(case_id: Annotated[str, typer.Argument()], db: Db = None) -> None:
    """Let the sweeper try a parked case's timer again.

    Example: aftersales timers unpark C1 --db cases.db
    """
    with handled():
        released = open_store(db).unpark_timer(case_id)
    if released:
        out.print(f"{safe(case_id)}: timer unparked")
    else:
        out.print(f"{safe(case_id)} has no parked timer: nothing to do")

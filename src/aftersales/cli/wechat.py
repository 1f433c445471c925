"""``aftersales wechat``: WeChat Shop at the wire (the ``wechat`` extra): ``backfill``, the job
that heals lost pushes.

The app's credentials come from the environment only (``AFTERSALES_WECHAT_APPID``,
``AFTERSALES_WECHAT_SECRET``): a secret on a command line is seen by every user of the machine
(``ps``) and kept in shell histories.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from ..extras import require
from ..formats import BackfillOutput
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
from .options import Db, Json, Tz, moment_option, open_store, zone_option

if TYPE_CHECKING:
    from ..wechat import BackfillResult, HttpGateway

APPID_VARIABLE: Final = "AFTERSALES_WECHAT_APPID"
SECRET_VARIABLE: Final = "AFTERSALES_WECHAT_SECRET"
SHOP_VARIABLE: Final = "AFTERSALES_WECHAT_SHOP_ID"

wechat_app = typer.Typer(
    help=f"WeChat Shop at the wire (the 'wechat' extra). {EXIT_CODES_HELP}", no_args_is_help=True
)


@wechat_app.command("backfill")
def wechat_backfill(
    since: Annotated[
        str,
        typer.Option(
            help="Orders WeChat updated from this time (ISO 8601; a date is midnight in --tz).",
            show_default=False,
        ),
    ],
    db: Db = None,
    until: Annotated[
        str | None, typer.Option(help="...and before this time (default: now).", show_default=False)
    ] = None,
    shop: Annotated[
        str | None,
        typer.Option(
            envvar=SHOP_VARIABLE,
            help=f"The shop id of the cases a sync opens (or {SHOP_VARIABLE}).",
            show_default=False,
        ),
    ] = None,
    cursor: Annotated[
        Path | None,
        typer.Option(
            help="Keep where the run is in this file, after every page: a rerun with the same "
            "file continues where a stopped or interrupted run ended; removed once done.",
            show_default=False,
        ),
    ] = None,
    max_pages: Annotated[
        int | None, typer.Option(help="Stop after this many pages.", show_default=False)
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds before a WeChat call times out.")] = 10.0,
    tz: Tz = "Asia/Shanghai",
    as_json: Json = False,
) -> None:
    """List the after-sale orders WeChat updated in a range, page by page, and sync each: the
    job that heals lost pushes. Safe beside the webhook (a synced order comes back in sync).

    The app's credentials come from AFTERSALES_WECHAT_APPID and AFTERSALES_WECHAT_SECRET.
    Exit 0 when the range is done (or --max-pages reached), 1 when an order could not be
    fetched or WeChat stopped the run (a rerun with the same --cursor goes on from there).

    Example: aftersales wechat backfill --db cases.db --since 2026-03-01 --cursor backfill.cursor
    """
    zone = zone_option(tz)
    start, end = moment_option(since, "since", zone), moment_option(until, "until", zone)
    assert start is not None
    if end is not None and start >= end:
        fail("--since must come before --until")
    if not shop:
        fail("no shop given", f"pass --shop SHOP_ID, or set {SHOP_VARIABLE}")
    if max_pages is not None and max_pages < 1:
        fail("--max-pages must be 1 or more")
    with handled():
        require("aftersales wechat", "wechat", "httpx")
        from ..wechat import ShopConfig, backfill

        kept = CursorFile(cursor) if cursor is not None else None
        store = open_store(db)
        with _gateway(timeout) as gateway, progress("orders", None) as advance:
            seen = 0

            def on_page(running: BackfillResult) -> None:
                nonlocal seen
                advance(running.seen - seen)
                seen = running.seen
                if kept is not None:
                    kept.save(running.cursor)

            result = backfill(
                store,
                gateway,
                ShopConfig(shop_id=shop),
                since=start,
                until=end,
                cursor=kept.load() if kept is not None else None,
                max_pages=max_pages,
                on_page=on_page,
            )
        if kept is not None:
            kept.save(result.cursor)
        _print(result, as_json, kept)
    limited = max_pages is not None and result.pages >= max_pages
    raise typer.Exit(OK if result.failed == 0 and (result.complete or limited) else FAILED)


def _gateway(timeout: float) -> HttpGateway:
    """The HTTP gateway of the app the environment names."""
    from ..wechat import HttpGateway

    appid, secret = os.environ.get(APPID_VARIABLE), os.environ.get(SECRET_VARIABLE)
    if not appid or not secret:
        fail(
            f"{APPID_VARIABLE} and {SECRET_VARIABLE} must be set",
            "the app's credentials come from the environment, never from the command line",
        )
    if not 0 < timeout <= 300:
        fail("--timeout must be a number of seconds, more than 0 and at most 300")
    return HttpGateway(appid, secret, timeout=timeout)


def _print(result: BackfillResult, as_json: bool, kept: CursorFile | None) -> None:
    if as_json:
        print_json(BackfillOutput.model_validate(result, from_attributes=True))
        return
    for failure in result.failures:
        err.print(
            f"[yellow]not fetched: {safe(failure.after_sale_order_id)}: {safe(failure.code)}: "
            f"{safe(failure.message)}[/yellow]"
        )
    done = "range done" if result.complete else f"stopped: {safe(result.stopped)}"
    out.print(
        f"{done}; {result.pages} page(s), {result.seen} order(s): {result.opened} opened, "
        f"{result.applied} applied, {result.in_sync} in sync, {result.stale} stale, "
        f"{result.divergences} divergence(s) kept, {result.failed} not fetched"
    )
    if not result.complete:
        if kept is not None:
            out.print(f"rerun with --cursor {safe(kept.path)} to go on from there")
        else:
            out.print("pass --cursor FILE to keep where a run stops, and go on from there")


class CursorFile:
    """The backfill's cursor in a file: written after every page, replaced atomically, removed
    once the range is done."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> str | None:
        """The kept cursor; ``None`` if there is none (a first run)."""
        if not self.path.exists():
            return None
        text = self.path.read_text(encoding="utf-8").strip()
        return text or None  # the backfill refuses a cursor that is not one of its range

    def save(self, cursor: str | None) -> None:
        """Keep ``cursor``; ``None`` (the range is done) removes the file."""
        if cursor is None:
            self.path.unlink(missing_ok=True)
            return
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(cursor + "\n", encoding="utf-8")
        os.replace(partial, self.path)

"""Backfill: the job that heals lost pushes, by listing the orders WeChat changed and syncing each.

:func:`backfill` asks WeChat Shop's ``getaftersalelist`` for the after-sale orders updated in a
time range (``begin_update_time``/``end_update_time``, Unix seconds, at most 24 hours apart, so
a longer range is walked a day at a time; ``next_key`` pages within a day), fetches each order
(``getaftersaleorder``) and :func:`sync` s it. Source: WeChat Shop's API reference,
https://developers.weixin.qq.com/doc/store/shop/API/aftersale/getaftersalelist.html (error
10020004: a range longer than 24 hours).

It is resumable: the result's ``cursor`` (also handed to ``on_page`` after every page, for a
caller who keeps it durably) says where the next run starts; pass it back as ``cursor=``. A page
is done once every order on it was synced, so a run that stops mid-page does that page again.
It is safe beside the webhook: ``sync`` is idempotent (each step's command id comes from the
order, its status and the platform's time), so an order a push already followed is ``in_sync``.
Nothing WeChat answers raises: a list call that fails, or an order fetch that may work later
(``retryable``: WeChat busy or out of reach), stops the run (``stopped`` says why, ``cursor``
points at the page to do again); an order WeChat refuses for good is counted in ``failed``, with
its id in ``failures``, and the run goes on. Only our own failure (the database) raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from ..storage import CaseStore
from ..workflow.errors import AftersalesError, InvalidInput, PlatformError
from ..workflow.inputs import parse_time
from .act import Gateway, error_for_platform_reply
from .bodies import ShopConfig
from .sync import sync

LIST_API: Final = "getaftersalelist"
ORDER_API: Final = "getaftersaleorder"
WINDOW: Final = timedelta(hours=24)
"""The longest update-time range ``getaftersalelist`` takes in one call."""


@dataclass(frozen=True)
class OrderFailure:
    """An after-sale order the backfill could not fetch."""

    after_sale_order_id: str
    code: str
    """Our error code (``platform_error``, ``invalid_input``...)."""
    message: str


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill run did, and where the next run starts."""

    pages: int = 0
    """``getaftersalelist`` pages read whole (every order on them synced)."""
    seen: int = 0
    """Orders listed on those pages."""
    opened: int = 0
    applied: int = 0
    in_sync: int = 0
    stale: int = 0
    divergences: int = 0
    """Orders whose sync kept a divergence (see ``CaseStore.divergences``)."""
    failed: int = 0
    """Orders that could not be fetched; each is in ``failures``."""
    failures: tuple[OrderFailure, ...] = ()
    cursor: str | None = None
    """Where to resume (pass it back as ``cursor=``); ``None`` once the whole range is done."""
    stopped: str | None = None
    """Why the run stopped before the end (a list call failed, ``max_pages``); else ``None``."""

    @property
    def complete(self) -> bool:
        """Whether the whole range was walked."""
        return self.cursor is None


def backfill(
    store: CaseStore,
    gateway: Gateway,
    shop: ShopConfig,
    *,
    since: datetime | str,
    until: datetime | str | None = None,
    cursor: str | None = None,
    max_pages: int | None = None,
    on_page: Callable[[BackfillResult], None] | None = None,
    session: Session | None = None,
) -> BackfillResult:
    """Sync every after-sale order WeChat updated from ``since`` to ``until`` (default: now),
    page by page; resume a stopped run with its result's ``cursor``. ``on_page`` gets the
    running result after every page (its ``cursor`` is where a new run would resume)."""
    start = parse_time(since, "since")
    end = datetime.now(UTC) if until is None else parse_time(until, "until")
    if start >= end:
        raise InvalidInput("since must come before until.", "since 必须早于 until。", "since")
    if max_pages is not None and max_pages < 1:
        raise InvalidInput("max_pages must be at least 1.", "max_pages 至少为 1。", "max_pages")
    begin, next_key = _resume(cursor, start, end)
    result = BackfillResult(cursor=_token(begin, next_key))
    while begin < end:
        if max_pages is not None and result.pages >= max_pages:
            return replace(result, stopped=f"max_pages ({max_pages}) reached")
        window_end = min(begin + WINDOW, end)
        page = _page(gateway, _list_body(begin, window_end, next_key), next_key)
        if isinstance(page, str):
            return replace(result, stopped=page)
        ids, more, key = page
        for ident in ids:
            result = _follow(store, gateway, shop, ident, result, session)
            if result.stopped:
                return result  # its cursor still names this page
        begin, next_key = (begin, key) if more else (window_end, "")
        done = begin >= end
        result = replace(
            result, pages=result.pages + 1, cursor=None if done else _token(begin, next_key)
        )
        if on_page is not None:
            on_page(result)
    return replace(result, cursor=None)


def _follow(
    store: CaseStore,
    gateway: Gateway,
    shop: ShopConfig,
    ident: str,
    result: BackfillResult,
    session: Session | None,
) -> BackfillResult:
    """Fetch one listed order and sync it; the result with it counted."""
    seen = replace(result, seen=result.seen + 1)
    try:
        reply = gateway(ORDER_API, {"after_sale_order_id": ident})
        code = reply.get("errcode", 0) if isinstance(reply, Mapping) else -2
        error = error_for_platform_reply(code if isinstance(code, int) else -2, _errmsg(reply))
        if error is not None:
            raise error
    except AftersalesError as exc:
        if isinstance(exc, PlatformError) and exc.retryable:
            return replace(result, stopped=f"{ORDER_API} {ident}: {exc.message_en}")
        failure = OrderFailure(ident, exc.code, exc.message_en)
        return replace(seen, failed=seen.failed + 1, failures=(*seen.failures, failure))
    action = sync(store, reply, shop=shop, session=session).action
    counter = "divergences" if action == "divergence" else action  # sync's five actions
    return replace(seen, **{counter: getattr(seen, counter) + 1})


def _page(
    gateway: Gateway, body: dict[str, Any], previous: str
) -> tuple[list[str], bool, str] | str:
    """One list page (ids, has_more, next_key), or why it cannot be had."""
    try:
        reply = gateway(LIST_API, body)
    except AftersalesError as exc:
        return f"{LIST_API} failed: {exc.code}: {exc.message_en}"
    if not isinstance(reply, Mapping):
        return f"{LIST_API} answered with no JSON object"
    code = reply.get("errcode", 0)
    error = error_for_platform_reply(code if isinstance(code, int) else -2, _errmsg(reply))
    if error is not None:
        return f"{LIST_API} failed: {error.code}: {error.message_en}"
    ids, more = reply.get("after_sale_order_id_list", []), reply.get("has_more")
    key = reply.get("next_key", "")
    if not isinstance(ids, list) or not all(isinstance(i, str) and 0 < len(i) <= 128 for i in ids):
        return f"{LIST_API} answered with an unreadable after_sale_order_id_list"
    if more is True and (not isinstance(key, str) or not key or key == previous):
        return f"{LIST_API} said there is more but gave no new next_key"
    return ids, more is True, key if isinstance(key, str) else ""


def _list_body(begin: datetime, end: datetime, next_key: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "begin_update_time": int(begin.timestamp()),
        "end_update_time": int(end.timestamp()),
    }
    if next_key:
        body["next_key"] = next_key
    return body


def _errmsg(reply: object) -> str:
    return str(reply.get("errmsg", ""))[:500] if isinstance(reply, Mapping) else ""


def _token(begin: datetime, next_key: str) -> str:
    return f"{int(begin.timestamp())}:{next_key}"


def _resume(cursor: str | None, start: datetime, end: datetime) -> tuple[datetime, str]:
    """Where to begin: ``since``, or the window and page a cursor names."""
    if cursor is None:
        return start, ""
    seconds, _, next_key = cursor.partition(":")
    moment = None
    if seconds.isascii() and seconds.isdigit() and len(seconds) <= 12 and len(next_key) <= 1000:
        try:
            moment = datetime.fromtimestamp(int(seconds), UTC)
        except (ValueError, OverflowError, OSError):  # beyond the years datetime can hold
            moment = None
    if moment is None or not start.replace(microsecond=0) <= moment < end:
        raise InvalidInput(
            f"cursor {cursor[:80]!r} is not a backfill cursor of this range.",
            f"cursor {cursor[:80]!r} 不是该时间范围的补漏游标。",
            "cursor",
        )
    return moment, next_key

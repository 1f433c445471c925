"""Backfill: the after-sale orders WeChat changed in a range, listed page by page (a day at most
per list call), fetched and synced; resumable from its cursor, idempotent beside the webhook, and
never raising for what WeChat answers. The gateway is a fake WeChat serving pages."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aftersales import InvalidInput, PlatformError
from aftersales.wechat import BackfillResult, ShopConfig, backfill, sync

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = ShopConfig(shop_id="S1")
SINCE = datetime(2026, 3, 1, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(hours=30)  # two windows: 24 h and 6 h


def order(ident: str, fixture: str = "order_merchant_processing.json") -> dict[str, Any]:
    reply = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    reply = copy.deepcopy(reply)
    inner = reply["after_sale_order"]
    inner["after_sale_order_id"] = ident
    inner["order_id"] = f"O-{ident}"
    return reply


class WeChat:
    """Serves ``getaftersalelist`` from ``pages`` (per window start, a list of id lists chained
    by next_key) and ``getaftersaleorder`` from ``orders``; ``fail`` maps an API call number or
    an order id to a reply or an exception."""

    def __init__(self, windows: dict[datetime, list[list[str]]]) -> None:
        self.windows = {int(k.timestamp()): v for k, v in windows.items()}
        self.orders: dict[str, dict[str, Any]] = {}
        self.lists: list[dict[str, Any]] = []
        self.fetched: list[str] = []
        self.fail: dict[Any, Any] = {}

    def __call__(self, api: str, body: dict[str, Any]) -> Any:
        if api == "getaftersalelist":
            self.lists.append(body)
            failure = self.fail.pop(("list", len(self.lists)), None)
            if isinstance(failure, Exception):
                raise failure
            if failure is not None:
                return failure
            pages = self.windows.get(body["begin_update_time"], [[]])
            index = int(body.get("next_key", "p0")[1:])
            more = index + 1 < len(pages)
            return {
                "errcode": 0,
                "errmsg": "ok",
                "after_sale_order_id_list": pages[index],
                "has_more": more,
                "next_key": f"p{index + 1}" if more else "",
            }
        assert api == "getaftersaleorder"
        ident = body["after_sale_order_id"]
        self.fetched.append(ident)
        failure = self.fail.pop(ident, None)
        if isinstance(failure, Exception):
            raise failure
        if failure is not None:
            return failure
        return self.orders.get(ident) or order(ident)


def windows() -> dict[datetime, list[list[str]]]:
    return {SINCE: [["A", "B"], ["C"]], SINCE + timedelta(hours=24): [["D"]]}


def test_every_order_of_every_page_and_window_is_fetched_and_synced(store):
    wechat = WeChat(windows())
    result = backfill(store, wechat, SHOP, since=SINCE, until=UNTIL)
    assert (result.pages, result.seen, result.opened + result.applied) == (3, 4, 4)
    assert (result.cursor, result.stopped, result.complete) == (None, None, True)
    assert wechat.fetched == ["A", "B", "C", "D"]
    begin, day = int(SINCE.timestamp()), 24 * 3600
    assert wechat.lists == [
        {"begin_update_time": begin, "end_update_time": begin + day},
        {"begin_update_time": begin, "end_update_time": begin + day, "next_key": "p1"},
        {"begin_update_time": begin + day, "end_update_time": begin + 30 * 3600},
    ]
    assert sorted(store.case_ids()) == ["wx-A", "wx-B", "wx-C", "wx-D"]


def test_a_second_run_and_the_webhook_side_by_side_change_nothing(store):
    wechat = WeChat(windows())
    sync(store, order("B"), shop=SHOP)  # the webhook got there first
    first = backfill(store, wechat, SHOP, since=SINCE, until=UNTIL)
    assert first.in_sync == 1 and first.opened + first.applied == 3
    versions = {case_id: store.get(case_id).version for case_id in store.case_ids()}
    again = backfill(store, WeChat(windows()), SHOP, since=SINCE, until=UNTIL)
    assert (again.seen, again.in_sync) == (4, 4)
    assert {case_id: store.get(case_id).version for case_id in store.case_ids()} == versions


def test_a_range_of_days_is_listed_a_day_at_a_time():
    class Lists:
        def __init__(self) -> None:
            self.bodies: list[dict[str, Any]] = []

        def __call__(self, api: str, body: dict[str, Any]) -> dict[str, Any]:
            self.bodies.append(body)
            return {"errcode": 0, "after_sale_order_id_list": [], "has_more": False}

    lists = Lists()
    result = backfill(None, lists, SHOP, since=SINCE, until=SINCE + timedelta(days=3, hours=1))  # type: ignore[arg-type]
    spans = [b["end_update_time"] - b["begin_update_time"] for b in lists.bodies]
    assert spans == [86400, 86400, 86400, 3600] and result.pages == 4 and result.complete


def test_max_pages_stops_with_a_cursor_and_the_next_run_resumes_there(store):
    wechat = WeChat(windows())
    pages: list[BackfillResult] = []
    first = backfill(
        store, wechat, SHOP, since=SINCE, until=UNTIL, max_pages=1, on_page=pages.append
    )
    assert (first.pages, first.seen, first.complete) == (1, 2, False)
    assert first.stopped and "max_pages" in first.stopped
    assert [p.cursor for p in pages] == [first.cursor]
    rest = backfill(store, wechat, SHOP, since=SINCE, until=UNTIL, cursor=first.cursor)
    assert (rest.pages, rest.seen, rest.complete) == (2, 2, True)
    assert wechat.fetched == ["A", "B", "C", "D"]  # nothing listed or fetched twice
    assert wechat.lists[1].get("next_key") == "p1"


@pytest.mark.parametrize(
    "failure",
    [
        {"errcode": -1, "errmsg": "system busy"},
        {"errcode": 10020004, "errmsg": "range longer than 24 hours"},
        PlatformError("unreachable", "无法连接", "platform", errcode=-2, retryable=True),
        "not a mapping",
        {"errcode": 0, "after_sale_order_id_list": "A,B", "has_more": False},
        {"errcode": 0, "after_sale_order_id_list": [1, 2], "has_more": False},
        {"errcode": 0, "after_sale_order_id_list": ["A"], "has_more": True, "next_key": ""},
        {"errcode": 0, "after_sale_order_id_list": ["A"], "has_more": True},
    ],
)
def test_a_list_call_that_fails_stops_the_run_at_that_page_without_raising(store, failure):
    wechat = WeChat(windows())
    wechat.fail[("list", 2)] = failure
    stopped = backfill(store, wechat, SHOP, since=SINCE, until=UNTIL)
    assert (stopped.pages, stopped.seen, stopped.complete) == (1, 2, False)
    assert stopped.stopped and "getaftersalelist" in stopped.stopped
    rest = backfill(store, wechat, SHOP, since=SINCE, until=UNTIL, cursor=stopped.cursor)
    assert rest.complete and rest.seen == 2
    assert sorted(store.case_ids()) == ["wx-A", "wx-B", "wx-C", "wx-D"]


def test_a_next_key_that_does_not_move_stops_the_run():
    class Stuck:
        def __call__(self, api: str, body: dict[str, Any]) -> dict[str, Any]:
            return {"errcode": 0, "after_sale_order_id_list": [], "has_more": True, "next_key": "k"}

    result = backfill(None, Stuck(), SHOP, since=SINCE, until=UNTIL)  # type: ignore[arg-type]
    assert result.pages == 1 and result.stopped and "next_key" in result.stopped


def test_an_order_wechat_refuses_is_a_failure_and_the_run_goes_on(store):
    wechat = WeChat(windows())
    wechat.fail["B"] = {"errcode": 10021050, "errmsg": "no such after-sale order"}
    result = backfill(store, wechat, SHOP, since=SINCE, until=UNTIL)
    assert result.complete and (result.seen, result.failed) == (4, 1)
    [failure] = result.failures
    assert (failure.after_sale_order_id, failure.code) == ("B", "platform_error")
    assert "wx-B" not in set(store.case_ids()) and "wx-D" in set(store.case_ids())


def test_an_order_fetch_that_may_work_later_stops_the_run_and_the_page_is_done_again(store):
    wechat = WeChat(windows())
    wechat.fail["B"] = PlatformError("busy", "忙", "platform", errcode=-1, retryable=True)
    stopped = backfill(store, wechat, SHOP, since=SINCE, until=UNTIL)
    assert stopped.stopped and "B" in stopped.stopped and stopped.pages == 0
    assert stopped.failed == 0 and set(store.case_ids()) == {"wx-A"}
    rest = backfill(store, wechat, SHOP, since=SINCE, until=UNTIL, cursor=stopped.cursor)
    assert rest.complete and rest.in_sync == 1  # A again, already synced
    assert sorted(store.case_ids()) == ["wx-A", "wx-B", "wx-C", "wx-D"]


def test_what_no_sequence_explains_is_counted_as_a_divergence(store):
    wechat = WeChat({SINCE: [["A", "U"]]})
    wechat.orders["U"] = order("U", "order_platform_processing_unknown.json")
    result = backfill(store, wechat, SHOP, since=SINCE, until=SINCE + timedelta(hours=1))
    assert (result.seen, result.divergences) == (2, 1)
    assert len(store.divergences()) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"since": UNTIL, "until": SINCE}, "since"),
        ({"since": datetime(2026, 3, 1), "until": UNTIL}, "since"),  # naive
        ({"since": SINCE, "until": UNTIL, "max_pages": 0}, "max_pages"),
        ({"since": SINCE, "until": UNTIL, "cursor": "junk"}, "cursor"),
        ({"since": SINCE, "until": UNTIL, "cursor": "12:p1"}, "cursor"),  # before since
        ({"since": SINCE, "until": UNTIL, "cursor": f"{int(UNTIL.timestamp())}:"}, "cursor"),
        # review r2: a corrupt cursor was a raw ValueError, not invalid_input
        ({"since": SINCE, "until": UNTIL, "cursor": "999999999999:"}, "cursor"),  # year 33658
        ({"since": SINCE, "until": UNTIL, "cursor": "\u00b9:p1"}, "cursor"),  # "¹" is a digit
    ],
)
def test_bad_arguments_are_invalid_input_and_call_nothing(store, kwargs, field):
    wechat = WeChat(windows())
    with pytest.raises(InvalidInput) as info:
        backfill(store, wechat, SHOP, **kwargs)
    assert info.value.field == field and wechat.lists == [] and wechat.fetched == []
    assert info.value.code == "invalid_input"

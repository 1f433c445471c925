"""The HTTP gateway against ``httpx.MockTransport``: no network. A fake WeChat answers each
request from a script; the clock and the sleeps are the test's."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("httpx")

import httpx

from aftersales import InvalidInput, PlatformError, TransitionNotAllowed
from aftersales.wechat import API, HttpGateway, ShopConfig, act, parse_notification, reconcile
from aftersales.wechat.codes import RETRYABLE
from aftersales.wechat.gateway import TOKEN_URL
from tests.support import MERCHANT, at, facts

Reply = dict[str, Any] | Exception | int


class FakeWeChat:
    """Answers the stable-token API with tokens ``T1``, ``T2``... and every other call from
    ``replies`` (a dict, an exception to raise, or an HTTP status), then ``{"errcode": 0}``."""

    def __init__(self, *replies: Reply, expires_in: int = 7200) -> None:
        self.replies = list(replies)
        self.expires_in = expires_in
        self.tokens: list[dict[str, Any]] = []
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.tokens.append(json.loads(request.content))
            token = f"T{len(self.tokens)}"
            return httpx.Response(200, json={"access_token": token, "expires_in": self.expires_in})
        self.calls.append(request)
        reply = self.replies.pop(0) if self.replies else {"errcode": 0, "errmsg": "ok"}
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, int):
            return httpx.Response(reply, text="<html>bad gateway</html>")
        return httpx.Response(200, json=reply)

    def tokens_used(self) -> list[str]:
        return [call.url.params["access_token"] for call in self.calls]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make(clock) -> Callable[..., tuple[HttpGateway, FakeWeChat]]:
    def make(*replies: Reply, **kwargs: Any) -> tuple[HttpGateway, FakeWeChat]:
        wechat = FakeWeChat(*replies, expires_in=kwargs.pop("expires_in", 7200))
        gateway = HttpGateway(
            "wx-app",
            "s3cret",
            transport=httpx.MockTransport(wechat),
            clock=clock,
            sleep=clock.sleep,
            **kwargs,
        )
        return gateway, wechat

    return make


def test_the_token_is_fetched_once_and_kept(make):
    gateway, wechat = make()
    assert gateway("acceptapply", {"after_sale_order_id": "WX-1"}) == {"errcode": 0, "errmsg": "ok"}
    gateway("acceptapply", {"after_sale_order_id": "WX-2"})
    assert wechat.tokens == [
        {"grant_type": "client_credential", "appid": "wx-app", "secret": "s3cret"}
    ]
    first = wechat.calls[0]
    assert (first.method, str(first.url).split("?")[0]) == ("POST", API + "acceptapply")
    assert json.loads(first.content) == {"after_sale_order_id": "WX-1"}
    assert wechat.tokens_used() == ["T1", "T1"]


def test_the_token_is_fetched_again_before_it_expires(make, clock):
    gateway, wechat = make(token_margin=300)
    gateway("acceptapply", {})
    clock.now += 7200 - 301
    gateway("acceptapply", {})
    clock.now += 2  # now within the margin: fetched again though WeChat would still take it
    gateway("acceptapply", {})
    assert wechat.tokens_used() == ["T1", "T1", "T2"]


def test_a_token_near_its_end_is_kept_until_halfway_not_fetched_on_every_call(make, clock):
    gateway, wechat = make(expires_in=200, token_margin=300)  # what is left of WeChat's token
    gateway("acceptapply", {})
    clock.now += 99
    gateway("acceptapply", {})
    clock.now += 1
    gateway("acceptapply", {})
    assert wechat.tokens_used() == ["T1", "T1", "T2"]


@pytest.mark.parametrize("expired", [40001, 42001, 40014])
def test_an_expired_token_is_fetched_again_once(make, expired):
    gateway, wechat = make({"errcode": expired, "errmsg": "access_token expired"})
    assert gateway("acceptapply", {})["errcode"] == 0
    assert wechat.tokens_used() == ["T1", "T2"]
    gateway, wechat = make({"errcode": expired}, {"errcode": expired}, {"errcode": 0})
    assert gateway("acceptapply", {})["errcode"] == expired  # once, not forever
    assert (len(wechat.tokens), len(wechat.calls)) == (2, 2)


@pytest.mark.parametrize("busy", sorted(RETRYABLE & {-1, 45009}))
def test_a_busy_wechat_is_retried_with_backoff_up_to_the_bound(make, clock, busy):
    gateway, wechat = make(*[{"errcode": busy, "errmsg": "busy"}] * 10, attempts=4, backoff=0.5)
    assert gateway("acceptapply", {}) == {"errcode": busy, "errmsg": "busy"}  # as it is
    assert len(wechat.calls) == 4 and clock.sleeps == [0.5, 1.0, 2.0]
    gateway, wechat = make({"errcode": busy}, {"errcode": busy}, {"errcode": 0})
    assert gateway("acceptapply", {}) == {"errcode": 0}
    assert len(wechat.calls) == 3


def test_the_backoff_is_capped(make, clock):
    gateway, _ = make(*[{"errcode": -1}] * 10, attempts=6, backoff=1, max_backoff=4)
    gateway("acceptapply", {})
    assert clock.sleeps == [1, 2, 4, 4, 4]


def test_a_request_that_never_left_is_retried_then_refused(make, clock):
    gateway, wechat = make(httpx.ConnectTimeout("slow"), httpx.ConnectError("refused"))
    assert gateway("acceptapply", {})["errcode"] == 0
    assert len(wechat.calls) == 3 and clock.sleeps == [0.5, 1.0]
    gateway, wechat = make(*[httpx.ConnectTimeout("slow")] * 10, attempts=3)
    with pytest.raises(PlatformError) as info:
        gateway("acceptapply", {})
    assert (info.value.errcode, info.value.retryable, len(wechat.calls)) == (-2, True, 3)
    assert "ConnectTimeout" in info.value.message_en


def test_a_command_that_may_have_reached_wechat_is_not_sent_twice(make):
    for failure in (httpx.ReadTimeout("late"), 502):
        gateway, wechat = make(failure, {"errcode": 0})
        with pytest.raises(PlatformError) as info:
            gateway("acceptapply", {})
        assert info.value.errcode == -2 and len(wechat.calls) == 1


def test_a_read_is_retried_on_any_transport_error(make):
    gateway, wechat = make(httpx.ReadTimeout("late"), 503, {"errcode": 0, "after_sale_order": {}})
    assert gateway("getaftersaleorder", {"after_sale_order_id": "WX-1"})["errcode"] == 0
    assert len(wechat.calls) == 3
    gateway, wechat = make(httpx.ReadTimeout("late"))
    assert gateway("reason/get", {})["errcode"] == 0 and len(wechat.calls) == 2


def test_a_rate_limit_status_is_retried(make):
    gateway, wechat = make(429, {"errcode": 0})
    assert gateway("acceptapply", {})["errcode"] == 0 and len(wechat.calls) == 2


def test_an_error_wechat_names_is_returned_as_it_is_without_retry(make, clock):
    gateway, wechat = make({"errcode": 10021041, "errmsg": "wrong status"})
    assert gateway("acceptapply", {}) == {"errcode": 10021041, "errmsg": "wrong status"}
    assert len(wechat.calls) == 1 and clock.sleeps == []


def test_a_reply_that_is_not_json_is_refused(make):
    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})
        return httpx.Response(200, text="[1, 2]" if "list" in str(request.url) else "<html>")

    gateway = HttpGateway(
        "wx-app", "s", transport=httpx.MockTransport(handler), sleep=lambda s: None
    )
    for name in ("acceptapply", "getaftersalelist"):
        with pytest.raises(PlatformError) as info:
            gateway(name, {})
        assert info.value.errcode == -2 and info.value.field == "platform"


def test_a_refused_token_is_a_platform_error(clock):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"errcode": 40125, "errmsg": "invalid appsecret"})

    gateway = HttpGateway("wx-app", "wrong", transport=httpx.MockTransport(handler), clock=clock)
    with pytest.raises(PlatformError) as info:
        gateway("acceptapply", {})
    assert (info.value.errcode, info.value.field, info.value.retryable) == (
        40125,
        "access_token",
        False,
    )


def test_the_calls_time_out(make):
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})

    HttpGateway("wx-app", "s", timeout=3.0, transport=httpx.MockTransport(handler))("x", {})
    assert seen and all(timeout["read"] == 3.0 for timeout in seen)


def test_a_caller_may_bring_their_own_client_and_a_full_url(clock):
    wechat = FakeWeChat()
    client = httpx.Client(transport=httpx.MockTransport(wechat))
    with HttpGateway("wx-app", "s", client=client, clock=clock) as gateway:
        gateway("https://api.weixin.qq.com/channels/ec/aftersale/getaftersaleorder", {})
    assert str(wechat.calls[0].url).startswith(API + "getaftersaleorder?access_token=T1")
    assert client.is_closed


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/channels/ec/aftersale/getaftersaleorder",
        "https://api.weixin.qq.com.evil.example/x",
        "https://user@evil.example/x",
    ],
)
def test_the_token_never_leaves_for_another_host(make, url):
    gateway, wechat = make()
    with pytest.raises(InvalidInput) as info:
        gateway(url, {})
    assert info.value.field == "api_name" and "evil" not in str(wechat.calls)
    assert wechat.calls == [] and wechat.tokens == []  # not even the token was fetched


def test_a_base_url_of_the_callers_own_is_its_one_other_host(clock):
    wechat = FakeWeChat()
    proxy = "https://wechat-proxy.internal/channels/ec/aftersale/"
    gateway = HttpGateway("wx-app", "s", base_url=proxy, transport=httpx.MockTransport(wechat))
    gateway("getaftersaleorder", {})
    assert str(wechat.calls[-1].url).startswith(proxy + "getaftersaleorder?access_token=")
    with pytest.raises(InvalidInput):
        gateway("https://elsewhere.internal/x", {})
    plain = HttpGateway("wx-app", "s", base_url="http://api.weixin.qq.com/channels/ec/aftersale/")
    with pytest.raises(InvalidInput):
        plain("getaftersaleorder", {})  # never over plain HTTP


# act, end to end, with the HTTP gateway in place of the caller's own.

SHOP = ShopConfig(shop_id="S1", address_id="ADDR-1")


def test_act_goes_through_the_http_gateway(store, make):
    store.open_case(facts(platform_id="WX-1"))
    gateway, wechat = make({"errcode": -1, "errmsg": "system busy"}, {"errcode": 0})
    record = act(
        store, "C1", "agree", actor=MERCHANT, at=at(1), gateway=gateway, shop=SHOP, data={}
    )
    assert record.event == "agree" and store.get("C1").state == "refunding"
    assert [str(call.url).split("?")[0] for call in wechat.calls] == [API + "acceptapply"] * 2
    assert json.loads(wechat.calls[-1].content) == {"after_sale_order_id": "WX-1", "accept_type": 2}


def test_act_turns_wechats_refusal_over_http_into_our_error(store, make):
    store.open_case(facts(platform_id="WX-1"))
    gateway, _ = make({"errcode": 10021041, "errmsg": "status not allowed"})
    with pytest.raises(TransitionNotAllowed):
        act(store, "C1", "agree", actor=MERCHANT, at=at(1), gateway=gateway, shop=SHOP)
    assert store.get("C1").state == "requested"


def test_reconcile_fetches_an_unknown_order_through_the_http_gateway(store, make):
    order = json.loads(
        (Path(__file__).parent / "fixtures" / "order_merchant_processing.json").read_text()
    )
    gateway, wechat = make(httpx.ReadTimeout("late"), order)  # a read: retried
    push = {
        "Event": "channels_ec_aftersale_update",
        "CreateTime": 1772330400,
        "finder_shop_aftersale_status_update": {
            "status": "MERCHANT_PROCESSING",
            "after_sale_order_id": "WX-NEW",
        },
    }
    result = reconcile(
        store,
        parse_notification(json.dumps(push)),
        shop=ShopConfig(shop_id="S1"),
        fetch=lambda ident: gateway("getaftersaleorder", {"after_sale_order_id": ident}),
    )
    assert result.case_id == "wx-WX-NEW" and store.get("wx-WX-NEW").state == "requested"
    assert json.loads(wechat.calls[-1].content) == {"after_sale_order_id": "WX-NEW"}


def test_the_access_token_is_redacted_from_httpx_log_lines(make, caplog):
    # review r2: httpx logs every request URL, ?access_token= with it, at INFO
    level = logging.getLogger("httpx").level
    gateway, wechat = make()
    with caplog.at_level(logging.INFO, logger="httpx"):
        gateway("acceptapply", {"after_sale_order_id": "WX-1"})
    assert wechat.tokens_used() == ["T1"]  # the request itself still carries the token
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    call = [line for line in lines if "acceptapply" in line]
    assert call == [f'HTTP Request: POST {API}acceptapply?access_token=*** "HTTP/1.1 200 OK"']
    assert "T1" not in caplog.text
    assert f'HTTP Request: POST {TOKEN_URL} "HTTP/1.1 200 OK"' in lines  # the rest unchanged
    record = next(r for r in caplog.records if "acceptapply" in r.getMessage())
    assert (record.levelno, record.msg) == (logging.INFO, 'HTTP Request: %s %s "%s %d %s"')
    assert record.args is not None and record.args[0] == "POST" and record.args[3] == 200
    assert logging.getLogger("httpx").level == level  # the level is the caller's


def test_the_redaction_filter_is_installed_once_and_keeps_other_records():
    from aftersales.wechat import gateway as module

    module._install_redaction()  # as a second import would
    logger = logging.getLogger("httpx")
    redacting = [f for f in logger.filters if type(f).__name__ == "_RedactAccessToken"]
    assert len(redacting) == 1
    args = ("x?access_token=AB.c-1&y=2", 7, None)
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "%s id=%d %s", args, None)
    assert redacting[0].filter(record)
    assert record.getMessage() == "x?access_token=***&y=2 id=7 None"
    assert record.args is not None and record.args[1:] == (7, None)

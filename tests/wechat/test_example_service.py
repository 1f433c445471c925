"""The example service of docs/examples/fastapi_service.py, run whole with FastAPI's TestClient on
SQLite and PostgreSQL: WeChat's push (signed and encrypted as WeChat does), an unknown order
fetched through the HttpGateway (its transport a MockTransport), the merchant's answer sent to
WeChat first, the host's own order row kept in step in the same transaction (and rolled back
with it), timers, and the refusal-to-status table."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
pytest.importorskip("cryptography")

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from aftersales import AftersalesError
from aftersales.storage import CaseStore
from aftersales.wechat import HttpGateway, Intake, PushRejected, ShopConfig
from aftersales.wechat.bodies import ACCEPT_REFUND
from aftersales.wechat.gateway import TOKEN_URL
from tests.wechat.test_intake import APPID, KEY, TOKEN, at_signing, encrypt, safe_push, sign

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
ORDER = json.loads((FIXTURES / "order_merchant_processing.json").read_text(encoding="utf-8"))
PUSHED_AT = 1772330400  # 2026-03-01 02:00 UTC, the fixture order's create_time
T0 = datetime.fromtimestamp(PUSHED_AT, UTC)


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location(
        "fastapi_service", ROOT / "docs" / "examples" / "fastapi_service.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fastapi_service"] = module  # pydantic resolves the models' annotations here
    spec.loader.exec_module(module)
    return module


example = load_example()


class WeChat:
    """A fake WeChat API behind httpx.MockTransport: tokens, the fetched order, and a script of
    replies for every command (then success)."""

    def __init__(self) -> None:
        self.order: dict[str, Any] = ORDER
        self.replies: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})
        api = request.url.path.rsplit("/", 1)[-1]
        self.calls.append((api, json.loads(request.content)))
        if api == "getaftersaleorder":
            return httpx.Response(200, json=self.order)
        reply = self.replies.pop(0) if self.replies else {"errcode": 0, "errmsg": "ok"}
        return httpx.Response(200, json=reply)

    def apis(self) -> list[str]:
        return [api for api, _ in self.calls]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wechat() -> WeChat:
    return WeChat()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(db_url, wechat, clock):
    store = CaseStore(db_url, clock=clock)
    store.create_schema()
    example.host.drop_all(store.engine)
    example.host.create_all(store.engine)
    with store.engine.begin() as conn:
        conn.execute(
            example.orders.insert(),
            [
                {"order_id": "O-WX-NEW", "buyer_id": "B1", "paid_amount": 10000},
                {"order_id": "O7", "buyer_id": "B7", "paid_amount": 5000},
            ],
        )
    gateway = HttpGateway(
        APPID, "s3cret", transport=httpx.MockTransport(wechat), sleep=lambda _: None
    )
    app = example.create_app(
        store,
        intake=Intake(token=TOKEN, encoding_aes_key=KEY, appid=APPID, clock=at_signing),
        gateway=gateway,
        shop=ShopConfig(shop_id="S1", address_id="addr-1"),
        clock=clock,
    )
    with TestClient(app) as client:
        yield client, store
    example.host.drop_all(store.engine)
    store.engine.dispose()


def order_row(store: CaseStore, order_id: str) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(example.orders).where(example.orders.c.order_id == order_id)
        ).one()
    return dict(row._mapping)


def push(client: TestClient, status: str = "MERCHANT_PROCESSING", **changes: Any):
    message = {
        "ToUserName": "gh_shop",
        "FromUserName": "wx-platform",
        "CreateTime": PUSHED_AT,
        "MsgType": "event",
        "Event": "channels_ec_aftersale_update",
        "finder_shop_aftersale_status_update": {
            "status": status,
            "after_sale_order_id": "WX-NEW",
            "order_id": "O-WX-NEW",
        },
        **changes,
    }
    query, body = safe_push(encrypt(json.dumps(message).encode()))
    return client.post(
        "/wechat/push", params=query, content=body, headers={"content-type": "application/json"}
    )


# -- WeChat's push -------------------------------------------------------------------------------


def test_the_handshake_answers_the_echostr_and_refuses_a_wrong_signature(service):
    client, _ = service
    query = {"timestamp": "1772337600", "nonce": "n0nce", "echostr": "e-123"}
    good = client.get(
        "/wechat/push", params={**query, "signature": sign(TOKEN, "1772337600", "n0nce")}
    )
    assert (good.status_code, good.text) == (200, "e-123")
    bad = client.get("/wechat/push", params={**query, "signature": "0" * 40})
    assert bad.status_code == 403
    assert bad.json()["code"] == "push_rejected" and bad.json()["reason"] == "bad_signature"


def test_a_push_of_an_unknown_order_is_fetched_synced_and_moves_the_host_row(service, wechat):
    client, store = service
    answer = push(client)
    assert (answer.status_code, answer.text) == (200, "success")
    assert wechat.calls == [("getaftersaleorder", {"after_sale_order_id": "WX-NEW"})]
    assert store.get("wx-WX-NEW").state == "requested"
    row = order_row(store, "O-WX-NEW")
    assert (row["aftersale_case"], row["aftersale_state"]) == ("wx-WX-NEW", "requested")
    again = push(client)  # WeChat delivers it again: known now, nothing fetched or written
    assert again.text == "success" and wechat.apis() == ["getaftersaleorder"]
    assert store.get("wx-WX-NEW").version == 2  # open, set_deadline


def test_a_push_that_is_not_wechats_is_refused_and_changes_nothing(service, wechat):
    client, store = service
    query, body = safe_push(encrypt(b'{"Event": "x"}'))
    forged = client.post("/wechat/push", params={**query, "msg_signature": "0" * 40}, content=body)
    assert forged.status_code == 403 and forged.json()["reason"] == "bad_signature"
    junk = client.post("/wechat/push", params=query, content=b"<xml><!DOCTYPE x></xml>")
    assert junk.status_code in (400, 403)
    assert wechat.calls == [] and store.count_cases() == 0


def test_a_fetch_wechat_refuses_answers_an_error_so_wechat_pushes_again(service, wechat):
    client, store = service
    wechat.order = {"errcode": 10021050, "errmsg": "no such after-sale order"}
    answer = push(client)
    assert answer.status_code == 502 and answer.json()["code"] == "platform_error"
    assert store.count_cases() == 0 and order_row(store, "O-WX-NEW")["aftersale_state"] is None


# -- the merchant's answer -----------------------------------------------------------------------


def test_the_merchant_agrees_through_wechat_first_and_the_host_row_follows(service, wechat, clock):
    client, store = service
    push(client)
    clock.now = T0 + timedelta(hours=1)
    answer = client.post("/cases/wx-WX-NEW/agree", json={})  # at: the service's clock
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"case_id": "wx-WX-NEW", "event": "agree", "state": "refunding"}
    assert wechat.calls[-1] == (
        "acceptapply",
        {"after_sale_order_id": "WX-NEW", "accept_type": ACCEPT_REFUND},
    )
    assert order_row(store, "O-WX-NEW")["aftersale_state"] == "refunding"


@pytest.mark.parametrize(
    ("reply", "status", "code"),
    [
        ({"errcode": 10021041, "errmsg": "wrong status"}, 409, "transition_not_allowed"),
        ({"errcode": 10021068, "errmsg": "negotiate first"}, 409, "negotiation_required"),
        ({"errcode": 10021060, "errmsg": "bad text"}, 422, "invalid_input"),
        ({"errcode": 12345, "errmsg": "something else"}, 502, "platform_error"),
        ({"errcode": -1, "errmsg": "system busy"}, 503, "platform_error"),
    ],
)
def test_wechat_refusing_the_answer_maps_to_a_status_and_changes_nothing(
    service, wechat, clock, reply, status, code
):
    client, store = service
    push(client)
    clock.now = T0 + timedelta(hours=2)
    wechat.replies = [reply] * 4  # a busy WeChat stays busy through every retry
    answer = client.post("/cases/wx-WX-NEW/agree", json={})
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert store.get("wx-WX-NEW").state == "requested"
    assert order_row(store, "O-WX-NEW")["aftersale_state"] == "requested"


def test_a_refused_or_lost_answer_stays_on_record(service, wechat, clock):
    """act commits its intent before calling WeChat: the service's failed request does not
    roll it back, nor the refusal."""
    client, store = service
    push(client)
    clock.now = T0 + timedelta(hours=2)
    wechat.replies = [{"errcode": 10021041, "errmsg": "wrong status"}]
    assert client.post("/cases/wx-WX-NEW/agree", json={}).status_code == 409
    [refusal] = store.refusals("wx-WX-NEW")
    assert refusal.event == "agree"
    assert [i.status for i in store.open_intents()] == []  # failed: WeChat said no
    wechat.replies = [{"errcode": -1, "errmsg": "system busy"}] * 4
    assert client.post("/cases/wx-WX-NEW/agree", json={}).status_code == 503
    assert len(store.refusals("wx-WX-NEW")) == 2 and store.get("wx-WX-NEW").state == "requested"


def test_a_command_the_library_refuses_never_reaches_wechat(service, wechat, clock):
    client, _ = service
    push(client)
    clock.now = T0 + timedelta(hours=2)
    answer = client.post("/cases/wx-WX-NEW/confirm_receipt", json={})
    assert answer.status_code == 409 and answer.json()["code"] == "transition_not_allowed"
    missing = client.post("/cases/nope/agree", json={})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    buyers = client.post("/cases/wx-WX-NEW/withdraw", json={})
    assert buyers.status_code == 403 and buyers.json()["code"] == "permission_denied"
    assert wechat.apis() == ["getaftersaleorder"]


# -- the host's own rows, in the same transaction ------------------------------------------------


def request(amount: int = 5000, request_id: str = "r1") -> dict[str, Any]:
    return {
        "request_id": request_id,
        "type": "refund",
        "buyer_reason": "quality_issue",
        "requested_amount": amount,
    }


def test_a_buyers_request_opens_a_case_and_counts_on_the_order_in_one_transaction(service):
    client, store = service
    answer = client.post("/orders/O7/aftersales", json=request())
    assert answer.status_code == 201 and answer.json() == {"case_id": "O7-1", "state": "requested"}
    row = order_row(store, "O7")
    assert (row["aftersale_requests"], row["aftersale_case"], row["aftersale_state"]) == (
        1,
        "O7-1",
        "requested",
    )


def test_a_refused_request_rolls_the_host_row_back_with_it(service):
    client, store = service
    answer = client.post("/orders/O7/aftersales", json=request(amount=9999))  # paid 5000
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_amount"
    row = order_row(store, "O7")
    assert (row["aftersale_requests"], row["aftersale_state"]) == (0, None)
    assert store.count_cases() == 0
    assert client.post("/orders/O404/aftersales", json=request()).status_code == 404


def test_a_timer_moves_the_host_row_in_the_sweepers_transaction(service, clock):
    client, store = service
    client.post("/orders/O7/aftersales", json=request())
    clock.now = T0 + timedelta(days=3)  # the merchant stayed silent past the deadline
    job = client.post("/jobs/timers").json()
    fired = job["fired"]
    assert job["synced"] == []  # the case is the service's own: its timers are ours
    assert fired and fired[-1][1] == store.get("O7-1").state != "requested"
    assert order_row(store, "O7")["aftersale_state"] == store.get("O7-1").state


def test_nobody_can_backdate_an_answer_or_a_request(service, wechat, clock):
    client, store = service
    push(client)
    clock.now = T0 + timedelta(days=3)  # past the merchant's deadline
    early = (T0 + timedelta(minutes=5)).isoformat()
    answer = client.post("/cases/wx-WX-NEW/agree", json={"at": early})
    assert answer.status_code == 422  # the service's clock says when; no field can
    asked = client.post("/orders/O7/aftersales", json={**request(), "at": early})
    assert asked.status_code == 422
    assert wechat.apis() == ["getaftersaleorder"] and store.count_cases() == 1


def test_a_linked_cases_wechat_deadline_is_fetched_and_synced_not_fired(service, wechat, clock):
    client, store = service
    push(client)
    clock.now = T0 + timedelta(days=3)  # WeChat's deadline for the merchant has passed
    wechat.order = {
        **ORDER,
        "after_sale_order": {**ORDER["after_sale_order"], "status": "USER_CANCELD"},
    }
    job = client.post("/jobs/timers").json()
    assert job == {"fired": [], "synced": ["applied"]}
    assert wechat.apis() == ["getaftersaleorder", "getaftersaleorder"]
    assert store.get("wx-WX-NEW").state == "cancelled"
    assert order_row(store, "O-WX-NEW")["aftersale_state"] == "cancelled"


# -- the table of statuses, and the settings -----------------------------------------------------


def _codes(cls: type[AftersalesError]) -> set[str]:
    found = {cls.code}
    for sub in cls.__subclasses__():
        found |= _codes(sub)
    return found


def test_every_error_code_has_a_status():
    codes = _codes(AftersalesError) - {"error", "push_rejected"}
    assert codes <= set(example.HTTP_STATUS)
    assert all(400 <= status < 600 for status in example.HTTP_STATUS.values())
    refusal = PushRejected("too_large", "big", "大")
    assert example.http_status(refusal) == 413


def test_the_service_reads_its_settings_from_the_environment(monkeypatch, tmp_path):
    settings = {
        "ORDERS_DB": f"sqlite:///{tmp_path / 'orders.db'}",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": KEY,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": "s3cret",
        "WECHAT_SHOP_ID": "S1",
        "WECHAT_ADDRESS_ID": "addr-1",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app = example.from_environment()
    query = {"timestamp": "1", "nonce": "n", "echostr": "hello", "signature": sign(TOKEN, "1", "n")}
    with TestClient(app) as client:
        assert client.get("/wechat/push", params=query).text == "hello"

"""An order service on FastAPI that embeds aftersales, from WeChat's push to the merchant's answer.

What the service writes itself is below, and it is short: its own ``host_order`` table, the
listener that keeps a row of it in step with the case, the routes, and the table of HTTP
statuses. The library does the rest: the push's signature and decryption (``Intake``), the
unknown order fetched and synced (``reconcile(..., fetch=)``), the HTTP client with its access
token and retries (``HttpGateway``), WeChat first and then the record (``act``), the timers.

Run it with ``uvicorn --factory fastapi_service:from_environment`` (the settings are read from
the environment, see :func:`from_environment`). Every line runs in the tests
(``tests/wechat/test_example_service.py``), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from aftersales import Actor, AftersalesError, Case, EventRecord, PlatformError
from aftersales.storage import CaseStore
from aftersales.wechat import (
    HttpGateway,
    Intake,
    PushRejected,
    ShopConfig,
    act,
    reconcile,
    sync,
)

# -- the service's own table -----------------------------------------------------------------

host = sa.MetaData()
orders = sa.Table(
    "host_order",
    host,
    sa.Column("order_id", sa.String(64), primary_key=True),
    sa.Column("buyer_id", sa.String(128), nullable=False),
    sa.Column("paid_amount", sa.Integer, nullable=False),
    sa.Column("aftersale_requests", sa.Integer, nullable=False, default=0),
    sa.Column("aftersale_case", sa.String(128)),
    sa.Column("aftersale_state", sa.String(64)),
)
"""The host's orders, with the after-sale state it shows its buyers and staff."""


def keep_order_in_step(conn: Connection, case: Case, event: EventRecord) -> None:
    """A store listener: every event the store records (a command, a timer, a sync) moves the
    order's row in the same transaction, so the two never disagree."""
    conn.execute(
        orders.update()
        .where(orders.c.order_id == case.record.facts.order_id)
        .values(aftersale_case=case.case_id, aftersale_state=event.state_after)
    )


# -- refusals to HTTP statuses -----------------------------------------------------------------

HTTP_STATUS: dict[str, int] = {
    "invalid_input": 422,
    "invalid_reason": 422,
    "invalid_amount": 422,
    "evidence_required": 422,
    "permission_denied": 403,
    "not_found": 404,
    "transition_not_allowed": 409,
    "negotiation_required": 409,
    "limit_reached": 409,
    "conflict": 409,
    "platform_error": 502,
    "storage_unavailable": 503,
}
"""The HTTP status for each error code (docs/concepts/wechat.md has the table and why)."""


def http_status(error: AftersalesError) -> int:
    """The status to answer for a refusal: a push's own, 503 for what may work later."""
    if isinstance(error, PushRejected):
        return error.http_status
    if isinstance(error, PlatformError) and error.retryable:
        return 503
    return HTTP_STATUS.get(error.code, 500)


# -- the service ---------------------------------------------------------------------------------


class AftersaleRequest(BaseModel):
    """A buyer's request made in the service's own app, for an order it sold itself. It carries
    no time: the service stamps it with its own clock, so nobody can backdate a request."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(max_length=100)
    type: str
    buyer_reason: str
    requested_amount: int


class MerchantCommand(BaseModel):
    """A merchant's answer: the event's data. When the merchant acted is the service's clock, not
    a field (an answer dated before a deadline it missed would move liability)."""

    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] = Field(default_factory=dict)


async def raw_body(request: Request) -> bytes:
    """The request's body as bytes, for the intake to check before anything reads it."""
    return await request.body()


def create_app(
    store: CaseStore,
    *,
    intake: Intake,
    gateway: HttpGateway,
    shop: ShopConfig,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    """The service: WeChat's push URL, the merchant's actions, the buyer's own requests and the
    timers' job, on one store."""
    store.on_event(keep_order_in_step)
    app = FastAPI(title="orders")

    def fetch(after_sale_order_id: str) -> Mapping[str, Any]:
        return gateway("getaftersaleorder", {"after_sale_order_id": after_sale_order_id})

    @app.exception_handler(AftersalesError)
    def refused(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, AftersalesError)
        return JSONResponse(error.to_dict(), status_code=http_status(error))

    @app.get("/wechat/push", response_class=PlainTextResponse)
    def handshake(request: Request) -> str:
        return intake.handshake(request.query_params)

    @app.post("/wechat/push", response_class=PlainTextResponse)
    def push(request: Request, body: bytes = Depends(raw_body)) -> str:
        notification = intake.read(request.query_params, body, request.headers.get("content-type"))
        with Session(store.engine) as session, session.begin():
            reconcile(store, notification, shop=shop, fetch=fetch, session=session)
        return "success"

    @app.post("/cases/{case_id}/{event}")
    def merchant_action(case_id: str, event: str, command: MerchantCommand) -> dict[str, Any]:
        # No session of ours: act commits its outbound intent before calling WeChat, so a
        # timeout or a refusal leaves the intent and the refusal on record (the listener still
        # moves the order's row with the event, in the store's transaction).
        record = act(
            store,
            case_id,
            event,
            actor=Actor.merchant(shop.shop_id),
            at=clock(),
            gateway=gateway,
            shop=shop,
            data=command.data,
        )
        return {"case_id": case_id, "event": record.event, "state": record.state_after}

    @app.post("/orders/{order_id}/aftersales", status_code=201)
    def request_aftersale(order_id: str, request: AftersaleRequest) -> dict[str, Any]:
        with Session(store.engine) as session, session.begin():
            order = session.execute(
                sa.select(orders).where(orders.c.order_id == order_id).with_for_update()
            ).one_or_none()
            if order is None:
                raise HTTPException(404, f"no order {order_id}")
            count = order.aftersale_requests + 1
            session.execute(
                orders.update()
                .where(orders.c.order_id == order_id)
                .values(aftersale_requests=count)
            )
            case = store.open_case(  # refused: the count above is rolled back with it
                {
                    "case_id": f"{order_id}-{count}",
                    "order_id": order_id,
                    "shop_id": shop.shop_id,
                    "buyer_id": order.buyer_id,
                    "type": request.type,
                    "category": shop.category,
                    "paid_amount": order.paid_amount,
                    "requested_amount": request.requested_amount,
                    "buyer_reason": request.buyer_reason,
                    "opened_at": clock(),
                },
                command_id=f"request:{order_id}:{request.request_id}",
                session=session,
            )
        return {"case_id": case.case_id, "state": case.state}

    @app.post("/jobs/timers")
    def fire_timers() -> dict[str, Any]:
        swept = store.fire_due_timers(clock())
        # A linked case's platform-owned deadline is WeChat's to apply: fetch the order and sync.
        synced = [
            sync(store, fetch(due.platform_id), shop=shop).action for due in swept.due_for_fetch
        ]
        return {"fired": [[event.event, event.state_after] for event in swept], "synced": synced}

    return app


def from_environment() -> FastAPI:
    """The service configured from the environment: ``ORDERS_DB`` (a database URL),
    ``WECHAT_TOKEN``, ``WECHAT_AES_KEY``, ``WECHAT_APPID``, ``WECHAT_SECRET``,
    ``WECHAT_SHOP_ID`` and ``WECHAT_ADDRESS_ID``."""
    env = os.environ
    store = CaseStore(env["ORDERS_DB"])
    intake = Intake(
        token=env["WECHAT_TOKEN"],
        encoding_aes_key=env["WECHAT_AES_KEY"],
        appid=env["WECHAT_APPID"],
    )
    gateway = HttpGateway(env["WECHAT_APPID"], env["WECHAT_SECRET"])
    shop = ShopConfig(shop_id=env["WECHAT_SHOP_ID"], address_id=env["WECHAT_ADDRESS_ID"])
    return create_app(store, intake=intake, gateway=gateway, shop=shop)

"""Platform first: a merchant command reaches WeChat before it is recorded (spec section 10.4).

The library makes no network call. The caller's ``gateway(api_name, body)`` posts the body to
WeChat's API (``API + api_name``, with its access token) and returns the reply. In order:

1. the command is checked as :meth:`CaseStore.send` would, on a copy of the case: refused here,
   WeChat is never called;
2. the body is built (a reason without a WeChat code, or a ``need_image`` reason without an item
   that carries a WeChat ``media_id``, is refused before any call);
3. on ``errcode`` 0 the command is recorded under the command id sync derives, so a crash
   between WeChat's success and our write is healed by the next notification or sync;
4. any other reply records nothing and raises: the mapped error, or ``platform_error`` with the
   ``errcode``, the platform's message and ``retryable``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..storage import CaseStore
from ..workflow.errors import (
    AftersalesError,
    InvalidInput,
    NegotiationRequired,
    PlatformError,
    TransitionNotAllowed,
)
from ..workflow.inputs import parse_time
from ..workflow.record import Actor, EventRecord
from .bodies import ShopConfig, outbound
from .codes import BAD_INPUT, NEGOTIATE_FIRST, RETRYABLE, WRONG_STATE
from .status import status_for

Gateway = Callable[[str, dict[str, Any]], Mapping[str, Any]]
"""Posts a body to a WeChat API by name and returns the reply JSON (the caller's HTTP client)."""


def platform_command_id(platform_id: str, status: str | None, at: datetime, index: int = 0) -> str:
    """The command id of a step WeChat knows: its order, the status it led to, the time (whole
    seconds) and its place among the steps one message explains."""
    suffix = f":{index}" if index else ""
    return f"wechat:{platform_id}:{status or '-'}:{int(at.timestamp())}{suffix}"


def act(
    store: CaseStore,
    case_id: str,
    event: str,
    *,
    actor: Actor,
    at: datetime | str,
    gateway: Gateway,
    shop: ShopConfig,
    data: Mapping[str, Any] | None = None,
    session: Session | None = None,
) -> EventRecord:
    """Send a merchant command to WeChat first, and record it only once WeChat accepted it."""
    when = parse_time(at)
    fields = dict(data or {})
    case = store.get(case_id, session=session)
    probe = case.copy()
    probe.send(event, actor=actor, at=when, data=fields)  # refused here: WeChat never called
    platform_id = case.record.facts.platform_id
    if not platform_id:
        raise InvalidInput(
            f"Case {case_id} is not linked to a WeChat after-sale order.",
            f"售后单 {case_id} 未关联微信售后单。",
            "platform_id",
        )
    complaint = store.complaint_id(case_id, session=session)
    api, body = outbound(case, event, fields, platform_id, shop, complaint)
    reply = gateway(api, body)
    error = error_for_platform_reply(
        _errcode(reply), str(reply.get("errmsg", "")) if isinstance(reply, Mapping) else ""
    )
    if error is not None:
        store.keep_refusal(
            case_id, event, actor=actor, at=when, data=fields, error=error, session=session
        )
        raise error
    rejected_from = case.state if event == "reject" else None
    status = status_for(probe.state, probe.record.case_type, rejected_from)
    return store.send(
        case_id,
        event,
        actor=actor,
        at=when,
        data=fields,
        command_id=platform_command_id(platform_id, status, when),
        session=session,
    )


def _errcode(reply: object) -> int:
    if not isinstance(reply, Mapping):
        return -2  # not a reply at all: an error, and not one WeChat named
    code = reply.get("errcode", 0)
    return code if isinstance(code, int) and not isinstance(code, bool) else -2


def error_for_platform_reply(errcode: int, errmsg: str = "") -> AftersalesError | None:
    """Our error for a WeChat API reply; ``None`` only for success (``errcode`` 0)."""
    if errcode == 0:
        return None
    message = f"WeChat refused the call ({errcode}){': ' + errmsg if errmsg else ''}."
    message_zh = f"微信拒绝了该操作({errcode}){':' + errmsg if errmsg else ''}。"
    if errcode in NEGOTIATE_FIRST:
        return NegotiationRequired(message, message_zh, "platform")
    if errcode in WRONG_STATE:
        return TransitionNotAllowed(message, message_zh, "platform")
    if errcode in BAD_INPUT:
        return InvalidInput(message, message_zh, "platform")
    return PlatformError(
        message,
        message_zh,
        "platform",
        errcode=errcode,
        errmsg=errmsg[:500],
        retryable=errcode in RETRYABLE,
    )

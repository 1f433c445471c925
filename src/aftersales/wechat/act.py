"""Platform first: a merchant command reaches WeChat before it is recorded (docs/concepts/wechat.md
has the whole story).

The library makes no network call. The caller's ``gateway(api_name, body)`` posts the body to
WeChat's API (``API + api_name``, with its access token) and returns the reply. In order:

1. the shop is the case's (``permission_denied`` otherwise); a ``command_id`` already recorded
   returns that record and calls WeChat no more;
2. the command is checked as :meth:`CaseStore.send` would, the clock-skew bound included, on a
   copy of the case: refused here, WeChat is never called;
3. the body is built (a reason without a WeChat code, a ``need_image`` reason or a rejection
   whose defensibility rests on evidence without a WeChat ``media_id``, is refused before any
   call);
4. an **intent** is written (committed when the store owns the transaction), then WeChat is
   called;
5. on ``errcode`` 0 the command is recorded from the intent, with its full data, and the intent
   closed; if WeChat's own notification of the step (the echo) got there first, ``reconcile``
   has recorded it from the intent and that record is returned;
6. any other reply closes the intent as failed, records nothing and raises the mapped error or
   ``platform_error``; a gateway that raises (timeout, connection lost) leaves the intent open
   and raises ``platform_error`` with ``retryable`` true: a retry with the same ``command_id``,
   the echo or a sync settles it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..storage import CaseStore
from ..workflow.case import Case
from ..workflow.errors import (
    AftersalesError,
    InvalidInput,
    NegotiationRequired,
    PermissionDenied,
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
TRANSPORT_ERRCODE = -1
"""The errcode ``platform_error`` carries when the gateway raised: WeChat's own "system busy"."""


def platform_command_id(platform_id: str, status: str | None, at: datetime, index: int = 0) -> str:
    """The command id of a step WeChat knows: its order, the status it led to, the time (whole
    seconds) and its place among the steps one message explains."""
    suffix = f":{index}" if index else ""
    return f"wechat:{platform_id}:{status or '-'}:{int(at.timestamp())}{suffix}"


def check_shop(case: Case | None, shop: ShopConfig | None) -> None:
    """Refuse a shop's configuration used on another shop's case (``permission_denied``)."""
    if case is None or shop is None or shop.shop_id == case.record.facts.shop_id:
        return
    raise PermissionDenied(
        f"ShopConfig of shop {shop.shop_id!r:.80} used on case {case.case_id} of shop "
        f"{case.record.facts.shop_id!r:.80}.",
        f"店铺 {shop.shop_id!r:.80} 的配置不能用于店铺 {case.record.facts.shop_id!r:.80} "
        f"的售后单 {case.case_id}。",
        "shop_id",
    )


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
    command_id: str | None = None,
    session: Session | None = None,
) -> EventRecord:
    """Send a merchant command to WeChat first, and record it only once WeChat accepted it.

    ``command_id`` makes it idempotent: a retried request returns the first record and calls
    WeChat once. Without it, the id sync derives for the step is used.

    Without ``session`` the intent is committed before WeChat is called, and a refusal or a
    transport failure leaves it (failed, or open) with the refusal kept. With ``session`` all of
    that is written in the caller's transaction: a caller that rolls back on the error loses the
    intent and the refusal with it (keep the refusal with ``store.keep_refusal_of(error)``), so
    pass a session only when the command must commit with the caller's own writes.
    """
    when = parse_time(at)
    fields = dict(data or {})
    case = store.get(case_id, session=session)
    check_shop(case, shop)
    if command_id is not None and store.recorded(case_id, command_id, session=session):
        return store.send(
            case_id,
            event,
            actor=actor,
            at=when,
            data=fields,
            command_id=command_id,
            session=session,
        )  # the first result, or ``conflict`` for another command under the same id
    store.check_time(when)
    probe = case.copy()
    planned = probe.send(event, actor=actor, at=when, data=fields)  # refused: WeChat not called
    platform_id = case.record.facts.platform_id
    if not platform_id:
        raise InvalidInput(
            f"Case {case_id} is not linked to a WeChat after-sale order.",
            f"售后单 {case_id} 未关联微信售后单。",
            "platform_id",
        )
    complaint = store.complaint_id(case_id, session=session)
    api, body = outbound(case, event, fields, platform_id, shop, complaint)
    rejected_from = case.state if event == "reject" else None
    status = status_for(probe.state, probe.record.case_type, rejected_from)
    key = command_id or platform_command_id(platform_id, status, when)
    intent = store.write_intent(
        case_id,
        key,
        event,
        actor=actor,
        data=planned.data,
        at=when,
        api=api,
        body=body,
        session=session,
    )
    if intent.status == "done":  # completed by an echo or a sync already
        return _recorded(store, case_id, key, intent.data, event, actor, when, session)
    try:
        reply = _call(gateway, api, body)
    except _NotSent as unsent:  # nothing reached WeChat: the attempt failed, no doubt about it
        code = unsent.error.code
        store.close_intent(case_id, key, done=False, error=f"{code}: not sent", session=session)
        raise unsent.error from None
    error = error_for_platform_reply(
        _errcode(reply), str(reply.get("errmsg", "")) if isinstance(reply, Mapping) else ""
    )
    if error is not None:
        store.close_intent(
            case_id, key, done=False, error=f"{error.code}: {_errcode(reply)}", session=session
        )
        store.keep_refusal(
            case_id, event, actor=actor, at=when, data=fields, error=error, session=session
        )
        raise error
    record = _recorded(store, case_id, key, intent.data, event, actor, intent.at, session)
    store.close_intent(case_id, key, done=True, seq=record.seq, session=session)
    return record


def _recorded(
    store: CaseStore,
    case_id: str,
    key: str,
    data: dict[str, Any],
    event: str,
    actor: Actor,
    when: datetime,
    session: Session | None,
) -> EventRecord:
    """Record the command from its intent; the echo's record if it came first."""
    return store.send(
        case_id, event, actor=actor, at=when, data=data, command_id=key, session=session
    )


class _NotSent(Exception):
    """The gateway refused before sending anything (one of our errors says so)."""

    def __init__(self, error: AftersalesError) -> None:
        super().__init__(error.message_en)
        self.error = error


def _call(gateway: Gateway, api: str, body: dict[str, Any]) -> Mapping[str, Any] | object:
    """The gateway's reply. A gateway that raises is a transport error WeChat may or may not
    have acted on (retryable; the intent stays open), except for the two errors
    :class:`HttpGateway` raises before sending the command: ``invalid_input`` (a refused URL)
    and ``platform_error`` on field ``access_token`` (no token could be had). Those pass through
    as they are, and the intent is closed as failed."""
    try:
        return gateway(api, body)
    except (InvalidInput, PlatformError) as exc:
        if isinstance(exc, InvalidInput) or exc.field == "access_token":
            raise _NotSent(exc) from exc
        raise transport_error(exc) from exc
    except Exception as exc:  # the caller's HTTP client: any failure is a transport failure
        raise transport_error(exc) from exc


def transport_error(exc: Exception) -> PlatformError:
    """``platform_error`` for a gateway that raised: retryable, WeChat may or may not have
    acted."""
    return PlatformError(
        f"WeChat could not be reached ({type(exc).__name__}): it may or may not have acted; "
        "retry with the same command_id, or fetch and sync the after-sale order.",
        f"无法连接微信({type(exc).__name__}):微信可能已处理也可能未处理;"
        "请用同一 command_id 重试,或拉取售后单后同步。",
        "platform",
        errcode=TRANSPORT_ERRCODE,
        errmsg=str(exc)[:500],
        retryable=True,
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

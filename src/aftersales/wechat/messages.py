"""What WeChat sends, read tolerantly: after-sale orders, and both kinds of notification.

Nothing here raises for what WeChat sends: a field missing, an id as a number, a status nobody
has seen, a body that is not JSON. What cannot be read is kept as a :class:`Notification` with
its ``problem`` set, so the caller still acknowledges it and the store records it once.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

AFTERSALE_EVENT: Final = "channels_ec_aftersale_update"
COMPLAINT_EVENT: Final = "channels_ec_complaint_update"
MAX_BODY: Final = 1024 * 1024


MAX_INT: Final = 2**53
"""Numbers beyond this (JSON's exact integers) are not times, amounts or codes WeChat sends.
Ids are text, so :func:`_text` renders an integer id of any size (WeChat's have 19 digits)."""


def _text(value: Any) -> str:
    """A value WeChat sends as text or as a number, as text: an integer (not a bool) exactly as
    its decimal digits, whatever its size; a whole float within ``MAX_INT`` as an integer;
    anything else (``1e400``, a bool, an object) as ``""``."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # beyond Python's limit on integer-to-text digits
            return ""
    number = read_int(value)
    if number is not None:
        return str(number)
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else ""


_SURROGATE: Final = re.compile("[\ud800-\udfff]")
"""Lone surrogates: valid in JSON text, not in UTF-8 (nor in a database)."""


def read_int(value: Any) -> int | None:
    """An integer WeChat may send as a number or as digits; ``None`` for anything else
    (``1e400``, ``"¹"``, a fraction, a bool, a number beyond ``MAX_INT``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        digits = value.strip()
        bare = digits[1:] if digits.startswith("-") else digits
        if not (bare.isascii() and bare.isdigit() and len(bare) < 20):
            return None
        value = int(digits)
    if isinstance(value, int) and -MAX_INT <= value <= MAX_INT:
        return value
    return None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(text for text in (_text(item) for item in value[:50]) if text)


def when(seconds: int | None) -> datetime | None:
    """A Unix time in seconds as an aware datetime, if it is one."""
    if seconds is None or not 946_684_800 <= seconds <= 7_258_118_400:  # years 2000-2200
        return None
    return datetime.fromtimestamp(seconds, UTC)


MAX_REMAINING: Final = 400 * 86_400
"""A ``deadline`` at most this many seconds is a remaining time, not a Unix time."""


def remaining(seconds: int | None) -> int | None:
    """A ``deadline`` given as remaining seconds, if it is one (an absolute Unix time is far
    larger)."""
    return seconds if seconds is not None and 0 < seconds <= MAX_REMAINING else None


@dataclass(frozen=True)
class AfterSaleOrder:
    """The parts of a fetched after-sale order (``getaftersaleorder``) the library reads."""

    after_sale_order_id: str
    status: str
    order_id: str = ""
    openid: str = ""
    type: str = ""
    reason: str = ""
    reason_text: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    deadline: datetime | None = None
    """``deadline`` given as an absolute Unix time (as the official pages and a real payload
    show it)."""
    complaint_id: str | None = None
    product_id: str = ""
    sku_id: str = ""
    count: int = 1
    amount: int | None = None
    """``refund_info.amount``, fen."""
    refund_reason: int | None = None
    received: bool = False
    """``details.receive_product`` (``true``, or ``1`` as the official example writes it): the
    buyer says the goods arrived."""
    buyer_media: tuple[str, ...] = ()
    """The buyer's evidence media ids (``details.media_id_list`` and ``media_infos``)."""
    return_waybill: str = ""
    exchange_waybill: str = ""
    reject_reason: str = ""
    refund_certificates: tuple[str, ...] = ()
    update: Mapping[str, Any] = field(default_factory=dict)
    """``merchant_update_detail``: the negotiation the buyer is asked to answer."""
    deadline_in: int | None = None
    """``deadline`` given as remaining seconds (as WxJava and SKIT document it), counted from
    the fetch."""
    sub_type: str = ""
    """``sub_type``: ``REFUND_PRICE_DIFF`` (退差价) is not a case of ours."""
    exchange_sku: str = ""
    """``exchange_product_info.sku_id``: the SKU an exchange sends in place of the old one."""

    @classmethod
    def read(cls, payload: Mapping[str, Any] | str | bytes) -> AfterSaleOrder:
        """Read a getaftersaleorder reply (or its ``after_sale_order`` object); ``ValueError``
        only if it holds no after-sale order id or status at all."""
        raw = json.loads(payload) if isinstance(payload, str | bytes) else payload
        order = _object(_object(raw).get("after_sale_order", raw))
        ident, status = _text(order.get("after_sale_order_id")), _text(order.get("status"))
        if not ident or not status:
            raise ValueError("not an after-sale order: no after_sale_order_id or status")
        details, product = _object(order.get("details")), _object(order.get("product_info"))
        refund = _object(order.get("refund_info"))
        upload = _object(order.get("merchant_upload_info"))
        infos = order_media_infos(details.get("media_infos"))
        complaint = _text(order.get("complaint_id"))
        return cls(
            after_sale_order_id=ident,
            status=status,
            order_id=_text(order.get("order_id")),
            openid=_text(order.get("openid")),
            type=_text(order.get("type")),
            reason=_text(order.get("reason")),
            reason_text=_text(order.get("reason_text")),
            create_time=when(read_int(order.get("create_time"))),
            update_time=when(read_int(order.get("update_time"))),
            deadline=when(read_int(order.get("deadline"))),
            deadline_in=remaining(read_int(order.get("deadline"))),
            sub_type=_text(order.get("sub_type")),
            exchange_sku=_text(_object(order.get("exchange_product_info")).get("sku_id")),
            complaint_id=complaint if complaint not in ("", "0") else None,
            product_id=_text(product.get("product_id")),
            sku_id=_text(product.get("sku_id")),
            count=max(1, read_int(product.get("count")) or 1),
            amount=read_int(refund.get("amount")),
            refund_reason=read_int(refund.get("refund_reason")),
            received=details.get("receive_product") is True
            or read_int(details.get("receive_product")) == 1,
            buyer_media=tuple(dict.fromkeys(_strings(details.get("media_id_list")) + infos)),
            return_waybill=_text(_object(order.get("return_info")).get("waybill_id")),
            exchange_waybill=_text(_object(order.get("exchange_delivery_info")).get("waybill_id")),
            reject_reason=_text(upload.get("reject_reason")),
            refund_certificates=_strings(upload.get("refund_certificates")),
            update=_object(order.get("merchant_update_detail")),
        )

    @property
    def key(self) -> str:
        """Identifies this version of the order: its id, status and update time."""
        stamp = int(self.update_time.timestamp()) if self.update_time else 0
        return f"wechat:{self.after_sale_order_id}:{self.status}:{stamp}"


def order_media_infos(value: Any) -> tuple[str, ...]:
    """The picture and video media ids of ``details.media_infos``."""
    if not isinstance(value, list):
        return ()
    found = []
    for item in value[:50]:
        info = _object(item)
        for name in ("picture_media_id", "video_media_id"):
            media = _text(info.get(name))
            if media:
                found.append(media)
    return tuple(found)


@dataclass(frozen=True)
class Notification:
    """One decrypted notification: an after-sale status change, a dispute's, or one that could
    not be read (``problem`` says why)."""

    kind: str
    """``aftersale``, ``complaint``, ``ignored`` (an authentic push of another event: an order's,
    a product's; ``status`` names the event) or ``unreadable``."""
    after_sale_order_id: str
    status: str
    """The after-sale status, or the complaint status as text."""
    create_time: datetime | None
    order_id: str = ""
    complaint_id: str | None = None
    problem: str | None = None
    digest: str = ""

    @property
    def key(self) -> str:
        """Identifies a delivery: the same notification pushed again has the same key."""
        stamp = int(self.create_time.timestamp()) if self.create_time else 0
        return f"wechat:{self.kind}:{self.after_sale_order_id}:{self.status}:{stamp}:{self.digest}"

    @property
    def complaint_status(self) -> int | None:
        """The dispute's status code, for a complaint notification."""
        return read_int(self.status) if self.kind == "complaint" else None


def fingerprint(payload: object) -> str:
    """A short digest that tells payloads apart, for any payload at all (a 100k-deep mapping
    included: its ``repr`` would not survive)."""
    try:
        shown = payload if isinstance(payload, bytes) else repr(payload).encode("utf-8", "replace")
    except (RecursionError, ValueError, TypeError):
        shown = f"<{type(payload).__name__} {id(payload)}>".encode()
    return hashlib.sha256(shown).hexdigest()[:16]


def parse_notification(payload: str | bytes | Mapping[str, Any]) -> Notification:
    """Read a decrypted notification (JSON text or a mapping). Never raises: a push of an event
    the library does not follow comes back ``ignored``, what cannot be read ``unreadable`` with
    the reason."""
    digest = fingerprint(payload)
    try:
        if isinstance(payload, str | bytes) and len(payload) > MAX_BODY:
            raise ValueError("the body is larger than 1 MiB")
        body = json.loads(payload) if isinstance(payload, str | bytes) else payload
        if not isinstance(body, Mapping):
            raise ValueError("the body is not a JSON object")
        return _notification(body, digest)
    except (ValueError, RecursionError, UnicodeDecodeError, TypeError) as exc:
        problem = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return Notification("unreadable", "", "", None, problem=problem, digest=digest)


def _notification(body: Mapping[str, Any], digest: str) -> Notification:
    event = body.get("Event")
    created = when(read_int(body.get("CreateTime")))
    if event == AFTERSALE_EVENT:
        inner = body.get("finder_shop_aftersale_status_update")
        if isinstance(inner, str):  # third-party pushes flatten the object into lines
            parts = [part.strip() for part in inner.splitlines() if part.strip()]
            inner = dict(zip(("after_sale_order_id", "status", "order_id"), parts, strict=False))
        info = _object(inner)
        ident, status = _text(info.get("after_sale_order_id")), _text(info.get("status"))
        if not ident or not status:
            raise ValueError("an after-sale notification without after_sale_order_id or status")
        order_id = _text(info.get("order_id"))
        return Notification("aftersale", ident, status, created, order_id, digest=digest)
    if event == COMPLAINT_EVENT:
        info = _object(body.get("finder_shop_complaint"))
        ident, code = _text(info.get("after_sale_order_id")), read_int(info.get("complaint_status"))
        if not ident or code is None:
            raise ValueError("a complaint notification without after_sale_order_id or status")
        complaint = _text(info.get("complaint_id")) or None
        order_id = _text(info.get("order_id"))
        return Notification(
            "complaint", ident, str(code), created, order_id, complaint, digest=digest
        )
    if isinstance(event, str) and event:
        return Notification("ignored", "", event[:60], created, digest=digest)
    raise ValueError("the body names no Event")


@dataclass(frozen=True)
class ComplaintOrder:
    """The parts of a fetched dispute (``getcomplaintorder``) the library reads."""

    complaint_id: str
    after_sale_order_id: str
    status: int | None
    rulings: tuple[tuple[str, datetime | None], ...]
    """Each judgement of the history, oldest first: the party held liable and when."""
    appeals: tuple[tuple[bool, datetime | None, int], ...] = ()
    """Each judgement of the merchant's appeal, oldest first: whether it took effect, when, and
    how many rulings came before it in the history (so it is known which ruling it judged)."""

    @classmethod
    def read(
        cls, payload: Mapping[str, Any] | str | bytes, complaint_id: str = ""
    ) -> ComplaintOrder:
        """Read a getcomplaintorder reply; ``ValueError`` if it names no after-sale order."""
        from .codes import APPEALS, RULINGS

        raw = _object(json.loads(payload) if isinstance(payload, str | bytes) else payload)
        ident = _text(raw.get("after_sale_order_id"))
        if not ident:
            raise ValueError("not a complaint order: no after_sale_order_id")
        found = raw.get("history")
        history: list[Any] = found if isinstance(found, list) else []
        items = []
        for item in history[:200]:
            entry = _object(item)
            kind = read_int(entry.get("item_type")) or 0
            if kind in RULINGS or kind in APPEALS:
                items.append((kind, when(read_int(entry.get("time")))))
        # The official example lists the newest item first: order by time (untimed ones keep
        # their place among themselves, before the timed ones).
        items.sort(key=lambda item: item[1].timestamp() if item[1] is not None else 0.0)
        rulings: list[tuple[str, datetime | None]] = []
        appeals: list[tuple[bool, datetime | None, int]] = []
        for kind, stamp in items:
            if kind in RULINGS:
                rulings.append((RULINGS[kind], stamp))
            else:
                appeals.append((APPEALS[kind], stamp, len(rulings)))
        complaint = _text(raw.get("complaint_id")) or complaint_id
        return cls(complaint, ident, read_int(raw.get("status")), tuple(rulings), tuple(appeals))

    @property
    def reversed(self) -> bool:
        """Whether the platform judged the merchant's appeal of the last ruling effective
        (history item 35 after it), which lifts that ruling's liability."""
        from .codes import APPEALABLE

        if not self.rulings or self.rulings[-1][0] not in APPEALABLE:
            return False
        judged = [effective for effective, _, before in self.appeals if before == len(self.rulings)]
        return bool(judged) and judged[-1]

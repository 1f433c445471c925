"""WeChat's push at the door: the signature checked, safe mode decrypted, the body read.

:class:`Intake` is the one entry: :meth:`Intake.handshake` answers the GET check of the push URL
(``echostr``), :meth:`Intake.read` turns a POSTed push into the :class:`Notification` that
:func:`reconcile` follows. It follows WeChat's message-encryption scheme (消息加解密):

- ``signature`` is the SHA-1 of the sorted, concatenated ``[token, timestamp, nonce]``, and
  ``msg_signature`` (safe mode) that of ``[token, timestamp, nonce, Encrypt]``;
- the AES key is ``base64decode(EncodingAESKey + "=")`` (32 bytes); ``Encrypt`` is the base64 of
  AES-256-CBC with the key's first 16 bytes as IV, PKCS#7-padded to a multiple of 32 bytes, over
  ``16 random bytes + 4-byte big-endian length + message + appid``.

Every push that is not WeChat's, or cannot be read, raises :class:`PushRejected` and nothing
else: the signature is checked before anything is decrypted, XML is read with ``defusedxml``
(no DTD, no entity, no external reference), and a body larger than 1 MiB is not read at all.
What an authentic message says is :func:`parse_notification`'s business: an event the library
does not follow comes back ``unreadable`` (answer WeChat with success all the same).
"""

from __future__ import annotations

from ..extras import require

require("aftersales.wechat.intake", "wechat", "cryptography", "defusedxml")

import base64
import binascii
import hashlib
import hmac
import json
import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from xml.etree.ElementTree import Element, ParseError

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..workflow.errors import AftersalesError, InvalidInput
from .messages import MAX_BODY, Notification, parse_notification

BLOCK_BITS: Final = 256
"""The scheme pads to a multiple of 32 bytes (not AES's 16): PKCS#7 over 256-bit blocks."""
MAX_AGE: Final = timedelta(minutes=5)
"""How far a push's ``timestamp`` may lie from the intake's clock, either way, by default."""
MAX_DEPTH: Final = 32
"""How deeply an XML push may nest; WeChat's nest two or three levels."""

HTTP_STATUS: Final[dict[str, int]] = {
    "bad_signature": 403,
    "stale_timestamp": 403,
    "too_large": 413,
}
"""The HTTP status a web handler answers for a refusal's ``reason`` (400 for the others)."""


class PushRejected(AftersalesError):
    """A push is not WeChat's or cannot be read; ``reason`` says which check failed and
    ``http_status`` is the 4xx to answer."""

    code = "push_rejected"

    def __init__(
        self, reason: str, message_en: str, message_zh: str, field: str | None = None
    ) -> None:
        super().__init__(message_en, message_zh, field)
        self.reason = reason

    @property
    def http_status(self) -> int:
        """403 for a wrong signature or a stale timestamp, 413 for an oversize body, 400 for
        everything else."""
        return HTTP_STATUS.get(self.reason, 400)

    def to_dict(self) -> dict[str, Any]:
        """The refusal as plain data, with the failed check."""
        return {**super().to_dict(), "reason": self.reason}


def _refuse(reason: str, en: str, zh: str, field: str | None = None) -> PushRejected:
    return PushRejected(reason, en, zh, field)


def _signature(*parts: str) -> str:
    """WeChat's signature: the SHA-1 hex of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


class Intake:
    """Checks and reads the pushes of one WeChat Shop: its ``token``, ``encoding_aes_key`` and
    ``appid`` as set in the shop's push settings (消息推送).

    With ``encoding_aes_key`` (WeChat Shop allows safe mode only) every POST must be encrypted
    and carry ``msg_signature``; without it, pushes are plaintext and carry ``signature``.

    A POST whose signed ``timestamp`` lies more than ``max_age`` from ``clock()`` (either way)
    is refused (``stale_timestamp``): a push recorded and sent again later is not read. WeChat
    sends its retries of a push within seconds; ``max_age=None`` turns the check off.
    """

    def __init__(
        self,
        *,
        token: str,
        encoding_aes_key: str | None = None,
        appid: str | None = None,
        max_age: timedelta | None = MAX_AGE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not token:
            raise InvalidInput("The push token is empty.", "推送 Token 为空。", "token")
        if max_age is not None and max_age <= timedelta(0):
            raise InvalidInput(
                "max_age is a positive timedelta (or None: no check).",
                "max_age 须为正的时长（None 表示不检查）。",
                "max_age",
            )
        self._token = token
        self._max_age, self._clock = max_age, clock
        self._appid = (appid or "").encode("utf-8")
        self._key: bytes | None = None
        if encoding_aes_key is not None:
            self._key = _aes_key(encoding_aes_key)
            if not appid:
                raise InvalidInput(
                    "Safe mode needs the appid the messages are encrypted for.",
                    "安全模式需要提供 appid。",
                    "appid",
                )

    def handshake(self, query: Mapping[str, Any]) -> str:
        """The ``echostr`` to answer WeChat's GET check of the push URL, once its ``signature``
        is right."""
        self._check(query, "signature", _param(query, "timestamp"), _param(query, "nonce"))
        return _param(query, "echostr")

    def read(
        self, query: Mapping[str, Any], body: bytes, content_type: str | None = None
    ) -> Notification:
        """The notification a POSTed push carries, ready for :func:`reconcile`; raises
        :class:`PushRejected` for anything that is not an authentic, readable push."""
        if not isinstance(body, bytes | bytearray):
            raise _refuse("malformed", "The body is not bytes.", "请求体不是字节串。", "body")
        if len(body) > MAX_BODY:
            raise _refuse("too_large", "The body is larger than 1 MiB.", "请求体超过 1 MiB。")
        timestamp, nonce = _param(query, "timestamp"), _param(query, "nonce")
        if self._key is None:
            self._check(query, "signature", timestamp, nonce)
            fields = _mapping(bytes(body), content_type)
            if "Encrypt" in fields:
                raise _refuse(
                    "wrong_mode",
                    "An encrypted push, and no EncodingAESKey is configured.",
                    "收到加密推送，但未配置 EncodingAESKey。",
                    "Encrypt",
                )
            self._check_age(timestamp)
            return parse_notification(fields)
        encrypted = _mapping(bytes(body), content_type).get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise _refuse(
                "wrong_mode",
                "A plaintext push, and safe mode is configured: Encrypt is missing.",
                "已配置安全模式，但推送未加密（缺少 Encrypt）。",
                "Encrypt",
            )
        self._check(query, "msg_signature", timestamp, nonce, encrypted)
        self._check_age(timestamp)
        message = self._decrypt(encrypted)
        if message.lstrip()[:1] == b"<":
            return parse_notification(_mapping(message, "xml"))
        return parse_notification(message)

    def _check(self, query: Mapping[str, Any], name: str, *parts: str) -> None:
        given = _param(query, name)
        expected = _signature(self._token, *parts)
        if not hmac.compare_digest(given.lower().encode(), expected.encode()):
            raise _refuse("bad_signature", f"{name} is wrong.", f"{name} 签名错误。", name)

    def _check_age(self, timestamp: str) -> None:
        if self._max_age is None:
            return
        try:
            sent = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError):
            raise _refuse(
                "malformed",
                "timestamp is not a Unix time.",
                "timestamp 不是 Unix 时间。",
                "timestamp",
            ) from None
        if abs(self._clock() - sent) > self._max_age:
            raise _refuse(
                "stale_timestamp",
                f"The push was signed at {sent.isoformat()}, too far from now to be read.",
                f"推送签名时间 {sent.isoformat()} 与当前时间相差过大，不予读取。",
                "timestamp",
            )

    def _decrypt(self, encrypted: str) -> bytes:
        assert self._key is not None
        try:
            data = base64.b64decode(encrypted, validate=True)
            decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
            padded = decryptor.update(data) + decryptor.finalize()
        except (binascii.Error, ValueError) as exc:
            raise _refuse(
                "bad_ciphertext",
                "Encrypt is not base64 of whole AES blocks.",
                "Encrypt 不是完整 AES 分组的 base64。",
                "Encrypt",
            ) from exc
        try:
            unpadder = PKCS7(BLOCK_BITS).unpadder()
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError as exc:
            raise _refuse("bad_padding", "The padding is wrong.", "填充错误。", "Encrypt") from exc
        if len(plain) < 20:
            raise _refuse("bad_ciphertext", "Encrypt is too short.", "Encrypt 过短。", "Encrypt")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise _refuse(
                "bad_ciphertext",
                "The message length exceeds the ciphertext.",
                "消息长度超出密文。",
                "Encrypt",
            )
        if not hmac.compare_digest(plain[20 + length :], self._appid):
            raise _refuse(
                "wrong_appid",
                "The message is encrypted for another appid.",
                "消息不是发给本 appid 的。",
                "appid",
            )
        return plain[20 : 20 + length]


def _aes_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise InvalidInput(
            "The EncodingAESKey is not 43 base64 characters.",
            "EncodingAESKey 不是 43 位 base64 字符。",
            "encoding_aes_key",
        )
    return key


def _param(query: Mapping[str, Any], name: str) -> str:
    value = query.get(name) if isinstance(query, Mapping) else None
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]  # parse_qs style: one value in a list
    if not isinstance(value, str) or not value:
        raise _refuse("missing_field", f"The query has no {name}.", f"查询参数缺少 {name}。", name)
    return value


def _mapping(body: bytes, content_type: str | None) -> Mapping[str, Any]:
    """A JSON object or an XML document as a mapping."""
    kind = (content_type or "").lower()
    is_xml = "xml" in kind or ("json" not in kind and body.lstrip()[:1] == b"<")
    try:
        found = _xml(body) if is_xml else json.loads(body)
    except (DefusedXmlException, ValueError) as exc:  # defusedxml's refusals are ValueErrors
        unsafe = isinstance(exc, DefusedXmlException)
        raise _refuse(
            "unsafe_xml" if unsafe else "malformed",
            f"The body is {'unsafe XML' if unsafe else 'neither JSON nor XML'}"
            f" ({type(exc).__name__}).",
            "请求体含不安全的 XML。" if unsafe else "请求体既不是 JSON 也不是 XML。",
            "body",
        ) from exc
    except (ParseError, RecursionError) as exc:
        raise _refuse("malformed", "The body cannot be read.", "请求体无法解析。", "body") from exc
    if not isinstance(found, Mapping):
        raise _refuse("malformed", "The body is not an object.", "请求体不是对象。", "body")
    return found


def _xml(body: bytes) -> Any:
    root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return _element(root, 0)


def _element(node: Element, depth: int) -> Any:
    children = list(node)
    if not children:
        return (node.text or "").strip()
    if depth >= MAX_DEPTH:
        raise ValueError("the XML nests too deeply")
    found: dict[str, Any] = {}
    for child in children:
        value = _element(child, depth + 1)
        if child.tag in found:  # a repeated element is a list
            before = found[child.tag]
            found[child.tag] = [*before, value] if isinstance(before, list) else [before, value]
        else:
            found[child.tag] = value
    return found

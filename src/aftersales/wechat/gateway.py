"""The gateway :func:`act` takes, over HTTP: WeChat's API with a kept access token and retries.

:class:`HttpGateway` is called as ``gateway(api_name, body)`` and returns WeChat's reply, like
any :data:`Gateway`. It

- posts JSON to ``base_url + api_name`` (a name that is already an ``https://`` URL is used as
  it is) with ``?access_token=``, through ``httpx`` with a timeout; the token goes only over
  HTTPS and only to WeChat's API host (``api.weixin.qq.com``) or ``base_url``'s: any other URL
  is refused (``invalid_input``) before anything is sent;
- keeps the access token of the stable-token API (``POST cgi-bin/stable_token``, normal mode),
  fetches it again ``token_margin`` seconds before it expires (halfway through what is left, if
  less), and once more when WeChat answers that it expired or is invalid (40001, 42001, 40014);
- retries, with exponential backoff up to ``attempts`` tries in all, what may succeed later:
  the errcodes :data:`RETRYABLE` names (system busy, rate limits), HTTP 429, a request that
  never left (connect errors and timeouts), and for a read (an API name whose last parts start
  with ``get``, ``list`` or ``search``) any transport error or HTTP 5xx. A command whose request
  may have reached WeChat is never sent twice: the next sync records what WeChat did;
- returns every other reply as it is (``act`` turns the errcode into our error), and raises
  :class:`PlatformError` (``errcode`` -2, ``retryable``) when no reply could be had at all.

``httpx`` logs every request's URL at INFO on its ``"httpx"`` logger, the token with it.
Importing this module installs, once, a :class:`logging.Filter` on that logger that rewrites
``access_token=<value>`` in a record's message and arguments to ``access_token=***`` and leaves
the rest of the record, and the logger's level, as they are, before any handler sees it.
"""

from __future__ import annotations

from ..extras import require

require("aftersales.wechat.gateway", "wechat", "httpx")

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import httpx

from ..workflow.errors import InvalidInput, PlatformError
from .bodies import API
from .codes import RETRYABLE

TOKEN_URL: Final = "https://api.weixin.qq.com/cgi-bin/stable_token"
"""The stable-token API (getStableAccessToken): a token valid 7200 s, shared by every caller."""
TOKEN_EXPIRED: Final = frozenset({40001, 42001, 40014})
"""The access token is invalid or expired: fetch it again, once."""
NO_REPLY: Final = -2
"""The library's errcode (not WeChat's) for a call that got no usable reply."""
READS: Final = ("get", "list", "search")
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TOKEN_IN_TEXT: Final = re.compile(r"(access_token=)[^&#\s\"'<>]+", re.IGNORECASE)


class _RedactAccessToken(logging.Filter):
    """Rewrites ``access_token=<value>`` to ``access_token=***`` in a record's message and
    arguments (an argument that holds one, such as httpx's ``URL``, becomes its redacted text;
    every other argument stays as it is). Never drops a record, never raises."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            if isinstance(record.msg, str):
                record.msg = _redacted(record.msg)
            if isinstance(record.args, Mapping):
                record.args = {key: _redacted(value) for key, value in record.args.items()}
            elif isinstance(record.args, tuple):
                record.args = tuple(_redacted(value) for value in record.args)
        except Exception:  # a str() that fails: the record goes on as it was
            pass
        return True


def _redacted(value: Any) -> Any:
    if isinstance(value, int | float | bytes | type(None)):
        return value
    text = value if isinstance(value, str) else str(value)
    if "access_token=" not in text.lower():
        return value
    return _TOKEN_IN_TEXT.sub(r"\1***", text)


def _install_redaction() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(type(f).__name__ == _RedactAccessToken.__name__ for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactAccessToken())


_install_redaction()


class _NoReply(Exception):
    """No WeChat reply: ``retry`` says whether trying again is safe and may help."""

    def __init__(self, why: str, *, retry: bool) -> None:
        super().__init__(why)
        self.why, self.retry = why, retry


class HttpGateway:
    """Posts to WeChat Shop's API for one app (``appid``, ``secret``); pass it as ``gateway=``.

    ``client`` (or ``transport``) replaces the HTTP client, ``clock`` (seconds, monotonic) and
    ``sleep`` replace the time, for tests. Safe to share between threads.
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        base_url: str = API,
        timeout: float = 10.0,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        token_margin: float = 300.0,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.appid, self._secret, self.base_url = appid, secret, base_url
        self.attempts, self.backoff, self.max_backoff = max(1, attempts), backoff, max_backoff
        self.token_margin = token_margin
        self._hosts = frozenset({httpx.URL(TOKEN_URL).host, httpx.URL(base_url).host})
        self._client = client or httpx.Client(timeout=timeout, transport=transport)
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __call__(self, api_name: str, body: dict[str, Any]) -> Mapping[str, Any]:
        """WeChat's reply to ``body`` posted to the API ``api_name``."""
        url = api_name if api_name.startswith("https://") else self.base_url + api_name
        self._check_host(url)
        read = any(part.startswith(READS) for part in api_name.rsplit("/", 2)[-2:])
        reply = self._retrying(lambda: self._post(url, body, self.token()), read)
        if _errcode(reply) in TOKEN_EXPIRED:
            self.forget_token()
            reply = self._retrying(lambda: self._post(url, body, self.token()), read)
        return reply

    def _check_host(self, url: str) -> None:
        """The access token is a key to the shop: send it to WeChat only."""
        target = httpx.URL(url)
        if target.scheme != "https" or target.host not in self._hosts:
            raise InvalidInput(
                f"Refusing to send the access token to {target.scheme}://{target.host}: "
                f"only to {', '.join(sorted(self._hosts))} over HTTPS.",
                f"拒绝把 access_token 发往 {target.scheme}://{target.host}："
                f"只发往 {', '.join(sorted(self._hosts))}（HTTPS）。",
                "api_name",
            )

    def token(self) -> str:
        """The access token, fetched again when it is missing or about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._fetch_token()
            assert self._token is not None
            return self._token

    def forget_token(self) -> None:
        """Drop the kept token: the next call fetches one."""
        with self._lock:
            self._token = None

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __enter__(self) -> HttpGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fetch_token(self) -> None:
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
        reply = self._retrying(lambda: self._post(TOKEN_URL, body, None), True)
        token, expires_in = reply.get("access_token"), reply.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            code = _errcode(reply)
            errmsg = str(reply.get("errmsg", "no access_token in the reply"))[:500]
            raise PlatformError(
                f"WeChat gave no access token ({code}): {errmsg}.",
                f"微信未返回 access_token({code}):{errmsg}。",
                "access_token",
                errcode=code if code else NO_REPLY,
                errmsg=errmsg,
                retryable=code in RETRYABLE,
            )
        # A token fetched late in its life comes with what is left of it: refresh it halfway then,
        # not on every call.
        margin = min(self.token_margin, expires_in / 2)
        self._token, self._refresh_at = token, self._clock() + expires_in - margin

    def _retrying(self, call: Callable[[], Mapping[str, Any]], read: bool) -> Mapping[str, Any]:
        for attempt in range(self.attempts):
            last = attempt == self.attempts - 1
            try:
                reply = call()
            except _NoReply as exc:
                if last or not (exc.retry or read):
                    raise PlatformError(
                        f"WeChat could not be reached: {exc.why}.",
                        f"无法连接微信:{exc.why}。",
                        "platform",
                        errcode=NO_REPLY,
                        errmsg=exc.why[:500],
                        retryable=True,
                    ) from exc
            else:
                if last or _errcode(reply) not in RETRYABLE:
                    return reply
            self._sleep(min(self.max_backoff, self.backoff * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _post(self, url: str, body: Mapping[str, Any], token: str | None) -> Mapping[str, Any]:
        params = {"access_token": token} if token else None
        try:
            response = self._client.post(url, params=params, json=body)
        except _NOT_SENT as exc:
            raise _NoReply(f"{type(exc).__name__}: {exc}", retry=True) from exc
        except httpx.TransportError as exc:
            raise _NoReply(f"{type(exc).__name__}: {exc}", retry=False) from exc
        if response.status_code == 429:  # refused before it was done: safe to send again
            raise _NoReply("HTTP 429", retry=True)
        if response.status_code >= 500:
            raise _NoReply(f"HTTP {response.status_code}", retry=False)
        try:
            reply = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _NoReply(f"HTTP {response.status_code}, not JSON", retry=False) from exc
        if not isinstance(reply, Mapping):
            raise _NoReply(f"HTTP {response.status_code}, not a JSON object", retry=False)
        return reply


def _errcode(reply: Mapping[str, Any]) -> int:
    code = reply.get("errcode", 0)
    return code if isinstance(code, int) and not isinstance(code, bool) else NO_REPLY

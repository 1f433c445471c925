"""A shop's configuration built from the platform's own lists.

:func:`shop_config_from_platform` fetches, through the caller's gateway, the after-sale reasons
(``reason/get``, getaftersalereason) and the rejection reasons (``rejectreason/get``,
getaftersalerejectreason), and matches them to our catalog by their Chinese labels:

- a negotiation reason (a row with ``update_reason_type`` and ``update_reason_desc``, the shape of
  the ``merchantupdateaftersale`` page's MerchantUpdateReason table) whose label is one of the
  catalog's, exactly (:func:`match_reason`), gives that reason its ``update_reason_type``;
- a buyer reason (``reason``, ``reason_text``) is read as our ``buyer_reason`` by its words;
- a rejection reason gives the first ``reject_reason_type`` of each ``reject_scene`` (1 refund,
  4 return and refund, 5 exchange, 6 refusing to ship the replacement) as the shop's default.

The result is plain data: the caller caches it (the lists change rarely) and passes it to
``act`` and ``sync``. A catalog reason the platform's lists do not offer keeps no code, and
``act`` refuses it by name, saying how to map it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

from ..workflow.reasons import catalog
from .act import Gateway, error_for_platform_reply, transport_error
from .bodies import ShopConfig
from .codes import buyer_reason
from .messages import read_int

REJECT_SCENES: Final = {1: "refund", 4: "return_refund", 5: "exchange", 6: "reship"}
"""``reject_scene`` of ``rejectreason/get`` and the situation of ours it fits."""
_NOT_WORD: Final = re.compile(r"[\W_]")
"""What a label is compared without: spaces, punctuation and symbols (after NFKC)."""


def shop_config_from_platform(shop_id: str, gateway: Gateway, **settings: Any) -> ShopConfig:
    """Fetch the platform's reason lists and build the shop's configuration from them;
    ``settings`` (``address_id``, ``reject_reason_types``, ``reason_codes``, ...) win over what
    the lists say. A refusal of WeChat's raises as ``act`` does."""
    reasons = _reason_list(gateway, "reason/get")
    rejections = _reason_list(gateway, "rejectreason/get")
    codes: dict[str, int] = {}
    buyer: dict[str, str] = {}
    for row in reasons:
        code, label = read_int(row.get("update_reason_type")), row.get("update_reason_desc")
        key = match_reason(label)
        if code is not None and key is not None:
            codes.setdefault(key, code)
        text, value = row.get("reason_text"), row.get("reason")
        if isinstance(text, str) and isinstance(value, str | int) and not isinstance(value, bool):
            buyer[str(value)] = buyer_reason(str(value), text)
    defaults: dict[str, int] = {}
    for row in rejections:
        scene = REJECT_SCENES.get(read_int(row.get("reject_scene")) or 0)
        code = read_int(row.get("reject_reason_type"))
        if scene is not None and code is not None:
            defaults.setdefault(scene, code)
    return ShopConfig(
        shop_id=shop_id,
        reason_codes={**codes, **settings.pop("reason_codes", {})},
        reject_reason_types={**defaults, **settings.pop("reject_reason_types", {})},
        buyer_reasons={**buyer, **settings.pop("buyer_reasons", {})},
        **settings,
    )


def match_reason(label: object) -> str | None:
    """The catalog reason whose Chinese label is the platform's ``label``, exactly once both are
    normalised: full-width forms read as half-width (NFKC), spaces, punctuation and symbols
    dropped, case folded. Nothing else matches: a general label (``退款``, ``质量问题``) or one
    that only contains or extends ours is not that reason, and ``None`` leaves the reason
    without a code, so ``act`` refuses it saying how to map it (``reason_codes``)."""
    if not isinstance(label, str):
        return None
    wanted = _normal(label)
    if not wanted:
        return None
    for reason in catalog().values():
        if _normal(reason.label_zh) == wanted:
            return reason.key
    return None


def _normal(label: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", label)).casefold()


def _reason_list(gateway: Gateway, api: str) -> list[Mapping[str, Any]]:
    try:
        reply = gateway(api, {})
    except Exception as exc:  # the caller's HTTP client: any failure is a transport failure
        raise transport_error(exc) from exc
    if not isinstance(reply, Mapping):
        reply = {"errcode": -2}
    code = reply.get("errcode", 0)
    error = error_for_platform_reply(
        code if isinstance(code, int) and not isinstance(code, bool) else -2,
        str(reply.get("errmsg", "")),
    )
    if error is not None:
        raise error
    rows = reply.get("reason_list")
    return [row for row in rows[:500] if isinstance(row, Mapping)] if isinstance(rows, list) else []

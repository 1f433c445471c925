"""WeChat Shop (微信小店) at the edge: statuses, messages, sync, platform-first commands.

The library makes no network call: it reads what WeChat sends (:func:`parse_notification`,
:class:`AfterSaleOrder`, :class:`ComplaintOrder`), follows it (:func:`sync`, :func:`reconcile`,
:func:`sync_complaint`), and builds what a merchant command sends (:func:`act`, with the caller's
gateway). :func:`backfill` heals lost pushes: it lists the orders WeChat changed in a range,
through the gateway, and syncs each. WeChat's names (``USER_CANCELD``, ``update_reason_type``)
live here and never become ours.

With the ``wechat`` extra, the wire too: :class:`Intake` checks and decrypts WeChat's pushes
(refusing anything else with :class:`PushRejected`) and :class:`HttpGateway` is a gateway over
HTTP. They load on first use, so the ``db`` extra alone still imports this package.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ..extras import require

require("aftersales.wechat", "db", "sqlalchemy", "sqlmodel", "alembic")

from ..results import PlatformDivergence
from .act import Gateway, act, error_for_platform_reply, platform_command_id
from .backfill import BackfillResult, OrderFailure, backfill
from .bodies import API, ShopConfig, outbound
from .lists import match_reason, shop_config_from_platform
from .messages import AfterSaleOrder, ComplaintOrder, Notification, parse_notification
from .status import STATUSES, is_known, states_for_status, status_for
from .sync import SyncAction, SyncResult, reconcile, sync, sync_complaint

if TYPE_CHECKING:
    from .gateway import HttpGateway
    from .intake import Intake, PushRejected

_WIRE = {"HttpGateway": "gateway", "Intake": "intake", "PushRejected": "intake"}


def __getattr__(name: str) -> Any:
    """The parts of the ``wechat`` extra, imported when first named."""
    if name in _WIRE:
        module = importlib.import_module(f"{__name__}.{_WIRE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "API",
    "STATUSES",
    "AfterSaleOrder",
    "BackfillResult",
    "ComplaintOrder",
    "Gateway",
    "HttpGateway",
    "Intake",
    "Notification",
    "OrderFailure",
    "PlatformDivergence",
    "PushRejected",
    "ShopConfig",
    "SyncAction",
    "SyncResult",
    "act",
    "backfill",
    "error_for_platform_reply",
    "is_known",
    "match_reason",
    "outbound",
    "parse_notification",
    "platform_command_id",
    "reconcile",
    "shop_config_from_platform",
    "states_for_status",
    "status_for",
    "sync",
    "sync_complaint",
]

"""WeChat Shop (微信小店) at the edge: statuses, messages, sync, platform-first commands.

The library makes no network call: it reads what WeChat sends (:func:`parse_notification`,
:class:`AfterSaleOrder`, :class:`ComplaintOrder`), follows it (:func:`sync`, :func:`reconcile`,
:func:`sync_complaint`), and builds what a merchant command sends (:func:`act`, with the caller's
gateway). WeChat's names (``USER_CANCELD``, ``update_reason_type``) live here and never become
ours.
"""

from ..extras import require

require("aftersales.wechat", "db", "sqlalchemy", "sqlmodel", "alembic")

from ..results import PlatformDivergence
from .act import Gateway, act, error_for_platform_reply, platform_command_id
from .bodies import API, ShopConfig, outbound
from .messages import AfterSaleOrder, ComplaintOrder, Notification, parse_notification
from .status import STATUSES, is_known, states_for_status, status_for
from .sync import SyncResult, reconcile, sync, sync_complaint

__all__ = [
    "API",
    "STATUSES",
    "AfterSaleOrder",
    "ComplaintOrder",
    "Gateway",
    "Notification",
    "PlatformDivergence",
    "ShopConfig",
    "SyncResult",
    "act",
    "error_for_platform_reply",
    "is_known",
    "outbound",
    "parse_notification",
    "platform_command_id",
    "reconcile",
    "states_for_status",
    "status_for",
    "sync",
    "sync_complaint",
]

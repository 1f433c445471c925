"""WeChat Shop (微信小店) interop at the edge: status mapping, outgoing payloads, callbacks.

No network calls: the library builds and reads payloads; the order service sends them. WeChat's
names (``USER_CANCELD``, ``update_reason_type``) live here and never become ours.
"""

from .callbacks import Notification, parse_notification, reconcile
from .payloads import (
    PlatformTargetError,
    acceptapply_body,
    error_for_platform_reply,
    merchantupdateaftersale_body,
    rejectapply_body,
)
from .status import STATUS_BY_STATE, states_for_status, status_for

__all__ = [
    "STATUS_BY_STATE",
    "Notification",
    "PlatformTargetError",
    "acceptapply_body",
    "error_for_platform_reply",
    "merchantupdateaftersale_body",
    "parse_notification",
    "reconcile",
    "rejectapply_body",
    "states_for_status",
    "status_for",
]

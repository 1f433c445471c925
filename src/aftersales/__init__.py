"""aftersales: WeChat Shop (微信小店) after-sales cases as an explicit finite-state workflow."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .workflow.advice import (
    Advice,
    Alternative,
    Avoid,
    advice_at_merchant_turns,
    advise,
    check_advice,
)
from .workflow.advice_evidence import EvidenceAdvice
from .workflow.case import Case, Verdict, open_case
from .workflow.errors import (
    AftersalesError,
    Conflict,
    EvidenceRequired,
    InvalidAmount,
    InvalidInput,
    InvalidReason,
    LimitReached,
    NegotiationRequired,
    NotFound,
    PermissionDenied,
    PlatformError,
    StorageUnavailable,
    TransitionNotAllowed,
)
from .workflow.inputs import CaseFacts, Evidence, Policy
from .workflow.liability import Assessment
from .workflow.machine import CaseMachine
from .workflow.playbook import Situation
from .workflow.reasons import Reason, catalog
from .workflow.record import Actor, EventRecord, Timer
from .workflow.replay import Mismatch, replay
from .workflow.vocabulary import WORKFLOW_VERSION

try:
    __version__ = _version("aftersales")
except PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
    __version__ = "0.0.0"

__all__ = [  # noqa: RUF022 (plain sorted order, as tests/test_public_api.py checks)
    "Actor",
    "Advice",
    "AftersalesError",
    "Alternative",
    "Assessment",
    "Avoid",
    "Case",
    "CaseFacts",
    "CaseMachine",
    "Conflict",
    "EventRecord",
    "Evidence",
    "EvidenceAdvice",
    "EvidenceRequired",
    "InvalidAmount",
    "InvalidInput",
    "InvalidReason",
    "LimitReached",
    "Mismatch",
    "NegotiationRequired",
    "NotFound",
    "PermissionDenied",
    "PlatformError",
    "Policy",
    "Reason",
    "Situation",
    "StorageUnavailable",
    "Timer",
    "TransitionNotAllowed",
    "Verdict",
    "WORKFLOW_VERSION",
    "__version__",
    "advice_at_merchant_turns",
    "advise",
    "catalog",
    "check_advice",
    "open_case",
    "replay",
]

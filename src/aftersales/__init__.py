"""aftersales: WeChat Shop (微信小店) after-sales cases as an explicit finite-state workflow."""

from .workflow.case import Case, Verdict, open_case
from .workflow.errors import (
    AftersalesError,
    Conflict,
    EvidenceRequired,
    InvalidAmount,
    InvalidInput,
    InvalidReason,
    NegotiationRequired,
    NotFound,
    PermissionDenied,
    StorageUnavailable,
    TransitionNotAllowed,
)
from .workflow.inputs import CaseFacts, Evidence, Policy
from .workflow.liability import Assessment
from .workflow.machine import CaseMachine
from .workflow.reasons import Reason, catalog
from .workflow.record import Actor, EventRecord, Timer

__all__ = [
    "Actor",
    "AftersalesError",
    "Assessment",
    "Case",
    "CaseFacts",
    "CaseMachine",
    "Conflict",
    "EventRecord",
    "Evidence",
    "EvidenceRequired",
    "InvalidAmount",
    "InvalidInput",
    "InvalidReason",
    "NegotiationRequired",
    "NotFound",
    "PermissionDenied",
    "Policy",
    "Reason",
    "StorageUnavailable",
    "Timer",
    "TransitionNotAllowed",
    "Verdict",
    "catalog",
    "open_case",
]

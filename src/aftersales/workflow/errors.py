"""Errors of the after-sales workflow: one root, one class per stable code (listed in
docs/reference/errors.md).

    AftersalesError
    ├── InvalidInput            invalid_input
    ├── PermissionDenied        permission_denied
    ├── TransitionNotAllowed    transition_not_allowed
    ├── InvalidReason           invalid_reason
    ├── EvidenceRequired        evidence_required
    ├── InvalidAmount           invalid_amount
    ├── NegotiationRequired     negotiation_required
    ├── LimitReached            limit_reached
    ├── NotFound                not_found
    ├── Conflict                conflict
    ├── PlatformError           platform_error (WeChat refused an outbound call)
    └── StorageUnavailable      storage_unavailable (not a refusal: the database failed)

Every refusal carries the stable ``code``, a Chinese and an English message, and the offending
``field`` where there is one. A refused command changes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AftersalesError(Exception):
    """A command was refused; ``code`` says why, stable across releases."""

    code: ClassVar[str] = "error"
    refusal: Any = None
    """The refused command as a store's refused-command log keeps it (an
    ``aftersales.storage.Refusal``), when ``CaseStore.send`` refused it; ``None`` otherwise.
    ``CaseStore.keep_refusal_of(error)`` keeps it again after a rolled-back transaction."""

    def __init__(self, message_en: str, message_zh: str, field: str | None = None) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The refusal as plain data, for JSON output and the refused-command log."""
        return {
            "code": self.code,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "field": self.field,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message_en!r}, field={self.field!r})"


class InvalidInput(AftersalesError):
    """A field is missing or malformed, a time is naive or goes backwards, a text is too long."""

    code = "invalid_input"


class PermissionDenied(AftersalesError):
    """The actor's role may never send this event, or the actor is not a party to this case."""

    code = "permission_denied"


class TransitionNotAllowed(AftersalesError):
    """The event is not allowed in the case's current state."""

    code = "transition_not_allowed"


class InvalidReason(AftersalesError):
    """The negotiation reason is unknown or does not fit the type, case type or category."""

    code = "invalid_reason"


class EvidenceRequired(AftersalesError):
    """The command lacks the evidence the rule demands."""

    code = "evidence_required"


class InvalidAmount(AftersalesError):
    """An amount is outside what was paid or breaks the reason's amount rule."""

    code = "invalid_amount"


class NegotiationRequired(AftersalesError):
    """A direct rejection was refused: the merchant must negotiate first."""

    code = "negotiation_required"


class LimitReached(AftersalesError):
    """The platform's limit of applications per product line of an order is reached."""

    code = "limit_reached"


class NotFound(AftersalesError):
    """No case has this id."""

    code = "not_found"


class Conflict(AftersalesError):
    """Another writer changed the case first, a case id is taken, or a ``command_id`` is reused
    for another command."""

    code = "conflict"


class PlatformError(AftersalesError):
    """WeChat answered an outbound call with an error; ``retryable`` says whether to try again."""

    code = "platform_error"

    def __init__(
        self,
        message_en: str,
        message_zh: str,
        field: str | None = None,
        *,
        errcode: int,
        errmsg: str = "",
        retryable: bool = False,
    ) -> None:
        super().__init__(message_en, message_zh, field)
        self.errcode = errcode
        self.errmsg = errmsg
        self.retryable = retryable

    def to_dict(self) -> dict[str, Any]:
        """The refusal as plain data, with the platform's errcode."""
        return {**super().to_dict(), "errcode": self.errcode, "retryable": self.retryable}


class StorageUnavailable(AftersalesError):
    """The database URL is wrong or the database cannot be reached; nothing was decided."""

    code = "storage_unavailable"


ERROR_CLASSES: dict[str, type[AftersalesError]] = {
    cls.code: cls
    for cls in (
        InvalidInput,
        PermissionDenied,
        TransitionNotAllowed,
        InvalidReason,
        EvidenceRequired,
        InvalidAmount,
        NegotiationRequired,
        LimitReached,
        NotFound,
        Conflict,
        PlatformError,
        StorageUnavailable,
    )
}
"""Every stable code and its class."""

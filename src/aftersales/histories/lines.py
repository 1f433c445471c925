"""A line of a case history, as pydantic models: what each ``op`` carries. The reader
(:mod:`.reader`) takes its keys from these models, and ``docs/schemas/history-line.schema.json``
is generated from them, so a history line is described once.

A command's data is the event's own model (``workflow.inputs.EVENT_DATA``): the reader hands it
to the case, which checks it with that same model.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, create_model

from ..workflow.errors import ERROR_CLASSES
from ..workflow.inputs import CaseFacts, Key, NegotiationType, Policy, Strict
from ..workflow.playbook import Situation
from ..workflow.vocabulary import EVENT_DATA, EVENT_ROLES, STATE_LABELS, Origin

if TYPE_CHECKING:
    ErrorCode = str
    StateName = str
    MerchantEvent = str
else:  # the enums of the schema, from the code's own tables
    ErrorCode = Literal[tuple(ERROR_CLASSES)]
    StateName = Literal[tuple(STATE_LABELS)]
    MerchantEvent = Literal[tuple(e for e, role in EVENT_ROLES.items() if role == "merchant")]


class ActorLine(Strict):
    """Who sends the command."""

    role: Literal["merchant", "buyer", "platform", "system"]
    id: str | None = None


class LineBase(Strict):
    at: datetime = Field(description="When it happened, ISO 8601 with a UTC offset.")
    command_id: str | None = Field(None, description="The idempotency key of the command.")
    origin: Origin = Field(
        Origin.local, description="local: sent through the library; platform: learned from it."
    )


class CommandLineBase(LineBase):
    actor: ActorLine
    expect_error: ErrorCode | None = Field(
        None, description="The command must be refused with this code; the replay goes on."
    )


def _opening_line() -> type[BaseModel]:
    facts: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in CaseFacts.model_fields.items()
        if name != "opened_at"  # the line's `at`
    }
    seven_day_return: Any = CaseFacts.model_fields["seven_day_return"].annotation
    facts["seven_day_return"] = (
        seven_day_return | None,
        Field(None, description="Defaults by category: see the reference."),
    )
    facts["policy"] = (Policy | None, None)
    return create_model(
        "OpenLine",
        __base__=LineBase,
        __doc__="Opens the case with its facts; `policy` overrides the defaults for this case.",
        **{"op": (Literal["open"], ...), **facts},
    )


def _command_line(event: str) -> type[BaseModel]:
    data = EVENT_DATA[event]
    fields: dict[str, Any] = {"op": (Literal[event], ...)}
    fields.update((name, (info.annotation, info)) for name, info in data.model_fields.items())
    title = "".join(part.title() for part in event.split("_"))
    return create_model(
        f"{title}Line",
        __base__=CommandLineBase,
        __doc__=f"The {event} command, sent by the {EVENT_ROLES[event]}, with its data.",
        **fields,
    )


class TickLine(Strict):
    """Fires, in due order, every timer due at or before `at`."""

    op: Literal["tick"]
    at: datetime


class AdviceExpectation(Strict):
    """The advice expected at this point, as ``aftersales.advise`` gives it.

    ``event`` is required (``null``: it is not the merchant's turn); ``negotiation_type`` and
    ``reason`` are checked only when given (``null``: the advice carries none)."""

    event: MerchantEvent | None = Field(
        description="The recommended command; null: not the merchant's turn."
    )
    negotiation_type: NegotiationType | None = Field(
        None, description="Checked only when given: the negotiation's type."
    )
    reason: Key | None = Field(None, description="Checked only when given: the catalog reason.")


class ExpectLine(Strict):
    """Asserts how the case stands, and optionally the advice for the merchant's turn."""

    op: Literal["expect"]
    state: StateName | None = None
    liability: Literal["merchant", "buyer", "both", "none"] | None = None
    refund_amount: int | None = None
    final: bool | None = None
    advice: AdviceExpectation | None = Field(
        None, description="The advice `aftersales.advise` must give here, given `situation`."
    )
    situation: Situation | None = Field(
        None, description="Only with `advice`: what the merchant knows (default: nothing)."
    )


_LINES: tuple[type[BaseModel], ...] = (
    _opening_line(),
    *(_command_line(event) for event in EVENT_ROLES),
    TickLine,
    ExpectLine,
)
HistoryLine = Annotated[
    Union[_LINES],  # type: ignore[valid-type]  # noqa: UP007
    Field(
        discriminator="op",
        description="One line of a case history. A line with expect_error is meant to be "
        "refused and may break these shapes on purpose (a missing field, a bad value).",
    ),
]
"""One line of a history file, told apart by ``op`` (``expire`` only with ``"origin":
"platform"``)."""


COMMAND_OPS = frozenset(EVENT_ROLES) - {"expire"}
"""The ops a history may send (``expire`` only with ``"origin": "platform"``)."""
LINE_KEYS = frozenset(CommandLineBase.model_fields) | {"op"}
"""The keys of a command line that are not the event's data."""
EXPECT_KEYS = frozenset(ExpectLine.model_fields) - {"op"}
"""What an ``expect`` line may assert."""

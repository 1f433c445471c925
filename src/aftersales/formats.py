"""The JSON documents of the package, as pydantic models: a line of a case history and the
object each ``--json`` command prints. ``docs/schemas/`` holds their JSON Schemas, generated
from these models (``make docs``) and checked fresh by a test; the command line builds these
models and prints them, so what it prints is what the schemas say.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from .histories import Summary
from .metrics import Metrics
from .workflow.errors import ERROR_CLASSES
from .workflow.inputs import CaseFacts, Policy, Strict
from .workflow.vocabulary import EVENT_DATA, EVENT_ROLES, STATE_LABELS, Origin

__all__ = [
    "DbCurrentOutput",
    "ExportOutput",
    "HistoryLine",
    "ReplayFileOutput",
    "ReportOutput",
    "Summary",
    "TimersOutput",
    "VerifyOutput",
    "schemas",
]


# -- a history line ----------------------------------------------------------------------------

if TYPE_CHECKING:
    ErrorCode = str
    StateName = str
else:  # the enums of the schema, from the code's own tables
    ErrorCode = Literal[tuple(ERROR_CLASSES)]
    StateName = Literal[tuple(STATE_LABELS)]


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


class ExpectLine(Strict):
    """Asserts how the case stands."""

    op: Literal["expect"]
    state: StateName | None = None
    liability: Literal["merchant", "buyer", "both", "none"] | None = None
    refund_amount: int | None = None
    final: bool | None = None


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


# -- what the --json commands print -----------------------------------------------------------


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReplayFileOutput(Output):
    """``aftersales replay A B ... --json``: one object per file (one file prints its
    :class:`Summary` alone, as spec section 9 has it)."""

    file: str
    ok: bool
    failures: list[str] = Field(description="Each failed expectation or unreadable line.")
    case: Summary | None = Field(description="How the case ended; null if the file is unreadable.")


class ExportOutput(Output):
    """``aftersales export CASE --json``: the history of a stored case as objects."""

    case_id: str
    lines: list[dict[str, Any]] = Field(
        description="The history's lines, each as history-line.schema.json describes it."
    )
    output: str | None = Field(description="The file written with -o, if any.")


class VerifyDivergence(Output):
    case_id: str
    seq: int | None = Field(description="The event that disagrees; null for the case row.")
    problem: str


class PlatformDivergence(Output):
    """WeChat said something no sequence of our events explains."""

    case_id: str | None
    platform_id: str
    platform_status: str = Field(description="The raw status WeChat sent.")
    our_state: str | None
    reason: str
    at: datetime


class VerifyOutput(Output):
    """``aftersales verify --json``."""

    checked: int
    divergences: list[VerifyDivergence]
    platform_divergences: list[PlatformDivergence] = Field(
        description="Disagreements with WeChat: shown, never a verification failure."
    )


class ParkedTimerOutput(Output):
    case_id: str
    due_at: datetime | None
    kind: str | None
    error: str


class TimersOutput(Output):
    """``aftersales timers run --json``: one object per sweep."""

    at: datetime
    fired: int
    parked: list[ParkedTimerOutput]


class DbCurrentOutput(Output):
    """``aftersales db current --json``."""

    current: str | None = Field(description="The revision the schema is at; null if none.")
    head: str


class ReportOutput(Output):
    """``aftersales report --json``: metrics of all cases and of each category."""

    groups: dict[str, Metrics] = Field(description='"all", then one entry per category.')
    divergences: list[PlatformDivergence]


OUTPUTS: dict[str, type[BaseModel]] = {
    "replay": Summary,
    "replay-files": ReplayFileOutput,
    "export": ExportOutput,
    "verify": VerifyOutput,
    "timers-run": TimersOutput,
    "db-current": DbCurrentOutput,
    "report": ReportOutput,
}
"""Each --json document by the name of its schema file."""


def schemas() -> dict[str, dict[str, Any]]:
    """Every JSON Schema by file stem: ``history-line`` and one per --json document."""
    found = {"history-line": TypeAdapter(HistoryLine).json_schema(mode="validation")}
    for name, model in OUTPUTS.items():
        found[name] = model.model_json_schema(mode="serialization")
    return found

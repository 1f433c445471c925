"""The JSON documents of the package, as pydantic models: the object each ``--json`` command
prints (a line of a case history is :data:`aftersales.histories.HistoryLine`). ``docs/schemas/``
holds their JSON Schemas, generated from these models (``make docs``) and checked fresh by a
test; the command line builds these models and prints them, so what it prints is what the
schemas say. Needs no extra: ``import aftersales.formats`` works on the core install.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .histories import HistoryLine, Summary
from .metrics import Metrics
from .results import CaseDivergence, ParkedTimer, PlatformDivergence
from .workflow.advice import Advice
from .workflow.playbook import Situation

__all__ = [
    "AdviceOutput",
    "BackfillFailure",
    "BackfillOutput",
    "DbCurrentOutput",
    "ExportOutput",
    "HistoryLine",
    "ReplayFileOutput",
    "ReportOutput",
    "Summary",
    "TimersOutput",
    "VerifyOutput",
    "WaitingCase",
    "schemas",
]


# -- what the --json commands print -----------------------------------------------------------


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReplayFileOutput(Output):
    """``aftersales replay A B ... --json``: one object per file (one file prints its
    :class:`Summary` alone)."""

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


class VerifyOutput(Output):
    """``aftersales verify --json``."""

    checked: int
    divergences: list[CaseDivergence]
    platform_divergences: list[PlatformDivergence] = Field(
        description="Disagreements with WeChat: shown, never a verification failure."
    )


class WaitingCase(Output):
    """A linked case whose platform-owned timer fell due: WeChat decides what happened, so the
    sweeper left it; fetch its after-sale order and sync it."""

    case_id: str
    platform_id: str = Field(description="WeChat's after-sale order id to fetch.")
    timer: str
    due: datetime


class TimersOutput(Output):
    """``aftersales timers run --json``: one object per sweep."""

    at: datetime
    fired: int
    parked: list[ParkedTimer]
    due_for_fetch: list[WaitingCase] = Field(
        description="Linked cases waiting for WeChat's word (at most --batch of them)."
    )


class DbCurrentOutput(Output):
    """``aftersales db current --json``."""

    current: str | None = Field(description="The revision the schema is at; null if none.")
    head: str


class ReportOutput(Output):
    """``aftersales report --json``: metrics of all cases and of each category."""

    groups: dict[str, Metrics] = Field(description='"all", then one entry per category.')
    divergences: list[PlatformDivergence]


class AdviceOutput(Output):
    """``aftersales advise CASE --json``: the advice for the case as it stands, with the
    situation it assumed."""

    case_id: str
    state: str = Field(description="The state the case is in.")
    situation: Situation = Field(description="What the merchant said they know.")
    advice: Advice = Field(description="`aftersales.advise`'s answer, field for field.")

    @classmethod
    def of(cls, case_id: str, state: str, situation: Situation, advice: Advice) -> AdviceOutput:
        """The document for ``advice`` (its read-only mappings as plain objects)."""
        return cls.model_validate(
            {"case_id": case_id, "state": state, "situation": situation, "advice": advice.to_dict()}
        )


class BackfillFailure(Output):
    """An after-sale order the backfill could not fetch."""

    after_sale_order_id: str
    code: str = Field(description="Our error code (platform_error, invalid_input...).")
    message: str


class BackfillOutput(Output):
    """``aftersales wechat backfill --json``: what the run did, and where the next one starts."""

    pages: int = Field(description="getaftersalelist pages read whole (every order synced).")
    seen: int = Field(description="Orders listed on those pages.")
    opened: int
    applied: int
    in_sync: int
    stale: int
    divergences: int = Field(description="Orders whose sync kept a divergence with WeChat.")
    failed: int = Field(description="Orders that could not be fetched; each is in failures.")
    failures: list[BackfillFailure]
    cursor: str | None = Field(
        description="Where a rerun resumes (kept in --cursor FILE); null once the range is done."
    )
    stopped: str | None = Field(description="Why the run stopped before the end; else null.")
    complete: bool = Field(description="Whether the whole range was walked.")


OUTPUTS: dict[str, type[BaseModel]] = {
    "replay": Summary,
    "replay-files": ReplayFileOutput,
    "export": ExportOutput,
    "verify": VerifyOutput,
    "timers-run": TimersOutput,
    "db-current": DbCurrentOutput,
    "report": ReportOutput,
    "advise": AdviceOutput,
    "wechat-backfill": BackfillOutput,
}
"""Each --json document by the name of its schema file."""


def schemas() -> dict[str, dict[str, Any]]:
    """Every JSON Schema by file stem: ``history-line`` and one per --json document."""
    found = {"history-line": TypeAdapter(HistoryLine).json_schema(mode="validation")}
    for name, model in OUTPUTS.items():
        found[name] = model.model_json_schema(mode="serialization")
    return found

"""What the store answers beyond cases, as typed values that need no database: a verification's
findings, WeChat's divergences and the parked timers.

``aftersales.storage`` returns them and ``aftersales.formats`` builds the ``--json`` documents
(and their JSON Schemas) from these very classes, so they import on the core install.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final

from pydantic import Field

STORE: Final = "*"
"""The ``case_id`` of a divergence of the store as a whole, not of one case."""


@dataclass(frozen=True)
class CaseDivergence:
    """One place where a stored case disagrees with its log or with the rules."""

    case_id: str
    seq: Annotated[
        int | None, Field(description="The event that disagrees; null for the case row.")
    ]
    problem: str

    def __str__(self) -> str:
        if self.case_id == STORE:
            return f"store: {self.problem}"
        where = f"event {self.seq}" if self.seq is not None else "case row"
        return f"{self.case_id} {where}: {self.problem}"


@dataclass(frozen=True)
class Verification:
    """What a verification found: how many cases it checked, and every divergence; ``notes``
    are what it could not check, and why."""

    checked: int
    divergences: tuple[CaseDivergence, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """No case diverged."""
        return not self.divergences


@dataclass(frozen=True)
class PlatformDivergence:
    """WeChat said something no sequence of our events explains (kept once per message)."""

    id: int
    case_id: str | None
    platform_id: str
    platform_status: Annotated[
        str, Field(description="The raw status (or dispute status) WeChat sent.")
    ]
    our_state: str | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class ParkedTimer:
    """A case whose due timer could not fire, and why (the sweeper skips it until unparked)."""

    case_id: str
    due_at: datetime | None
    kind: str | None
    error: str

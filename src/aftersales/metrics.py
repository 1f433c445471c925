"""After-sales metrics, per shop and period, overall and by category: the figures as typed
models, with no database in sight.

:meth:`aftersales.storage.CaseStore.report` and :meth:`~aftersales.storage.CaseStore.weekly`
count them in SQL over indexed columns (``aftersales.storage.report``). Events from the shop
console or the platform (origin ``platform``) count like any other: a direct rejection made in
the console is a direct rejection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field, computed_field

SUMMED = (
    "cases",
    "rejected_cases",
    "direct_rejections",
    "console_direct_rejections",
    "blocked_direct_rejections",
    "interventions",
    "ruled",
    "merchant_liable",
    "exchanges",
    "exchanged",
    "interceptions",
    "interceptions_succeeded",
    "modifications",
)


class NegotiationStat(BaseModel):
    """How often one negotiation type and reason was used, and how often the buyer went along
    (accepted it, or supplied the evidence it asked for)."""

    negotiation_type: str
    reason: str
    count: int = 0
    accepted: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def acceptance_rate(self) -> float | None:
        """accepted / count."""
        return self.accepted / self.count if self.count else None


class Metrics(BaseModel):
    """The figures of one group of cases (a category, or all)."""

    cases: int = 0
    rejected_cases: int = 0
    direct_rejections: int = 0
    console_direct_rejections: int = Field(
        default=0, description="Direct rejections learned from WeChat (made in the shop console)."
    )
    blocked_direct_rejections: int = 0
    negotiations: list[NegotiationStat] = Field(default_factory=list)
    interventions: int = 0
    ruled: int = 0
    merchant_liable: int = 0
    rulings: dict[str, int] = Field(
        default_factory=dict, description="Rulings by the liability found: merchant, buyer, ..."
    )
    exchanges: int = 0
    exchanged: int = 0
    interceptions: int = 0
    interceptions_succeeded: int = 0
    modifications: int = Field(default=0, description="Times buyers changed their requests.")
    events_by_origin: dict[str, int] = Field(default_factory=dict)
    median_resolution_hours: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rejection_rate(self) -> float | None:
        """售后拒绝率: cases with a merchant rejection / cases."""
        return self.rejected_cases / self.cases if self.cases else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def merchant_liable_share(self) -> float | None:
        """Of the cases the platform ruled, the share where the merchant was liable."""
        return self.merchant_liable / self.ruled if self.ruled else None


@dataclass(frozen=True)
class MetricsReport:
    """The metrics of every case chosen, and of each category."""

    overall: Metrics
    by_category: dict[str, Metrics]


@dataclass(frozen=True)
class Period:
    """Which cases a report counts: one shop (or all), opened in ``[since, until)``."""

    shop: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Week:
    """The rates of the cases opened in one week."""

    start: datetime
    """Monday 00:00 in the report's time zone."""
    rejection_rate: float | None
    merchant_liable_share: float | None

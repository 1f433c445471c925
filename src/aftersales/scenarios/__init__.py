"""The merchant guide's three seed scenarios as replayable histories shipped with the package.

Each scenario has recommended histories (the paths training teaches) and a risky one (the direct
rejection the platform holds against the merchant). The demo plays them; the diagrams draw them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable


@dataclass(frozen=True)
class Scenario:
    """One seed scenario of the merchant guide."""

    key: str
    title_zh: str
    title_en: str
    recommended: tuple[str, ...]
    risky: str
    reasons: tuple[str, ...]
    """The catalog reasons the recommended paths use, for the training page."""

    @property
    def files(self) -> tuple[str, ...]:
        """Every history of the scenario, recommended first."""
        return (*self.recommended, self.risky)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "virtual_served",
        "场景一:虚拟商品已完成服务",
        "Scenario 1: virtual goods already served",
        ("virtual_served_invite_cancel.jsonl", "virtual_partial_refund.jsonl"),
        "virtual_direct_rejection.jsonl",
        ("virtual_service_completed", "modify_amount_only"),
    ),
    Scenario(
        "no_seven_day_return",
        "场景二:生鲜、绿植、定制品等不支持七天无理由退货",
        "Scenario 2: fresh food, plants and custom goods without seven-day return",
        (
            "fresh_quality_evidence_refund.jsonl",
            "plants_partial_damage_refund.jsonl",
            "custom_defensible_rejection.jsonl",
        ),
        "fresh_direct_rejection.jsonl",
        ("no_seven_day_return_invite_cancel", "no_seven_day_return_request_quality_evidence"),
    ),
    Scenario(
        "agreed_cancel",
        "场景三:与买家协商一致取消售后",
        "Scenario 3: cancellation agreed with the buyer",
        ("agreed_cancel_accept.jsonl", "agreed_cancel_rejection_with_proof.jsonl"),
        "agreed_cancel_direct_rejection.jsonl",
        ("agreed_cancel",),
    ),
)


def history(name: str) -> Traversable:
    """A shipped history file by name."""
    return resources.files(__package__).joinpath(name)


SITUATIONS: dict[str, dict[str, object]] = {
    "virtual_served_invite_cancel.jsonl": {"served": "full"},
    "virtual_partial_refund.jsonl": {"served": "partial"},
    "virtual_direct_rejection.jsonl": {"served": "full"},
    "fresh_quality_evidence_refund.jsonl": {"buyer_evidence": "confirmed"},
    "plants_partial_damage_refund.jsonl": {"buyer_evidence": "partly"},
    "custom_defensible_rejection.jsonl": {},
    "fresh_direct_rejection.jsonl": {},
    "agreed_cancel_accept.jsonl": {"agreed_offline": True, "compensated": True},
    "agreed_cancel_rejection_with_proof.jsonl": {"agreed_offline": True},
    "agreed_cancel_direct_rejection.jsonl": {"agreed_offline": True},
}
"""What the merchant knew in each seed history: the situation the advisor
(``aftersales.advise``) is given at the merchant's turns."""

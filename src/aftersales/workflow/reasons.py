"""The negotiation reason catalog (spec section 4), loaded once from ``reasons.toml``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from .inputs import CaseFacts


@dataclass(frozen=True)
class Requirements:
    """Facts a case must have for a reason to fit it."""

    category: tuple[str, ...] = ()
    seven_day_return_not: str | None = None
    shipped: bool = False
    amount_below_requested: bool = False

    def unmet(self, facts: CaseFacts) -> str | None:
        """The first requirement the case does not meet, in words, or ``None``."""
        if self.category and facts.category not in self.category:
            return f"category {' or '.join(self.category)}"
        if self.seven_day_return_not and facts.seven_day_return == self.seven_day_return_not:
            return f"seven_day_return other than {self.seven_day_return_not}"
        if self.shipped and not facts.shipped:
            return "shipped goods"
        return None

    def amount_unmet(self, facts: CaseFacts, amount: int | None) -> bool:
        """Whether the reason's own amount rule fails for ``amount``."""
        return self.amount_below_requested and (amount is None or amount >= facts.requested_amount)


@dataclass(frozen=True)
class Reason:
    """One row of the catalog."""

    key: str
    label_zh: str
    label_en: str
    negotiation_type: str
    applies_to: tuple[str, ...]
    need_image: bool
    message_zh: str
    message_en: str
    evidence_guide_zh: str
    evidence_guide_en: str
    requires: Requirements = field(default_factory=Requirements)
    wechat_code: int | None = None
    new_type: str | None = None
    rejection_evidence: tuple[tuple[str, ...], ...] = ()


def _row(key: str, raw: Mapping[str, Any]) -> Reason:
    data = dict(raw)
    requires: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.pop("requires", {}).items()
    }
    return Reason(
        key=key,
        applies_to=tuple(data.pop("applies_to")),
        rejection_evidence=tuple(tuple(g) for g in data.pop("rejection_evidence", ())),
        requires=Requirements(**requires),
        **data,
    )


@cache
def catalog() -> Mapping[str, Reason]:
    """Every reason by key, read-only. The file is read once per process."""
    text = resources.files(__package__).joinpath("reasons.toml").read_text(encoding="utf-8")
    return MappingProxyType({key: _row(key, row) for key, row in tomllib.loads(text).items()})

"""The negotiation reason catalog (docs/reference/reasons.md), loaded once from ``reasons.toml``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from .inputs import PERSONAL_REASONS, CaseFacts


@dataclass(frozen=True)
class Requirements:
    """Facts a case must have for a reason to fit it."""

    category: tuple[str, ...] = ()
    seven_day_return_not: str | None = None
    shipped: bool = False
    amount_below_requested: bool = False
    before_receipt_or_personal: bool = False
    """Contract v2: shipped, and either not yet received or for a personal reason."""
    used_if_until_used: bool = False
    """Contract v2: goods returnable only until used must have been used."""

    def unmet(self, facts: CaseFacts, buyer_reason: str, version: int) -> str | None:
        """The first requirement the case does not meet, in words, or ``None``.

        ``buyer_reason`` is the buyer's reason now (a ``modify`` may change it); the contract v2
        requirements apply to cases opened under ``version`` 2 or later.
        """
        if self.category and facts.category not in self.category:
            return f"category {' or '.join(self.category)}"
        if self.seven_day_return_not and facts.seven_day_return == self.seven_day_return_not:
            return f"seven_day_return other than {self.seven_day_return_not}"
        if self.shipped and not facts.shipped:
            return "shipped goods"
        if version < 2:
            return None
        if self.before_receipt_or_personal and not (
            facts.shipped and (not facts.received or buyer_reason in PERSONAL_REASONS)
        ):
            return "goods shipped and not yet received, or a personal reason (no_reason, other)"
        if (
            self.used_if_until_used
            and facts.seven_day_return == "supported_until_used"
            and not facts.used
        ):
            return "used goods (used: true) when the return holds only until used"
        return None

    def amount_unmet(self, requested_amount: int, amount: int | None) -> bool:
        """Whether the reason's own amount rule fails for ``amount``."""
        return self.amount_below_requested and (amount is None or amount >= requested_amount)


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

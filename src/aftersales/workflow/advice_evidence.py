"""The evidence side of the advice: what to gather for a move and for a defensible rejection
later, group by group, as the rejection guard judges it (:func:`evidence_need`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from .liability import EvidenceNeed, evidence_need
from .reasons import catalog
from .record import CaseRecord
from .vocabulary import EVIDENCE_LABELS, Label

PLACEHOLDER_KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"media": ("image", "video"), "any": ("chat_record", "image", "video")}
)
"""The kinds offered for a need any media item, or any item at all, meets."""


@dataclass(frozen=True)
class EvidenceAdvice:
    """One piece of evidence to gather: any one of ``kinds`` meets it."""

    kinds: tuple[str, ...]
    label_zh: str
    label_en: str
    guide_zh: str
    guide_en: str
    """The guide line (凭证引导语): the catalog's where a reason names the need."""
    purpose: Literal["move", "rejection"]
    """``move``: the recommended command carries it; ``rejection``: keep it for a defensible
    rejection later."""
    on_file: bool = False
    """The merchant's earlier negotiations in this case already carried it."""

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {**self.__dict__, "kinds": list(self.kinds)}


def rejection_evidence(
    record: CaseRecord,
    from_state: str,
    guides: Mapping[str, Label],
    purpose: Literal["move", "rejection"],
    carried: tuple[tuple[str, ...], ...] = (),
) -> tuple[EvidenceAdvice, ...]:
    """Section 5's need for a rejection from ``from_state``, group by group, as the guard
    judges it (:func:`evidence_need`), without the groups ``carried`` evidence already meets."""
    need = evidence_need(record, from_state)
    last = record.last_negotiation
    reason = catalog().get(last.reason) if last else None
    found = []
    for group in need.groups:
        if any(covers(kinds, group) for kinds in carried):
            continue
        if reason is not None and need.groups == reason.rejection_evidence:
            guide = Label(reason.evidence_guide_zh, reason.evidence_guide_en)
        else:
            guide = guides["media" if "media" in group else "any"]
        item = entry(PLACEHOLDER_KINDS.get(group[0], group), guide, purpose)
        on_file = EvidenceNeed((group,), need.label).met_by(record.negotiation_evidence)
        found.append(EvidenceAdvice(**{**item.__dict__, "on_file": on_file}))
    return tuple(found)


def entry(
    kinds: tuple[str, ...], guide: Label, purpose: Literal["move", "rejection"]
) -> EvidenceAdvice:
    """One piece of evidence to gather, the kinds named as staff call them."""
    return EvidenceAdvice(
        kinds=kinds,
        label_zh=" 或 ".join(EVIDENCE_LABELS[kind].zh for kind in kinds),
        label_en=" or ".join(EVIDENCE_LABELS[kind].en for kind in kinds),
        guide_zh=guide.zh,
        guide_en=guide.en,
        purpose=purpose,
    )


def covers(mine: tuple[str, ...], group: tuple[str, ...]) -> bool:
    """Whether every kind of ``mine`` meets ``group`` (whichever the merchant picks)."""
    return all(EvidenceNeed((group,), Label("", "")).met_by({kind}) for kind in mine)

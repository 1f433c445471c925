"""Rejection defensibility and the liability assessment, 判责 (docs/concepts/liability.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from .inputs import SPECIAL_CATEGORIES, Evidence, is_media_kind
from .reasons import catalog
from .record import CaseRecord
from .vocabulary import Label

FOLLOWS_NEGOTIATION: Final = frozenset(
    {"buyer_declined", "buyer_timed_out", "evidence_supplied", "awaiting_receipt"}
)
"""States from which a rejection counts as following a negotiation."""

RULES: Final[dict[str, Label]] = {
    "R1_direct_rejection": Label(
        "商家未使用售后协商而直接拒绝售后申请,判定为商家责任。",
        "The merchant rejected the request without negotiating first: the merchant is liable.",
    ),
    "R2_missing_evidence": Label(
        "商家拒绝售后时未能提供该情形所需的凭证,判定为商家责任。",
        "The merchant's rejection lacks the evidence the case needs: the merchant is liable.",
    ),
    "R3_evidence_timeout": Label(
        "平台要求商家举证后,商家超时未提交凭证,判定为商家责任。",
        "The merchant let the platform's demand for evidence expire: the merchant is liable.",
    ),
    "R4_defensible": Label(
        "商家已先协商并提供了所需凭证,买家的诉求不成立,商家无责。",
        "The merchant negotiated and kept the evidence needed: the buyer's claim is not "
        "supported and the merchant is not liable.",
    ),
}
"""Each liability rule with the explanation a trainer can quote."""


@dataclass(frozen=True)
class EvidenceNeed:
    """The evidence a rejection needs: every group must be met by one item of its kinds.

    ``media`` stands for any media item and ``any`` for any item at all.
    """

    groups: tuple[tuple[str, ...], ...]
    label: Label

    def met_by(self, kinds: Iterable[str]) -> bool:
        """Whether evidence of ``kinds`` covers every group."""
        have = set(kinds)
        return all(any(_matches(have, kind) for kind in group) for group in self.groups)


def _matches(have: set[str], kind: str) -> bool:
    if kind == "any":
        return bool(have)
    if kind == "media":
        return any(is_media_kind(k) for k in have)
    return kind in have


def evidence_need(record: CaseRecord, from_state: str) -> EvidenceNeed:
    """The first row of the defensibility table that matches the case
    (docs/concepts/direct-rejection.md)."""
    last = record.last_negotiation
    reason = catalog().get(last.reason) if last else None
    if reason is not None and reason.rejection_evidence:
        kinds = " and ".join(" or ".join(g) for g in reason.rejection_evidence)
        return EvidenceNeed(
            reason.rejection_evidence,
            Label(f"「{reason.label_zh}」所需凭证:{kinds}", f"for {reason.key}: {kinds}"),
        )
    if record.facts.seven_day_return != "supported":
        return EvidenceNeed(
            (("media",),), Label("至少一项图片/视频等凭证", "at least one media item")
        )
    if from_state in ("evidence_supplied", "awaiting_receipt"):
        return EvidenceNeed(
            (("media",),), Label("至少一项反驳凭证(图片/视频)", "at least one media item")
        )
    return EvidenceNeed((("any",),), Label("至少一项凭证", "at least one evidence item"))


def is_special_goods(record: CaseRecord) -> bool:
    """Virtual, fresh, plants or custom goods, or goods without seven-day no-reason return."""
    facts = record.facts
    return facts.category in SPECIAL_CATEGORIES or facts.seven_day_return != "supported"


def counts_as_direct(record: CaseRecord, from_state: str) -> bool:
    """Whether a rejection from ``from_state`` is judged as a direct rejection (rule R1).

    Under policy ``direct_rejection_scope`` ``special_goods`` only special goods are; a direct
    rejection of other goods is judged by its evidence alone.
    """
    if from_state in FOLLOWS_NEGOTIATION:
        return False
    return record.policy.direct_rejection_scope == "all" or is_special_goods(record)


def rejection_findings(
    record: CaseRecord, from_state: str, evidence: Iterable[Evidence]
) -> tuple[str, ...]:
    """The liability rules a rejection from ``from_state`` with ``evidence`` would break."""
    if counts_as_direct(record, from_state):
        return ("R1_direct_rejection",)
    pool = {item.kind for item in evidence} | record.negotiation_evidence
    if not evidence_need(record, from_state).met_by(pool):
        return ("R2_missing_evidence",)
    return ()


@dataclass(frozen=True)
class Assessment:
    """The liable party and the rules that decided it."""

    liable: str
    rules: tuple[str, ...]

    @property
    def explanations(self) -> list[Label]:
        """The zh and en sentence of each deciding rule."""
        return [RULES[rule] for rule in self.rules]

    def to_dict(self) -> dict[str, object]:
        """As stored in the event log and printed by the CLI."""
        return {"liable": self.liable, "rules": list(self.rules)}


def assess(record: CaseRecord) -> Assessment:
    """Judge the case's standing rejection and its intervention by rules R1 to R4
    (docs/concepts/liability.md).

    Contract v2: evidence the merchant submitted to the platform counts towards the rejection's
    evidence, so it can cure R2 (never R1); R3 stands once a demand for evidence lapsed.
    """
    rules = list(_rejection_rules(record))
    if record.evidence_missed:
        rules.append("R3_evidence_timeout")
    if rules:
        return Assessment("merchant", tuple(rules))
    return Assessment("buyer", ("R4_defensible",))


def _rejection_rules(record: CaseRecord) -> tuple[str, ...]:
    rejection = record.rejection
    if rejection is None:
        return ()
    if "R2_missing_evidence" in rejection.findings and record.follows(2):
        pool = (
            {item.kind for item in rejection.evidence}
            | record.negotiation_evidence
            | record.merchant_evidence
        )
        if evidence_need(record, rejection.from_state).met_by(pool):
            return tuple(rule for rule in rejection.findings if rule != "R2_missing_evidence")
    return rejection.findings


def can_assess(record: CaseRecord) -> bool:
    """Assessment applies to a case that was rejected or is or was under intervention."""
    return record.rejection is not None or record.intervened

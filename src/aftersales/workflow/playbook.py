"""The merchant guide's playbook as data: ``playbook.toml``, loaded once, read-only (the rows are
explained in docs/concepts/advisor.md).

Each row names a situation and the merchant's move for it; the advisor
(:mod:`aftersales.workflow.advice`) takes the first row that matches and whose move the guards
allow. Loading checks every row against the vocabulary and the reason catalog, so a broken row
fails at once, naming itself, and never at a merchant's turn.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from typing import Any, Final, Literal, get_args

from .errors import InvalidInput
from .inputs import BuyerReason, CaseType, Category, EvidenceKind, NegotiationType, is_media_kind
from .reasons import Requirements, catalog
from .record import CaseRecord
from .vocabulary import EVENT_ROLES, NEXT_ACTOR, Label

Served = Literal["full", "partial", "none"]
BuyerEvidence = Literal["confirmed", "partly", "disputed"]
FLAGS: Final = ("agreed_offline", "compensated")
"""The situation's yes-or-no facts a row may ask for (``any_of``)."""


@dataclass(frozen=True)
class Situation:
    """What only the merchant knows about a case; every field optional.

    ``served``: for virtual goods, whether the service was completed or activated within its
    promised period; ``agreed_offline``: the buyer agreed in chat to cancel; ``compensated``:
    reshipped, gift sent or partly paid; ``buyer_evidence``: the merchant's verdict on the
    evidence the buyer supplied.
    """

    served: Served | None = None
    agreed_offline: bool = False
    compensated: bool = False
    buyer_evidence: BuyerEvidence | None = None

    def __post_init__(self) -> None:
        _one_of("served", self.served, get_args(Served))
        _one_of("buyer_evidence", self.buyer_evidence, get_args(BuyerEvidence))
        for name in FLAGS:
            if not isinstance(getattr(self, name), bool):
                raise InvalidInput(
                    f"{name} is true or false.", f"{name} 只能是 true 或 false。", name
                )

    @classmethod
    def of(cls, value: Situation | Mapping[str, Any] | None) -> Situation:
        """A situation from itself, a mapping of its fields (as JSON gives it) or ``None``."""
        if value is None:
            return cls()
        if isinstance(value, Situation):
            return value
        if not isinstance(value, Mapping):
            raise InvalidInput(
                "situation is an object of served, agreed_offline, compensated, buyer_evidence.",
                "situation 应为包含 served、agreed_offline、compensated、buyer_evidence 的对象。",
                "situation",
            )
        unknown = set(value) - {f.name for f in fields(cls)}
        if unknown:
            name = sorted(map(str, unknown))[0]
            raise InvalidInput(
                f"situation has no field {name!r:.60}.", "situation 字段未知。", name
            )
        return cls(**value)


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(
            f"{name} is one of {', '.join(allowed)}, got {value!r:.60}.",
            f"{name} 只能是 {'、'.join(allowed)} 之一。",
            name,
        )


MERCHANT_TURNS: Final = frozenset(s for s, actor in NEXT_ACTOR.items() if actor == "merchant")
"""The states in which the merchant acts next: where a row may apply."""


@dataclass(frozen=True)
class When:
    """What must hold for a row to apply; an empty set asks nothing."""

    states: frozenset[str]
    case_types: frozenset[str] = frozenset()
    buyer_reasons: frozenset[str] = frozenset()
    served: frozenset[str] = frozenset()
    buyer_evidence: frozenset[str] = frozenset()
    any_of: frozenset[str] = frozenset()
    last_negotiation: frozenset[str] = frozenset()
    requires: Requirements = field(default_factory=Requirements)
    """Facts, as a catalog reason requires them (the same check)."""

    def holds(self, record: CaseRecord, situation: Situation) -> bool:
        """Whether the case and the situation are this row's."""
        last = record.last_negotiation
        return (
            record.state in self.states
            and _within(self.case_types, record.case_type)
            and _within(self.buyer_reasons, record.buyer_reason)
            and _within(self.served, situation.served)
            and _within(self.buyer_evidence, situation.buyer_evidence)
            and (not self.any_of or any(getattr(situation, flag) for flag in self.any_of))
            and _within(self.last_negotiation, last.negotiation_type if last else None)
            and self.requires.unmet(record.facts, record.buyer_reason, record.workflow_version)
            is None
        )


def _within(allowed: frozenset[str], value: str | None) -> bool:
    return not allowed or value in allowed


@dataclass(frozen=True)
class Row:
    """One situation of the playbook and the merchant's move for it."""

    key: str
    situation: Label
    when: When
    event: str
    why: Label
    negotiation_type: str | None = None
    reason: str | None = None
    evidence: tuple[tuple[str, ...], ...] = ()
    """Groups of evidence kinds the move carries; each group needs one of its kinds."""
    evidence_guide: Label | None = None
    amount_needed: bool = False
    tracking_needed: bool = False

    @property
    def data(self) -> dict[str, str]:
        """The command's fixed data: for a negotiation its type and reason."""
        if self.event != "negotiate":
            return {}
        assert self.negotiation_type is not None and self.reason is not None
        return {"negotiation_type": self.negotiation_type, "reason": self.reason}


@dataclass(frozen=True)
class Playbook:
    """Every row in order, and the guide lines for evidence no catalog reason names."""

    rows: tuple[Row, ...]
    guides: Mapping[str, Label]

    def matching(self, record: CaseRecord, situation: Situation) -> list[Row]:
        """The rows that apply, first match first."""
        return [row for row in self.rows if row.when.holds(record, situation)]


class PlaybookError(ValueError):
    """The playbook file is broken: names the row and the problem (a packaging bug)."""


@cache
def playbook() -> Playbook:
    """The playbook, read and checked once per process."""
    text = resources.files(__package__).joinpath("playbook.toml").read_text(encoding="utf-8")
    return load(tomllib.loads(text))


def load(raw: Mapping[str, Any]) -> Playbook:
    """A playbook from its parsed TOML; :class:`PlaybookError` on the first broken row."""
    guides = {name: Label(g["zh"], g["en"]) for name, g in raw.get("guides", {}).items()}
    if set(guides) != {"media", "any"}:
        raise PlaybookError("guides: give exactly media and any")
    rows = tuple(_row(dict(item)) for item in raw.get("row", ()))
    keys = [row.key for row in rows]
    if not rows or len(set(keys)) != len(keys):
        raise PlaybookError(f"rows need distinct keys, got {keys}")
    return Playbook(rows, guides)


_ROW_KEYS: Final = frozenset(
    {
        "key",
        "situation_zh",
        "situation_en",
        "when",
        "event",
        "negotiation_type",
        "reason",
        "evidence",
        "evidence_guide_zh",
        "evidence_guide_en",
        "amount_needed",
        "tracking_needed",
        "why_zh",
        "why_en",
    }
)
_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "states": tuple(sorted(MERCHANT_TURNS)),
    "case_types": get_args(CaseType),
    "buyer_reasons": get_args(BuyerReason),
    "served": get_args(Served),
    "buyer_evidence": get_args(BuyerEvidence),
    "any_of": FLAGS,
    "last_negotiation": get_args(NegotiationType),
}
_REQUIRES: Final = frozenset(
    {"category", "seven_day_return_not", "shipped", "before_receipt_or_personal"}
)
"""The catalog's requirements a row may ask of the facts (not amounts, not use)."""


def _row(raw: dict[str, Any]) -> Row:
    key = str(raw.get("key", "?"))

    def fail(problem: str) -> PlaybookError:
        return PlaybookError(f"playbook row {key}: {problem}")

    if set(raw) - _ROW_KEYS:
        raise fail(f"unknown fields {sorted(set(raw) - _ROW_KEYS)}")
    try:
        row = Row(
            key=key,
            situation=Label(raw["situation_zh"], raw["situation_en"]),
            when=_when(dict(raw["when"]), fail),
            event=raw["event"],
            why=Label(raw["why_zh"], raw["why_en"]),
            negotiation_type=raw.get("negotiation_type"),
            reason=raw.get("reason"),
            evidence=tuple(tuple(group) for group in raw.get("evidence", ())),
            evidence_guide=Label(raw["evidence_guide_zh"], raw["evidence_guide_en"])
            if "evidence_guide_zh" in raw
            else None,
            amount_needed=bool(raw.get("amount_needed", False)),
            tracking_needed=bool(raw.get("tracking_needed", False)),
        )
    except KeyError as exc:
        raise fail(f"missing {exc.args[0]}") from None
    _check_move(row, fail)
    return row


def _when(raw: dict[str, Any], fail: Any) -> When:
    requires = raw.pop("requires", {})
    unknown = set(raw) - set(_VALUES)
    if unknown or "states" not in raw:
        raise fail(f"when takes states and some of {sorted(_VALUES)}, got {sorted(raw)}")
    for name, values in raw.items():
        wrong = set(values) - set(_VALUES[name])
        if wrong:
            raise fail(f"when.{name}: {sorted(wrong)} not among {list(_VALUES[name])}")
    if set(requires) - _REQUIRES:
        raise fail(f"when.requires: unknown {sorted(requires)}")
    if set(requires.get("category", ())) - set(get_args(Category)):
        raise fail(f"when.requires.category: {requires['category']}")
    facts: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in requires.items()}
    reqs = Requirements(**facts)
    return When(requires=reqs, **{name: frozenset(values) for name, values in raw.items()})


def _check_move(row: Row, fail: Any) -> None:
    if EVENT_ROLES.get(row.event) != "merchant":
        raise fail(f"event {row.event!r} is not a merchant's event")
    kinds = {kind for group in row.evidence for kind in group}
    if kinds - set(get_args(EvidenceKind)) or not all(row.evidence):
        raise fail(f"evidence: unknown kinds {sorted(kinds - set(get_args(EvidenceKind)))}")
    if row.amount_needed and row.negotiation_type != "modify_request":
        raise fail("amount_needed goes with a modify_request negotiation")
    if row.event != "negotiate":
        if row.reason is not None or row.negotiation_type is not None:
            raise fail("only a negotiation names a reason")
        return
    reason = catalog().get(str(row.reason))
    if reason is None:
        raise fail(f"reason {row.reason!r} is not in the catalog")
    if reason.negotiation_type != row.negotiation_type:
        raise fail(f"reason {reason.key} is a {reason.negotiation_type} negotiation")
    if row.negotiation_type == "modify_request" and not row.amount_needed:
        raise fail("a modify_request negotiation needs an amount (amount_needed)")
    if reason.need_image and not any(all(map(is_media_kind, g)) for g in row.evidence):
        raise fail(f"reason {reason.key} needs an image: give a group of media kinds only")

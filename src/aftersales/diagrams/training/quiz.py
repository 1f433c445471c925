"""The practice quiz: each merchant decision of a recommended seed history becomes a question.

The situation is the case as it stood (state, goods, request, what just happened); the options
are the moves the machine offers the merchant there, filled from the reason catalog; and every
answer is what :meth:`Case.would` says at build time, so the quiz cannot drift from the rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ...scenarios import SCENARIOS
from ...workflow.case import Case, Verdict
from ...workflow.graph import machine_graph
from ...workflow.liability import evidence_need
from ...workflow.reasons import catalog
from ...workflow.record import Actor
from ...workflow.vocabulary import CASE_TYPE_LABELS, STATE_LABELS, STATE_TIMERS, Label
from .. import words
from ..labels import BUYER_REASON_LABELS, CATEGORY_LABELS, NEGOTIATION_TYPE_LABELS
from .answers import explain, outcome, verdict_class
from .replays import Decision, decisions, recommended_histories
from .texts import MOVES, PAGE, STORIES

MAX_OPTIONS = 6
PLACEHOLDER_KINDS = {"media": "image", "any": "chat_record"}
"""Evidence a sample option uploads for a need that any media item, or any item, meets."""


@dataclass(frozen=True)
class Move:
    """Something the merchant could do: an event with its data, and how a trainee reads it."""

    kind: str
    """``best`` (what the history did), ``agree``, ``direct-reject``, ``reject``,
    ``negotiate`` or ``no-image``: a hook for tests and styling, never shown."""
    event: str
    data: Mapping[str, Any]
    label: Label


@dataclass(frozen=True)
class Option:
    """A move with the machine's answer to it."""

    move: Move
    verdict: Verdict
    grade: str
    """``best``, ``ok``, ``risk`` or ``refused``."""
    outcome: Label
    why: Label


@dataclass(frozen=True)
class Question:
    """One situation and the merchant's options in it."""

    scenario: str
    story: Label
    facts: tuple[tuple[Label, Label], ...]
    options: tuple[Option, ...]

    @property
    def best(self) -> int:
        """The position of the recommended option."""
        return next(i for i, option in enumerate(self.options) if option.grade == "best")


def _evidence(kinds: list[str]) -> list[dict[str, str]]:
    return [{"kind": kind, "ref": f"sample-{kind}"} for kind in dict.fromkeys(kinds)]


def _kinds(data: Mapping[str, Any]) -> list[str]:
    return [str(item["kind"]) for item in data.get("evidence", ())]


def negotiate_label(data: Mapping[str, Any]) -> Label:
    """How a trainee reads a negotiation: type, reason, what is uploaded, the new amount."""
    reason = catalog()[data["reason"]]
    label = words.fill(
        MOVES["negotiate"],
        NEGOTIATION_TYPE_LABELS[reason.negotiation_type],
        Label(reason.label_zh, reason.label_en),
    )
    if data.get("amount") is not None:
        label = _then(label, words.fill(MOVES["amount"], words.money(int(data["amount"]))))
    return _then(label, _uploads(_kinds(data)))


def _uploads(kinds: list[str]) -> Label:
    if not kinds:
        return MOVES["no_evidence"]
    return words.fill(
        MOVES["with_evidence"], Label(*(words.evidence(kinds, g) for g in words.LANGS))
    )


def _then(first: Label, second: Label) -> Label:
    return Label(first.zh + second.zh, first.en + second.en)


def reject_label(kinds: list[str], direct: bool) -> Label:
    """How a trainee reads a rejection."""
    if not kinds:
        return MOVES["direct_reject" if direct else "reject_bare"]
    return words.fill(
        MOVES["reject_evidence"], Label(*(words.evidence(kinds, g) for g in words.LANGS))
    )


def _history_move(decision: Decision) -> Move:
    line = decision.line
    data = dict(line.data)
    if line.op == "negotiate":
        label = negotiate_label(data)
    elif line.op == "reject":
        label = reject_label(_kinds(data), decision.case.state == "requested")
    else:
        label = MOVES.get(line.op) or Label(words.event(line.op, "zh"), words.event(line.op, "en"))
    return Move("best", line.op, data, label)


def _sample_negotiation(reason_key: str, case: Case) -> dict[str, Any]:
    reason = catalog()[reason_key]
    kinds = [group[0] for group in reason.rejection_evidence]
    if reason.need_image and not kinds:
        kinds = ["image"]
    data: dict[str, Any] = {
        "negotiation_type": reason.negotiation_type,
        "reason": reason_key,
        "evidence": _evidence(kinds),
    }
    if reason.negotiation_type == "modify_request":
        data["amount"] = case.record.requested_amount // 2
    return data


def _moves(decision: Decision, scenario_reasons: tuple[str, ...]) -> Iterator[Move]:
    """The history's own move, then what else the machine offers the merchant here, the moves
    that teach most first (a rejection, agreeing, leaving out a required image)."""
    case, best = decision.case, _history_move(decision)
    offered = machine_graph().events_from(case.state)
    direct = case.state == "requested"
    yield best
    if "reject" in offered:
        yield Move("direct-reject" if direct else "reject", "reject", {}, reject_label([], direct))
    if "agree" in offered:
        yield Move("agree", "agree", {}, MOVES["agree"])
    if best.event == "negotiate" and catalog()[best.data["reason"]].need_image:
        data = {**best.data, "evidence": []}
        yield Move("no-image", "negotiate", data, negotiate_label(data))
    if "reject" in offered and best.event != "reject":
        groups = evidence_need(case.record, case.state).groups
        kinds = [PLACEHOLDER_KINDS.get(group[0], group[0]) for group in groups]
        data = {"evidence": _evidence(kinds)}
        yield Move("reject", "reject", data, reject_label(kinds, direct))
    for key in scenario_reasons:
        # Another reason, not the history's own again with other evidence: that would read as
        # the same answer marked two ways.
        if "negotiate" in offered and key != best.data.get("reason"):
            data = _sample_negotiation(key, case)
            yield Move("negotiate", "negotiate", data, negotiate_label(data))


def _unique(moves: Iterator[Move]) -> list[Move]:
    """Moves with distinct labels, the first of each kept (the history's own comes first)."""
    kept: dict[Label, Move] = {}
    for move in moves:
        kept.setdefault(move.label, move)
    return list(kept.values())


def _option(decision: Decision, move: Move) -> Option:
    case, line = decision.case, decision.line
    actor = line.actor or Actor.merchant(case.record.facts.shop_id)
    verdict = case.would(move.event, actor, at=line.at, data=move.data)
    grade = verdict_class(verdict, recommended=move.kind == "best")
    why = explain(case, move.event, move.data, verdict, grade)
    return Option(move, verdict, grade, outcome(verdict), why)


def _facts(decision: Decision) -> tuple[tuple[Label, Label], ...]:
    record = decision.case.record
    request = words.fill(
        Label("{} {}", "{} {}"),
        CASE_TYPE_LABELS[record.case_type],
        words.money(record.requested_amount),
    )
    facts = [
        (PAGE["situation_state"], STATE_LABELS[decision.case.state]),
        (PAGE["situation_goods"], CATEGORY_LABELS[record.facts.category]),
        (PAGE["situation_request"], request),
        (PAGE["situation_reason"], BUYER_REASON_LABELS[record.buyer_reason]),
        (PAGE["situation_last"], _last_happening(decision.case)),
    ]
    if record.last_negotiation is not None:
        reason = catalog()[record.last_negotiation.reason]
        facts.append((PAGE["situation_before"], Label(reason.label_zh, reason.label_en)))
    return tuple(facts)


def _last_happening(case: Case) -> Label:
    last = next(e for e in reversed(case.events) if e.actor.role != "merchant")
    if last.event == "open":
        return PAGE["opened"]
    line = Label(*(words.who(last.actor.role, last.event, g) for g in words.LANGS))
    if last.event == "expire" and last.state_before is not None:
        kind = STATE_TIMERS.get(last.state_before)
        if kind:
            line = _then(line, Label(*(" · " + words.timer(kind, g) for g in words.LANGS)))
    return line


def questions() -> list[Question]:
    """Every question of the quiz, in scenario order; a situation already asked is skipped."""
    reasons = {scenario.key: scenario.reasons for scenario in SCENARIOS}
    found: list[Question] = []
    seen: set[tuple[object, ...]] = set()
    for key, name in recommended_histories():
        for decision in decisions(name):
            moves = _unique(_moves(decision, reasons[key]))
            options = [_option(decision, move) for move in moves[:MAX_OPTIONS]]
            facts = _facts(decision)
            if (facts, options[0].move.label) in seen:
                continue
            seen.add((facts, options[0].move.label))
            ordered = sorted(options, key=lambda o: _order(o.move))
            found.append(Question(key, STORIES[name], facts, tuple(ordered)))
    return found


CONSOLE_ORDER = {"agree": 0, "negotiate": 1, "reject": 2}


def _order(move: Move) -> tuple[int, str]:
    # Options read in the console's order (agree, negotiate, reject), not with the answer first.
    return CONSOLE_ORDER.get(move.event, len(CONSOLE_ORDER)), move.label.en

"""Scenario cards: each recommended seed history walked step by step.

What the buyer said, the negotiation type and reason to pick, the auto-filled message, the
evidence (required or optional, from the catalog), how the buyer may answer (asked of the
machine), what a later rejection needs, and what a direct rejection costs (from the risky
history). Nothing here restates a rule: each answer is the machine's or the catalog's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...scenarios import Scenario
from ...workflow.case import Case
from ...workflow.liability import RULES, evidence_need
from ...workflow.reasons import catalog
from ...workflow.record import Actor
from ...workflow.vocabulary import CASE_TYPE_LABELS, ROLE_LABELS, STATE_LABELS, Label
from .. import words
from ..labels import BUYER_REASON_LABELS, CATEGORY_LABELS, NEGOTIATION_TYPE_LABELS
from .replays import Decision, decisions, replay_seed
from .texts import CONSOLE_PATH, CONSOLE_STEPS, PAGE, STORIES


@dataclass(frozen=True)
class Entry:
    """One step of a card: a heading and its lines."""

    heading: Label
    lines: tuple[Label, ...]
    tone: str = ""
    """``console`` for the click path, ``risk`` for a liability warning, else plain."""


@dataclass(frozen=True)
class Way:
    """One recommended history, walked through."""

    title: Label
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Card:
    """A scenario's card: its recommended ways and the cost of a direct rejection."""

    scenario: Scenario
    ways: tuple[Way, ...]
    cost: Entry


def click_path(reason_key: str) -> str:
    """The merchant console clicks that send a negotiation with this reason (the console is in
    Chinese); the upload step says whether images are required for the reason."""
    reason = catalog()[reason_key]
    upload = "upload_required" if reason.need_image else "upload_optional"
    steps = (
        *CONSOLE_PATH,
        CONSOLE_STEPS["type"].format(NEGOTIATION_TYPE_LABELS[reason.negotiation_type].zh),
        CONSOLE_STEPS["reason"].format(reason.label_zh),
        CONSOLE_STEPS["message"],
        CONSOLE_STEPS[upload],
        CONSOLE_STEPS["submit"],
    )
    return " > ".join(steps)


def _reason(key: str) -> Label:
    reason = catalog()[key]
    return Label(reason.label_zh, reason.label_en)


def _request(case: Case) -> Label:
    record = case.record
    parts = [
        CATEGORY_LABELS[record.facts.category],
        words.fill(
            Label("{} {}", "{} {}"),
            CASE_TYPE_LABELS[record.case_type],
            words.money(record.requested_amount),
        ),
        BUYER_REASON_LABELS[record.buyer_reason],
    ]
    return words.both(parts)


def _kinds_label(kinds: list[str]) -> Label:
    return Label(*(words.evidence(kinds, lang) for lang in words.LANGS))


def _choose(key: str) -> Entry:
    reason = catalog()[key]
    kind = NEGOTIATION_TYPE_LABELS[reason.negotiation_type]
    lines = (
        words.fill(Label("协商类型:{}", "Negotiation type: {}"), kind),
        words.fill(Label("协商说明:{}", "Negotiation reason: {}"), _reason(key)),
        Label(click_path(key), click_path(key)),
    )
    return Entry(PAGE["step_choose"], lines, tone="console")


def _evidence(key: str, kinds: list[str]) -> Entry:
    reason = catalog()[key]
    guide = Label(reason.evidence_guide_zh, reason.evidence_guide_en)
    lines = [
        PAGE["image_required" if reason.need_image else "image_optional"],
        words.fill(PAGE["evidence_guide"], guide),
    ]
    if kinds:
        lines.append(words.fill(PAGE["uploaded"], _kinds_label(kinds)))
    return Entry(PAGE["step_evidence"], tuple(lines))


def _answers(after: Case) -> Entry:
    """How the buyer may answer the negotiation, each answer asked of the machine."""
    buyer = Actor.buyer(after.record.facts.buyer_id)
    accept = after.would("accept", buyer)
    answer, verdict = PAGE["answer_accept"], accept
    if not accept.allowed:  # a request for evidence is answered with evidence
        photo = {"evidence": [{"kind": "image", "ref": "sample-photo"}]}
        answer, verdict = PAGE["answer_supply"], after.would("supply_evidence", buyer, data=photo)
    lines = [_answer(answer, verdict.state_after or after.state)]
    decline = after.would("decline", buyer)
    lines.append(_answer(PAGE["answer_decline"], decline.state_after or "", then=True))
    silent = after.copy()
    if silent.timer is not None:
        kind = silent.timer.kind
        silent.fire_due_timers(silent.timer.due)
        timer = Label(*(words.timer(kind, lang) for lang in words.LANGS))
        lines.append(_answer(words.fill(PAGE["answer_silent"], timer), silent.state, then=True))
    return Entry(PAGE["step_answers"], tuple(lines))


def _answer(answer: Label, state: str, then: bool = False) -> Label:
    line = words.fill(Label("{} → {}", "{} → {}"), answer, STATE_LABELS[state])
    if then:
        line = words.fill(Label("{}:{}", "{}: {}"), line, PAGE["then_merchant"])
    return line


def _rejection(after: Case) -> Entry:
    declined = after.copy()
    declined.send("decline", actor=Actor.buyer(after.record.facts.buyer_id), at=after.last_at)
    need = evidence_need(declined.record, declined.state)
    text = Label(*(words.need(need.groups, lang) for lang in words.LANGS))
    return Entry(PAGE["step_rejection"], (words.fill(PAGE["rejection_needs"], text),))


def _negotiation(decision: Decision) -> list[Entry]:
    """The steps of one negotiation: choose, message, evidence, answers, later rejection."""
    line = decision.line
    key = str(line.data["reason"])
    reason = catalog()[key]
    after = decision.case.copy()
    assert line.actor is not None and line.at is not None
    after.send(line.op, actor=line.actor, at=line.at, data=line.data)
    kinds = [str(item["kind"]) for item in line.data.get("evidence", ())]
    message = Label(reason.message_zh, reason.message_en)
    return [
        _choose(key),
        Entry(PAGE["step_message"], (message,)),
        _evidence(key, kinds),
        _answers(after),
        _rejection(after),
    ]


def _steps(case: Case) -> Entry:
    """The example's events after the opening: who did what, and where it led."""
    lines = []
    for record in case.events[1:]:
        who = Label(*(words.who(record.actor.role, record.event, lang) for lang in words.LANGS))
        lines.append(words.fill(Label("{} → {}", "{} → {}"), who, STATE_LABELS[record.state_after]))
    return Entry(PAGE["history_steps"], tuple(lines))


def way(number: int, name: str) -> Way:
    """One recommended history as a walk: the buyer, each negotiation, how it went."""
    found = list(decisions(name))
    said = (STORIES[name], _request(found[0].case)) if found else (STORIES[name],)
    entries = [Entry(PAGE["step_buyer"], said)]
    for decision in found:
        if decision.line.op == "negotiate":
            entries += _negotiation(decision)
    entries.append(_steps(replay_seed(name)))
    first = next((d for d in found if d.line.op == "negotiate"), None)
    title = words.fill(PAGE["way"], str(number))
    if first is not None:
        title = words.fill(Label("{}:{}", "{}: {}"), title, _reason(str(first.line.data["reason"])))
    return Way(title, tuple(entries))


def direct_cost(scenario: Scenario) -> Entry:
    """What the scenario's direct rejection would cost: the machine's verdict on rejecting the
    request as it arrived, and how the risky history ended."""
    risky = replay_seed(scenario.risky)
    opened = Case.reopen(risky.events[0])
    verdict = opened.would("reject", Actor.merchant(opened.record.facts.shop_id))
    lines = [words.fill(Label("⚠ {}", "⚠ {}"), RULES[rule]) for rule in verdict.risk]
    if risky.liability:
        liable = ROLE_LABELS.get(risky.liability, Label(risky.liability, risky.liability))
        lines.append(words.fill(PAGE["direct_outcome"], liable, STATE_LABELS[risky.state]))
    return Entry(PAGE["direct_cost"], tuple(lines), tone="risk")


def card(scenario: Scenario) -> Card:
    """The whole card of one scenario."""
    ways = tuple(way(n, name) for n, name in enumerate(scenario.recommended, start=1))
    return Card(scenario, ways, direct_cost(scenario))

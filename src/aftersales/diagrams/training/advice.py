"""The advisor's card beside each scenario's picture: at every merchant turn of each
recommended seed history, what :func:`aftersales.advise` says, given what the merchant knew
(``aftersales.scenarios.SITUATIONS``): the move, why, the evidence with the catalog's guide
lines, and what to avoid. Nothing is restated: each line is the advice's own, in words."""

from __future__ import annotations

from collections.abc import Iterator

from ...scenarios import SITUATIONS, Scenario
from ...workflow.advice import Advice, advice_at_merchant_turns
from ...workflow.advice_evidence import EvidenceAdvice
from ...workflow.playbook import Situation
from ...workflow.reasons import catalog
from ...workflow.record import EventRecord
from ...workflow.vocabulary import EVENT_LABELS, STATE_LABELS, Label
from .. import words
from ..labels import NEGOTIATION_TYPE_LABELS
from .cards import Entry, Way
from .replays import replay_seed
from .texts import ADVICE, MOVES, PAGE, SITUATION_LABELS


def move_label(advice: Advice) -> Label:
    """The recommended move as a trainee reads it."""
    assert advice.event is not None  # a merchant turn
    if advice.event == "agree":
        label = MOVES["agree"]
    elif advice.event == "negotiate":
        reason = catalog()[str(advice.data["reason"])]
        label = words.fill(
            MOVES["negotiate"],
            NEGOTIATION_TYPE_LABELS[reason.negotiation_type],
            Label(reason.label_zh, reason.label_en),
        )
    elif advice.event == "reject":
        missing = [Label(i.label_zh, i.label_en) for i in advice.evidence if not i.on_file]
        label = (
            words.fill(MOVES["reject_evidence"], words.both(missing))
            if missing
            else (ADVICE["reject_on_file"])
        )
    else:
        label = EVENT_LABELS[advice.event]
    if advice.amount_needed:
        label = Label(label.zh + ADVICE["amount"].zh, label.en + ADVICE["amount"].en)
    if advice.tracking_needed:
        label = Label(label.zh + ADVICE["tracking"].zh, label.en + ADVICE["tracking"].en)
    return label


def knows(situation: Situation, before: list[EventRecord]) -> Label:
    """What the merchant knew at the turn; the verdict on the buyer's evidence only once the
    buyer has supplied some."""
    supplied = any(record.event == "supply_evidence" for record in before)
    found = [
        SITUATION_LABELS[f"{name}={value}" if isinstance(value, str) else name]
        for name, value in situation.__dict__.items()
        if value not in (None, False) and (name != "buyer_evidence" or supplied)
    ]
    return words.both(found) if found else ADVICE["knows_nothing"]


def _evidence(items: tuple[EvidenceAdvice, ...]) -> tuple[Label, ...]:
    """Each item and what it is for, then the catalog's guide lines (each once)."""
    lines = [
        words.fill(
            Label("{}({})", "{} ({})"),
            Label(item.label_zh, item.label_en),
            ADVICE["on_file" if item.on_file else f"for_{item.purpose}"],
        )
        for item in items
    ]
    guides = dict.fromkeys(Label(item.guide_zh, item.guide_en) for item in items)
    return (*lines, *(words.fill(PAGE["evidence_guide"], guide) for guide in guides))


def turn(title: Label, situation: Situation, before: list[EventRecord], advice: Advice) -> Way:
    """One merchant turn: what was known, the move, why, the evidence, what to avoid."""
    entries = [
        Entry(ADVICE["knows"], (knows(situation, before),)),
        Entry(ADVICE["move"], (move_label(advice),)),
        Entry(ADVICE["why"], (Label(advice.why_zh, advice.why_en),)),
    ]
    if advice.evidence:
        entries.append(Entry(ADVICE["evidence"], _evidence(advice.evidence)))
    if advice.avoid:
        avoid = tuple(Label(item.why_zh, item.why_en) for item in advice.avoid)
        entries.append(Entry(ADVICE["avoid"], avoid, tone="risk"))
    return Way(title, tuple(entries))


def advice_turns(scenario: Scenario) -> Iterator[tuple[str, int, Advice, Way]]:
    """``(history, seq, advice, its card part)`` for each merchant turn of each recommended
    history of ``scenario``, in order."""
    for number, name in enumerate(scenario.recommended, start=1):
        events = replay_seed(name).events
        situation = Situation.of(SITUATIONS[name])
        for seq, advice in advice_at_merchant_turns(events, situation):
            state = STATE_LABELS[events[seq - 1].state_after]
            title = words.fill(ADVICE["turn"], words.fill(PAGE["way"], str(number)), state)
            yield name, seq, advice, turn(title, situation, events[:seq], advice)


def advice_card(scenario: Scenario) -> tuple[Way, ...]:
    """The advisor's card of one scenario: one part per merchant turn."""
    return tuple(part for *_, part in advice_turns(scenario))

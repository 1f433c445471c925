"""The advisor on the merchant guide's seed scenarios: advice at every merchant turn (what the
training page shows beside each scenario), and the quiz's right answers against it."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales import Advice, Alternative, advice_at_merchant_turns, advise
from aftersales.diagrams.training.replays import decisions, recommended_histories
from aftersales.histories import MemoryTarget, parse_history, replay_lines
from aftersales.scenarios import SCENARIOS, SITUATIONS, history

SEEDS = [name for scenario in SCENARIOS for name in scenario.files]


def _events(name: str) -> list[Any]:
    text = history(name).read_text(encoding="utf-8")
    target = MemoryTarget()
    replay_lines(parse_history(text, name), target, name)
    return target.case.events


def _shape(
    move: Advice | Alternative | dict[str, Any], event: str | None = None
) -> tuple[Any, ...]:
    if isinstance(move, dict):  # a history line's data
        return (event, move.get("negotiation_type"), move.get("reason"))
    return (move.event, move.data.get("negotiation_type"), move.data.get("reason"))


EXPECTED: dict[str, list[tuple[int, str, str | None]]] = {
    # seed history: [(the event after which the merchant's turn began, advised event, reason)]
    "virtual_served_invite_cancel.jsonl": [(1, "negotiate", "virtual_service_completed")],
    "virtual_partial_refund.jsonl": [(1, "negotiate", "modify_amount_only")],
    "virtual_direct_rejection.jsonl": [(1, "negotiate", "virtual_service_completed")],
    "fresh_quality_evidence_refund.jsonl": [
        (1, "negotiate", "no_seven_day_return_request_quality_evidence"),
        (3, "agree", None),
    ],
    "plants_partial_damage_refund.jsonl": [
        (1, "negotiate", "no_seven_day_return_request_quality_evidence"),
        (3, "negotiate", "modify_amount_only"),
    ],
    "custom_defensible_rejection.jsonl": [
        (1, "negotiate", "no_seven_day_return_invite_cancel"),
        (3, "reject", None),
    ],
    "fresh_direct_rejection.jsonl": [(1, "negotiate", "no_seven_day_return_invite_cancel")],
    "agreed_cancel_accept.jsonl": [(1, "negotiate", "agreed_cancel")],
    "agreed_cancel_rejection_with_proof.jsonl": [
        (1, "negotiate", "agreed_cancel"),
        (3, "reject", None),
    ],
    "agreed_cancel_direct_rejection.jsonl": [(1, "negotiate", "agreed_cancel")],
}


def test_every_seed_history_has_a_situation_and_an_expectation():
    assert set(SITUATIONS) == set(SEEDS) == set(EXPECTED)


@pytest.mark.parametrize("name", SEEDS)
def test_the_advice_at_each_merchant_turn_of_a_seed_history(name):
    turns = advice_at_merchant_turns(_events(name), SITUATIONS[name])
    found = [(seq, advice.event, advice.data.get("reason")) for seq, advice in turns]
    assert found == EXPECTED[name]
    for _, advice in turns:
        assert advice.why_zh and advice.why_en
        assert all(item.guide_zh and item.guide_en for item in advice.evidence)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.key)
def test_the_risky_seed_history_does_what_the_advice_avoids(scenario):
    (decision, *_) = list(decisions(scenario.risky))
    assert decision.line.op == "reject" and decision.case.state == "requested"
    advice = advise(decision.case, situation=SITUATIONS[scenario.risky])
    assert [(a.event, a.rules) for a in advice.avoid] == [("reject", ("R1_direct_rejection",))]
    assert advice.event == "negotiate"


def test_the_quizs_right_answers_agree_with_the_advice():
    disagreements = set()
    compared = 0
    for _, name in recommended_histories():
        for decision in decisions(name):
            line = decision.line
            advice = advise(decision.case, situation=SITUATIONS[name])
            right = _shape(line.data, line.op)
            compared += 1
            if _shape(advice) != right:
                disagreements.add((name, line.number))
    assert compared >= 10
    assert disagreements == set()

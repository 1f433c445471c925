"""The advisor (spec section 13): every move it recommends is one the guards allow without risk,
for every case the model-based explorer reaches and every situation; each playbook row decides
in a history of its own; what it refuses it says."""

from __future__ import annotations

import contextlib
import itertools
from collections import deque
from dataclasses import replace
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as observe
from hypothesis import strategies as st

from aftersales import (
    Advice,
    AftersalesError,
    Alternative,
    Case,
    InvalidInput,
    Situation,
    advice_at_merchant_turns,
    advise,
    open_case,
)
from aftersales.histories import Line, MemoryTarget, parse_history, read_history, replay_lines
from aftersales.workflow.advice import check_advice
from aftersales.workflow.playbook import PlaybookError, load, playbook
from aftersales.workflow.vocabulary import EVENT_ROLES, NEXT_ACTOR
from tests.support import BUYER, MERCHANT, PLATFORM, SYSTEM, at, ev, facts, negotiate
from tests.workflow.explore import (
    COMMANDS,
    FACT_VARIANTS,
    V1_VARIANT,
    actor_for,
    explore,
    step,
)
from tests.workflow.explore import _signature as signature

HISTORIES = Path(__file__).parent.parent / "histories"

SITUATIONS = [
    Situation(served, agreed, compensated, evidence)
    for served, agreed, compensated, evidence in itertools.product(
        (None, "full", "partial", "none"),
        (False, True),
        (False, True),
        (None, "confirmed", "partly", "disputed"),
    )
]
"""Every combination of the situation's values."""


def command_for(move: Advice | Alternative, case: Case) -> dict[str, Any]:
    """What a merchant following the advice sends: the data, one item of each evidence listed,
    half the requested amount where one is needed, a tracking number where one is needed."""
    data: dict[str, Any] = dict(move.data)
    if move.evidence:  # an event that takes no evidence refuses the field
        data["evidence"] = [ev(item.kinds[0], f"r{i}") for i, item in enumerate(move.evidence)]
    if move.amount_needed:
        data["amount"] = case.record.requested_amount // 2
    if move.tracking_needed:
        data["tracking"] = "SF0000000000"
    return data


def assert_safe(case: Case, move: Advice | Alternative, where: str) -> None:
    assert move.event is not None, where
    verdict = case.would(move.event, MERCHANT, data=command_for(move, case))
    assert verdict.allowed, (where, move.event, dict(move.data), verdict.code, verdict.message_en)
    assert verdict.risk == (), (where, move.event, verdict.risk)


def assert_avoid_is_right(case: Case, advice: Advice, where: str) -> None:
    events = [item.event for item in advice.avoid]
    if case.state == "requested":
        assert "reject" in events, where
    for item in advice.avoid:
        verdict = case.would(item.event, MERCHANT, data=dict(item.data))
        assert verdict.risk == item.rules, where
        assert item.rules or case.state == "requested", where


# -- the cases: every one the explorer reaches, and a few more kinds of goods and policy ---------

EXTRA_VARIANTS: dict[str, dict[str, Any]] = {
    "refund_virtual_unused": {"category": "virtual"},
    "refund_fresh_quality_received": {
        "category": "fresh",
        "buyer_reason": "quality_issue",
        "received": True,
    },
    "refund_plants_personal_received": {"category": "plants", "received": True},
    "return_custom_quality": {
        "type": "return_refund",
        "category": "custom",
        "buyer_reason": "not_as_described",
        "received": True,
    },
    "refund_tiny_amount": {"requested_amount": 1, "paid_amount": 1, "buyer_reason": "other"},
}
EXTRA_POLICIES: dict[str, dict[str, Any]] = {
    "forbid_one_negotiation": {"direct_rejection": "forbid", "max_negotiations": 1},
    "special_goods_scope": {"direct_rejection_scope": "special_goods"},
}


@cache
def _explore_more(max_depth: int = 3) -> list[Case]:
    """Breadth-first from the extra variants, with the explorer's own commands."""
    starts = [open_case(facts(case_id=name, **more)) for name, more in EXTRA_VARIANTS.items()]
    starts += [
        open_case(facts(case_id=f"{name}-{p}", **more), policy=policy)
        for name, more in (("virtual", {"category": "virtual", "used": True}), ("ordinary", {}))
        for p, policy in EXTRA_POLICIES.items()
    ]
    found, queue = [], deque((case, 0) for case in starts)
    seen: set[tuple[Any, ...]] = set()
    while queue:
        case, depth = queue.popleft()
        found.append(case)
        if depth == max_depth or case.final:
            continue
        for event, data in [("tick", {}), *COMMANDS]:
            after = step(case, event, data)
            if after is None:
                continue
            key = (*signature(after), after.record.negotiation_count)
            if key not in seen:
                seen.add(key)
                queue.append((after, depth + 1))
    return found


GROUPS = [*FACT_VARIANTS, V1_VARIANT, "extra"]


def _cases(group: str) -> list[Case]:
    if group == "extra":
        cases = _explore_more()
    else:
        cases = [case for case in explore().cases if case.case_id == group]
    return [case for case in cases if NEXT_ACTOR.get(case.state) == "merchant"]


@pytest.mark.parametrize("group", GROUPS)
def test_every_recommended_move_is_allowed_and_safe(group):
    cases = _cases(group)
    assert cases
    for case in cases:
        checked: set[tuple[Any, ...]] = set()  # a move met again in another situation
        for situation in SITUATIONS:
            where = f"{case.case_id} {case.path} {situation}"
            advice = advise(case, situation=situation)
            assert advice.event is not None, where
            for move in (advice, *advice.alternatives):
                key = (move.event, str(command_for(move, case)))
                if key not in checked:
                    checked.add(key)
                    assert_safe(case, move, where)
            if ("avoid", repr(advice.avoid)) not in checked:
                checked.add(("avoid", repr(advice.avoid)))
                assert_avoid_is_right(case, advice, where)


def test_a_rejection_lists_exactly_the_evidence_still_missing():
    # Only the kinds not already on file need to come with the rejection; without one of them
    # the rejection would no longer be defensible.
    checked = 0
    for case in _cases("refund_virtual") + _cases("return_fresh") + _cases("extra"):
        for situation in (Situation(), Situation(buyer_evidence="disputed")):
            advice = advise(case, situation=situation)
            if advice.event != "reject":
                continue
            missing = [item for item in advice.evidence if not item.on_file]
            sent = [ev(item.kinds[0], f"r{i}") for i, item in enumerate(missing)]
            assert case.would("reject", MERCHANT, data={"evidence": sent}).risk == ()
            for left_out in range(len(sent)):
                fewer = sent[:left_out] + sent[left_out + 1 :]
                verdict = case.would("reject", MERCHANT, data={"evidence": fewer})
                assert verdict.risk == ("R2_missing_evidence",), case.path
            checked += 1
    assert checked > 10


# -- each playbook row decides in a history file of its own ---------------------------------------


ADVICE_HISTORIES = sorted(HISTORIES.glob("advice_*.jsonl"))


def _lines(path: Path) -> list[Line]:
    return parse_history(read_history(path), path.name)


def _expected_advice(path: Path) -> list[Line]:
    """The ``expect`` lines of a history that check the advice."""
    return [line for line in _lines(path) if line.op == "expect" and "advice" in line.data]


def _case_before(path: Path, line_number: int) -> Case:
    """The case as it stands when line ``line_number`` is read."""
    target = MemoryTarget()
    replay_lines([line for line in _lines(path) if line.number < line_number], target, path.name)
    return target.case


def _shape(advice: Advice) -> dict[str, Any]:
    return {"event": advice.event, **{k: advice.data[k] for k in advice.data}}


@pytest.mark.parametrize("path", ADVICE_HISTORIES, ids=lambda path: path.stem)
def test_each_advice_expectation_names_the_whole_advice(path):
    # The replay checks the keys a line names; here, what the line does not name is absent.
    expectations = _expected_advice(path)
    assert expectations
    for line in expectations:
        case = _case_before(path, line.number)
        advice = advise(case, situation=line.data.get("situation"))
        assert _shape(advice) == line.data["advice"], (path.name, line.number)


@pytest.mark.parametrize("path", ADVICE_HISTORIES, ids=lambda path: path.stem)
def test_every_merchant_turn_of_an_advice_history_checks_the_advice(path):
    lines = _lines(path)
    target = MemoryTarget()
    target.open(lines[0])
    turn: int | None = 1 if NEXT_ACTOR.get(target.case.state) == "merchant" else None
    for line in [*lines[1:], None]:
        if line is not None and line.op == "expect":
            if "advice" in line.data:
                turn = None
            continue
        assert turn is None, f"{path.name}: the merchant's turn after line {turn} is not checked"
        if line is None:
            break
        before = len(target.case.events)
        with contextlib.suppress(AftersalesError):  # a line meant to be refused
            target.tick(line.at) if line.op == "tick" else target.send(line)
        new = target.case.events[before:]
        if new and any(e.entered for e in new) and NEXT_ACTOR.get(target.case.state) == "merchant":
            turn = line.number


def test_check_advice_says_what_differs():
    case = open_case(facts(category="virtual"))
    assert check_advice(case, {"event": "negotiate"}, {"served": "full"}) == []
    problems = check_advice(case, {"event": "agree", "reason": None}, {"served": "full"})
    assert [p.split(",")[0] for p in problems] == [
        "expected advice event 'agree'",
        "expected advice reason None",
    ]
    assert check_advice(case, {"mood": "calm"}) == [
        "advice takes some of ['event', 'negotiation_type', 'reason'], not ['mood']"
    ]
    case.send("agree", actor=MERCHANT, at=at(1))
    assert check_advice(case, {"event": None}) == []


@pytest.mark.parametrize("row", playbook().rows, ids=lambda row: row.key)
def test_each_playbook_row_decides_in_its_own_history(row):
    path = HISTORIES / f"advice_{row.key}.jsonl"
    assert path.exists(), f"row {row.key} has no history file"
    decided = []
    for line in _expected_advice(path):
        advice = advise(_case_before(path, line.number), situation=line.data.get("situation"))
        assert advice.event == row.event or advice.why_en != row.why.en
        decided.append(advice.why_en == row.why.en and advice.event == row.event)
    assert any(decided), f"no expectation of {path.name} is decided by row {row.key}"


def test_a_refused_playbook_move_is_said_and_the_next_safe_move_given():
    path = HISTORIES / "advice_otherwise_when_refused.jsonl"
    line = _expected_advice(path)[-1]
    advice = advise(_case_before(path, line.number), situation={"buyer_evidence": "partly"})
    assert advice.event == "agree"
    assert "limit of 1 negotiations is reached" in advice.why_en
    assert "协商次数已达上限" in advice.why_zh
    assert advice.why_en.endswith(playbook().rows[-1].why.en)


def test_a_log_that_does_not_replay_is_invalid_input():
    case = open_case(facts())
    case.send("agree", actor=MERCHANT, at=at(1))
    events = case.events
    events[1] = replace(events[1], event="reject")
    with pytest.raises(InvalidInput, match="does not replay at event 2"):
        advice_at_merchant_turns(events)


def test_the_merchant_turns_of_a_log_each_get_advice():
    case = open_case(facts(category="virtual"))
    negotiate(case, "virtual_service_completed", evidence=[ev("service_completion_proof")])
    case.send("decline", actor=BUYER, at=at(2))
    turns = advice_at_merchant_turns(case.events, {"served": "full"})
    assert [(seq, advice.event) for seq, advice in turns] == [(1, "negotiate"), (3, "reject")]
    # The chat the rejection still needs is listed as missing, the proof as on file.
    reject = turns[1][1]
    assert [(item.kinds, item.on_file) for item in reject.evidence] == [
        (("service_completion_proof",), True),
        (("chat_record",), False),
    ]
    assert reject.evidence[0].guide_en == reject.evidence[1].guide_en  # the catalog's line


# -- not the merchant's turn ---------------------------------------------------------------------


def test_when_it_is_not_the_merchants_turn_the_advice_says_whose_it_is():
    case = open_case(facts())
    negotiate(case, "agreed_cancel", evidence=[ev("chat_record")])
    advice = advise(case)
    assert advice.event is None and advice.data == {} and advice.avoid == ()
    assert "buyer's turn" in advice.why_en and "买家" in advice.why_zh
    case.send("accept", actor=BUYER, at=at(2))
    assert "over" in advise(case).why_en and "已结束" in advise(case).why_zh


def test_the_platforms_demand_for_evidence_is_mentioned():
    case = open_case(facts())
    case.send("reject", actor=MERCHANT, at=at(1))
    case.send("escalate", actor=BUYER, at=at(2))
    assert "platform's turn" in advise(case).why_en
    case.send("demand_evidence", actor=PLATFORM, at=at(3))
    assert "submit it before the deadline" in advise(case).why_en


def test_refunding_is_the_systems_turn():
    case = open_case(facts())
    case.send("agree", actor=MERCHANT, at=at(1))
    assert advise(case).event is None and "system" in advise(case).why_en
    case.send("refund_failed", actor=SYSTEM, at=at(2))
    assert advise(case).event == "refund_offline"


# -- the inputs ---------------------------------------------------------------------------------


def test_advise_changes_nothing_and_can_look_ahead_in_time():
    case = open_case(facts(category="virtual"))
    negotiate(case, "virtual_service_completed", evidence=[ev("service_completion_proof")])
    before = (case.state, len(case.events), case.timer)
    assert advise(case, situation={"served": "full"}).event is None  # the buyer has 48 h
    later = advise(case, situation={"served": "full"}, at=at(hours=1, days=3))
    assert later.event == "reject"  # the buyer let it time out
    assert (case.state, len(case.events), case.timer) == before


@pytest.mark.parametrize(
    ("situation", "field"),
    [
        ({"served": "half"}, "served"),
        ({"buyer_evidence": "yes"}, "buyer_evidence"),
        ({"agreed_offline": "yes"}, "agreed_offline"),
        ({"compensated": 1}, "compensated"),
        ({"mood": "angry"}, "mood"),
        ("served", "situation"),
    ],
)
def test_a_bad_situation_is_invalid_input(situation, field):
    with pytest.raises(InvalidInput) as caught:
        advise(open_case(facts()), situation=situation)
    assert caught.value.field == field


def test_situation_is_frozen_and_read_from_a_mapping():
    assert Situation.of({"served": "full"}) == Situation(served="full")
    with pytest.raises(AttributeError):
        Situation().served = "full"  # type: ignore[misc]


def test_advice_is_plain_data():
    advice = advise(open_case(facts(category="virtual")), situation={"served": "full"})
    data = advice.to_dict()
    assert data["event"] == "negotiate" and data["data"]["reason"] == "virtual_service_completed"
    assert data["message_zh"].startswith("您购买的虚拟商品")
    assert data["evidence"][0]["kinds"] == ["service_completion_proof"]
    assert data["avoid"][0]["rules"] == ["R1_direct_rejection"]
    with pytest.raises(TypeError):
        advice.data["amount"] = 1  # type: ignore[index]


# -- the playbook as data -----------------------------------------------------------------------


def _raw(**row: Any) -> dict[str, Any]:
    base = {
        "key": "r",
        "situation_zh": "情形",
        "situation_en": "situation",
        "event": "agree",
        "why_zh": "因为",
        "why_en": "because",
        "when": {"states": ["requested"]},
    }
    return {
        "guides": {"media": {"zh": "m", "en": "m"}, "any": {"zh": "a", "en": "a"}},
        "row": [{**base, **row}],
    }


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"event": "accept"}, "not a merchant's event"),
        ({"event": "negotiate", "negotiation_type": "invite_cancel", "reason": "x"}, "catalog"),
        (
            {
                "event": "negotiate",
                "negotiation_type": "invite_cancel",
                "reason": "buyer_unreachable",
            },
            "request_evidence",
        ),
        (
            {"event": "negotiate", "negotiation_type": "invite_cancel", "reason": "agreed_cancel"},
            "needs an image",
        ),
        ({"when": {"states": ["negotiating"]}}, "not among"),
        ({"when": {"states": ["requested"], "mood": ["angry"]}}, "when takes"),
        ({"when": {"states": ["requested"], "served": ["half"]}}, "not among"),
        ({"evidence": [["selfie"]]}, "unknown kinds"),
        ({"amount_needed": True}, "amount_needed"),
        ({"colour": "red"}, "unknown fields"),
    ],
)
def test_a_broken_playbook_row_fails_at_load(row, problem):
    with pytest.raises(PlaybookError, match=problem):
        load(_raw(**row))


def test_a_row_missing_a_field_or_a_duplicate_key_fails_at_load():
    raw = _raw()
    del raw["row"][0]["why_en"]
    with pytest.raises(PlaybookError, match="missing why_en"):
        load(raw)
    raw = _raw()
    raw["row"] = raw["row"] * 2
    with pytest.raises(PlaybookError, match="distinct"):
        load(raw)


def test_the_shipped_playbook_loads_once_and_holds_every_merchant_turn():
    book = playbook()
    assert book is playbook()
    covered = set().union(*(row.when.states for row in book.rows))
    assert covered == {s for s, actor in NEXT_ACTOR.items() if actor == "merchant"}
    assert len({row.key for row in book.rows}) == len(book.rows)
    with pytest.raises(AttributeError):
        book.rows[0].event = "reject"  # type: ignore[misc]


# -- following the advice ------------------------------------------------------------------------

OTHERS = [
    (event, data)
    for event, data in COMMANDS
    if EVENT_ROLES[event] != "merchant" and (event != "rule" or not data)
]
"""What the buyer, the platform and the system may do; the platform rules only by the
assessment (an explicit outcome is the platform's own word, not a judgment of the merchant)."""
DISPUTES = [c for c in OTHERS if c[0] in ("decline", "escalate", "rule", "demand_evidence")]
"""Drawn more often, so that random cases reach a ruling."""


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    variant=st.sampled_from(sorted(FACT_VARIANTS) + sorted(EXTRA_VARIANTS)),
    policy=st.sampled_from([{}, *EXTRA_POLICIES.values()]),
    steps=st.lists(
        st.tuples(st.sampled_from(OTHERS), st.integers(0, 72), st.sampled_from(SITUATIONS)),
        max_size=14,
    ),
)
def test_a_merchant_who_follows_the_advice_is_never_found_liable(variant, policy, steps):
    more = {**FACT_VARIANTS, **EXTRA_VARIANTS}[variant]
    case = open_case(facts(**more), policy=policy)
    for (event, data), hours, situation in steps:
        if case.final:
            break
        advice = advise(case, situation=situation)
        if advice.event is not None:
            case.send(advice.event, actor=MERCHANT, at=case.last_at, data=command_for(advice, case))
        elif case.record.evidence_demanded:  # the advice's why asks for it
            case.send(
                "submit_evidence",
                actor=MERCHANT,
                at=case.last_at,
                data={"evidence": [ev("chat_record")]},
            )
        else:
            with contextlib.suppress(AftersalesError):
                when = case.last_at + timedelta(hours=hours)
                case.send(event, actor=actor_for(event), at=when, data=data)
    observe(f"ended in {case.state}, liability {case.liability}")
    assert case.liability in (None, "buyer"), [(e.event, e.state_after) for e in case.events]
    if case.record.rejection is not None:
        assert case.record.rejection.defensible

"""Every case history replays with all its expectations holding: one test per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from aftersales import advise
from aftersales.histories import (
    HistoryError,
    MemoryTarget,
    export_lines,
    parse_history,
    replay_file,
    replay_lines,
)
from aftersales.scenarios import SCENARIOS, history
from aftersales.storage import CaseStore
from aftersales.storage.replay import StoreTarget

CORPUS = sorted(Path(__file__).parent.joinpath("histories").glob("*.jsonl"))
SEEDS = [name for scenario in SCENARIOS for name in scenario.files]


def test_the_corpus_is_large_enough():
    # Each file is replayed as a test item of its own by the pytest plugin (see pyproject's
    # aftersales_histories); here, only that the corpus is there.
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("name", SEEDS)
def test_seed_scenario_replays(name):
    text = history(name).read_text(encoding="utf-8")
    outcome = replay_lines(parse_history(text, name), MemoryTarget(), name)
    assert outcome.ok, outcome.failures


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_export_round_trip(path, tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'rt.db'}")
    store.create_schema()
    stored = replay_file(path, StoreTarget(store))
    case_id = stored.case.case_id
    lines = export_lines(store.history(case_id), store.get(case_id))
    again = replay_lines(parse_history(_jsonl(lines)), MemoryTarget())
    assert again.ok, again.failures
    assert again.summary() == stored.summary()


def _jsonl(lines) -> str:
    import json

    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no lines"),
        ('{"op": "open"', "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"op": "agree"}', "first line"),
        ('{"op": "open", "at": "2026-03-01T10:00:00"}', "timezone"),
        ('{"op": "open", "at": 5}', "ISO 8601"),
    ],
)
def test_unreadable_histories_name_the_line(text, problem):
    with pytest.raises(HistoryError) as info:
        parse_history(text, "h.jsonl")
    assert problem in str(info.value) and str(info.value).startswith("h.jsonl:")


def test_bad_later_lines():
    head = '{"op": "open", "at": "2026-03-01T10:00:00+08:00"}\n'
    for line, problem in [
        ('{"op": "haggle", "at": "2026-03-01T10:00:00+08:00"}', "unknown op"),
        ('{"op": "agree", "at": "2026-03-01T10:00:00+08:00"}', "actor"),
        ('{"op": "expect", "mood": "happy"}', "expect takes"),
        ('{"op": "expect", "final": "yes"}', "true or false"),
        ('{"op": "expect", "situation": {"served": "full"}}', "situation goes with advice"),
        ('{"op": "expect", "advice": {}}', "advice.event: Field required"),
        ('{"op": "expect", "advice": "agree"}', "advice: Input should be"),
        ('{"op": "expect", "advice": {"event": "accept"}}', "advice.event: Input should be"),
        ('{"op": "expect", "advice": {"event": "agree", "amount": 1}}', "advice.amount: Extra"),
        (
            '{"op": "expect", "advice": {"event": "negotiate", "negotiation_type": "haggle"}}',
            "advice.negotiation_type",
        ),
        ('{"op": "expect", "advice": {"event": null}, "situation": 3}', "situation is an object"),
        (
            '{"op": "expect", "advice": {"event": null}, "situation": {"served": "half"}}',
            "situation: served is one of full, partial, none",
        ),
        (
            '{"op": "expect", "advice": {"event": null}, "situation": {"compensated": "yes"}}',
            "situation: compensated is true or false",
        ),
        ('{"op": "tick", "at": "2026-03-01T10:00:00+08:00", "x": 1}', "tick takes"),
        ('{"op": "open", "at": "2026-03-01T10:00:00+08:00"}', "open again"),
    ]:
        with pytest.raises(HistoryError) as info:
            parse_history(head + line, "h.jsonl")
        assert problem in info.value.problem and info.value.line == 2


ADVICE_HEAD = (
    '{"op": "open", "case_id": "A1", "order_id": "O-A1", "shop_id": "S1", "buyer_id": "B1", '
    '"type": "refund", "category": "virtual", "paid_amount": 100, "requested_amount": 100, '
    '"buyer_reason": "no_reason", "at": "2026-03-01T10:00:00+08:00"}\n'
)
SERVED = (
    '{"op": "expect", "advice": {"event": "negotiate", "negotiation_type": "invite_cancel", '
    '"reason": "virtual_service_completed"}, "situation": {"served": "full"}}'
)


@pytest.mark.parametrize("through", ["memory", "store"])
def test_an_expect_line_checks_the_advice_with_its_situation(through, tmp_path):
    runs = iter(range(10))

    def replayed(text: str):
        if through == "memory":
            return replay_lines(parse_history(text, "a.jsonl"), MemoryTarget(), "a.jsonl")
        store = CaseStore(f"sqlite:///{tmp_path / f'a{next(runs)}.db'}")
        store.create_schema()
        return replay_lines(parse_history(text, "a.jsonl"), StoreTarget(store), "a.jsonl")

    agree = (
        '{"op": "agree", "actor": {"role": "merchant", "id": "S1"}, '
        '"at": "2026-03-01T11:00:00+08:00"}'
    )
    nobody = '{"op": "expect", "state": "refunding", "advice": {"event": null}}'
    good = replayed(ADVICE_HEAD + SERVED + "\n" + agree + "\n" + nobody + "\n")
    assert good.ok, good.failures
    # Without the situation the same line is wrong: the playbook's fallback is to agree.
    wrong = ADVICE_HEAD + SERVED.replace(', "situation": {"served": "full"}', "") + "\n"
    outcome = replayed(wrong)
    assert [(f.line, f.problem.split(" (")[0]) for f in outcome.failures] == [
        (2, "expected advice event 'negotiate', got 'agree'"),
        (2, "expected advice negotiation_type 'invite_cancel', got None"),
        (2, "expected advice reason 'virtual_service_completed', got None"),
    ]
    assert advise(outcome.case).why_en in outcome.failures[0].problem  # the advice's own why
    # A key left out is not checked: only the event here.
    assert replayed(ADVICE_HEAD + '{"op": "expect", "advice": {"event": "agree"}}\n').ok

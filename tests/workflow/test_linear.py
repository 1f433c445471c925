"""A long log costs the same per event as a short one: replaying it (what ``verify`` and the
``replay`` command do) looks at each held event a bounded number of times, however many there
are. Operations are counted, not timed (bench/p9_linear.py times them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

import aftersales.workflow.case as case_module
from aftersales import Actor, Case
from aftersales.workflow.replay import replay
from tests.support import T0, facts

MERCHANT, BUYER = Actor.merchant("S1"), Actor.buyer("B1")
EVIDENCE = {"evidence": [{"kind": "image", "ref": "photo"}]}


class Counting(list[Any]):
    """A list that counts every element any loop or copy visits."""

    visits = 0

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            Counting.visits += 1
            yield item

    def __reversed__(self) -> Iterator[Any]:
        for item in super().__reversed__():
            Counting.visits += 1
            yield item


def long_case(events: int) -> Case:
    case = Case.open(facts())
    case.send("reject", actor=MERCHANT, at=T0 + timedelta(minutes=1))
    case.send("escalate", actor=BUYER, at=T0 + timedelta(minutes=2))
    for n in range(events - 3):
        at = T0 + timedelta(minutes=3, seconds=n)
        case.send("submit_evidence", actor=MERCHANT, at=at, data=EVIDENCE, command_id=f"k{n}")
    return case


@pytest.mark.parametrize("events", [500, 2000])
def test_replaying_a_log_with_command_ids_visits_each_event_a_bounded_number_of_times(
    monkeypatch, events
):
    records = long_case(events).events
    monkeypatch.setattr(case_module, "list", Counting, raising=False)
    Counting.visits = 0
    case, mismatch = replay(records)
    assert mismatch is None and case is not None and case.version == events
    # Quadratic (each command id looked for in the whole log, or the log copied per event)
    # would be events**2 / 2: 125,000 and 2,000,000 visits.
    assert Counting.visits <= 3 * events


def test_a_repeated_command_id_still_returns_the_first_event():
    case = long_case(50)
    first = case.events[10]
    again = case.send(
        "submit_evidence",
        actor=MERCHANT,
        at=T0 + timedelta(hours=5),
        data=EVIDENCE,
        command_id=first.command_id,
    )
    assert again == first and case.version == 50

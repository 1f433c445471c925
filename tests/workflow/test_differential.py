"""The compiled dispatch table against python-statemachine itself, the reference executor.

Random command sequences (refusals, wrong actors, timers and final states included) go to two
copies of the same case, one run by each executor: after every command both hold the same
record, the same events and the same error, field for field. Every case the breadth-first
exploration meets (every state and transition) replays identically through the engine.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales import AftersalesError, Case
from aftersales.workflow.graph import machine_graph
from aftersales.workflow.replay import replay
from tests.workflow.explore import (
    COMMANDS,
    FACT_VARIANTS,
    V1_VARIANT,
    actor_for,
    explore,
    open_variant,
)
from tests.workflow.test_properties import WRONG_ACTORS

VARIANTS = sorted([*FACT_VARIANTS, V1_VARIANT])
POLICIES = [{}, {"direct_rejection": "forbid"}, {"max_negotiations": 1}, {"max_applications": 2}]


def pair(variant: str, policy: dict) -> tuple[Case, Case]:
    compiled = open_variant(variant)
    if policy:
        opening = compiled.events[0]
        compiled = Case.reopen(replace(opening, data={**opening.data, "policy": policy}))
    psm = Case.reopen(compiled.events[0], engine="psm")
    return compiled, psm


def outcome(case: Case, command, hours, wrong_actor):
    when = case.last_at + timedelta(hours=hours)
    try:
        if command == "tick":
            return case.fire_due_timers(when)
        event, data = COMMANDS[command]
        return case.send(event, actor=wrong_actor or actor_for(event), at=when, data=data)
    except AftersalesError as err:
        return (err.code, err.field, err.message_en, err.message_zh)


def accepted(case: Case) -> list[int]:
    """The commands the case would accept now: drawing mostly from these reaches deep states."""
    found = []
    for index, (event, data) in enumerate(COMMANDS):
        if case.would(event, actor_for(event), at=case.last_at, data=data).allowed:
            found.append(index)
    return found


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    variant=st.sampled_from(VARIANTS),
    policy=st.sampled_from(POLICIES),
    draw=st.data(),
)
def test_compiled_table_and_engine_agree(variant, policy, draw):
    compiled, psm = pair(variant, policy)
    for _ in range(draw.draw(st.integers(1, 25))):
        kind = draw.draw(st.sampled_from(["accepted"] * 6 + ["any", "tick"]))
        choices = accepted(compiled) if kind == "accepted" else COMMANDS_AT
        tick = kind == "tick" or not choices
        command = "tick" if tick else draw.draw(st.sampled_from(choices))
        hours = draw.draw(st.integers(0, 24 * 12 if command == "tick" else 12))
        wrong_actor = draw.draw(st.sampled_from([None] * 8 + WRONG_ACTORS))
        mine = outcome(compiled, command, hours, wrong_actor)
        theirs = outcome(psm, command, hours, wrong_actor)
        assert mine == theirs
        assert compiled.record == psm.record
        assert compiled.events == psm.events


COMMANDS_AT = list(range(len(COMMANDS)))


def test_every_explored_case_replays_identically_through_the_engine():
    # The breadth-first exploration takes every transition of the machine; each case it meets
    # is replayed through python-statemachine, field for field.
    cases = explore().leaves
    assert {state for case in cases for state in case.path} == set(machine_graph().states)
    for case in cases:
        replayed, mismatch = replay(case.events, engine="psm")
        assert mismatch is None, (case.case_id, mismatch)
        assert replayed is not None and replayed.record == case.record

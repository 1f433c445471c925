"""Random event sequences against the machine: the invariants hold whatever the order."""

from __future__ import annotations

import copy
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from aftersales import Actor, AftersalesError, Case, open_case
from tests.support import facts
from tests.workflow.explore import COMMANDS, FACT_VARIANTS, actor_for

WRONG_ACTORS = [Actor.merchant("S2"), Actor.buyer("B2"), Actor.platform(), Actor.system()]


class RandomCase(RuleBasedStateMachine):
    case: Case

    @initialize(
        variant=st.sampled_from(sorted(FACT_VARIANTS)),
        policy=st.sampled_from(
            [
                {},
                {"direct_rejection": "forbid"},
                {"max_negotiations": 2},
                {"max_applications": 2},
                {"direct_rejection_scope": "special_goods"},
            ]
        ),
    )
    def open(self, variant, policy):
        self.case = open_case(facts(**FACT_VARIANTS[variant]), policy=policy)
        self.final_state = None
        self.direct_rejection = False

    @precondition(lambda self: not self.case.final)
    @rule(
        command=st.sampled_from(COMMANDS),
        hours=st.integers(min_value=0, max_value=12),
        wrong_actor=st.sampled_from([None] * 6 + WRONG_ACTORS),
    )
    def send(self, command, hours, wrong_actor):
        event, data = command
        when = self.case.last_at + timedelta(hours=hours)
        # Timers due before the command fire and stand even when the command is refused.
        self.case.fire_due_timers(when)
        before = copy.deepcopy(self.case.record)
        actor = wrong_actor or actor_for(event)
        try:
            self.case.send(event, actor=actor, at=when, data=data)
        except AftersalesError:
            assert self.case.record == before, "a refused command changed the case"
            return
        assert before.state not in (
            "cancelled",
            "refunded",
            "partially_refunded",
            "exchanged",
            "closed",
        )
        self.after_accepted(event, data, before)

    def after_accepted(self, event, data, before):
        record = self.case.record
        if event == "reject":
            self.direct_rejection = "R1_direct_rejection" in self.case.events[-1].note["findings"]
        if event == "modify":
            self.direct_rejection = False  # the buyer's change asks for a fresh decision
        if event == "rule" and self.direct_rejection:
            explicit = {"buyer": "merchant", "merchant": "buyer"}.get(
                data.get("outcome"), data.get("liability")
            )
            assert record.liability == (explicit or "merchant")
            assert "R1_direct_rejection" in record.liability_rules

    @precondition(lambda self: self.case.state in ("rejected", "platform_intervention"))
    @rule(
        outcome=st.sampled_from(
            [{}, {"outcome": "buyer"}, {"outcome": "merchant"}, {"liability": "both", "amount": 1}]
        )
    )
    def escalate_and_rule(self, outcome):
        # Rulings end most disputes; reaching them by chance alone is rare.
        for event, data in [("escalate", {}), ("rule", outcome)]:
            self._try(event, data)

    def _try(self, event, data):
        before = copy.deepcopy(self.case.record)
        try:
            self.case.send(event, actor=actor_for(event), at=self.case.last_at, data=data)
        except AftersalesError:
            assert self.case.record == before
            return
        self.after_accepted(event, data, before)

    @precondition(lambda self: not self.case.final)
    @rule(hours=st.integers(min_value=1, max_value=24 * 12))
    def tick(self, hours):
        self.case.fire_due_timers(self.case.last_at + timedelta(hours=hours))

    @precondition(lambda self: self.case.final)
    @rule(command=st.sampled_from(COMMANDS), hours=st.integers(min_value=0, max_value=500))
    def poke_final_case(self, command, hours):
        event, data = command
        before = copy.deepcopy(self.case.record)
        when = self.case.last_at + timedelta(hours=hours)
        try:
            self.case.send(event, actor=actor_for(event), at=when, data=data)
        except AftersalesError as err:
            assert err.code in ("transition_not_allowed", "invalid_input")
        assert self.case.record == before

    @invariant()
    def money_never_exceeds_what_was_paid(self):
        record = self.case.record
        paid = record.facts.paid_amount
        for amount in (record.refund_amount, record.refund_due, record.agreed_amount):
            assert amount is None or 0 < amount <= paid

    @invariant()
    def the_application_limit_holds(self):
        record = self.case.record
        assert 1 <= record.application_count <= record.policy.max_applications

    @invariant()
    def final_states_absorb(self):
        if self.final_state is not None:
            assert self.case.state == self.final_state
        if self.case.final:
            self.final_state = self.case.state
            assert self.case.timer is None

    @invariant()
    def log_and_path_agree(self):
        events = self.case.events
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert self.case.path[0] == "requested"
        assert events[-1].state_after == self.case.state == self.case.path[-1]
        assert sum(1 for e in events if e.event in ("open", "modify")) == record_applications(
            self.case
        )


def record_applications(case: Case) -> int:
    return case.record.applications


TestRandomCase = RandomCase.TestCase
TestRandomCase.settings = settings(
    max_examples=200,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

"""The after-sales case machine (spec sections 2 and 3). It only declares.

States, events and which guard decides each transition are here; the guards and actions are
implemented in :mod:`aftersales.workflow.rules`. Guards named in ``validators`` raise the spec's
error codes; guards named in ``cond`` only route between alternatives, the last of which is an
unguarded fallback. Everything else (diagrams, path enumeration, "what would happen") reads this
class.
"""

from __future__ import annotations

from statemachine import State, StateChart

from .record import Binding


class CaseMachine(StateChart[Binding]):
    """One after-sales case (售后单), from the buyer's request to a final state."""

    # Loud failures: an event not allowed raises, callback errors propagate (3.x defaults
    # would ignore the event and turn errors into events).
    allow_event_without_transition = False
    catch_errors_as_events = False
    enable_self_transition_entries = False

    requested = State(value="requested", initial=True)
    negotiating = State(value="negotiating")
    buyer_accepted = State(value="buyer_accepted")
    buyer_declined = State(value="buyer_declined")
    buyer_timed_out = State(value="buyer_timed_out")
    evidence_supplied = State(value="evidence_supplied")
    awaiting_return = State(value="awaiting_return")
    awaiting_receipt = State(value="awaiting_receipt")
    refunding = State(value="refunding")
    refund_failed_state = State(value="refund_failed")
    rejected = State(value="rejected")
    platform_intervention = State(value="platform_intervention")
    cancelled = State(value="cancelled", final=True)
    refunded = State(value="refunded", final=True)
    partially_refunded = State(value="partially_refunded", final=True)
    closed = State(value="closed", final=True)

    # -- merchant -------------------------------------------------------------------------
    agree = refunding.from_(
        requested, buyer_declined, buyer_timed_out, evidence_supplied, cond="is_refund_case"
    ) | awaiting_return.from_(requested, buyer_declined, buyer_timed_out, evidence_supplied)
    negotiate = negotiating.from_(
        requested,
        buyer_declined,
        buyer_timed_out,
        evidence_supplied,
        validators=["is_within_negotiation_limit", "is_valid_negotiation"],
    )
    reject = rejected.from_(
        requested,
        buyer_declined,
        buyer_timed_out,
        evidence_supplied,
        awaiting_receipt,
        validators="is_rejection_permitted",
    )
    confirm_receipt = awaiting_receipt.to(refunding)
    submit_evidence = platform_intervention.to.itself(  # type: ignore[no-untyped-call]
        internal=True, validators="has_evidence"
    )
    refund_offline = refund_failed_state.to(
        partially_refunded, validators="has_refund_certificate", cond="is_partial_refund"
    ) | refund_failed_state.to(refunded, validators="has_refund_certificate")

    # -- buyer ----------------------------------------------------------------------------
    accept = negotiating.to(buyer_accepted, validators="is_not_evidence_request")
    # buyer_accepted is transient: eventless transitions resolve it at once.
    buyer_accepted.to(cancelled, cond="accepted_invite_cancel")
    buyer_accepted.to(refunding, cond="accepted_refund")
    buyer_accepted.to(awaiting_return)
    decline = negotiating.to(buyer_declined)
    supply_evidence = negotiating.to(
        evidence_supplied, validators=["is_evidence_request", "has_evidence"]
    )
    ship_return = awaiting_return.to(awaiting_receipt)
    withdraw = cancelled.from_(
        requested,
        negotiating,
        buyer_declined,
        buyer_timed_out,
        evidence_supplied,
        awaiting_return,
        awaiting_receipt,
        rejected,
        platform_intervention,
    )
    escalate = rejected.to(platform_intervention)

    # -- platform -------------------------------------------------------------------------
    intervene = platform_intervention.from_(
        requested, negotiating, buyer_declined, buyer_timed_out, evidence_supplied, rejected
    )
    demand_evidence = platform_intervention.to.itself(  # type: ignore[no-untyped-call]
        internal=True, validators="is_valid_due"
    )
    rule = platform_intervention.to(
        refunding, validators="is_valid_ruling", cond="ruling_favours_buyer"
    ) | platform_intervention.to(closed, validators="is_valid_ruling")

    # -- system: timers and payment ---------------------------------------------------------
    expire = (
        refunding.from_(
            requested,
            buyer_declined,
            buyer_timed_out,
            evidence_supplied,
            validators="has_running_timer",
            cond="is_refund_case",
        )
        | awaiting_return.from_(
            requested,
            buyer_declined,
            buyer_timed_out,
            evidence_supplied,
            validators="has_running_timer",
        )
        | negotiating.to(buyer_timed_out, validators="has_running_timer")
        | awaiting_return.to(cancelled, validators="has_running_timer")
        | awaiting_receipt.to(refunding, validators="has_running_timer")
        | rejected.to(closed, validators="has_running_timer")
        | platform_intervention.to.itself(  # type: ignore[no-untyped-call]
            internal=True, validators="has_running_timer"
        )
    )
    refund_succeeded = refunding.to(partially_refunded, cond="is_partial_refund") | refunding.to(
        refunded
    )
    # The spec names a state and an event ``refund_failed``; a class attribute can be only
    # one of them, so the event is declared by name.
    refunding.to(refund_failed_state, event="refund_failed")

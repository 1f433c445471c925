"""The after-sales case machine. It only declares.

States, events and which guard decides each transition are here; the guards and actions are
implemented in :mod:`aftersales.workflow.rules`. Guards named in ``validators`` raise the stable
error codes; guards named in ``cond`` only route between alternatives, the last of which is an
unguarded fallback. Everything else (the compiled dispatch table, diagrams, path enumeration,
"what would happen") reads this class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import reduce
from operator import or_
from typing import Any

from statemachine import State, StateChart

from .record import Binding
from .vocabulary import DEADLINE_STATES, MERCHANT_TURN, OPEN_STATES, TRACKING_STATES


def _declared(namespace: Mapping[str, Any], ids: Iterable[str]) -> list[State]:
    """The states ``ids`` name, as declared so far in the class body ``namespace``."""
    by_id = {value.value: value for value in namespace.values() if isinstance(value, State)}
    return [by_id[state] for state in ids]


def _stays(validators: str, *states: State) -> Any:
    """An internal self-transition in each state: the state is not left, its timer not
    restarted; only the event's own action changes the record."""
    return reduce(
        or_,
        (state.to.itself(internal=True, validators=validators) for state in states),  # type: ignore[no-untyped-call]
    )


class CaseMachine(StateChart[Binding]):
    """One after-sales case (售后单), from the buyer's request to a final state."""

    # Loud failures: an event not allowed raises, callback errors propagate (3.x defaults
    # would ignore the event and turn errors into events).
    allow_event_without_transition = False
    catch_errors_as_events = False
    enable_self_transition_entries = False

    requested = State(value="requested", initial=True)
    intercepting = State(value="intercepting")
    negotiating = State(value="negotiating")
    buyer_accepted = State(value="buyer_accepted")
    buyer_declined = State(value="buyer_declined")
    buyer_timed_out = State(value="buyer_timed_out")
    evidence_supplied = State(value="evidence_supplied")
    awaiting_return = State(value="awaiting_return")
    return_lapsed = State(value="return_lapsed")
    awaiting_receipt = State(value="awaiting_receipt")
    exchange_shipped = State(value="exchange_shipped")
    refunding = State(value="refunding")
    refund_failed_state = State(value="refund_failed")
    rejected = State(value="rejected")
    platform_intervention = State(value="platform_intervention")
    cancelled = State(value="cancelled", final=True)
    refunded = State(value="refunded", final=True)
    partially_refunded = State(value="partially_refunded", final=True)
    exchanged = State(value="exchanged", final=True)
    closed = State(value="closed", final=True)

    # Named groups of :mod:`.vocabulary`, for this class body only (deleted below).
    _merchant_turn = _declared(locals(), MERCHANT_TURN)
    _open = _declared(locals(), OPEN_STATES)
    _deadline = _declared(locals(), DEADLINE_STATES)
    _tracking = _declared(locals(), TRACKING_STATES)

    # -- merchant -------------------------------------------------------------------------
    agree = refunding.from_(*_merchant_turn, cond="is_refund_case") | awaiting_return.from_(
        *_merchant_turn
    )
    negotiate = negotiating.from_(
        *_merchant_turn, validators=["is_within_negotiation_limit", "is_valid_negotiation"]
    )
    reject = rejected.from_(*_merchant_turn, awaiting_receipt, validators="is_rejection_permitted")
    confirm_receipt = awaiting_receipt.to(refunding, validators="is_not_exchange")
    reship = awaiting_receipt.to(exchange_shipped, validators="is_exchange")
    intercept = requested.to(intercepting, validators="can_intercept")
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
    buyer_accepted.to(refunding, cond="is_refund_case")
    buyer_accepted.to(awaiting_return)
    decline = negotiating.to(buyer_declined)
    supply_evidence = negotiating.to(
        evidence_supplied, validators=["is_evidence_request", "has_evidence"]
    )
    ship_return = awaiting_return.to(awaiting_receipt)
    confirm_exchange = exchange_shipped.to(exchanged)
    # An external transition, also from ``requested`` itself: the request is entered afresh
    # and the merchant's timer restarts.
    modify = requested.from_(
        *_merchant_turn,
        rejected,
        validators=["is_within_application_limit", "is_valid_modification"],
    )
    # Not once the replacement is on its way, nor while the money moves.
    withdraw = cancelled.from_(
        *_merchant_turn,
        intercepting,
        negotiating,
        awaiting_return,
        return_lapsed,
        awaiting_receipt,
        rejected,
        platform_intervention,
    )
    escalate = platform_intervention.from_(rejected, return_lapsed)

    # -- platform -------------------------------------------------------------------------
    intervene = platform_intervention.from_(*_merchant_turn, negotiating, rejected)
    demand_evidence = platform_intervention.to.itself(  # type: ignore[no-untyped-call]
        internal=True, validators="is_valid_due"
    )
    rule = platform_intervention.to(
        refunding, validators="is_valid_ruling", cond="ruling_refunds"
    ) | platform_intervention.to(closed, validators="is_valid_ruling")
    close = closed.from_(*_open)  # customer service may close any case still open
    # The platform's clock wins: a deadline it gives replaces the running timer's due time.
    set_deadline = _stays("is_valid_deadline", *_deadline)
    # The platform gives the real waybill of the parcel on its way (the buyer's return, the
    # replacement, the intercepted parcel) once WeChat shows it; nothing else changes.
    update_tracking = _stays("is_valid_tracking_update", *_tracking)

    # -- system: timers, carrier and payment -------------------------------------------------
    expire = (
        refunding.from_(*_merchant_turn, validators="is_timer_due", cond="is_refund_case")
        | awaiting_return.from_(*_merchant_turn, validators="is_timer_due")
        | intercepting.to(requested, validators="is_timer_due")
        | negotiating.to(buyer_timed_out, validators="is_timer_due")
        # Contract v1 cancelled a lapsed return at once; cases opened under it still do.
        | awaiting_return.to(cancelled, validators="is_timer_due", cond="follows_contract_v1")
        | awaiting_return.to(return_lapsed, validators="is_timer_due")
        | return_lapsed.to(cancelled, validators="is_timer_due")
        | awaiting_receipt.to(refunding, validators="is_timer_due")
        | exchange_shipped.to(exchanged, validators="is_timer_due")
        | rejected.to(closed, validators="is_timer_due")
        | platform_intervention.to.itself(  # type: ignore[no-untyped-call]
            internal=True, validators="is_timer_due"
        )
    )
    intercept_succeeded = intercepting.to(refunding)
    intercept_failed = intercepting.to(requested)
    refund_succeeded = refunding.to(partially_refunded, cond="is_partial_refund") | refunding.to(
        refunded
    )
    # The spec names a state and an event ``refund_failed``; a class attribute can be only
    # one of them, so the event is declared by name.
    refunding.to(refund_failed_state, event="refund_failed")

    del _merchant_turn, _open, _deadline, _tracking

"""One case in memory: the public face of the workflow.

A command is checked in the order of spec section 3: its input, the actor, the state, then the
event's own guards. Before a command acts, every timer due at or before its time fires, each at
its own due time. A refused command changes nothing.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from statemachine.exceptions import TransitionNotAllowed as EngineNotAllowed

from .errors import AftersalesError, InvalidInput, PermissionDenied
from .graph import machine_graph
from .inputs import (
    EVENT_DATA,
    TEXT_FIELDS,
    CaseFacts,
    NoData,
    Policy,
    RejectData,
    Strict,
    check_facts,
    parse,
    parse_time,
)
from .liability import Assessment, assess, can_assess, rejection_findings
from .machine import CaseMachine
from .record import Actor, Binding, CaseRecord, EventRecord, Timer
from .rules import CaseRules, not_allowed
from .vocabulary import EVENT_ROLES

_pool = threading.local()


def machine_for(record: CaseRecord) -> CaseMachine:
    """This thread's machine, bound to ``record``.

    One machine per thread serves every case in turn. A machine that reached a final state has
    stopped for good (python-statemachine ends its run there), so it is replaced.
    """
    machine: CaseMachine | None = getattr(_pool, "machine", None)
    if machine is None or machine.is_terminated:
        # Bound before it is built, so the machine finds a state and enters no initial one.
        binding = Binding(record)
        machine = CaseMachine(model=binding, listeners=[CaseRules(binding)])
        _pool.machine, _pool.binding = machine, binding
    _pool.binding.record = record
    return machine


@dataclass(frozen=True)
class Verdict:
    """What an event would do now: allowed or the error code, and for ``reject`` the risk."""

    event: str
    allowed: bool
    code: str | None = None
    message_en: str | None = None
    message_zh: str | None = None
    state_after: str | None = None
    defensible: bool | None = None
    risk: tuple[str, ...] = ()
    """Liability rules a rejection would break: what the merchant would risk."""


class Case:
    """One after-sales case: send it commands, ask what they would do, assess liability."""

    def __init__(self, record: CaseRecord) -> None:
        self.record = record

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        facts: CaseFacts | Mapping[str, Any] | None = None,
        *,
        policy: Policy | Mapping[str, Any] | None = None,
        command_id: str | None = None,
        **fields: Any,
    ) -> Case:
        """Open a case from its facts (spec section 1), in ``requested``, its timer running."""
        if not isinstance(facts, CaseFacts):
            facts = parse(CaseFacts, {**(facts or {}), **fields})
        check_facts(facts)
        if not isinstance(policy, Policy):
            policy = parse(Policy, policy or {})
        record = CaseRecord(
            facts=facts,
            policy=policy,
            state=machine_graph().initial,
            case_type=facts.type,
            agreed_amount=facts.requested_amount,
            now=facts.opened_at,
        )
        case = cls(record)
        CaseRules(Binding(record)).on_enter_state(CaseMachine.requested)
        data = facts.model_dump(mode="json")
        if policy != Policy():
            data["policy"] = policy.model_dump(mode="json", exclude_defaults=True)
        case._log("open", Actor.buyer(facts.buyer_id), facts.opened_at, data, None, command_id)
        return case

    @classmethod
    def reopen(cls, opening: EventRecord) -> Case:
        """The case opened again from its recorded ``open`` event (a log's first row)."""
        facts = dict(opening.data)
        policy = facts.pop("policy", None)
        return cls.open(facts, policy=policy, command_id=opening.command_id)

    # -- reading ---------------------------------------------------------------------------
    @property
    def case_id(self) -> str:
        return self.record.facts.case_id

    @property
    def state(self) -> str:
        return self.record.state

    @property
    def final(self) -> bool:
        """The case reached a final state: it absorbs every further event."""
        return self.record.state in machine_graph().final

    @property
    def path(self) -> list[str]:
        """Every state entered, in order, transient ones included."""
        return list(self.record.path)

    @property
    def events(self) -> list[EventRecord]:
        """Every recorded event: the opening, accepted commands and fired timers."""
        return list(self.record.events)

    @property
    def liability(self) -> str | None:
        """The party the platform's ruling holds responsible, once it has ruled."""
        return self.record.liability

    @property
    def liability_rules(self) -> tuple[str, ...]:
        return self.record.liability_rules

    @property
    def refund_amount(self) -> int | None:
        """What was actually refunded, in fen."""
        return self.record.refund_amount

    @property
    def timer(self) -> Timer | None:
        """The deadline running now, if any."""
        return self.record.timer

    @property
    def version(self) -> int:
        """How many events the case has recorded."""
        return self.record.seq

    @property
    def last_at(self) -> datetime:
        """When the last recorded event happened."""
        assert self.record.last_at is not None
        return self.record.last_at

    def assess(self) -> Assessment:
        """Judge liability now (spec section 6); only for a rejected or intervened case."""
        if not can_assess(self.record):
            raise not_allowed("assess", self.state, "it was neither rejected nor intervened")
        return assess(self.record)

    # -- commands --------------------------------------------------------------------------
    def send(
        self,
        event: str,
        *,
        actor: Actor,
        at: datetime | str,
        command_id: str | None = None,
        **data: Any,
    ) -> EventRecord:
        """Apply one command and return its event record; raise :class:`AftersalesError` if refused.

        A ``command_id`` seen before returns the first result and changes nothing.
        """
        if command_id is not None and command_id in self.record.commands:
            return self.recorded(self.record.commands[command_id])
        when, payload = self._check_input(event, at, data)
        self._check_actor(event, actor)
        self.fire_due_timers(when)
        return self._apply(event, actor, when, payload, command_id)

    def recorded(self, seq: int) -> EventRecord:
        """The event with sequence number ``seq``, from the events held in memory."""
        for event in reversed(self.record.events):
            if event.seq == seq:
                return event
        raise LookupError(f"event {seq} of case {self.case_id} is not loaded")

    def fire_due_timers(self, now: datetime | str) -> list[EventRecord]:
        """Fire, in due order, every timer due at or before ``now``, each at its due time."""
        now = parse_time(now)
        fired = []
        while self.record.timer is not None and self.record.timer.due <= now:
            due = self.record.timer.due
            fired.append(self._apply("expire", Actor.system(), due, NoData(), None))
        return fired

    def allowed(
        self, actor: Actor, *, at: datetime | str | None = None, **data: Any
    ) -> dict[str, Verdict]:
        """For every event: would ``actor`` be allowed to send it now with ``data``, and why not.

        Runs the very same checks as :meth:`send` on a copy of the case.
        """
        return {event: self.would(event, actor, at=at, **data) for event in EVENT_ROLES}

    def would(
        self, event: str, actor: Actor, *, at: datetime | str | None = None, **data: Any
    ) -> Verdict:
        """What one event would do now; fields of ``data`` the event does not take are ignored."""
        return self._probe(event, actor, at, data)

    def copy(self) -> Case:
        """An independent copy of the case."""
        return Case(copy.deepcopy(self.record))

    # -- internals -------------------------------------------------------------------------
    def _probe(
        self, event: str, actor: Actor, at: datetime | str | None, data: Mapping[str, Any]
    ) -> Verdict:
        probe = self.copy()
        fields = {k: v for k, v in data.items() if k in EVENT_DATA[event].model_fields}
        when = at if at is not None else self.last_at
        risk: tuple[str, ...] | None = None  # judged only for a rejection the state allows
        try:
            if event == "reject":
                probe.fire_due_timers(when)
                if event in machine_graph().events_from(probe.state):
                    evidence = parse(RejectData, fields).evidence
                    risk = rejection_findings(probe.record, probe.state, evidence)
            probe.send(event, actor=actor, at=when, **fields)
        except AftersalesError as err:
            return Verdict(
                event,
                False,
                err.code,
                err.message_en,
                err.message_zh,
                defensible=None if risk is None else not risk,
                risk=risk or (),
            )
        return Verdict(
            event,
            True,
            state_after=probe.state,
            defensible=None if risk is None else not risk,
            risk=risk or (),
        )

    def _check_input(
        self, event: str, at: datetime | str, data: Mapping[str, Any]
    ) -> tuple[datetime, Strict]:
        if event not in EVENT_ROLES:
            raise InvalidInput(f"Unknown event {event!r}.", f"未知事件 {event!r}。", "event")
        when = parse_time(at)
        if when < self.last_at:
            raise InvalidInput(
                f"at {when.isoformat()} goes back before the case's last event at "
                f"{self.last_at.isoformat()}.",
                f"时间 {when.isoformat()} 早于本售后单上一事件的时间 {self.last_at.isoformat()}。",
                "at",
            )
        payload = parse(EVENT_DATA[event], data)
        limit = self.record.policy.max_message_chars
        for name in TEXT_FIELDS:
            text = getattr(payload, name, None)
            if isinstance(text, str) and len(text) > limit:
                raise InvalidInput(
                    f"{name} has {len(text)} characters; at most {limit} are allowed.",
                    f"{name} 共 {len(text)} 个字符,最多允许 {limit} 个。",
                    name,
                )
        return when, payload

    def _check_actor(self, event: str, actor: Actor) -> None:
        role = EVENT_ROLES[event]
        if actor.role != role:
            raise PermissionDenied(
                f"Only the {role} may {event}, not the {actor.role}.",
                f"只有{role}可以执行 {event},{actor.role} 不可以。",
                "actor",
            )
        party = {"merchant": self.record.facts.shop_id, "buyer": self.record.facts.buyer_id}
        if role in party and actor.id != party[role]:
            raise PermissionDenied(
                f"{role} {actor.id!r} is not a party to case {self.case_id}.",
                f"{role} {actor.id!r} 不是售后单 {self.case_id} 的当事方。",
                "actor",
            )

    def _apply(
        self, event: str, actor: Actor, at: datetime, payload: Strict, command_id: str | None
    ) -> EventRecord:
        record = self.record
        before = record.state
        if event not in machine_graph().events_from(before):
            raise not_allowed(event, before)
        saved = record.now, record.note
        record.now, record.note = at, {}
        try:
            machine_for(record).send(event, payload=payload)
        except BaseException as exc:
            # Guards run before any action, so only the command's clock needs restoring.
            record.now, record.note = saved
            if isinstance(exc, EngineNotAllowed):  # pragma: no cover - routings end in fallbacks
                raise not_allowed(event, before) from exc
            raise
        data = payload.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        return self._log(event, actor, at, data, before, command_id)

    def _log(
        self,
        event: str,
        actor: Actor,
        at: datetime,
        data: dict[str, Any],
        before: str | None,
        command_id: str | None,
    ) -> EventRecord:
        record = self.record
        entry = EventRecord(
            seq=record.next_seq,
            event=event,
            actor=actor,
            at=at,
            data=data,
            state_before=before,
            state_after=record.state,
            command_id=command_id,
            note=dict(record.note),
            timer=record.timer,
        )
        record.events.append(entry)
        record.seq, record.last_at = entry.seq, at
        if command_id is not None:
            record.commands[command_id] = entry.seq
        return entry


def open_case(
    facts: CaseFacts | Mapping[str, Any] | None = None,
    *,
    policy: Policy | Mapping[str, Any] | None = None,
    command_id: str | None = None,
    **fields: Any,
) -> Case:
    """Open an after-sales case in memory; see :meth:`Case.open`."""
    return Case.open(facts, policy=policy, command_id=command_id, **fields)

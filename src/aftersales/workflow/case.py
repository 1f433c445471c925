"""One case in memory: the public face of the workflow.

A command is checked in this order: its input, the actor, the state, then the
event's own guards. A ``command_id`` seen before is looked up once the input and actor are
checked: the same command returns its first result, another command under the same id is
``conflict``. Before a command acts, every timer due at or before its time fires, each at its
own due time. A refused command changes nothing.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .dispatch import EXECUTORS, Engine
from .errors import AftersalesError, Conflict, InvalidInput, PermissionDenied
from .graph import machine_graph
from .inputs import (
    DEFAULT_POLICY,
    TEXT_FIELDS,
    CaseFacts,
    Id,
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
from .record import Actor, Binding, CaseRecord, Command, EventRecord, Timer
from .rules import CaseRules, application_limit, not_allowed
from .vocabulary import EVENT_DATA, EVENT_ROLES, TRACKING_EVENTS, WORKFLOW_VERSION, Origin

Lookup = Callable[[str], EventRecord | None]
"""Finds the event recorded under a ``command_id`` (a store looks in its log)."""


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

    def __init__(
        self,
        record: CaseRecord,
        events: list[EventRecord] | None = None,
        *,
        lookup: Lookup | None = None,
        engine: Engine = "compiled",
    ) -> None:
        self.record = record
        self._events: list[EventRecord] = list(events or ())
        self._commands: dict[str, EventRecord] | None = None  # by command id, once asked
        self._lookup = lookup
        self._engine = engine
        self._run = EXECUTORS[engine]

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        facts: CaseFacts | Mapping[str, Any],
        *,
        policy: Policy | Mapping[str, Any] | None = None,
        command_id: str | None = None,
        origin: str = "local",
        prior_applications: int = 0,
        engine: Engine = "compiled",
    ) -> Case:
        """Open a case from its facts, in ``requested``, its timer
        running.

        ``prior_applications`` counts the applications earlier cases of the same product line
        made (a store counts them); the platform allows ``max_applications`` in all.
        """
        return cls._opened(
            facts, policy, command_id, origin, prior_applications, WORKFLOW_VERSION, engine
        )

    @classmethod
    def reopen(cls, opening: EventRecord, *, engine: Engine = "compiled") -> Case:
        """The case opened again, as it was, from its recorded ``open`` event (a log's first)."""
        facts = dict(opening.data)
        policy = facts.pop("policy", None)
        return cls._opened(
            facts,
            policy,
            opening.command_id,
            opening.origin,
            int(opening.note.get("prior_applications", 0)),
            int(opening.note.get("workflow_version", 1)),  # v1 logs do not say
            engine,
        )

    @classmethod
    def _opened(
        cls,
        facts: CaseFacts | Mapping[str, Any],
        policy: Policy | Mapping[str, Any] | None,
        command_id: str | None,
        origin: str,
        prior_applications: int,
        version: int,
        engine: Engine,
    ) -> Case:
        if not isinstance(facts, CaseFacts):
            facts = parse(CaseFacts, facts)
        check_facts(facts)
        if policy is None:
            policy = DEFAULT_POLICY
        elif not isinstance(policy, Policy):
            policy = parse(Policy, policy)
        _check_command_id(command_id)
        _check_origin(origin)
        if not isinstance(prior_applications, int) or prior_applications < 0:
            raise InvalidInput(
                "prior_applications is a count.", "prior_applications 须为计数。", "prior"
            )
        if prior_applications >= policy.max_applications:
            raise application_limit(policy.max_applications)
        record = CaseRecord(
            facts=facts,
            policy=policy,
            state=machine_graph().initial,
            case_type=facts.type,
            requested_amount=facts.requested_amount,
            buyer_reason=facts.buyer_reason,
            agreed_amount=facts.requested_amount,
            workflow_version=version,
            prior_applications=prior_applications,
        )
        CaseRules(Binding(record, Command(facts.opened_at))).on_enter_state(CaseMachine.requested)
        data = facts.model_dump(mode="json")
        if policy != DEFAULT_POLICY:
            data["policy"] = policy.model_dump(mode="json", exclude_defaults=True)
        note: dict[str, Any] = {"workflow_version": version}
        if prior_applications:
            note["prior_applications"] = prior_applications
        case = cls(record, engine=engine)
        opening = EventRecord(
            seq=1,
            event="open",
            actor=Actor.buyer(facts.buyer_id),
            at=facts.opened_at,
            data=data,
            state_before=None,
            state_after=record.state,
            command_id=command_id,
            origin=origin,
            note=note,
            timer=record.timer,
            entered=(record.state,),
        )
        case._append(opening)
        return case

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
        """Every state entered, in order, transient ones included (of the events held)."""
        return [state for event in self._events for state in event.entered]

    @property
    def events(self) -> list[EventRecord]:
        """The recorded events held: all of them for a case built in memory or read from a
        store; a store's case loaded for a command holds only the events it adds."""
        return list(self._events)

    @property
    def tracking(self) -> str | None:
        """The waybill of the parcel last recorded (of the events held): the ``tracking`` of the
        last ``ship_return``, ``reship``, ``intercept`` or ``update_tracking``. Read from the
        log, not kept in the record."""
        for event in reversed(self._events):
            if event.event in TRACKING_EVENTS:
                return str(event.data["tracking"])
        return None

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
        """Judge liability now; only for a rejected or intervened case
        (docs/concepts/liability.md)."""
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
        data: Mapping[str, Any] | None = None,
        command_id: str | None = None,
        origin: str = "local",
        inferred: bool = False,
    ) -> EventRecord:
        """Apply one command and return its event record; raise :class:`AftersalesError` if
        refused. ``data`` holds the event's own fields (docs/reference/events.md); ``origin``
        says where the event was learned, and ``inferred`` marks a platform event the caller
        deduced rather than read (its note says ``inferred: true``).

        A ``command_id`` seen before returns the first result and changes nothing when it names
        the same command; for another actor, event or data it is ``conflict``.
        """
        when, payload = self._check_input(event, at, data, command_id, origin)
        if inferred is not False and (inferred is not True or origin != "platform"):
            raise InvalidInput(
                "Only a platform event can be inferred.", "只有平台事件可以是推断的。", "inferred"
            )
        self._check_actor(event, actor)
        if command_id is not None:
            first = self._recorded(command_id)
            if first is not None:
                return _same_command(first, event, actor, payload)
        self._check_time(when)
        self._fire_due(when)
        return self._apply(event, actor, when, payload, command_id, origin, inferred)

    def fire_due_timers(self, at: datetime | str) -> list[EventRecord]:
        """Fire, in due order, every timer due at or before ``at``, each at its due time; a
        timer the platform owns never fires here: see :meth:`due_for_fetch`."""
        return self._fire_due(parse_time(at, "at"))

    def _fire_due(self, when: datetime) -> list[EventRecord]:
        fired = []
        while self.record.timer is not None and self.record.timer.due <= when:
            if self.record.platform_owns(self.record.timer):
                break
            due = self.record.timer.due
            fired.append(self._apply("expire", Actor.system(), due, NoData(), None, "local"))
        return fired

    def due_for_fetch(self, now: datetime | str) -> Timer | None:
        """The platform-owned timer that fell due by ``now``: the case waits for
        WeChat's word, fetched and synced, instead of expiring here."""
        now = parse_time(now, "now")
        timer = self.record.timer
        if timer is not None and timer.due <= now and self.record.platform_owns(timer):
            return timer
        return None

    def allowed(
        self,
        actor: Actor,
        *,
        at: datetime | str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> dict[str, Verdict]:
        """For every event: would ``actor`` be allowed to send it now with ``data``, and why not.

        Runs the very same checks as :meth:`send` on a copy of the case.
        """
        return {event: self.would(event, actor, at=at, data=data) for event in EVENT_ROLES}

    def would(
        self,
        event: str,
        actor: Actor,
        *,
        at: datetime | str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """What one event would do now; fields of ``data`` the event does not take are ignored."""
        model = EVENT_DATA.get(event)
        fields = {}
        if model is not None and isinstance(data, Mapping):
            fields = {k: v for k, v in data.items() if k in model.model_fields}
        probe = self.copy()
        when = at if at is not None else self.last_at
        risk: tuple[str, ...] | None = None  # judged only for a rejection the state allows
        try:
            if event == "reject":
                probe.fire_due_timers(when)
                if event in machine_graph().events_from(probe.state):
                    evidence = parse(RejectData, fields).evidence
                    risk = rejection_findings(probe.record, probe.state, evidence)
            probe.send(event, actor=actor, at=when, data=fields)
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

    def copy(self) -> Case:
        """An independent copy of the case (what-if questions are asked of one).

        A shallow copy of the record is enough: every value it holds is immutable (frozen
        facts, policy, negotiation, rejection, timer; tuples and frozensets), and the rules
        only ever rebind its attributes.
        """
        return Case(copy.copy(self.record), self._events, engine=self._engine)

    # -- internals -------------------------------------------------------------------------
    def _check_input(
        self,
        event: str,
        at: datetime | str,
        data: Mapping[str, Any] | None,
        command_id: str | None,
        origin: str,
    ) -> tuple[datetime, Strict]:
        if not isinstance(event, str) or event not in EVENT_ROLES:
            raise InvalidInput(
                f"Unknown event {event!r:.80}.", f"未知事件 {event!r:.80}。", "event"
            )
        when = parse_time(at)
        _check_command_id(command_id)
        _check_origin(origin)
        version = self.record.workflow_version
        model = EVENT_DATA[event]
        if not data and isinstance(data, Mapping | None):  # validated once per model and version
            payload = _empty_payload(model, version)
        else:
            payload = parse(model, data, {"workflow_version": version})
        limit = self.record.policy.max_message_chars
        for name in _text_fields(model):
            text = getattr(payload, name)
            if isinstance(text, str) and len(text) > limit:
                raise InvalidInput(
                    f"{name} has {len(text)} characters; at most {limit} are allowed.",
                    f"{name} 共 {len(text)} 个字符,最多允许 {limit} 个。",
                    name,
                )
        return when, payload

    def _check_time(self, when: datetime) -> None:
        if when < self.last_at:
            raise InvalidInput(
                f"at {when.isoformat()} goes back before the case's last event at "
                f"{self.last_at.isoformat()}.",
                f"时间 {when.isoformat()} 早于本售后单上一事件的时间 {self.last_at.isoformat()}。",
                "at",
            )

    def _check_actor(self, event: str, actor: Actor) -> None:
        if (
            not isinstance(actor, Actor)
            or not isinstance(actor.role, str)
            or not isinstance(actor.id, str | None)
        ):
            raise InvalidInput(
                "actor must be an Actor such as Actor.merchant(shop_id).",
                "actor 必须是 Actor,例如 Actor.merchant(shop_id)。",
                "actor",
            )
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
                f"{role} {actor.id!r:.80} is not a party to case {self.case_id}.",
                f"{role} {actor.id!r:.80} 不是售后单 {self.case_id} 的当事方。",
                "actor",
            )

    def _recorded(self, command_id: str) -> EventRecord | None:
        if self._lookup is not None:
            return self._lookup(command_id)
        if self._commands is None:  # built once and kept up to date: a long log stays linear
            self._commands = {}
            for event in reversed(self._events):  # the first event of an id wins
                if event.command_id is not None:
                    self._commands[event.command_id] = event
        return self._commands.get(command_id)

    def _apply(
        self,
        event: str,
        actor: Actor,
        at: datetime,
        payload: Strict,
        command_id: str | None,
        origin: str,
        inferred: bool = False,
    ) -> EventRecord:
        record = self.record
        before = record.state
        command = Command(at, origin, {"inferred": True} if inferred else {})
        entered = self._run(record, event, payload, command)
        data = payload.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        entry = EventRecord(
            seq=record.next_seq,
            event=event,
            actor=actor,
            at=at,
            data=data,
            state_before=before,
            state_after=record.state,
            command_id=command_id,
            origin=origin,
            note=command.note,
            timer=record.timer,
            entered=tuple(entered),
        )
        self._append(entry)
        return entry

    def _append(self, entry: EventRecord) -> None:
        self._events.append(entry)
        if self._commands is not None and entry.command_id is not None:
            self._commands.setdefault(entry.command_id, entry)
        self.record.seq, self.record.last_at = entry.seq, entry.at


@functools.cache
def _text_fields(model: type[Strict]) -> tuple[str, ...]:
    """The free-text fields of an event's data model (looked up once per model)."""
    return tuple(name for name in TEXT_FIELDS if name in model.model_fields)


_EMPTY: dict[tuple[type[Strict], int], Strict | InvalidInput] = {}


def _empty_payload(model: type[Strict], version: int) -> Strict:
    """The data of a command sent without any, validated once per model and contract version
    (a payload is immutable); its refusal, when the event needs data, raised each time."""
    key = (model, version)
    found = _EMPTY.get(key)
    if found is None:
        try:
            found = parse(model, {}, {"workflow_version": version})
        except InvalidInput as err:
            found = err
        _EMPTY[key] = found
    if isinstance(found, InvalidInput):
        raise InvalidInput(found.message_en, found.message_zh, found.field)
    return found


def _check_command_id(command_id: object) -> None:
    if command_id is not None:
        parse(_CommandId, {"command_id": command_id})


def _check_origin(origin: object) -> None:
    if origin not in Origin.__members__:
        raise InvalidInput(
            "origin is local or platform.", "origin 只能是 local 或 platform。", "origin"
        )


class _CommandId(Strict):
    command_id: Id


def _same_command(first: EventRecord, event: str, actor: Actor, payload: Strict) -> EventRecord:
    """The first result of a repeated command, or ``conflict`` if the id names another one."""
    data = payload.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    if (first.event, first.actor, first.data) == (event, actor, data):
        return first
    raise Conflict(
        f"command_id {first.command_id!r} was used for another command (event {first.seq}: "
        f"{first.event}); use a new id for a new command.",
        f"command_id {first.command_id!r} 已用于另一条指令(事件 {first.seq}:{first.event}),"
        "新指令请使用新的 command_id。",
        "command_id",
    )


def open_case(
    facts: CaseFacts | Mapping[str, Any],
    *,
    policy: Policy | Mapping[str, Any] | None = None,
    command_id: str | None = None,
    origin: str = "local",
) -> Case:
    """Open an after-sales case in memory; see :meth:`Case.open`."""
    return Case.open(facts, policy=policy, command_id=command_id, origin=origin)

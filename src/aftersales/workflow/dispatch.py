"""How a command moves a case: a dispatch table compiled from :class:`CaseMachine`, and
python-statemachine itself as the reference executor.

The table is derived at import, never written by hand: for every state and event, the ordered
transitions the machine declares, each with its validators, conditions and actions resolved to
the methods of :class:`CaseRules` by python-statemachine's own naming conventions
(``before_<event>``, ``on_exit_state``, ``on_<event>``, ``on_enter_state``, ...), and the
eventless transitions each state resolves at once. It runs them as the engine does: candidates
in declaration order, each one's validators first (their errors are the refusals), the first
whose conditions all hold is taken; then eventless transitions until none applies.

A differential test runs both executors over random command sequences and requires the same
states, records, errors and liability; ``aftersales verify --engine psm`` replays stored cases
through the engine.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Literal

from statemachine import State
from statemachine.exceptions import InvalidDefinition
from statemachine.exceptions import TransitionNotAllowed as EngineNotAllowed

from .machine import CaseMachine
from .record import Binding, CaseRecord, Command
from .rules import CaseRules, not_allowed

Engine = Literal["compiled", "psm"]
KWARGS: Final = ("payload", "event", "source", "target", "state")
"""What a guard or action may ask for by name (eventless transitions get no ``payload``, as in
the engine: an event's arguments go to the transition it triggers)."""


@dataclass(frozen=True)
class Call:
    """One guard or action of :class:`CaseRules`, with the arguments it takes by name."""

    name: str
    func: Callable[..., Any]
    params: tuple[str, ...]

    def __call__(self, rules: CaseRules, kwargs: dict[str, Any]) -> Any:
        return self.func(rules, *[kwargs[p] for p in self.params])


@dataclass(frozen=True)
class CompiledStep:
    """One compiled transition."""

    source: State
    target: State
    event: str | None
    internal: bool
    validators: tuple[Call, ...]
    conds: tuple[Call, ...]
    before: tuple[Call, ...]
    exit: tuple[Call, ...]
    on: tuple[Call, ...]
    enter: tuple[Call, ...]
    after: tuple[Call, ...]

    @property
    def stays(self) -> bool:
        """An internal transition to its own state: no state is left or entered."""
        return self.internal and self.source is self.target


def _call(name: str, convention: bool) -> Call | None:
    func = getattr(CaseRules, name, None)
    if func is None:
        if convention:
            return None  # python-statemachine calls a convention name only where it exists
        raise InvalidDefinition(f"CaseRules has no {name!r}, named by CaseMachine")
    if not name.isidentifier():
        raise InvalidDefinition(f"{name!r}: only plain guard names are compiled")
    params = tuple(inspect.signature(func).parameters)[1:]
    unknown = set(params) - set(KWARGS)
    if unknown:
        raise InvalidDefinition(f"CaseRules.{name} takes {sorted(unknown)}, not given by events")
    return Call(name, func, params)


def _calls(specs: Iterable[Any]) -> tuple[Call, ...]:
    found = []
    for spec in sorted(specs, key=lambda s: s.priority):  # the engine's own order
        if spec.expected_value is False:
            raise InvalidDefinition(f"negated guard {spec}: not compiled")
        call = _call(spec.attr_name, spec.is_convention)
        if call is not None:
            found.append(call)
    return tuple(found)


def _step(transition: Any, event: str | None) -> CompiledStep:
    return CompiledStep(
        source=transition.source,
        target=transition.target,
        event=event,
        internal=bool(transition.internal),
        validators=_calls(transition.validators),
        conds=_calls(transition.cond),
        before=_calls(transition.before),
        exit=_calls(transition.source.exit),
        on=_calls(transition.on),
        enter=_calls(transition.target.enter),
        after=_calls(transition.after),
    )


@dataclass(frozen=True)
class Table:
    """The compiled machine: candidates by (state, event), eventless ones by state."""

    steps: dict[tuple[str, str], tuple[CompiledStep, ...]]
    eventless: dict[str, tuple[CompiledStep, ...]]


@cache
def table() -> Table:
    """The dispatch table of :class:`CaseMachine`, compiled once."""
    steps: dict[tuple[str, str], list[CompiledStep]] = {}
    eventless: dict[str, list[CompiledStep]] = {}
    for state in CaseMachine.states:
        for transition in state.transitions:
            if len(transition.targets) != 1:
                raise InvalidDefinition(f"{transition}: one target per transition is compiled")
            names = [str(e) for e in transition.events]
            if not names:
                eventless.setdefault(state.value, []).append(_step(transition, None))
            for name in names:
                steps.setdefault((state.value, name), []).append(_step(transition, name))
    return Table(
        {key: tuple(found) for key, found in steps.items()},
        {key: tuple(found) for key, found in eventless.items()},
    )


def run_compiled(record: CaseRecord, event: str, payload: Any, command: Command) -> list[str]:
    """Apply ``event`` to ``record`` through the compiled table; the states entered."""
    compiled = table()
    rules = CaseRules(Binding(record, command))
    entered: list[str] = []
    for step in compiled.steps.get((record.state, event), ()):
        context = {"payload": payload, "event": event, "source": step.source, "target": step.target}
        for validator in step.validators:
            validator(rules, context)
        if all(cond(rules, context) for cond in step.conds):
            _take(step, rules, context, entered)
            break
    else:
        raise not_allowed(event, record.state)
    while True:
        for step in compiled.eventless.get(record.state, ()):
            context = {"event": None, "source": step.source, "target": step.target}
            if all(cond(rules, context) for cond in step.conds):
                _take(step, rules, context, entered)
                break
        else:
            return entered


def _take(
    step: CompiledStep, rules: CaseRules, context: dict[str, Any], entered: list[str]
) -> None:
    for action in step.before:
        action(rules, {**context, "state": step.source})
    if not step.stays:
        for action in step.exit:
            action(rules, {**context, "state": step.source})
    for action in step.on:
        action(rules, {**context, "state": step.source})
    if not step.stays:
        rules.record.state = step.target.value
        entered.append(step.target.value)
        for action in step.enter:
            action(rules, {**context, "state": step.target})
    for action in step.after:
        action(rules, {**context, "state": step.target})


class _Entered:
    """A listener of the reference engine that notes the states it enters."""

    def __init__(self) -> None:
        self.states: list[str] = []

    def on_enter_state(self, state: State) -> None:
        self.states.append(state.value)


_pool = threading.local()


def run_psm(record: CaseRecord, event: str, payload: Any, command: Command) -> list[str]:
    """Apply ``event`` through python-statemachine itself: the reference executor."""
    machine: CaseMachine | None = getattr(_pool, "machine", None)
    if machine is None or machine.is_terminated:
        # A machine that reached a final state has ended its run; a new one is bound before
        # it is built, so it finds a state and enters no initial one.
        binding, tracker = Binding(record), _Entered()
        machine = CaseMachine(model=binding, listeners=[CaseRules(binding), tracker])
        _pool.machine, _pool.binding, _pool.tracker = machine, binding, tracker
    _pool.binding.record, _pool.binding.command = record, command
    tracker = _pool.tracker
    tracker.states = []
    try:
        machine.send(event, payload=payload)
    except EngineNotAllowed as exc:
        raise not_allowed(event, record.state) from exc
    return list(tracker.states)


Executor = Callable[[CaseRecord, str, Any, Command], list[str]]
EXECUTORS: Final[dict[str, Executor]] = {
    "compiled": run_compiled,
    "psm": run_psm,
}
"""Every executor by name: the compiled table (the default) and the reference engine."""

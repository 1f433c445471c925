"""Each fact is declared once: a state's label, next actor, phase and timer in one row, an event's
role, label and data in one row, a goods category in one row, and a group of states used in more
than one place under one name. The rows are held to the machine; nothing restates them."""

from __future__ import annotations

import ast
from itertools import combinations
from pathlib import Path
from typing import get_args

import aftersales
from aftersales.wechat.status import STATUSES, status_for
from aftersales.workflow import machine
from aftersales.workflow.graph import machine_graph
from aftersales.workflow.inputs import SEVEN_DAY_RETURN, SPECIAL_CATEGORIES, CaseFacts
from aftersales.workflow.vocabulary import (
    DEADLINE_STATES,
    EVENTS,
    MERCHANT_TURN,
    OPEN_STATES,
    STATES,
)

PACKAGE = Path(aftersales.__file__).parent


def literal_keys(tree: ast.AST) -> list[tuple[int, set[str]]]:
    """(line, string keys) of every dict literal."""
    return [
        (node.lineno, {k.value for k in node.keys if isinstance(k, ast.Constant)})
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
    ]


def tables_keyed_by(ids: set[str]) -> list[str]:
    """Every dict literal in the package keyed by half of ``ids`` or more: a table of them all,
    not one about a few (the quiz's frames for three merchant moves, say)."""
    least = max(3, len(ids) // 2)
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, keys in literal_keys(ast.parse(path.read_text(encoding="utf-8"))):
            if len(keys & ids) >= least:
                found.append(f"{path.relative_to(PACKAGE)}:{line}")
    return found


def test_the_state_rows_are_the_machines_states_in_its_order():
    graph = machine_graph()
    assert tuple(STATES) == graph.states
    assert {s for s, info in STATES.items() if info.next_actor is None} >= graph.final


def test_the_event_rows_are_the_machines_events():
    assert set(EVENTS) == set(machine_graph().events)
    assert len(EVENTS) == len(machine_graph().events)


def test_one_table_is_keyed_by_the_states_and_one_by_the_events():
    assert [t.split(":")[0] for t in tables_keyed_by(set(STATES))] == ["workflow/vocabulary.py"]
    assert [t.split(":")[0] for t in tables_keyed_by(set(EVENTS))] == ["workflow/vocabulary.py"]


def test_categories_are_one_table_the_input_type_reads():
    category = CaseFacts.model_fields["category"].annotation
    assert get_args(category) == tuple(SEVEN_DAY_RETURN)
    assert {"virtual", "fresh", "plants", "custom"} == SPECIAL_CATEGORIES
    tables = [t.split(":")[0] for t in tables_keyed_by(set(SEVEN_DAY_RETURN))]
    # The one other table is the trainee's labels of each category.
    assert tables == ["diagrams/labels.py", "workflow/inputs.py"]


def state_lists() -> list[tuple[int, frozenset[str]]]:
    """Every call in machine.py that names states one by one: (line, the states named)."""
    tree = ast.parse(Path(machine.__file__).read_text(encoding="utf-8"))
    names = {
        target.id: stmt.value
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.Assign)
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }
    states = {
        name
        for name, value in names.items()
        if isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "State"
    }
    return [
        (call.lineno, frozenset(a.id for a in call.args if isinstance(a, ast.Name)) & states)
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
    ]


def test_no_group_of_states_is_listed_twice_in_the_machine():
    lists = [(line, found) for line, found in state_lists() if len(found) >= 2]
    assert lists, "the machine names some states one by one"
    for (one, a), (two, b) in combinations(lists, 2):
        assert len(a & b) < 3, f"machine.py:{one} and :{two} both list {sorted(a & b)}: name it"


def string_groups(path: Path) -> list[tuple[int, frozenset[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, frozenset(e.value for e in node.elts if isinstance(e, ast.Constant)))
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple | ast.List | ast.Set)
    ]


def test_the_merchants_turn_is_named_wherever_it_is_used():
    turn = frozenset(MERCHANT_TURN)
    spelled = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, group in string_groups(path)
        if turn <= group
    ]
    assert spelled == []
    assert STATUSES["MERCHANT_PROCESSING"] is MERCHANT_TURN
    for state in MERCHANT_TURN:
        assert status_for(state, "refund") == "MERCHANT_PROCESSING"


def test_the_groups_are_what_the_machine_does_from_them():
    edges = machine_graph().edges
    sources = {
        event: {e.source for e in edges if e.event == event}
        for event in ("agree", "negotiate", "close", "set_deadline", "expire")
    }
    assert sources["agree"] == sources["negotiate"] == set(MERCHANT_TURN)
    assert sources["close"] == set(OPEN_STATES)
    assert sources["set_deadline"] == sources["expire"] == set(DEADLINE_STATES)
    assert MERCHANT_TURN == ("requested", "buyer_declined", "buyer_timed_out", "evidence_supplied")

"""The fast paths decide exactly as the plain ones: a store with its record cache, a store
without it, and a case in memory, given the same random commands, agree on every outcome; a
batched sweep writes the same rows as sweeping each case alone."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales import AftersalesError, open_case
from aftersales.storage import CaseStore
from aftersales.storage.tables import case_table, event_table, feed_table, timer_table
from aftersales.storage.verify import verify_all
from aftersales.workflow.record import Timer
from tests.support import T0, facts
from tests.workflow.explore import COMMANDS, FACT_VARIANTS, actor_for

steps = st.lists(
    st.tuples(st.sampled_from([("tick", {}), *COMMANDS]), st.integers(0, 72)),
    min_size=1,
    max_size=12,
)


def apply(target, event: str, data: dict, when) -> tuple:
    """One step on a store or a case in memory, as a comparable outcome."""
    if event == "tick":
        fired = target.fire_due_timers(when)
        return ("fired", fired if isinstance(fired, int) else len(fired))
    return apply_to(target, "C1", event, data, when)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(variant=st.sampled_from(sorted(FACT_VARIANTS)), plan=steps)
def test_cached_uncached_and_memory_agree(tmp_path_factory, variant, plan):
    folder = tmp_path_factory.mktemp("fast")
    cached = CaseStore(f"sqlite:///{folder / 'a.db'}")
    plain = CaseStore(f"sqlite:///{folder / 'b.db'}", cache_size=0)
    for store in (cached, plain):
        store.create_schema()
        store.open_case(facts(**FACT_VARIANTS[variant]))
    memory = open_case(facts(**FACT_VARIANTS[variant]))
    when = T0
    for (event, data), hours in plan:
        when = when + timedelta(hours=hours)
        results = [apply(target, event, data, when) for target in (cached, plain, memory)]
        assert results[0] == results[1] == results[2], (event, results)
    histories = [
        [(e.seq, e.event, e.state_after) for e in s.history("C1")] for s in (cached, plain)
    ]
    assert histories[0] == histories[1] == [(e.seq, e.event, e.state_after) for e in memory.events]
    for store in (cached, plain):
        store.engine.dispose()


case_plans = st.lists(
    st.tuples(
        st.sampled_from(sorted(FACT_VARIANTS)),
        st.lists(st.tuples(st.sampled_from(COMMANDS), st.integers(0, 72)), max_size=6),
    ),
    min_size=2,
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=case_plans, sweep_after=st.integers(0, 24 * 60))
def test_one_batched_sweep_writes_what_sweeps_case_by_case_write(
    tmp_path_factory, cases, sweep_after
):
    """The sweep writes a whole batch with one statement each; a sweep of each case alone and
    the cases in memory must come out the same, timer chains included."""
    folder = tmp_path_factory.mktemp("sweep")
    batched = CaseStore(f"sqlite:///{folder / 'a.db'}")
    alone = CaseStore(f"sqlite:///{folder / 'b.db'}", cache_size=0)
    memory = {}
    latest = T0
    for store in (batched, alone):
        store.create_schema()
    for n, (variant, plan) in enumerate(cases):
        case_id = f"C{n}"
        opened = facts(case_id=case_id, **FACT_VARIANTS[variant])
        memory[case_id] = open_case(opened)
        for store in (batched, alone):
            store.open_case(opened)
        when = T0
        for (event, data), hours in plan:
            when += timedelta(hours=hours)
            results = [
                apply_to(target, case_id, event, data, when)
                for target in (batched, alone, memory[case_id])
            ]
            assert results[0] == results[1] == results[2], (case_id, event, results)
        latest = max(latest, when)
    now = latest + timedelta(hours=sweep_after)

    fired = batched.fire_due_timers(now, limit=len(cases))
    assert fired == sum(alone.fire_due_timers(now, case_id=case_id) for case_id in memory)
    assert fired == sum(len(case.fire_due_timers(now)) for case in memory.values())
    assert batched.fire_due_timers(now) == 0

    assert dump(batched) == dump(alone)
    for case_id, case in memory.items():
        assert [(e.seq, e.event, e.state_after, e.at) for e in batched.history(case_id)] == [
            (e.seq, e.event, e.state_after, e.at) for e in case.events
        ]
        assert batched.get(case_id).state == case.state
        assert timer_rows(batched, case_id) == timers_of(case)
    assert verify_all(batched) == []
    for store in (batched, alone):
        store.engine.dispose()


def apply_to(target, case_id: str, event: str, data: dict, when) -> tuple:
    """One command on a store or a case in memory, as a comparable outcome."""
    try:
        if isinstance(target, CaseStore):
            record = target.send(case_id, event, actor=actor_for(event), at=when, **data)
        else:
            record = target.send(event, actor=actor_for(event), at=when, **data)
    except AftersalesError as err:
        return ("refused", err.code)
    return ("ok", record.event, record.state_after)


def dump(store: CaseStore) -> dict[str, list[tuple]]:
    """Every row a sweep writes, per table, without autoincrement ids: cases, the log with its
    digests, timers and the feed in the order of each case."""
    with store.engine.connect() as conn:
        return {
            "case": sorted(tuple(row) for row in conn.execute(sa.select(case_table))),
            "event": sorted(tuple(row) for row in conn.execute(sa.select(event_table))),
            "timer": [
                tuple(row)
                for row in conn.execute(
                    sa.select(*[c for c in timer_table.columns if c.name != "id"]).order_by(
                        timer_table.c.case_id, timer_table.c.id
                    )
                )
            ],
            "feed": [
                tuple(row)
                for row in conn.execute(
                    sa.select(feed_table.c.case_id, feed_table.c.seq).order_by(
                        feed_table.c.case_id, feed_table.c.position
                    )
                )
            ],
        }


def timer_rows(store: CaseStore, case_id: str) -> list[tuple]:
    return [
        (t["kind"], t["state"], t["due_at"], t["status"], t["started_seq"], t["ended_seq"])
        for t in store.timers(case_id)
    ]


def timers_of(case) -> list[tuple]:
    """The timer rows a case's events call for: each timer started, then fired or cancelled."""
    rows: list[list] = []
    for event in case.events:
        if rows and rows[-1][3] == "running" and event.timer != _timer(rows[-1]):
            rows[-1][3:] = [
                "fired" if event.event == "expire" else "cancelled",
                rows[-1][4],
                event.seq,
            ]
        if event.timer is not None and (not rows or rows[-1][3] != "running"):
            rows.append(
                [event.timer.kind, event.timer.state, event.timer.due, "running", event.seq, None]
            )
    return [tuple(row) for row in rows]


def _timer(row: list) -> Timer:
    return Timer(row[0], row[2], row[1])

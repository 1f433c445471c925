"""The fast paths decide exactly as the plain ones: a store with its record cache, a store
without it, and a case in memory, given the same random commands, agree on every outcome."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales import AftersalesError, open_case
from aftersales.storage import CaseStore
from tests.support import T0, facts
from tests.workflow.explore import COMMANDS, FACT_VARIANTS, actor_for

steps = st.lists(
    st.tuples(st.sampled_from([("tick", {}), *COMMANDS]), st.integers(0, 72)),
    min_size=1,
    max_size=12,
)


def apply(target, event: str, data: dict, when) -> tuple:
    """One step on a store or a case in memory, as a comparable outcome."""
    try:
        if event == "tick":
            fired = target.fire_due_timers(when)
            return ("fired", fired if isinstance(fired, int) else len(fired))
        actor = actor_for(event)
        if isinstance(target, CaseStore):
            record = target.send("C1", event, actor=actor, at=when, **data)
        else:
            record = target.send(event, actor=actor, at=when, **data)
    except AftersalesError as err:
        return ("refused", err.code)
    return ("ok", record.event, record.state_after)


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

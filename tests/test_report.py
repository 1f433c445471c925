"""The report over the test corpus matches numbers counted by hand from the histories."""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.histories import MemoryTarget, replay_file
from aftersales.metrics import Period
from aftersales.storage import CaseStore
from aftersales.storage.replay import StoreTarget

HISTORIES = Path(__file__).parent / "histories"
LATER = ("v2_", "advice_", "wechat_")
"""Histories added after the figures below were counted: contract v2, the advisor, WeChat."""
CORPUS = sorted(p for p in HISTORIES.glob("*.jsonl") if not p.name.startswith(LATER))
"""The corpus of contract v1 (its figures below are counted by hand from the files)."""
V2 = sorted(HISTORIES.glob("v2_*.jsonl"))


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'corpus.db'}"
    store = CaseStore(url)
    store.create_schema()
    for path in CORPUS:
        assert replay_file(path, StoreTarget(store)).ok
    yield store
    store.engine.dispose()


def test_overall_figures(corpus_store):
    m = corpus_store.report().overall
    assert m.cases == 24
    # rejected: buyer silence, escalation window, both evidence interventions, outcome
    # override, forbid policy, returned-goods rejection
    assert (m.rejected_cases, m.direct_rejections, m.blocked_direct_rejections) == (7, 2, 1)
    assert m.rejection_rate == pytest.approx(7 / 24)
    assert (m.interventions, m.ruled, m.merchant_liable) == (6, 6, 2)
    assert m.merchant_liable_share == pytest.approx(1 / 3)
    negotiations = {(n.negotiation_type, n.reason): (n.count, n.accepted) for n in m.negotiations}
    assert negotiations == {
        ("invite_cancel", "agreed_cancel"): (2, 0),
        ("invite_cancel", "no_seven_day_return_invite_cancel"): (2, 1),
        ("invite_cancel", "shipped_interception_failed"): (1, 1),
        ("invite_cancel", "virtual_service_completed"): (3, 0),
        ("modify_request", "agreed_new_plan"): (1, 1),
        ("modify_request", "modify_amount_only"): (2, 1),
        ("modify_request", "refund_without_return"): (1, 1),
        ("request_evidence", "buyer_unreachable"): (1, 1),
    }


def test_by_category(corpus_store):
    result = corpus_store.report()
    groups = {"all": result.overall, **result.by_category}
    assert {name: g.cases for name, g in groups.items()} == {
        "all": 24,
        "custom": 1,
        "fresh": 2,
        "ordinary": 16,
        "plants": 1,
        "virtual": 4,
    }
    virtual = groups["virtual"]
    assert (virtual.rejected_cases, virtual.direct_rejections) == (3, 0)
    assert (virtual.blocked_direct_rejections, virtual.interventions) == (1, 2)
    assert (virtual.ruled, virtual.merchant_liable) == (2, 1)
    assert (groups["fresh"].direct_rejections, groups["fresh"].merchant_liable) == (1, 0)


def test_median_resolution_matches_the_cases_in_memory(corpus_store):
    durations = []
    for path in CORPUS:
        target = MemoryTarget()
        replay_file(path, target)
        if target.case.final:
            durations.append((target.case.last_at - target.case.events[0].at).total_seconds())
    expected = statistics.median(durations) / 3600
    assert corpus_store.report().overall.median_resolution_hours == pytest.approx(expected)


def test_filters_by_shop_and_period(corpus_store):
    assert corpus_store.report(Period(shop="nobody")).overall.cases == 0
    later = datetime(2026, 3, 2, tzinfo=UTC)
    assert corpus_store.report(Period(since=later)).overall.cases == 0
    assert corpus_store.report(Period(shop="S1", until=later)).overall.cases == 24


def test_weekly_rates(corpus_store):
    [week] = corpus_store.weekly()
    assert week.start.weekday() == 0
    assert week.rejection_rate == pytest.approx(7 / 24)
    assert week.merchant_liable_share == pytest.approx(2 / 6)


def test_days_start_at_midnight_in_the_report_time_zone(corpus_store):
    # Every corpus case opens on 1 March at 10:00 China time (02:00 UTC): a report from
    # 1 March in Asia/Shanghai counts them all, one from 1 March in UTC+10 none of them.
    url = str(corpus_store.engine.url)
    runner = CliRunner()
    shanghai = runner.invoke(app, ["report", "--db", url, "--json", "--since", "2026-03-01"])
    assert json.loads(shanghai.stdout)["groups"]["all"]["cases"] == 24
    brisbane = runner.invoke(
        app,
        ["report", "--db", url, "--json", "--since", "2026-03-01", "--tz", "Australia/Brisbane"],
    )
    assert json.loads(brisbane.stdout)["groups"]["all"]["cases"] == 24
    late = runner.invoke(
        app,
        ["report", "--db", url, "--json", "--since", "2026-03-01T10:30", "--tz", "Asia/Shanghai"],
    )
    assert json.loads(late.stdout)["groups"]["all"]["cases"] == 0


@pytest.fixture(scope="module")
def v2_store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'v2.db'}"
    store = CaseStore(url)
    store.create_schema()
    for path in V2:
        assert replay_file(path, StoreTarget(store)).ok
    yield store
    store.engine.dispose()


def test_contract_v2_figures(v2_store):
    m = v2_store.report().overall
    assert m.cases == 19
    # Exchanges: reshipped and confirmed, timer-completed, reship refused (both liable).
    assert (m.exchanges, m.exchanged) == (3, 2)
    # Interceptions: succeeded; failed then timed out (twice intercepted); withdrawn; and the
    # refused ones of the received-goods history are not events.
    assert (m.interceptions, m.interceptions_succeeded) == (4, 1)
    # Changed requests: the limit history (2, the third refused), the timer history (1), the
    # command-id history (1, its repeat writes nothing).
    assert m.modifications == 4
    # Rulings: none (return lapsed), both (exchange), merchant (platform intervened), buyer
    # (fresh, evidence shown), buyer (scope), buyer (late evidence).
    assert m.rulings == {"none": 1, "both": 1, "merchant": 1, "buyer": 3}
    # Every event of the platform-origin history is learned from WeChat (open, set_deadline,
    # expire, refund_succeeded).
    assert m.events_by_origin["platform"] == 4
    every = sum(len(v2_store.history(case_id)) for case_id in v2_store.case_ids())
    assert m.events_by_origin["local"] == every - 4


def test_report_command_json_and_chart(corpus_store, tmp_path):
    url = str(corpus_store.engine.url)
    chart = tmp_path / "weekly.svg"
    result = CliRunner().invoke(app, ["report", "--db", url, "--json", "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.splitlines()[0])
    assert payload["groups"]["all"]["rejected_cases"] == 7
    assert chart.read_text().lstrip().startswith("<?xml")
    table = CliRunner().invoke(app, ["report", "--db", url])
    assert table.exit_code == 0 and "virtual" in table.stdout


def test_weeks_start_on_monday_in_the_time_zone_given(tmp_path):
    from zoneinfo import ZoneInfo

    from tests.support import facts

    store = CaseStore(f"sqlite:///{tmp_path / 'w.db'}")
    store.create_schema()
    shanghai = ZoneInfo("Asia/Shanghai")
    monday_early = datetime(2026, 3, 2, 3, tzinfo=shanghai)  # still Sunday in UTC
    store.open_case(facts(opened_at=monday_early))
    [week] = store.weekly(zone=shanghai)
    assert week.start == datetime(2026, 3, 2, tzinfo=shanghai)
    [utc_week] = store.weekly()
    assert utc_week.start.date().isoformat() == "2026-02-23"

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
from aftersales.metrics import report, weekly
from aftersales.storage import CaseStore
from aftersales.storage.replay import StoreTarget

CORPUS = sorted((Path(__file__).parent / "histories").glob("*.jsonl"))


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
    m = report(corpus_store)["all"]
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
    groups = report(corpus_store)
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
    assert report(corpus_store)["all"].median_resolution_hours == pytest.approx(expected)


def test_filters_by_shop_and_period(corpus_store):
    assert report(corpus_store, shop="nobody")["all"].cases == 0
    later = datetime(2026, 3, 2, tzinfo=UTC)
    assert report(corpus_store, since=later)["all"].cases == 0
    assert report(corpus_store, shop="S1", until=later)["all"].cases == 24


def test_weekly_rates(corpus_store):
    [(week, rejection, liable)] = weekly(corpus_store)
    assert week.weekday() == 0
    assert rejection == pytest.approx(7 / 24) and liable == pytest.approx(2 / 6)


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

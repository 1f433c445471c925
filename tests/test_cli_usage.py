"""The command line's small promises (#23 item 6): usage errors in one or two lines, flags shown
and taken as flags, help examples that run, a report period that makes sense, distinct words for
log mismatches and WeChat divergences, a downgrade to base that asks first, and an export in one
UTC offset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import aftersales.cli.db as db_module
from aftersales.cli import app
from aftersales.storage import CaseStore
from aftersales.wechat import sync
from tests.support import MERCHANT, at, facts

FIXTURE = Path(__file__).parent / "wechat" / "fixtures" / "order_merchant_processing.json"
BOX = set("╭╮╰╯│─")
runner = CliRunner()


def run(*args: str, **kwargs):
    return runner.invoke(app, list(args), env={"AFTERSALES_DB": ""}, **kwargs)


@pytest.fixture
def db(tmp_path) -> str:
    """A database with one case that went on after its opening, and one open divergence."""
    path = str(tmp_path / "cases.db")
    store = CaseStore(path)
    store.schema.upgrade()
    store.open_case(facts())
    store.send("C1", "agree", actor=MERCHANT, at=at(2))
    assert sync(store, FIXTURE.read_text(encoding="utf-8")).action == "divergence"
    store.dispose()
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("replay", "--bogus"), "No such option: --bogus"),
        (("nosuch",), "No such command 'nosuch'"),
        (("db", "downgrade"), "Missing option '--revision'"),
        (("verify", "--json", "true"), "unexpected extra argument"),
    ],
)
def test_a_usage_error_is_one_line_and_a_hint_not_a_box(args, message):
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2 and lines[0].startswith("error: ") and message in lines[0]
    assert not BOX & set(result.stderr) and "Usage:" not in result.stderr


def test_a_flag_given_a_value_is_told_it_is_a_flag():
    result = run("verify", "--json", "true")
    assert "a flag takes no value: --json, not --json true" in result.stderr


@pytest.mark.parametrize(
    "command", [("verify",), ("report",), ("export",), ("db", "current"), ("timers", "run")]
)
def test_flags_are_shown_as_flags(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "--json " in result.stdout
    assert "<bool>" not in result.stdout and not BOX & set(result.stdout)


def test_json_is_a_flag_that_needs_no_value(db):
    result = run("verify", "--db", db, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["checked"] == 1


def test_no_arguments_still_shows_the_help():
    result = run()
    assert result.output.startswith("Usage: ") and "Commands:" in result.output


def test_the_unpark_example_names_the_database(db):
    shown = run("timers", "unpark", "--help").stdout
    example = shown.split("Example: ", 1)[1].split("\n", 1)[0].split()
    assert example[:4] == ["aftersales", "timers", "unpark", "C1"] and "--db" in example
    result = run(*example[1:-1], db)  # the example, with this test's database
    assert result.exit_code == 0 and "no parked timer" in result.stdout


@pytest.mark.parametrize(
    ("since", "until"), [("2026-05-01", "2026-03-01"), ("2026-03-01", "2026-03-01")]
)
def test_a_report_period_that_ends_before_it_starts_is_refused(db, since, until):
    result = run("report", "--db", db, "--since", since, "--until", until)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == "error: --since must come before --until"


def test_verify_says_mismatch_for_the_log_and_divergence_for_wechat_only(db):
    result = run("verify", "--db", db)
    assert result.exit_code == 0
    summary, heading, listed = result.stdout.strip().splitlines()
    assert summary == "1 case(s) checked against their logs: 0 mismatch(es)"
    assert heading == "1 open disagreement(s) with WeChat (shown, not failed on):"
    assert "WeChat says MERCHANT_PROCESSING" in listed
    assert "divergence" not in result.stdout


def test_downgrading_to_base_needs_yes_when_no_one_can_be_asked(db):
    refused = run("db", "downgrade", "--revision", "base", "--db", db)
    assert refused.exit_code == 2
    assert "drops every table of the package" in refused.stderr and "1 case(s)" in refused.stderr
    assert "pass --yes" in refused.stderr
    assert CaseStore(db).count_cases() == 1
    done = run("db", "downgrade", "--revision", "base", "--db", db, "--yes")
    assert done.exit_code == 0 and "schema at base" in done.stdout
    assert run("db", "current", "--db", db).stdout.startswith("none")


def test_downgrading_to_base_on_a_terminal_asks_first(db, monkeypatch):
    monkeypatch.setattr(db_module, "interactive", lambda: True)
    declined = run("db", "downgrade", "--revision", "base", "--db", db, input="n\n")
    assert declined.exit_code == 1 and "Go on?" in declined.stderr
    assert CaseStore(db).count_cases() == 1
    agreed = run("db", "downgrade", "--revision", "base", "--db", db, input="y\n")
    assert agreed.exit_code == 0 and "schema at base" in agreed.stdout


def test_export_writes_every_time_in_the_opening_offset(db, tmp_path):
    result = run("export", "C1", "--db", db)
    assert result.exit_code == 0
    times = [json.loads(line).get("at") for line in result.stdout.splitlines()]
    times = [t for t in times if t is not None]
    assert len(times) >= 2 and all(t.endswith("+08:00") for t in times), times
    exported = tmp_path / "C1.jsonl"
    exported.write_text(result.stdout, encoding="utf-8")
    assert run("replay", str(exported)).exit_code == 0  # the same instants: replays the same

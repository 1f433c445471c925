"""The command line, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.storage import CaseStore
from aftersales.storage.tables import event_table

HISTORIES = Path(__file__).parent / "histories"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_replay_json_matches_the_spec_field_for_field():
    result = run(
        "replay", "--json", str(HISTORIES / "intervention_evidence_timeout_merchant_liable.jsonl")
    )
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert list(obj) == [
        "case_id",
        "state",
        "final",
        "liability",
        "liability_rules",
        "refund_amount",
        "path",
        "events",
    ]
    assert obj["liability_rules"] == ["R3_evidence_timeout"]
    assert obj["path"][0] == "requested" and obj["events"] == 8


def test_replay_exit_codes(tmp_path):
    good = HISTORIES / "timer_return_shipping_lapses.jsonl"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text().replace('"state": "cancelled"', '"state": "refunded"'))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"op": "open", "at": "2026-03-01T10:00:00+08:00"}\n{"op": 1}\n')
    assert run("replay", str(good)).exit_code == 0
    failed = run("replay", "--json", str(bad))
    assert failed.exit_code == 1
    assert f"{bad}:4: expected state 'refunded', got 'cancelled'" in failed.stderr
    unreadable = run("replay", str(broken))
    assert unreadable.exit_code == 2 and f"{broken}:2" in unreadable.stderr
    assert "Traceback" not in unreadable.output
    assert run("replay", str(tmp_path / "missing.jsonl")).exit_code == 2


def test_replay_several_files_prints_a_summary():
    files = sorted(str(p) for p in HISTORIES.glob("timer_*.jsonl"))
    result = run("replay", *files)
    assert result.exit_code == 0
    assert f"{len(files)} passed, 0 failed" in result.stdout


def test_replay_through_a_store_then_export_and_verify(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    history = HISTORIES / "reason_agreed_new_plan_to_return.jsonl"
    assert run("replay", "--db", url, str(history)).exit_code == 0
    exported = tmp_path / "export.jsonl"
    assert run("export", "R-ANP", "--db", url, "-o", str(exported)).exit_code == 0
    assert run("replay", "--json", str(exported)).exit_code == 0
    assert run("verify", "--db", url).exit_code == 0
    store = CaseStore(url)
    with store.engine.begin() as conn:
        conn.execute(event_table.update().where(event_table.c.seq == 2).values(actor_id="X"))
    tampered = run("verify", "--db", url)
    assert tampered.exit_code == 1 and "R-ANP event 2" in tampered.stderr
    assert run("export", "nope", "--db", url).exit_code == 1


def test_timers_run_once_and_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert run("db", "upgrade", "--db", url).exit_code == 0
    store = CaseStore(url)
    from tests.support import facts

    store.open_case(facts())
    result = run("timers", "run", "--db", url, "--once", "--now", "2026-03-10T00:00:00+08:00")
    assert result.exit_code == 0 and "1 timer event(s) fired" in result.stdout
    assert store.get("C1").state == "refunding"


def test_demo_runs_twice(tmp_path):
    db = tmp_path / "demo.db"
    for _ in range(2):
        result = run("demo", "--db", str(db), "--diagrams", str(tmp_path / "dg"))
        assert result.exit_code == 0, result.output
        assert "10 stored cases: 0 divergences" in result.stdout
    with CaseStore(f"sqlite:///{db}").engine.connect() as conn:
        cases = conn.execute(sa.text("select count(*) from aftersales_case")).scalar_one()
    assert cases == 10
    assert (tmp_path / "dg" / "index.html").exists()
    assert (tmp_path / "dg" / "machine_zh.svg").read_bytes().startswith(b"<?xml")

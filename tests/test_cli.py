"""The command line, as a user runs it: outputs, exit codes, and no traceback on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from aftersales import __version__
from aftersales.cli import app
from aftersales.storage import CaseStore
from aftersales.storage.tables import event_table
from tests.support import facts

HISTORIES = Path(__file__).parent / "histories"
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env or {"AFTERSALES_DB": ""})


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
        "origin_counts",
    ]
    assert obj["liability_rules"] == ["R3_evidence_timeout"]
    assert obj["path"][0] == "requested" and obj["events"] == 8
    assert obj["origin_counts"] == {"local": 8, "platform": 0}


def test_replay_exit_codes(tmp_path):
    good = HISTORIES / "timer_merchant_silence_refund.jsonl"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text().replace('"state": "refunding"', '"state": "closed"'))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"op": "open", "at": "2026-03-01T10:00:00+08:00"}\n{"op": 1}\n')
    assert run("replay", str(good)).exit_code == 0
    failed = run("replay", "--json", str(bad))
    assert failed.exit_code == 1
    assert "expected state 'closed', got 'refunding'" in failed.stderr
    assert "path so far: requested" in failed.stderr
    unreadable = run("replay", str(broken))
    assert unreadable.exit_code == 2 and f"{broken}:2" in unreadable.stderr
    assert "Traceback" not in unreadable.output
    assert run("replay", str(tmp_path / "missing.jsonl")).exit_code == 2


def test_replay_of_several_files_as_json_prints_one_object_per_file(tmp_path):
    files = sorted(str(p) for p in HISTORIES.glob("timer_*.jsonl"))
    result = run("replay", "--json", *files)
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["file"] for o in objects] == files
    assert all(o["ok"] and o["failures"] == [] for o in objects)


def test_replay_summary_table_is_opt_in_above_a_few_dozen_files(tmp_path):
    files = sorted(str(p) for p in HISTORIES.glob("*.jsonl"))
    assert len(files) > 40
    plain = run("replay", *files)
    assert plain.exit_code == 0 and f"{len(files)} passed, 0 failed" in plain.stdout
    assert "case" not in plain.stdout.splitlines()[0]
    table = run("replay", "--table", *files)
    assert f"{len(files)} passed, 0 failed" in table.stdout and "liability" in table.stdout


def test_replay_through_a_store_then_export_and_verify(tmp_path):
    db = str(tmp_path / "x.db")  # a plain path: the same as sqlite:///...
    history = HISTORIES / "reason_agreed_new_plan_to_return.jsonl"
    assert run("replay", "--db", db, str(history)).exit_code == 0
    exported = tmp_path / "export.jsonl"
    assert run("export", "R-ANP", "--db", db, "-o", str(exported)).exit_code == 0
    assert run("replay", "--json", str(exported)).exit_code == 0
    described = json.loads(run("export", "R-ANP", "--db", db, "--json").stdout)
    assert described["case_id"] == "R-ANP" and described["output"] is None
    written = [json.loads(line) for line in exported.read_text().splitlines()]
    assert described["lines"] == written and len(written) > 3
    verified = run("verify", "--db", db, "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["checked"] == 1
    assert run("verify", "--db", db, "--engine", "psm").exit_code == 0
    store = CaseStore(db)
    with store.engine.begin() as conn:
        conn.execute(event_table.update().where(event_table.c.seq == 2).values(actor_id="X"))
    tampered = run("verify", "--db", db)
    assert tampered.exit_code == 1 and "R-ANP event 2" in tampered.stderr
    missing = run("export", "nope", "--db", db)
    assert missing.exit_code == 4 and "not_found" in missing.stderr
    assert run("verify", "--db", db, "--case", "nope").exit_code == 4


def test_db_is_required_and_never_created_by_a_read(tmp_path, monkeypatch):
    monkeypatch.delenv("AFTERSALES_DB", raising=False)
    for command in (["report"], ["verify"], ["export", "C1"], ["timers", "run", "--once"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and "--db" in result.stderr, command
        missing = tmp_path / "nothing.db"
        result = run(*command, "--db", str(missing))
        assert result.exit_code == 3 and "db upgrade" in result.stderr
        assert not missing.exists()
    env_db = tmp_path / "env.db"
    assert run("db", "upgrade", env={"AFTERSALES_DB": str(env_db)}).exit_code == 0
    assert run("verify", env={"AFTERSALES_DB": str(env_db)}).exit_code == 0


def test_failures_are_one_line_without_traceback_and_passwords_masked(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    for args in (
        ["verify", "--db", str(garbage)],
        ["report", "--db", "postgresql://u:s3cret@127.0.0.1:1/x"],
        ["db", "upgrade", "--db", "postgresql://u:s3cret@127.0.0.1:1/x"],
        ["verify", "--db", "nonsense://x"],
        ["report", "--db", str(tmp_path / "empty.db")],
    ):
        if args[-1].endswith("empty.db"):
            (tmp_path / "empty.db").write_bytes(b"")
        result = run(*args)
        assert result.exit_code in (2, 3), (args, result.output)
        assert "Traceback" not in result.output and "s3cret" not in result.output
        assert 1 <= len(result.stderr.strip().splitlines()) <= 2, result.stderr


def test_version_and_exit_codes_in_help():
    assert run("--version").stdout.strip() == f"aftersales {__version__}"
    shown = " ".join(run("--help").stdout.split())  # as wrapped to the terminal's width
    assert "Exit codes: 0 ok, 1 a check failed, 2 bad input" in shown


def test_db_commands(tmp_path):
    db = str(tmp_path / "x.db")
    assert run("db", "upgrade", "--db", db).exit_code == 0
    current = json.loads(run("db", "current", "--db", db, "--json").stdout)
    assert current["current"] == current["head"]
    assert run("db", "downgrade", "--revision", "as_0003", "--db", db).exit_code == 0
    assert json.loads(run("db", "current", "--db", db, "--json").stdout)["current"] == "as_0003"
    assert run("db", "upgrade", "--db", db).exit_code == 0
    sql = run("db", "upgrade", "--sql", "--db", "postgresql://u@h/db")
    assert sql.exit_code == 0 and "CREATE TABLE aftersales_case" in sql.stdout


def test_timers_run_once_as_json_and_parked_timers(tmp_path):
    db = str(tmp_path / "x.db")
    store = CaseStore(db)
    store.create_schema()
    store.open_case(facts())
    result = run("timers", "run", "--once", "--json", "--db", db, "--now", "2026-03-05T00:00:00Z")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["fired"] == 1
    store.open_case(facts(case_id="C2"))
    with store.engine.begin() as conn:  # a snapshot nobody can read, and a log that is wrong
        conn.execute(sa.text("UPDATE aftersales_case SET snapshot = NULL WHERE case_id = 'C2'"))
        conn.execute(sa.text("UPDATE aftersales_event SET data = '{}' WHERE case_id = 'C2'"))
    parked = run("timers", "run", "--once", "--json", "--db", db, "--now", "2026-03-06T00:00:00Z")
    assert parked.exit_code == 1
    [entry] = json.loads(parked.stdout)["parked"]
    assert entry["case_id"] == "C2" and "rebuilt" in entry["error"]


def test_demo_leaves_a_file_it_did_not_make(tmp_path):
    mine = tmp_path / "important.db"
    mine.write_text("the order service's own data")
    result = run("demo", "--db", str(mine))
    assert result.exit_code == 2 and "left alone" in result.stderr
    assert mine.read_text() == "the order service's own data"
    assert run("demo", "--db", "postgresql://u@h/db").exit_code == 2


@pytest.mark.parametrize("name", ["[bold]x[/bold]", "[link=http://evil]x[/link]"])
def test_user_data_is_printed_as_text_not_markup(tmp_path, name):
    history = tmp_path / "h.jsonl"
    line = (HISTORIES / "timer_merchant_silence_refund.jsonl").read_text().splitlines()
    opening = json.loads(line[0])
    opening["case_id"] = name
    history.write_text("\n".join([json.dumps(opening), *line[1:]]) + "\n")
    result = run("replay", str(history))
    assert result.exit_code == 0, result.output
    assert name in result.stdout


MISSING_EXTRAS = (
    "import sys\n"
    "sys.modules['graphviz'] = None\n"  # as if the diagrams and chart extras were not installed
    "sys.modules['matplotlib'] = None\n"
    "sys.argv = ['aftersales', *sys.argv[1:]]\n"
    "from aftersales.cli.command import main\n"
    "main()\n"
)


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["diagrams", "render", "--out", "{tmp}/d"], "diagrams"),
        (["diagram", "--history", str(HISTORIES / "idempotent_retries.jsonl")], "diagrams"),
        (["report", "--db", "{tmp}/x.db", "--chart", "{tmp}/c.svg"], "chart"),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(tmp_path, args, extra):
    import subprocess
    import sys

    CaseStore(str(tmp_path / "x.db")).create_schema()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run(
        [sys.executable, "-c", MISSING_EXTRAS, *argv], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: ")
    assert f"pip install 'aftersales[{extra}]'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "d").exists()


def test_upgrade_sql_is_for_postgresql(tmp_path):
    result = run("db", "upgrade", "--sql", "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 2 and "PostgreSQL" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_demo_runs_twice_on_its_own_file(tmp_path):
    db = str(tmp_path / "demo.db")
    assert run("demo", "--db", db).exit_code == 0
    again = run("demo", "--db", db)
    assert again.exit_code == 0, again.output


def test_a_plain_path_is_taken_as_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("we?ird.db", "pct%41.db"):
        assert run("db", "upgrade", "--db", name).exit_code == 0
        assert (tmp_path / name).exists()
    assert not (tmp_path / "we").exists() and not (tmp_path / "pctA.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["export", "C1", "-o", "{tmp}/no/such/folder/C1.jsonl"],
        ["export", "C1", "-o", "{tmp}"],
        ["db", "upgrade", "--revision", "nonsense"],
        ["db", "downgrade", "--revision", "nonsense"],
        ["timers", "run", "--batch", "0"],
        ["timers", "run", "--interval", "-1"],
        ["timers", "run", "--interval", "nan"],
        ["timers", "run", "--now", "2026-03-05T00:00:00Z"],
        ["report", "--since", "0001-01-01"],
        ["report", "--tz", "America"],
        ["report", "--chart", "{tmp}/no/such/folder/c.svg"],
    ],
)
def test_ordinary_bad_input_is_exit_2_in_one_or_two_lines(tmp_path, args):
    db = str(tmp_path / "x.db")
    store = CaseStore(db)
    store.create_schema()
    store.open_case(facts())
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = run(*argv, "--db", db)
    assert result.exit_code == 2, result.output
    assert 1 <= len(result.stderr.strip().splitlines()) <= 2, result.stderr
    assert "internal error" not in result.stderr


def test_report_of_one_shop_shows_only_its_divergences(tmp_path):
    from aftersales.wechat import parse_notification, reconcile

    db = str(tmp_path / "x.db")
    store = CaseStore(db)
    store.create_schema()
    store.open_case(facts(case_id="A", order_id="OA", shop_id="S1", platform_id="WX-A"))
    store.open_case(facts(case_id="B", order_id="OB", shop_id="S2", platform_id="WX-B"))
    body = {
        "Event": "channels_ec_aftersale_update",
        "CreateTime": 1772600000,
        "finder_shop_aftersale_status_update": {
            "status": "MERCHANT_EXCHANGE_SUCCESS",  # no event of ours explains it
            "after_sale_order_id": "WX-B",
        },
    }
    assert reconcile(store, parse_notification(json.dumps(body))).action == "divergence"
    every = json.loads(run("report", "--db", db, "--json").stdout)["divergences"]
    shop1 = json.loads(run("report", "--db", db, "--shop", "S1", "--json").stdout)["divergences"]
    shop2 = json.loads(run("report", "--db", db, "--shop", "S2", "--json").stdout)["divergences"]
    assert [d["case_id"] for d in every] == ["B"] == [d["case_id"] for d in shop2]
    assert shop1 == []


def test_report_json_with_a_chart_keeps_stdout_json(tmp_path):
    db = str(tmp_path / "x.db")
    CaseStore(db).create_schema()
    result = run("report", "--db", db, "--json", "--chart", str(tmp_path / "c.svg"))
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()]  # nothing but JSON
    assert "chart written" in result.stderr


def test_unpark_says_when_there_was_nothing_to_unpark(tmp_path):
    db = str(tmp_path / "x.db")
    store = CaseStore(db)
    store.create_schema()
    store.open_case(facts())
    result = run("timers", "unpark", "C1", "--db", db)
    assert result.exit_code == 0 and "no parked timer" in result.stdout
    assert run("timers", "unpark", "NOPE", "--db", db).exit_code == 4


def test_replay_json_of_one_unreadable_file_prints_no_document(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"op": "agree"}\n')
    result = run("replay", "--json", str(broken))
    assert result.exit_code == 2 and result.stdout == "" and "first line" in result.stderr


@pytest.mark.render
def test_diagram_output_may_be_a_folder_or_a_file_name(tmp_path):
    history = str(HISTORIES / "idempotent_retries.jsonl")
    assert run("diagram", "--history", history, "-o", str(tmp_path)).exit_code == 0
    assert (tmp_path / "case.svg").exists()
    named = tmp_path / "c1.svg"
    assert run("diagram", "--history", history, "-o", str(named)).exit_code == 0
    assert named.exists() and not (tmp_path / "c1.svg.svg").exists()


def test_timers_run_lists_the_linked_cases_waiting_for_wechat(tmp_path):
    db = str(tmp_path / "x.db")
    store = CaseStore(db)
    store.create_schema()
    store.open_case(facts(platform_id="WX-1"))
    store.open_case(facts(case_id="C2", order_id="O2"))
    now = "2026-03-05T00:00:00Z"
    result = run("timers", "run", "--once", "--json", "--db", db, "--now", now)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["fired"] == 1
    [waiting] = document["due_for_fetch"]
    assert (waiting["case_id"], waiting["platform_id"]) == ("C1", "WX-1")
    text = run("timers", "run", "--once", "--db", db, "--now", now)
    assert "1 waiting for WeChat" in text.stdout and "fetch after-sale order WX-1" in text.stderr

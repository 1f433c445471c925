"""``aftersales advise``, as a customer-service agent runs it on a stored case: the move, the
message, the evidence with its guide lines and what to avoid, in Chinese and English; the
situation flags; ``--json`` as its schema says; one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from aftersales import advice_at_merchant_turns, advise
from aftersales.cli import app
from aftersales.histories import MemoryTarget, parse_history, read_history, replay_lines
from aftersales.scenarios import SCENARIOS, SITUATIONS, history
from aftersales.storage import CaseStore, StoreTarget
from aftersales.workflow.reasons import catalog

ROOT = Path(__file__).parent.parent
HISTORIES = ROOT / "tests" / "histories"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"AFTERSALES_DB": ""})


@pytest.fixture
def db(tmp_path) -> str:
    """A store holding cases at a merchant's turn: a virtual course just asked back
    (``advice-virtual-served``), one whose buyer declined the invitation to cancel
    (``advice-invitation-declined``), plants whose buyer sent photos
    (``advice-evidence-partly``), and a refund in progress (``advice-refund-failed``)."""
    path = str(tmp_path / "cases.db")
    store = CaseStore(path)
    store.create_schema()
    for name, upto in (
        ("advice_virtual_served", 1),
        ("advice_invitation_declined", 5),
        ("advice_buyer_evidence_partly", 5),
        ("advice_refund_failed", 3),
    ):
        lines = parse_history(read_history(HISTORIES / f"{name}.jsonl"), name)
        outcome = replay_lines(lines[:upto], StoreTarget(store), name)
        assert outcome.ok, outcome.failures
    store.dispose()
    return path


def test_the_advice_in_chinese_and_english(db):
    result = run("advise", "advice-virtual-served", "--db", db, "--served", "full")
    assert result.exit_code == 0, result.output
    text = result.stdout
    reason = catalog()["virtual_service_completed"]
    case = CaseStore(db).get("advice-virtual-served")
    advice = advise(case, situation={"served": "full"})
    # The move, the template to send, why, in both languages.
    assert f"协商「{reason.label_zh}」" in text and f"reason {reason.label_en}" in text
    for part in (reason.message_zh, reason.message_en, advice.why_zh[:40], advice.why_en[:40]):
        assert part in text
    # The checklist with the catalog's guide line (凭证引导语), and what to avoid, with its rule.
    assert "服务完成/激活凭证 / proof of service completed" in text
    assert "聊天记录截图 / chat screenshots" in text
    assert reason.evidence_guide_zh in text and reason.evidence_guide_en in text
    assert "切勿 / Avoid:" in text and "拒绝 / reject (R1_direct_rejection)" in text
    assert advice.avoid[0].why_zh in text and advice.avoid[0].why_en in text
    assert "situation / 情况: --served full" in text


def test_the_flags_are_what_only_the_merchant_knows(db):
    plain = json.loads(run("advise", "advice-virtual-served", "--db", db, "--json").stdout)
    agreed = run(
        "advise", "advice-virtual-served", "--db", db, "--agreed-offline", "--compensated", "--json"
    )
    assert agreed.exit_code == 0, agreed.output
    document = json.loads(agreed.stdout)
    assert document["situation"] == {
        "served": None,
        "agreed_offline": True,
        "compensated": True,
        "buyer_evidence": None,
    }
    assert document["advice"]["data"]["reason"] == "agreed_cancel"
    assert plain["advice"]["data"] != document["advice"]["data"]
    partly = run("advise", "advice-evidence-partly", "--db", db, "--buyer-evidence", "partly")
    assert partly.exit_code == 0, partly.output
    assert "modify_request" in partly.stdout
    assert "填写金额" in partly.stdout and "fill in the amount" in partly.stdout


def test_the_json_is_the_advice_and_fits_its_schema(db):
    schema = json.loads((ROOT / "docs" / "schemas" / "advise.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    cases = {
        "advice-virtual-served": ["--served", "partial"],
        "advice-invitation-declined": ["--served", "full"],
        "advice-evidence-partly": ["--buyer-evidence", "disputed"],
        "advice-refund-failed": [],
    }
    store = CaseStore(db)
    for case_id, flags in cases.items():
        result = run("advise", case_id, "--db", db, "--json", *flags)
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert not [e.message for e in validator.iter_errors(document)], case_id
        case = store.get(case_id)
        assert (document["case_id"], document["state"]) == (case_id, case.state)
        given = dict(zip(flags[::2], flags[1::2], strict=True))
        expected = advise(case, situation={k[2:].replace("-", "_"): v for k, v in given.items()})
        assert document["advice"] == json.loads(json.dumps(expected.to_dict()))
    # Something for every part of the schema: a rejection's missing evidence, an amount to fill.
    declined = json.loads(run("advise", "advice-invitation-declined", "--db", db, "--json").stdout)
    assert declined["advice"]["event"] == "reject"
    assert [item["on_file"] for item in declined["advice"]["evidence"]] == [True, True]


def test_when_it_is_not_the_merchants_turn(db):
    result = run("advise", "advice-refund-failed", "--db", db)
    assert result.exit_code == 0, result.output
    assert "暂无操作 / nothing to do now" in result.stdout
    assert "system's turn" in result.stdout and "系统" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--served", "half"], 2, "invalid_input: served is one of full, partial, none"),
        (["--buyer-evidence", "yes"], 2, "invalid_input: buyer_evidence is one of"),
        (["--agreed-offline", "yes"], 2, ""),  # a flag takes no value: Typer's usage error
    ],
)
def test_bad_values_are_one_line_and_exit_2(db, args, code, message):
    result = run("advise", "advice-virtual-served", "--db", db, *args)
    assert result.exit_code == code, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_no_such_case_exits_4_and_a_missing_database_3(db, tmp_path):
    missing = run("advise", "nope", "--db", db)
    assert missing.exit_code == 4 and "not_found: No case 'nope'" in missing.stderr
    nowhere = run("advise", "C1", "--db", str(tmp_path / "none.db"))
    assert nowhere.exit_code == 3 and "no database at" in nowhere.stderr


def test_the_demo_prints_the_advice_for_each_seed_case(tmp_path):
    result = run("demo", "--db", str(tmp_path / "demo.db"))
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    advice = [line for line in lines if line.startswith("advice / 建议:")]
    seeds = [name for scenario in SCENARIOS for name in scenario.files]
    assert len(advice) == len(seeds)  # one line per case, in the order played
    for name, line in zip(seeds, advice, strict=True):
        turns = advice_at_merchant_turns(_seed_events(name), SITUATIONS[name])
        assert line.count("→") == len(turns) - 1, line
        for _, given in turns:
            assert f"({given.event}" in line and str(given.data.get("reason", "")) in line
        risky = any(name == scenario.risky for scenario in SCENARIOS)
        assert ("✗ did reject / 实际拒绝" in line) == risky, line
        assert line.count("✓") == len(turns) - risky, line


def _seed_events(name: str):
    target = MemoryTarget()
    text = history(name).read_text(encoding="utf-8")
    replay_lines(parse_history(text, name), target, name)
    return target.case.events

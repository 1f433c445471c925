"""The hostile-input battery of the robustness issue, rerun in the suite: inputs of every kind the
store, the history files, the command line and the WeChat parsers can be handed. Each input is
accepted, or refused with a code (a package error, or a documented exit code with one or two
lines on stderr); nothing else may happen. Each test prints its counts (``pytest -s``)."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aftersales import Actor, AftersalesError
from aftersales.cli import app
from aftersales.storage import CaseStore
from aftersales.wechat import parse_notification, reconcile, sync
from tests.support import T0, facts

ROOT = Path(__file__).resolve().parent
runner = CliRunner()
CST = timezone(timedelta(hours=8))
OPEN = json.loads(
    (ROOT / "histories" / "timer_merchant_silence_refund.jsonl").read_text().splitlines()[0]
)
LATER = "2026-03-01T11:00:00+08:00"
MERCHANT = {"role": "merchant", "id": "S1"}


def tally(name: str, outcomes: Counter[str]) -> None:
    print(
        f"\n{name}: {sum(outcomes.values())} inputs, "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    )
    assert outcomes["traceback"] == 0


# -- 4. the store's API ---------------------------------------------------------------------------

NASTY_TEXT = ["", " ", "\x00", "a\x00b", "\ud800", "x" * 3000, "\u202e\u2028", "[/bold]", "\\"]
NASTY_IDS = [*NASTY_TEXT, None, 5, 1.5, True, ["x"], {"a": 1}, "S1 ", "x" * 129]
NASTY_AMOUNTS = [-1, 0, 2**31, 2**53, 2**63, 2**64, 1.5, "100", None, True, float("nan")]
NASTY_TIMES = [
    None,
    "",
    "yesterday",
    1772330400,
    "2026-03-01T10:00:00",
    "9999-12-31T00:00:00Z",
    "1900-01-01T00:00:00Z",
    "2026-02-30T10:00:00+08:00",
    datetime(2026, 3, 1, 11),
]


def _store_inputs() -> list[tuple[str, object, object, object]]:
    """(event, actor, at, data) combinations, each hostile in one place."""
    merchant, at = Actor.merchant("S1"), datetime(2026, 3, 1, 11, tzinfo=CST)
    found: list[tuple[str, object, object, object]] = []
    for event in ["", "open", "bogus", "expire", None, 5, "agree ", "AGREE"]:
        found.append((event, merchant, at, None))  # type: ignore[arg-type]
    for actor in [
        None,
        {"role": "merchant"},
        Actor("merchant", None),
        Actor("boss", "S1"),
        Actor(None, "S1"),
        Actor("merchant", "S2"),
        "merchant",
        Actor("buyer", "B1"),
    ]:  # type: ignore[arg-type]
        found.append(("agree", actor, at, None))
    for when in NASTY_TIMES:
        found.append(("agree", merchant, when, None))
    for text in NASTY_TEXT:
        found.append(("reject", merchant, at, {"reject_reason": text}))
        found.append(
            ("negotiate", merchant, at, {"negotiation_type": "invite_cancel", "reason": text})
        )
        found.append(("reject", merchant, at, {"evidence": [{"kind": "image", "ref": text}]}))
    for amount in NASTY_AMOUNTS:
        found.append(
            (
                "negotiate",
                merchant,
                at,
                {
                    "negotiation_type": "modify_request",
                    "reason": "modify_amount_only",
                    "amount": amount,
                },
            )
        )
    for data in [
        [],
        "x",
        5,
        {"event": "agree"},
        {"self": 1},
        {"session": 1},
        {"expected_version": 0},
        {"case_id": "C2"},
        {"evidence": [{}] * 51},
        {"evidence": "photo"},
        {"evidence": [{"kind": "image", "ref": "r", "note": "n" * 100_000}]},
        {"x": {"y": {"z": [[[[[]]]]]}}},
        {"negotiation_type": None},
    ]:
        found.append(("reject", merchant, at, data))
    return found


def test_4_the_store_refuses_every_hostile_command_with_a_code(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'b.db'}")
    store.create_schema()
    outcomes: Counter[str] = Counter()
    for n, (event, actor, at, data) in enumerate(_store_inputs()):
        case_id = f"B{n}"
        store.open_case(facts(case_id=case_id, order_id=f"O-{case_id}"))
        before = len(store.history(case_id))
        try:
            store.send(case_id, event, actor=actor, at=at, data=data, command_id=f"k{n}")  # type: ignore[arg-type]
            outcomes["accepted"] += 1
        except AftersalesError:
            outcomes["refused with a code"] += 1
            assert len(store.history(case_id)) == before  # nothing written
        except Exception as exc:
            outcomes["traceback"] += 1
            print(f"{event!r} {actor!r} {at!r} {data!r}: {type(exc).__name__}: {exc}")
    for bad in [
        {"case_id": "\x00"},
        {"paid_amount": 2**63},
        {"opened_at": 1772330400},
        {"type": "gift"},
        {"order_id": " "},
        {"policy": "fast"},
    ]:
        policy = bad.pop("policy", None)
        try:
            store.open_case(facts(**{"case_id": "X", **bad}), policy=policy)  # type: ignore[arg-type]
            outcomes["accepted"] += 1
        except AftersalesError:
            outcomes["refused with a code"] += 1
        except Exception as exc:
            outcomes["traceback"] += 1
            print(f"open {bad!r}: {type(exc).__name__}: {exc}")
    tally("store API", outcomes)


# -- 5. files and the command line -------------------------------------------------------------


def _history_texts() -> list[str]:
    opening = json.dumps(OPEN)
    command = {"op": "reject", "actor": MERCHANT, "at": LATER}
    texts = [
        '{"op": ["x"]}',
        '{"op": null}',
        "[" * 100_000,
        "{" * 100_000,
        "null",
        "7",
        "\x00",
        '{"op": "open", "paid_amount": ' + "9" * 5000 + "}",
        opening + "\n" + '{"op": "tick"}',
        opening.replace('"at"', '"policy": [1, 2], "at"'),
        opening.replace('"at"', '"policy": "fast", "at"'),
        opening.replace('"at"', '"policy": {"return_shipping": "P2930000D"}, "at"'),
        opening.replace('"at"', '"policy": {"return_shipping": "-P1D"}, "at"'),
        opening.replace('"T-MS-R"', '"\\u0000"'),
        opening.replace('"T-MS-R"', '"\\ud800"'),
        opening.replace('"T-MS-R"', '"[/bold]"'),
        opening.replace('"T-MS-R"', '"[link=http://x]y"'),
        opening.replace("10000", "1e400"),
        opening.replace("10000", "-5"),
    ]
    for key, value in [
        ("event", "agree"),
        ("self", 1),
        ("case_id", "X"),
        ("session", 1),
        ("expected_version", 0),
        ("actor", None),
        ("origin", "mars"),
        ("command_id", 5),
        ("expect_error", ["x"]),
        ("reject_reason", "\ud800"),
        ("reject_reason", "a\u2028b\u2029c\x85d"),
        ("evidence", [{}] * 10_000),
    ]:
        line = {**command, key: value}
        texts.append(opening + "\n" + json.dumps(line))
    return texts


def test_5_hostile_history_files_are_exit_2_or_a_failed_check_never_a_traceback(tmp_path):
    outcomes: Counter[str] = Counter()
    for n, text in enumerate(_history_texts()):
        path = tmp_path / f"h{n}.jsonl"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        for args in (
            ["replay", str(path)],
            ["replay", "--json", str(path)],
            ["replay", "--db", str(tmp_path / f"r{n}.db"), str(path)],
        ):
            result = runner.invoke(app, args, env={"AFTERSALES_DB": ""})
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                outcomes["traceback"] += 1
                print(args, repr(result.exception))
            elif result.exit_code == 0:
                outcomes["accepted"] += 1
            else:
                assert result.exit_code in (1, 2), (args, result.output)
                assert "Traceback" not in result.output
                outcomes[f"exit {result.exit_code}"] += 1
    tally("history files", outcomes)


def test_5_a_message_with_line_separators_exports_and_replays(tmp_path):
    db = str(tmp_path / "sep.db")
    store = CaseStore(db)
    store.create_schema()
    store.open_case(facts())
    message = "first\u2028second\u2029third\nfourth\ttab"  # text, not control characters
    store.send(
        "C1",
        "reject",
        actor=Actor.merchant("S1"),
        at=T0 + timedelta(hours=1),
        data={"reject_reason": message},
    )
    exported = tmp_path / "C1.jsonl"
    assert runner.invoke(app, ["export", "C1", "--db", db, "-o", str(exported)]).exit_code == 0
    replayed = runner.invoke(app, ["replay", str(exported)])
    assert replayed.exit_code == 0, replayed.output


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_5_replay_reads_are_bounded():
    result = runner.invoke(app, ["replay", "/dev/zero"])
    assert result.exit_code == 2 and "larger than" in result.stderr


def _bad_databases(tmp_path: Path) -> list[str]:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    text = tmp_path / "notes.txt"
    text.write_text("order notes")
    host = tmp_path / "host.db"
    CaseStore(str(host)).engine.dispose()
    import sqlite3

    with sqlite3.connect(host) as conn:
        conn.execute("CREATE TABLE host_order (id INTEGER PRIMARY KEY)")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return [
        str(tmp_path / "missing.db"),
        str(garbage),
        str(empty),
        str(text),
        str(host),
        str(folder),
        "nonsense://x",
        "sqlite:///no/such/dir/x.db",
        "postgresql://u:s3cret@127.0.0.1:1/x",
        "postgresql+psycopg://u:s3cret@256.0.0.1/x",
        "mysql://u:s3cret@h/x",
        "",
        " ",
        "sqlite://",
        "postgresql://",
        "sqlite:////dev/null",
        "%",
        "sqlite:///" + "x" * 5000,
    ]


COMMANDS = [
    ["verify"],
    ["verify", "--json"],
    ["export", "C1"],
    ["report"],
    ["report", "--json"],
    ["timers", "run", "--once"],
    ["diagram", "--case", "C1", "--format", "dot"],
    ["db", "current"],
    ["db", "upgrade"],
    ["timers", "unpark", "C1"],
]


def test_5_bad_databases_and_urls_are_one_or_two_lines_never_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `db upgrade --db %` makes a file named % where it runs
    outcomes: Counter[str] = Counter()
    for db in _bad_databases(tmp_path):
        for command in COMMANDS:
            if command == ["db", "upgrade"] and db.endswith("missing.db"):
                continue  # it would create the file, as it should
            result = runner.invoke(app, [*command, "--db", db], env={"AFTERSALES_DB": ""})
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                outcomes["traceback"] += 1
                print(command, db[:60], repr(result.exception))
                continue
            assert "s3cret" not in result.output
            if result.exit_code == 0:
                outcomes["accepted"] += 1
                continue
            assert result.exit_code in (1, 2, 3, 4), (command, db, result.output)
            assert 1 <= len(result.stderr.strip().splitlines()) <= 2, (command, db, result.stderr)
            outcomes[f"exit {result.exit_code}"] += 1
    assert not (tmp_path / "missing.db").exists()  # no read ever created one
    tally("databases and URLs", outcomes)


# -- 5. what WeChat sends --------------------------------------------------------------------------


def _notifications() -> list[object]:
    base = {
        "ToUserName": "gh",
        "FromUserName": "o",
        "CreateTime": 1772330400,
        "MsgType": "event",
        "Event": "channels_ec_aftersale_update",
        "finder_shop_aftersale_status_update": {
            "status": "USER_CANCELD",
            "after_sale_order_id": "WX1",
        },
    }
    found: list[object] = [
        "",
        "null",
        "[]",
        "7",
        "{",
        b"\xff\xfe",
        "[" * 100_000,
        "x" * 2_000_000,
        None,
        5,
        [],
        {},
        json.dumps(base).encode("utf-16"),
    ]
    for key, value in [
        ("CreateTime", "yesterday"),
        ("CreateTime", 10**30),
        ("CreateTime", -1),
        ("Event", None),
        ("Event", "channels_ec_complaint_update"),
        ("finder_shop_aftersale_status_update", "x"),
        ("finder_shop_aftersale_status_update", {"status": 5}),
        (
            "finder_shop_aftersale_status_update",
            {"status": "PLATFORM_PROCESSING", "after_sale_order_id": "WX1"},
        ),
        ("finder_shop_complaint", {"complaint_status": "x"}),
    ]:
        found.append(json.dumps({**base, key: value}))
    return found


def test_5_hostile_notifications_and_orders_never_raise(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'wx.db'}")
    store.create_schema()
    outcomes: Counter[str] = Counter()
    for body in _notifications():
        try:
            result = reconcile(store, parse_notification(body))  # type: ignore[arg-type]
            outcomes[result.action] += 1
        except Exception as exc:
            outcomes["traceback"] += 1
            print(repr(body)[:80], type(exc).__name__, exc)
    for order in [
        None,
        5,
        "x",
        [],
        {},
        {"after_sale_order_id": "WX2"},
        {
            "after_sale_order_id": "WX2",
            "status": "MERCHANT_PROCESSING",
            "type": "REFUND",
            "create_time": "x",
            "refund_info": {"amount": 2**70},
        },
    ]:
        try:
            outcomes[sync(store, order).action] += 1  # type: ignore[arg-type]
        except Exception as exc:
            outcomes["traceback"] += 1
            print(repr(order)[:80], type(exc).__name__, exc)
    tally("WeChat messages", outcomes)


# -- 5. labels that break dot or SVG ----------------------------------------------------------


@pytest.mark.render
@pytest.mark.parametrize("case_id", ["ends-with\\", "ctrl\x01\x1f", "quote\"'<&>", "[/bold]"])
def test_5_labels_with_backslashes_and_control_characters_draw_valid_svg(tmp_path, case_id):
    opening = {**OPEN, "case_id": case_id}
    lines = (ROOT / "histories" / "timer_merchant_silence_refund.jsonl").read_text().splitlines()
    history = tmp_path / "h.jsonl"
    history.write_text("\n".join([json.dumps(opening), *lines[1:]]) + "\n")
    result = runner.invoke(app, ["diagram", "--history", str(history), "-o", str(tmp_path / "c")])
    if result.exit_code == 2:  # an id the workflow refuses: refused with its reason, not drawn
        assert "control character" in result.stderr
        return
    assert result.exit_code == 0, result.output
    ET.parse(tmp_path / "c.svg")  # well-formed XML

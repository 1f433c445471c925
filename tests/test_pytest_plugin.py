"""The pytest plugin as a user's test suite meets it: run in a separate pytest (``pytester``)
with the plugin loaded from its ``pytest11`` entry point, as an installed package would be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

OPEN = {
    "op": "open",
    "case_id": "C1",
    "order_id": "O-C1",
    "shop_id": "S1",
    "buyer_id": "B1",
    "type": "refund",
    "category": "ordinary",
    "paid_amount": 10000,
    "requested_amount": 10000,
    "buyer_reason": "no_reason",
    "at": "2026-03-01T10:00:00+08:00",
}
MERCHANT = {"role": "merchant", "id": "S1"}


def _history(*, final_state: str = "refunding") -> str:
    lines = [
        OPEN,
        {"op": "agree", "actor": MERCHANT, "at": "2026-03-01T11:00:00+08:00"},
        {"op": "expect", "state": final_state, "final": False},
    ]
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def test_off_unless_asked(pytester):
    pytester.path.joinpath("agreed.history.jsonl").write_text(_history())
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_option_collects_history_files_as_tests(pytester):
    pytester.path.joinpath("agreed.history.jsonl").write_text(_history())
    pytester.path.joinpath("notes.jsonl").write_text(_history())  # not *.history.jsonl
    result = pytester.runpytest("--aftersales-histories", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*agreed.history.jsonl::agreed.history PASSED*"])


def test_a_failure_names_the_line_what_was_expected_and_the_path(pytester):
    pytester.path.joinpath("wrong.history.jsonl").write_text(_history(final_state="refunded"))
    result = pytester.runpytest("--aftersales-histories")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "line 3: expected state 'refunded', got 'refunding'",
            "  path so far: requested > refunding",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_advice_a_history_expects_is_checked(pytester):
    # An ordinary refund with no situation: the playbook says agree, not negotiate.
    lines = [
        OPEN,
        {"op": "expect", "advice": {"event": "agree"}, "situation": {"served": "none"}},
        {"op": "expect", "advice": {"event": "negotiate", "reason": "agreed_cancel"}},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n"
    pytester.path.joinpath("advice.history.jsonl").write_text(text)
    result = pytester.runpytest("--aftersales-histories")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "line 3: expected advice event 'negotiate', got 'agree' (With nothing to negotiate*",
            "  path so far: requested",
            "line 3: expected advice reason 'agreed_cancel', got None (*",
        ]
    )
    assert "line 2" not in result.stdout.str()


def test_an_unreadable_history_says_where(pytester):
    pytester.path.joinpath("broken.history.jsonl").write_text('{"op": "agree"}\n')
    result = pytester.runpytest("--aftersales-histories")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cannot read the history: *broken.history.jsonl:1: *first line*"])


def test_the_ini_option_takes_globs(pytester):
    pytester.makeini("[pytest]\naftersales_histories = cases/*.jsonl\n")
    pytester.mkdir("cases").joinpath("agreed.jsonl").write_text(_history())
    pytester.path.joinpath("elsewhere.jsonl").write_text(_history(final_state="refunded"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_through_a_store_histories_that_share_a_case_id_do_not_meet(pytester, tmp_path):
    for name in ("first", "second"):  # both open case C1 on order O-C1
        pytester.path.joinpath(f"{name}.history.jsonl").write_text(_history())
    url = f"sqlite:///{tmp_path / 'plugin.db'}"
    result = pytester.runpytest("--aftersales-histories", "--aftersales-db", url)
    result.assert_outcomes(passed=2)


def test_a_database_holding_cases_is_refused(pytester, tmp_path):
    from aftersales.storage import CaseStore
    from aftersales.storage.migrate import upgrade
    from tests.support import T0, facts

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    store = CaseStore(url)
    upgrade(store.engine)
    store.open_case(facts(case_id="KEEP", order_id="O-KEEP", opened_at=T0))
    store.engine.dispose()
    pytester.path.joinpath("agreed.history.jsonl").write_text(_history())
    result = pytester.runpytest("--aftersales-histories", "--aftersales-db", url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --aftersales-db *already holds * rows of the package*empty test database*"]
    )
    assert "Traceback" not in result.stderr.str()
    assert CaseStore(url).count_cases() == 1  # nothing of the user's was deleted


def test_a_database_holding_only_divergences_is_refused_and_they_are_kept(pytester, tmp_path):
    """No case, one divergence (an order synced before its case existed): the user's all
    the same, so the plugin refuses the database rather than empty it."""
    from aftersales.storage import CaseStore
    from aftersales.wechat import sync

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    store = CaseStore(url)
    store.schema.upgrade()
    fixture = Path(__file__).parent / "wechat" / "fixtures" / "order_merchant_processing.json"
    assert sync(store, fixture.read_text(encoding="utf-8")).action == "divergence"
    assert store.count_cases() == 0 and len(store.divergences()) == 1
    store.dispose()
    pytester.path.joinpath("agreed.history.jsonl").write_text(_history())
    result = pytester.runpytest("--aftersales-histories", "--aftersales-db", url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --aftersales-db *already holds 1 rows of the package*"])
    assert len(CaseStore(url).divergences()) == 1


def test_the_fixtures(pytester):
    pytester.makepyfile(
        """
        from datetime import datetime, timezone

        from aftersales.wechat import reconcile, parse_notification

        def test_store_and_notification(aftersales_store, wechat_notification):
            at = datetime(2026, 3, 1, 2, tzinfo=timezone.utc)
            body = wechat_notification("WX1", "USER_CANCELD", at=at, order_id="O1")
            message = parse_notification(body)
            assert message.kind == "aftersale"
            assert message.after_sale_order_id == "WX1"
            assert aftersales_store.count_cases() == 0
            result = reconcile(aftersales_store, message)
            assert result.action == "unknown"  # a cancel for a case we never opened

        def test_each_store_is_fresh(aftersales_store):
            assert aftersales_store.count_cases() == 0
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)


def test_an_unreachable_database_is_one_line(pytester):
    pytester.path.joinpath("agreed.history.jsonl").write_text(_history())
    url = "postgresql+psycopg://tester:s3cret@127.0.0.1:9/none"
    result = pytester.runpytest("--aftersales-histories", "--aftersales-db", url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --aftersales-db: *"])
    assert "s3cret" not in result.stderr.str() and "Traceback" not in result.stderr.str()


def test_the_project_corpus_through_postgresql(pytester):
    """The whole corpus of tests/histories, replayed through a store on PostgreSQL."""
    from pathlib import Path

    from tests.conftest import fresh_pg, pg_url_or_skip

    url = fresh_pg(pg_url_or_skip())
    corpus = sorted(Path(__file__).parent.joinpath("histories").glob("*.jsonl"))
    for path in corpus:
        pytester.path.joinpath(path.name.replace(".jsonl", ".history.jsonl")).write_bytes(
            path.read_bytes()
        )
    result = pytester.runpytest("--aftersales-histories", "--aftersales-db", url)
    result.assert_outcomes(passed=len(corpus))


def test_a_database_holding_cases_is_not_migrated_before_it_is_refused(pytester, tmp_path):
    from aftersales.storage import CaseStore
    from aftersales.storage.migrate import current, upgrade
    from tests.support import T0, facts

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = CaseStore(url)
    upgrade(store.engine)
    store.open_case(facts(case_id="KEEP", order_id="O-KEEP", opened_at=T0))
    from aftersales.storage.migrate import downgrade

    downgrade(store.engine, "as_0003")  # a database of the release before
    pytester.path.joinpath("agreed.history.jsonl").write_text(_history())
    result = pytester.runpytest("--aftersales-histories", "--aftersales-db", url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert current(store.engine) == "as_0003"  # left as it was
    store.engine.dispose()


def test_a_history_outside_the_root_directory_is_collected(pytester, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    outside.joinpath("agreed.history.jsonl").write_text(_history())
    inside = pytester.mkdir("project")
    inside.joinpath("pytest.ini").write_text("[pytest]\n")
    result = pytester.runpytest(
        "--rootdir",
        str(inside),
        "-c",
        str(inside / "pytest.ini"),
        "--aftersales-histories",
        str(outside / "agreed.history.jsonl"),
    )
    result.assert_outcomes(passed=1)

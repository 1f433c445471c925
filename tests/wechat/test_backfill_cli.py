"""``aftersales wechat backfill`` as an operator runs it: the HTTP gateway built from the
environment talks to a fake WeChat behind ``httpx.MockTransport`` (no network), the summary is
the JSON its schema describes, and a run that stopped or was interrupted goes on, with the same
``--cursor`` file, from the page it had not finished."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("httpx")

import httpx
import jsonschema
from typer.testing import CliRunner

import aftersales.wechat.gateway as gateway_module
from aftersales.cli import app
from aftersales.storage import CaseStore
from aftersales.wechat.gateway import TOKEN_URL
from tests.wechat.test_backfill import SINCE, UNTIL, order

SCHEMA = Path(__file__).parents[2] / "docs" / "schemas" / "wechat-backfill.schema.json"
ENV = {
    "AFTERSALES_DB": "",
    "AFTERSALES_WECHAT_APPID": "wx-app",
    "AFTERSALES_WECHAT_SECRET": "s3cret",
    "AFTERSALES_WECHAT_SHOP_ID": "S1",
}
RANGE = ["--since", SINCE.isoformat(), "--until", UNTIL.isoformat()]


class WeChatOverHttp:
    """WeChat's token, list and order APIs over HTTP: the pages of each window chained by
    ``next_key``; ``fail`` maps an order id to an HTTP status, a reply or an exception."""

    def __init__(self) -> None:
        self.windows = {
            int(SINCE.timestamp()): [["A", "B"], ["C"]],
            int((SINCE + timedelta(hours=24)).timestamp()): [["D"]],
        }
        self.lists: list[dict[str, Any]] = []
        self.fetched: list[str] = []
        self.fail: dict[str, int | dict[str, Any] | BaseException] = {}
        self.secrets: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if str(request.url) == TOKEN_URL:
            self.secrets.append(body["secret"])
            return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})
        assert request.url.params["access_token"] == "T"
        if request.url.path.endswith("/getaftersalelist"):
            self.lists.append(body)
            pages = self.windows.get(body["begin_update_time"], [[]])
            index = int(body.get("next_key", "p0")[1:])
            more = index + 1 < len(pages)
            return httpx.Response(
                200,
                json={
                    "errcode": 0,
                    "after_sale_order_id_list": pages[index],
                    "has_more": more,
                    "next_key": f"p{index + 1}" if more else "",
                },
            )
        assert request.url.path.endswith("/getaftersaleorder")
        ident = body["after_sale_order_id"]
        self.fetched.append(ident)
        failure = self.fail.get(ident)
        if isinstance(failure, BaseException):
            raise failure
        if isinstance(failure, dict):
            return httpx.Response(200, json=failure)
        if failure is not None:
            return httpx.Response(failure, text="busy")
        return httpx.Response(200, json=order(ident))


@pytest.fixture
def wechat(monkeypatch) -> WeChatOverHttp:
    """The fake WeChat, wired into every ``HttpGateway`` the command builds."""
    fake = WeChatOverHttp()
    real = gateway_module.HttpGateway

    def mocked(appid: str, secret: str, **options: Any) -> Any:
        return real(
            appid, secret, transport=httpx.MockTransport(fake), sleep=lambda s: None, **options
        )

    monkeypatch.setattr(gateway_module, "HttpGateway", mocked)
    return fake


@pytest.fixture
def db(db_url) -> str:
    """A migrated database, on SQLite and on PostgreSQL."""
    store = CaseStore(db_url)
    store.schema.upgrade()
    store.dispose()
    return db_url


def backfill(db: str, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        app, ["wechat", "backfill", "--db", db, *RANGE, *args], env=env or ENV
    )


def case_ids(db: str) -> list[str]:
    store = CaseStore(db)
    try:
        return sorted(store.case_ids())
    finally:
        store.dispose()


def test_every_order_of_the_range_is_synced_and_the_json_summary_follows_its_schema(db, wechat):
    result = backfill(db, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    jsonschema.validate(summary, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert (summary["pages"], summary["seen"], summary["opened"] + summary["applied"]) == (3, 4, 4)
    assert (summary["complete"], summary["cursor"], summary["stopped"]) == (True, None, None)
    assert wechat.fetched == ["A", "B", "C", "D"] and wechat.secrets == ["s3cret"]
    assert case_ids(db) == ["wx-A", "wx-B", "wx-C", "wx-D"]
    again = backfill(db)  # beside the webhook, or run twice: nothing changes
    assert again.exit_code == 0 and "range done" in again.stdout and "4 in sync" in again.stdout


def test_a_run_stopped_by_wechat_goes_on_from_its_cursor_file(db, wechat, tmp_path):
    cursor = tmp_path / "backfill.cursor"
    wechat.fail["C"] = 503  # a read: retried up to the bound, then the run stops at page 2
    stopped = backfill(db, "--cursor", str(cursor))
    assert stopped.exit_code == 1, stopped.output
    assert "stopped: getaftersaleorder C" in stopped.stdout
    assert f"rerun with --cursor {cursor}" in stopped.stdout
    assert cursor.read_text().strip() == f"{int(SINCE.timestamp())}:p1"
    assert case_ids(db) == ["wx-A", "wx-B"]
    del wechat.fail["C"]
    wechat.lists.clear()
    wechat.fetched.clear()
    rest = backfill(db, "--cursor", str(cursor), "--json")
    assert rest.exit_code == 0, rest.output
    assert json.loads(rest.stdout)["seen"] == 2 and wechat.fetched == ["C", "D"]
    assert wechat.lists[0]["next_key"] == "p1"  # page 1 is not listed again
    assert not cursor.exists()  # done: the next run starts from --since
    assert case_ids(db) == ["wx-A", "wx-B", "wx-C", "wx-D"]


def test_an_interrupted_run_goes_on_from_the_last_page_it_finished(db, wechat, tmp_path):
    cursor = tmp_path / "backfill.cursor"
    wechat.fail["D"] = KeyboardInterrupt()  # Ctrl-C while the third page is fetched
    interrupted = backfill(db, "--cursor", str(cursor))
    assert interrupted.exit_code == 130
    assert cursor.read_text().strip() == f"{int((SINCE + timedelta(hours=24)).timestamp())}:"
    del wechat.fail["D"]
    wechat.fetched.clear()
    rest = backfill(db, "--cursor", str(cursor))
    assert rest.exit_code == 0, rest.output
    assert wechat.fetched == ["D"] and "range done; 1 page(s), 1 order(s)" in rest.stdout
    assert case_ids(db) == ["wx-A", "wx-B", "wx-C", "wx-D"]


def test_max_pages_stops_on_purpose_and_exits_0(db, wechat, tmp_path):
    cursor = tmp_path / "c"
    first = backfill(db, "--cursor", str(cursor), "--max-pages", "1", "--json")
    assert first.exit_code == 0 and json.loads(first.stdout)["complete"] is False
    assert backfill(db, "--cursor", str(cursor), "--json").exit_code == 0
    assert case_ids(db) == ["wx-A", "wx-B", "wx-C", "wx-D"] and not cursor.exists()


def test_an_order_wechat_refuses_for_good_is_named_and_exits_1(db, wechat):
    wechat.fail["B"] = {"errcode": 10021050, "errmsg": "no such after-sale order"}
    result = backfill(db)
    assert result.exit_code == 1
    assert "not fetched: B: platform_error" in result.stderr
    assert "range done" in result.stdout and "1 not fetched" in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {**ENV, "AFTERSALES_WECHAT_SECRET": ""}, "AFTERSALES_WECHAT_SECRET must be set"),
        ((), {**ENV, "AFTERSALES_WECHAT_SHOP_ID": ""}, "no shop given"),
        (("--until", SINCE.isoformat()), ENV, "--since must come before --until"),
        (("--since", "yesterday"), ENV, "--since must be a date"),
        (("--max-pages", "0"), ENV, "--max-pages must be 1 or more"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2_before_any_call(db, wechat, args, env, message):
    result = backfill(db, *args, env=env)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) <= 2
    assert wechat.lists == [] and wechat.secrets == []


def test_a_cursor_file_of_another_range_is_refused(db, wechat, tmp_path):
    cursor = tmp_path / "c"
    cursor.write_text("12:p1\n")
    result = backfill(db, "--cursor", str(cursor))
    assert result.exit_code == 2 and "invalid_input: cursor '12:p1'" in result.stderr


def test_the_secret_is_never_an_option():
    result = CliRunner().invoke(app, ["wechat", "backfill", "--help"])
    assert result.exit_code == 0 and "--secret" not in result.stdout
    assert "AFTERSALES_WECHAT_SECRET" in result.stdout


def test_without_the_wechat_extra_the_group_says_so_in_one_line(db, monkeypatch):
    monkeypatch.setitem(sys.modules, "httpx", None)  # as if httpx were not installed
    monkeypatch.delitem(sys.modules, "aftersales.wechat.gateway", raising=False)
    result = backfill(db)
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        "error: aftersales wechat needs the 'wechat' extra (httpx not installed): "
        "pip install 'aftersales[wechat]'"
    )

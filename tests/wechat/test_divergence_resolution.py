"""A divergence a later sync explains is resolved, with when and the case's event that stood:
the store lists open divergences only unless asked, so ``verify`` and the report count the open
ones; a dispute's divergences and an after-sale order's are resolved each by their own kind."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.storage import CaseStore
from aftersales.wechat import ShopConfig, parse_notification, reconcile, sync

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = ShopConfig(shop_id="S1")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def later(order: dict[str, Any], status: str, seconds: int) -> dict[str, Any]:
    moved = copy.deepcopy(order)
    moved["after_sale_order"]["status"] = status
    moved["after_sale_order"]["update_time"] += seconds
    return moved


def test_a_later_sync_that_agrees_resolves_the_divergence_with_its_event(store):
    processing = load("order_merchant_processing.json")
    processing["after_sale_order"]["after_sale_order_id"] = "WX-1"
    processing["after_sale_order"]["order_id"] = "O-WX-1"
    assert sync(store, processing, shop=SHOP).action == "applied"  # opened, deadline set
    unknown = later(processing, "PLATFORM_PROCESSING", 60)
    assert sync(store, unknown, shop=SHOP).action == "divergence"
    [open_one] = store.divergences()
    assert open_one.resolved_at is None and open_one.resolved_seq is None
    result = sync(store, load("order_merchant_refund_success.json"), shop=SHOP)
    assert result.action == "applied"
    assert store.divergences() == [] and store.divergences("wx-WX-1") == []
    [resolved] = store.divergences(resolved=True)
    assert resolved.id == open_one.id
    assert resolved.resolved_seq == result.events[-1].seq == store.get("wx-WX-1").version
    assert resolved.resolved_at == result.events[-1].at
    # WeChat delivers the old message again: kept once, and stays resolved.
    assert sync(store, unknown, shop=SHOP).action == "divergence"
    assert store.divergences() == [] and len(store.divergences(resolved=True)) == 1


def test_a_sync_that_finds_the_case_agreeing_resolves_it_too(store):
    processing = load("order_merchant_processing.json")
    sync(store, processing, shop=SHOP)
    sync(store, later(processing, "PLATFORM_PROCESSING", 60), shop=SHOP)
    version = store.get("wx-WX-NEW").version
    assert sync(store, later(processing, "MERCHANT_PROCESSING", 120), shop=SHOP).action == (
        "in_sync"
    )
    [resolved] = store.divergences(resolved=True)
    assert resolved.resolved_seq == version and store.divergences() == []


def test_an_order_kept_before_its_case_existed_is_resolved_and_linked_once_opened(store):
    processing = load("order_merchant_processing.json")
    assert sync(store, processing).action == "divergence"  # no ShopConfig: cannot open
    [kept] = store.divergences()
    assert kept.case_id is None and kept.platform_id == "WX-NEW"
    assert sync(store, processing, shop=SHOP).action in ("opened", "applied")
    [resolved] = store.divergences(resolved=True)
    assert resolved.case_id == "wx-WX-NEW" and resolved.resolved_at is not None
    assert store.divergences() == []


def test_each_kind_resolves_its_own(store):
    order = load("order_merchant_reject_refund.json")
    sync(store, order, shop=SHOP)
    case_id = store.linked_case(order["after_sale_order"]["after_sale_order_id"])
    assert case_id is not None
    dispute = load("complaint_100_escalated.json")
    dispute["finder_shop_complaint"]["complaint_status"] = 999  # a status we do not know
    dispute["finder_shop_complaint"]["after_sale_order_id"] = order["after_sale_order"][
        "after_sale_order_id"
    ]
    assert reconcile(store, parse_notification(json.dumps(dispute)), shop=SHOP).action == (
        "divergence"
    )
    sync(store, later(order, "PLATFORM_PROCESSING", 60), shop=SHOP)
    assert len(store.divergences(case_id)) == 2
    # The after-sale order agrees again: its own divergence is resolved, the dispute's stays.
    sync(store, later(order, order["after_sale_order"]["status"], 120), shop=SHOP)
    [still_open] = store.divergences(case_id)
    assert still_open.platform_status == "999"


def test_verify_lists_the_open_divergences_only(tmp_path):
    db = f"sqlite:///{tmp_path / 'cases.db'}"
    store = CaseStore(db)
    store.create_schema()
    processing = load("order_merchant_processing.json")
    sync(store, processing, shop=SHOP)
    sync(store, later(processing, "PLATFORM_PROCESSING", 60), shop=SHOP)
    run = CliRunner().invoke
    before = json.loads(run(app, ["verify", "--db", db, "--json"]).stdout)
    assert len(before["platform_divergences"]) == 1
    sync(store, later(processing, "MERCHANT_PROCESSING", 120), shop=SHOP)
    after = json.loads(run(app, ["verify", "--db", db, "--json"]).stdout)
    assert after["platform_divergences"] == []
    store.engine.dispose()

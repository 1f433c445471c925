"""The eleven scenarios of issue #21, run through ``aftersales.wechat`` with a fake gateway that
answers the platform's documented replies. Prints one row per scenario: the state, the liability
(the assessment's rules), and what WeChat received. Runs against any release (an API a release
lacks shows as the error it raised), so the same script gives the "before" and "after" columns:

    python -m tests.wechat.eleven            # this tree
    PYTHONPATH=/path/to/other/src python tests/wechat/eleven.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aftersales.storage import CaseStore
from aftersales.wechat import ShopConfig, act, parse_notification, reconcile, sync
from tests.support import BUYER, CST, MERCHANT, T0, at, facts
from tests.wechat.platform import notify

SHOP = ShopConfig(
    shop_id="S1", reject_reason_types={"refund": 4, "return_refund": 20}, address_id="A1"
)
OK = {"errcode": 0, "errmsg": "ok"}


class Gateway:
    """Records each call; answers in turn (an exception is raised, a callable called)."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies) or [OK]
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, api: str, body: dict[str, Any]) -> Any:
        self.calls.append((api, dict(body)))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, BaseException):
            raise reply
        return reply(api, body) if callable(reply) else reply


class World:
    """One store at a fixed clock, one case, and what WeChat received."""

    def __init__(self, now: datetime, **overrides: Any) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.store = CaseStore(f"sqlite:///{self.dir.name}/cases.db", clock=lambda: now)
        self.store.create_schema()
        self.store.open_case(facts(platform_id="WX-1", **overrides))
        self.gateway = Gateway()
        self.notes: list[str] = []

    def act(self, event: str, hours: float, shop: ShopConfig = SHOP, **kw: Any) -> None:
        data = kw.pop("data", {})
        try:
            act(
                self.store,
                "C1",
                event,
                actor=MERCHANT,
                at=at(hours),
                gateway=self.gateway,
                shop=shop,
                data=data,
                **kw,
            )
        except TypeError:  # a release whose act takes no command_id: the same call without
            self.notes.append("no command_id")
            act(
                self.store,
                "C1",
                event,
                actor=MERCHANT,
                at=at(hours),
                gateway=self.gateway,
                shop=shop,
                data=data,
            )

    def row(self) -> dict[str, Any]:
        case = self.store.get("C1")
        received = [f"{api} {sorted(body)}" for api, body in self.gateway.calls]
        return {
            "state": case.state,
            "liability": case.liability or _rules(case),
            "wechat": "; ".join(received) or "nothing",
            "notes": "; ".join(self.notes),
        }


def _rules(case: Any) -> str:
    try:
        return ",".join(case.assess().rules) or "-"
    except Exception:  # not assessable: neither rejected nor under intervention
        return "-"


def attempt(world: World, step: Callable[[], Any]) -> None:
    try:
        result = step()
    except Exception as exc:  # the point: which releases raise, and what
        code = getattr(exc, "code", type(exc).__name__)
        world.notes.append(f"raised {code}")
    else:
        action = getattr(result, "action", None)
        if action:
            world.notes.append(action)


def order(status: str, hours: float, **extra: Any) -> dict[str, Any]:
    body = {
        "after_sale_order_id": "WX-1",
        "status": status,
        "order_id": "O1",
        "type": "REFUND",
        "create_time": int(T0.timestamp()),
        "update_time": int(at(hours).timestamp()),
        "refund_info": {"amount": 10000},
    }
    for key, value in extra.items():
        body[key] = {**body.get(key, {}), **value} if isinstance(value, dict) else value
    return body


IMAGE = {"kind": "image", "ref": "m-1", "media_id": "wx-1"}
NOW = at(24 * 30)


def declined(world: World) -> None:
    data = {"negotiation_type": "modify_request", "reason": "refund_without_return", "amount": 1}
    world.store.send("C1", "negotiate", actor=MERCHANT, at=at(1), data=data)
    world.store.send("C1", "decline", actor=BUYER, at=at(2))


def s1_reject_with_evidence() -> World:
    world = World(NOW, type="return_refund", category="fresh")
    declined(world)
    attempt(world, lambda: world.act("reject", 3, data={"evidence": [IMAGE]}))
    return world


def s2_reject_reason_type_per_command() -> World:
    world = World(NOW, type="return_refund", category="fresh")
    declined(world)
    data = {"evidence": [IMAGE], "reject_reason_type": 6}
    attempt(world, lambda: world.act("reject", 3, data=data))
    return world


def s3_act_racing_the_echo() -> World:
    world = World(NOW)

    def echo(api: str, body: dict[str, Any]) -> Any:
        note = notify("USER_WAIT_CONFIRM_UPDATE", 1)
        world.notes.append("echo " + reconcile(world.store, note, shop=SHOP).action)
        return OK

    world.gateway = Gateway(echo)
    data = {
        "negotiation_type": "invite_cancel",
        "reason": "shipped_interception_failed",
        "message": "已联系快递",
        "evidence": [IMAGE],
    }
    attempt(world, lambda: world.act("negotiate", 1, data=data))
    last = world.store.history("C1")[-1]
    world.notes.append(f"logged {last.event}/{last.origin} data={sorted(last.data)}")
    return world


def s4_gateway_timeout_then_retry() -> World:
    world = World(NOW)
    world.gateway = Gateway(TimeoutError("read timed out"), OK)
    attempt(world, lambda: world.act("agree", 1, command_id="req-1"))
    attempt(world, lambda: world.act("agree", 1.1, command_id="req-1"))
    return world


def s5_library_timer_before_wechats_deadline() -> World:
    world = World(NOW)
    attempt(world, lambda: world.store.fire_due_timers(at(49)))
    deadline = int(at(72).timestamp())
    attempt(world, lambda: sync(world.store, order("MERCHANT_PROCESSING", 50, deadline=deadline)))
    data = {"negotiation_type": "modify_request", "reason": "modify_amount_only", "amount": 5000}
    attempt(world, lambda: world.act("negotiate", 51, data={**data, "evidence": [IMAGE]}))
    return world


def s6_deadline_as_remaining_seconds() -> World:
    world = World(NOW)
    attempt(world, lambda: sync(world.store, order("MERCHANT_PROCESSING", 1, deadline=86400)))
    timer = world.store.get("C1").timer
    world.notes.append(f"timer due {timer.due.astimezone(CST):%m-%d %H:%M}" if timer else "none")
    return world


def s7_notification_ahead_of_our_clock() -> World:
    world = World(at(1))
    note = notify("USER_CANCELD", 1.5)
    attempt(world, lambda: reconcile(world.store, note, shop=SHOP))
    return world


def s8_seed_reason_from_the_platforms_lists() -> World:
    world = World(NOW, category="virtual")
    data = {
        "negotiation_type": "invite_cancel",
        "reason": "virtual_service_completed",
        "evidence": [{**IMAGE, "kind": "service_completion_proof"}],
    }
    attempt(world, lambda: world.act("negotiate", 1, data=data))
    return world


def s9_platform_auto_agree_unshipped() -> World:
    world = World(NOW, shipped=False)
    body = order("PLATFORM_REFUNDING", 2, refund_info={"refund_reason": 4})
    attempt(world, lambda: sync(world.store, body, shop=SHOP))
    last = world.store.history("C1")[-1]
    who = f"{last.actor.role}:{last.actor.id}" if last.actor.id else last.actor.role
    world.notes.append(f"logged {last.event} by {who}")
    return world


def s10_dispute_message_without_evidence() -> World:
    world = World(NOW)

    def reply(api: str, body: dict[str, Any]) -> Any:  # at status 103 only material is taken
        if api == "addcomplaintproof":
            return {"errcode": 10021504, "errmsg": "not in merchant-evidence status"}
        return OK

    world.store.send("C1", "reject", actor=MERCHANT, at=at(1))
    note = {
        "CreateTime": int(at(2).timestamp()),
        "Event": "channels_ec_complaint_update",
        "finder_shop_complaint": {
            "complaint_status": 103,
            "after_sale_order_id": "WX-1",
            "complaint_id": "CP-1",
        },
    }
    attempt(world, lambda: reconcile(world.store, parse_notification(note)))
    world.gateway = Gateway(reply)
    proof = {"kind": "chat_record", "ref": "c-1", "note": "买家已同意取消"}
    attempt(world, lambda: world.act("submit_evidence", 3, data={"evidence": [proof]}))
    return world


def s12_another_shops_config() -> World:
    world = World(NOW)
    attempt(world, lambda: world.act("agree", 1, shop=ShopConfig(shop_id="S2")))
    return world


SCENARIOS = [
    s1_reject_with_evidence,
    s2_reject_reason_type_per_command,
    s3_act_racing_the_echo,
    s4_gateway_timeout_then_retry,
    s5_library_timer_before_wechats_deadline,
    s6_deadline_as_remaining_seconds,
    s7_notification_ahead_of_our_clock,
    s8_seed_reason_from_the_platforms_lists,
    s9_platform_auto_agree_unshipped,
    s10_dispute_message_without_evidence,
    s12_another_shops_config,
]


def history(world: World, name: str) -> str:
    """The case's log as a history file (spec section 9) that ``aftersales replay`` checks; the
    case, order and WeChat ids named after the scenario, so the corpus can share one store."""
    case = world.store.get("C1")
    lines = []
    for record in case.events:
        if record.event == "open":
            facts = {k: v for k, v in record.data.items() if k not in ("opened_at", "policy")}
            facts.update(case_id=f"wechat-{name}", order_id=f"O-wechat-{name}")
            if facts.get("platform_id"):
                facts["platform_id"] = f"WX-{name}"
            line = {"op": "open", **facts, "at": record.at.isoformat()}
        elif record.event == "expire" and record.origin == "local":
            line = {"op": "tick", "at": record.at.isoformat()}
        else:
            actor = {"role": record.actor.role}
            if record.actor.id:
                actor["id"] = record.actor.id
            line = {"op": record.event, "actor": actor, "at": record.at.isoformat(), **record.data}
        if record.origin == "platform":
            line["origin"] = "platform"
        lines.append(line)
    expect: dict[str, Any] = {"op": "expect", "state": case.state, "final": case.final}
    if case.liability is not None:
        expect["liability"] = case.liability
    lines.append(expect)
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def table(histories: str | None = None) -> dict[str, dict[str, Any]]:
    """Each scenario's row; with ``histories`` (a folder), each case's history written there as
    ``wechat_<scenario>.jsonl``."""
    rows = {}
    for scenario in SCENARIOS:
        world = scenario()
        rows[scenario.__name__] = world.row()
        if histories is not None:
            name = scenario.__name__.split("_", 1)[1]
            with open(f"{histories}/wechat_{name}.jsonl", "w", encoding="utf-8") as out:
                out.write(history(world, name))
        world.store.engine.dispose()
        world.dir.cleanup()
    return rows


if __name__ == "__main__":
    json.dump(
        table(sys.argv[1] if len(sys.argv) > 1 else None), sys.stdout, ensure_ascii=False, indent=1
    )
    print()

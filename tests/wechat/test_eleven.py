"""Issue #21's eleven scenarios end to end (``tests/wechat/eleven.py``): what each leaves, and
that each case's history replays."""

from __future__ import annotations

from aftersales.histories import replay_file
from tests.wechat import eleven


def test_the_eleven_scenarios_after_issue_21(tmp_path):
    rows = eleven.table(str(tmp_path))
    assert "reject_certificates" in rows["s1_reject_with_evidence"]["wechat"]
    assert rows["s2_reject_reason_type_per_command"]["state"] == "rejected"
    assert rows["s3_act_racing_the_echo"]["notes"].startswith(
        "echo applied; logged negotiate/local"
    )
    assert rows["s4_gateway_timeout_then_retry"]["notes"] == "raised platform_error"
    assert rows["s4_gateway_timeout_then_retry"]["state"] == "refunding"
    assert rows["s5_library_timer_before_wechats_deadline"]["state"] == "negotiating"
    assert rows["s6_deadline_as_remaining_seconds"]["notes"] == "applied; timer due 04-01 10:00"
    assert rows["s7_notification_ahead_of_our_clock"]["state"] == "cancelled"
    assert rows["s8_seed_reason_from_the_platforms_lists"]["notes"] == "raised invalid_reason"
    assert rows["s9_platform_auto_agree_unshipped"]["notes"].endswith("system:platform_auto_agree")
    assert "addcomplaintmaterial" in rows["s10_dispute_message_without_evidence"]["wechat"]
    assert rows["s12_another_shops_config"]["notes"] == "raised permission_denied"
    histories = sorted(tmp_path.glob("wechat_*.jsonl"))
    assert len(histories) == 11
    for path in histories:
        outcome = replay_file(path)
        assert outcome.ok, (path.name, outcome)

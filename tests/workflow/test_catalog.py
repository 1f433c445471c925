"""The reason catalog and the vocabulary are complete, read-only data."""

from __future__ import annotations

from typing import get_args

import pytest

from aftersales import catalog
from aftersales.workflow.graph import machine_graph
from aftersales.workflow.inputs import CaseType, NegotiationType
from aftersales.workflow.liability import RULES
from aftersales.workflow.vocabulary import (
    EVENT_DATA,
    EVENT_LABELS,
    EVENT_ROLES,
    NEXT_ACTOR,
    STATE_LABELS,
    STATE_TIMERS,
)

# The spec's "both" (refund and return_refund) reads as every case type once contract v2 adds
# exchange: cancelling, or asking for evidence, is as open to an exchange as to a return.
BOTH = {"refund", "return_refund", "exchange"}
SPEC_ROWS = {
    # key: (type, applies to, need_image, WeChat code)
    "virtual_service_completed": ("invite_cancel", BOTH, True, None),
    "no_seven_day_return_invite_cancel": ("invite_cancel", BOTH, False, None),
    "agreed_cancel": ("invite_cancel", BOTH, True, None),
    "shipped_interception_failed": ("invite_cancel", {"refund"}, True, 9),
    "no_seven_day_return_request_quality_evidence": ("request_evidence", BOTH, False, None),
    "buyer_unreachable": ("request_evidence", {"refund"}, True, 7),
    "modify_amount_only": ("modify_request", {"refund"}, True, 10),
    "agreed_new_plan": ("modify_request", {"refund"}, True, 6),
    "refund_without_return": ("modify_request", {"return_refund"}, False, 8),
}


def test_catalog_holds_the_spec_rows():
    reasons = catalog()
    assert set(SPEC_ROWS) <= set(reasons)
    for key, (ntype, applies, need_image, code) in SPEC_ROWS.items():
        reason = reasons[key]
        assert (reason.negotiation_type, set(reason.applies_to)) == (ntype, applies)
        assert (reason.need_image, reason.wechat_code) == (need_image, code)


@pytest.mark.parametrize("key", sorted(SPEC_ROWS))
def test_every_reason_has_labels_templates_and_guide(key):
    reason = catalog()[key]
    assert reason.negotiation_type in get_args(NegotiationType)
    assert set(reason.applies_to) <= set(get_args(CaseType))
    for text in (
        reason.label_zh,
        reason.label_en,
        reason.message_zh,
        reason.message_en,
        reason.evidence_guide_zh,
        reason.evidence_guide_en,
    ):
        assert text.strip()


def test_catalog_is_read_only_and_loaded_once():
    assert catalog() is catalog()
    with pytest.raises(TypeError):
        catalog()["new"] = catalog()["agreed_cancel"]  # type: ignore[index]


def test_vocabulary_covers_the_machine():
    graph = machine_graph()
    assert set(STATE_LABELS) == set(graph.states) == set(NEXT_ACTOR)
    assert set(EVENT_ROLES) == set(graph.events) == set(EVENT_LABELS) == set(EVENT_DATA)
    assert set(STATE_TIMERS) <= set(graph.states)
    # Every state with a timer has an expire transition, and only those (plus the evidence timer);
    # the platform may move any running deadline.
    expiring = {e.source for e in graph.edges if e.event == "expire"}
    assert expiring == set(STATE_TIMERS) | {"platform_intervention"}
    moving = {e.source for e in graph.edges if e.event == "set_deadline"}
    assert moving == expiring


def test_every_liability_rule_has_both_explanations():
    assert set(RULES) == {
        "R1_direct_rejection",
        "R2_missing_evidence",
        "R3_evidence_timeout",
        "R4_defensible",
    }
    assert all(label.zh and label.en for label in RULES.values())

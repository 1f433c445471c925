"""Every name a trainee could meet has a Chinese and an English label in the one label table:
guards, timers, evidence kinds, refusal codes, liability rules, phases, facts."""

from __future__ import annotations

import inspect
from typing import get_args

import pytest

from aftersales.diagrams.labels import (
    BUYER_REASON_LABELS,
    CATEGORY_LABELS,
    DURATION_UNITS,
    ERROR_LABELS,
    EVIDENCE_GROUP_LABELS,
    NEGOTIATION_TYPE_LABELS,
    PHASE_LABELS,
    RISK_LABELS,
    TIMER_LABELS,
)
from aftersales.workflow import errors
from aftersales.workflow.graph import machine_graph
from aftersales.workflow.inputs import (
    SEVEN_DAY_RETURN,
    BuyerReason,
    CaseType,
    EvidenceKind,
    NegotiationType,
)
from aftersales.workflow.liability import RULES
from aftersales.workflow.vocabulary import (
    CASE_TYPE_LABELS,
    EVIDENCE_LABELS,
    GUARD_LABELS,
    STATES,
    TIMER_KINDS,
    Label,
)


def filled(label: Label) -> bool:
    return bool(label.zh.strip()) and bool(label.en.strip()) and label.zh != label.en


def guards_of_the_machine() -> set[str]:
    return {name for edge in machine_graph().edges for name in edge.conds + edge.validators}


def test_every_guard_of_the_machine_has_a_phrase():
    guards = guards_of_the_machine()
    assert guards, "the machine names its guards"
    assert guards <= set(GUARD_LABELS), guards - set(GUARD_LABELS)
    for name in guards:
        assert filled(GUARD_LABELS[name]), name
        assert "_" not in GUARD_LABELS[name].en, "a phrase, not a code name"


def test_no_phrase_for_a_guard_the_machine_does_not_have():
    assert set(GUARD_LABELS) <= guards_of_the_machine()


def test_every_timer_kind_has_a_phrase_taking_its_duration():
    assert set(TIMER_LABELS) == set(TIMER_KINDS)
    for kind in TIMER_KINDS:
        label = TIMER_LABELS[kind]
        assert label.zh.count("{}") == 1 and label.en.count("{}") == 1, kind
        assert filled(label)
    assert filled(DURATION_UNITS["hours"]) and filled(DURATION_UNITS["days"])
    assert TIMER_LABELS["merchant_response"].zh.format("48小时") == "商家48小时内处理"
    assert TIMER_LABELS["merchant_response"].en.format("48 h") == "merchant has 48 h"


def test_every_evidence_kind_has_a_label():
    kinds = set(get_args(EvidenceKind))
    assert set(EVIDENCE_LABELS) == kinds
    assert all(filled(EVIDENCE_LABELS[kind]) for kind in kinds - {"video"})
    assert EVIDENCE_LABELS["video"].zh == "视频"
    assert {"media", "any"} == set(EVIDENCE_GROUP_LABELS)


def test_every_refusal_code_has_a_label():
    codes = {
        cls.code
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.AftersalesError) and cls is not errors.AftersalesError
    }
    codes.discard("storage_unavailable")  # not a refusal: never shown to a trainee
    assert codes <= set(ERROR_LABELS), codes - set(ERROR_LABELS)
    assert all(filled(label) for label in ERROR_LABELS.values())


def test_every_liability_rule_has_a_short_risk_phrase():
    assert set(RISK_LABELS) == set(RULES)
    assert all(filled(label) for label in RISK_LABELS.values())


def test_every_state_belongs_to_a_labelled_phase():
    assert {info.phase for info in STATES.values()} == set(PHASE_LABELS)
    assert all(filled(info.label) for info in STATES.values())
    assert all(filled(label) for label in PHASE_LABELS.values())


@pytest.mark.parametrize(
    ("values", "table"),
    [
        (get_args(CaseType), CASE_TYPE_LABELS),
        (SEVEN_DAY_RETURN, CATEGORY_LABELS),
        (get_args(BuyerReason), BUYER_REASON_LABELS),
        (get_args(NegotiationType), NEGOTIATION_TYPE_LABELS),
    ],
)
def test_every_fact_value_has_a_label(values, table):
    assert set(table) == set(values)
    assert all(filled(label) for label in table.values())

"""A quiz answer in the trainee's words: the machine's verdict graded, what it leads to, and why.

The verdict itself is :meth:`Case.would`'s. Its messages are written for developers and name
code identifiers, so none is shown: the code, the state and the catalog are put into words here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...workflow.case import Case, Verdict
from ...workflow.graph import machine_graph
from ...workflow.liability import RULES
from ...workflow.reasons import catalog
from ...workflow.vocabulary import NEXT_ACTOR, STATE_LABELS, STATE_TIMERS, Label
from .. import words
from ..labels import ERROR_LABELS, LEGEND_LABELS
from .texts import PAGE, WHY

GRADES = ("best", "ok", "risk", "refused")


def verdict_class(verdict: Verdict, recommended: bool) -> str:
    """``refused`` if the machine refuses, ``risk`` if the merchant would be liable, ``best``
    for the recommended move the machine allows without risk, else ``ok``."""
    if not verdict.allowed:
        return "refused"
    if verdict.risk:
        return "risk"
    return "best" if recommended else "ok"


def outcome(verdict: Verdict) -> Label:
    """What the move leads to: the state after it, or the kind of refusal."""
    if not verdict.allowed:
        return ERROR_LABELS[verdict.code or "transition_not_allowed"]
    state = verdict.state_after or ""
    name = STATE_LABELS[state]
    if state in machine_graph().final:
        name = Label(name.zh + PAGE["final_mark"].zh, name.en + PAGE["final_mark"].en)
    return words.fill(PAGE["leads_to"], name)


def explain(case: Case, event: str, data: Mapping[str, Any], verdict: Verdict, grade: str) -> Label:
    """Why the machine answers ``event`` with ``data`` as it does, in a sentence or two."""
    if grade == "refused":
        return _refusal(case, data, verdict)
    if grade == "risk":
        return words.both([RULES[rule] for rule in verdict.risk], sep="and")
    if event == "reject":
        return RULES["R4_defensible"]
    following = _next(verdict.state_after or "")
    if grade == "best" and event in WHY:
        return Label(WHY[event].zh + following.zh, f"{WHY[event].en} {following.en}")
    return following


def _next(state: str) -> Label:
    """Whose turn it is after the move, and how long they have."""
    actor = NEXT_ACTOR.get(state)
    if actor is None:
        return Label("", "")
    kind = STATE_TIMERS.get(state)
    if kind is None:
        return words.fill(WHY["next"], LEGEND_LABELS[f"wait_{actor}"])
    return words.fill(WHY["next"], Label(*(words.timer(kind, lang) for lang in words.LANGS)))


def _refusal(case: Case, data: Mapping[str, Any], verdict: Verdict) -> Label:
    reason = catalog().get(str(data.get("reason", "")))
    named = Label(reason.label_zh, reason.label_en) if reason else None
    if verdict.code == "evidence_required" and named:
        return words.fill(WHY["refused_image"], named)
    if verdict.code == "invalid_reason" and named:
        return words.fill(WHY["refused_reason"], named)
    if verdict.code == "invalid_amount":
        return WHY["refused_amount"]
    if verdict.code == "transition_not_allowed":
        return words.fill(WHY["refused_state"], STATE_LABELS[case.state])
    return ERROR_LABELS[verdict.code or "transition_not_allowed"]

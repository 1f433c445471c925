"""The advice for people: the move, the message to send, the evidence to gather with the
catalog's guide lines, the other safe moves and what to avoid, each in Chinese then English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group
from rich.text import Text

from ..workflow.advice import Advice
from ..workflow.advice_evidence import EvidenceAdvice
from ..workflow.playbook import Situation
from ..workflow.reasons import catalog
from ..workflow.vocabulary import EVENT_LABELS, STATE_LABELS, Label

INDENT = "    "


def move_label(event: str, data: Mapping[str, Any]) -> Label:
    """A command as staff call it: the event, and for a negotiation its reason and type."""
    label = EVENT_LABELS[event]
    reason = catalog().get(str(data.get("reason")))
    if reason is None:
        return Label(label.zh, label.en)
    ntype = data.get("negotiation_type")
    return Label(
        f"{label.zh}「{reason.label_zh}」", f"{label.en}: {ntype}, reason {reason.label_en}"
    )


def situation_text(situation: Situation) -> str:
    """What the advice assumed, as the options that say it."""
    given = [
        f"--{name.replace('_', '-')}" + ("" if value is True else f" {value}")
        for name, value in situation.__dict__.items()
        if value not in (None, False)
    ]
    return " ".join(given) or "none given / 未提供"


def _both(title: str, label: Label | tuple[str, str], indent: str = INDENT) -> list[Text]:
    zh, en = label
    return [Text(title, style="bold"), Text(f"{indent}{zh}"), Text(f"{indent}{en}")]


def _evidence(items: tuple[EvidenceAdvice, ...], indent: str = INDENT) -> list[Text]:
    """Each item, then the catalog's guide line (once for items that share it)."""
    lines = []
    for number, item in enumerate(items, start=1):
        use = "随本次操作提交 / send with this move"
        if item.purpose == "rejection":
            use = "留存,日后拒绝时需要 / keep for a rejection later"
        if item.on_file:
            use = "已提交过 / already on file"
        lines.append(Text(f"{indent}{number}. {item.label_zh} / {item.label_en}  ({use})"))
        after = items[number] if number < len(items) else None
        if after is None or (after.guide_zh, after.guide_en) != (item.guide_zh, item.guide_en):
            lines.append(Text(f"{indent}   {item.guide_zh}", style="dim"))
            lines.append(Text(f"{indent}   {item.guide_en}", style="dim"))
    return lines


def _needs(move: Any) -> list[Text]:
    needs = []
    if move.amount_needed:
        needs.append(
            Text(f"{INDENT}填写金额(低于申请金额)/ fill in the amount (below the requested one)")
        )
    if move.tracking_needed:
        needs.append(Text(f"{INDENT}填写物流单号 / fill in the tracking number"))
    return needs


def advice_account(case_id: str, state: str, situation: Situation, advice: Advice) -> Group:
    """The whole advice for one case, Chinese then English in each part."""
    label = STATE_LABELS[state]
    parts: list[Text] = [
        Text(f"case {case_id}: {state} ({label.zh} / {label.en})", style="bold"),
        Text(f"situation / 情况: {situation_text(situation)}"),
    ]
    if advice.event is None:
        why = (advice.why_zh, advice.why_en)
        parts += _both("建议 / Advice: 暂无操作 / nothing to do now", why)
        return Group(*parts)
    move = move_label(advice.event, advice.data)
    parts += [Text(f"建议 / Advice: {move.zh} / {move.en}", style="bold green"), *_needs(advice)]
    parts += _both("原因 / Why:", (advice.why_zh, advice.why_en))
    if advice.message_zh and advice.message_en:
        parts += _both("留言模板 / Message to the buyer:", (advice.message_zh, advice.message_en))
    if advice.evidence:
        parts += [Text("凭证清单 / Evidence to gather:", style="bold"), *_evidence(advice.evidence)]
    if advice.alternatives:
        parts.append(Text("其他无风险操作 / Other safe moves:", style="bold"))
        for other in advice.alternatives:
            alt = move_label(other.event, other.data)
            parts.append(Text(f"{INDENT}- {alt.zh} / {alt.en}"))
            parts += _evidence(other.evidence, INDENT * 2)
    if advice.avoid:
        parts.append(Text("切勿 / Avoid:", style="bold red"))
        for avoid in advice.avoid:
            bad = move_label(avoid.event, avoid.data)
            rules = ", ".join(avoid.rules) or "-"
            parts.append(Text(f"{INDENT}- {bad.zh} / {bad.en} ({rules})", style="red"))
            parts += [Text(f"{INDENT}  {avoid.why_zh}"), Text(f"{INDENT}  {avoid.why_en}")]
    return Group(*parts)

"""Readable accounts of cases for people: path tables, refusals, liability explained."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..histories import Outcome
from ..workflow.case import Case
from ..workflow.liability import RULES
from ..workflow.vocabulary import ROLE_LABELS, STATE_LABELS
from .console import safe


def path_table(case: Case) -> Table:
    """One row per recorded event: time, actor, event and the state it led to."""
    table = Table(title=f"case {safe(case.case_id)}", show_lines=False)
    for column in ("#", "time", "actor", "event", "state", "状态"):
        table.add_column(column)
    for record in case.events:
        role = ROLE_LABELS[record.actor.role]
        who = f"{role.zh}/{role.en}" + (f" {safe(record.actor.id)}" if record.actor.id else "")
        label = STATE_LABELS[record.state_after]
        table.add_row(
            str(record.seq),
            record.at.strftime("%m-%d %H:%M"),
            who,
            record.event,
            f"{record.state_after} ({label.en})",
            label.zh,
        )
    return table


def liability_text(case: Case) -> Text:
    """The ruling's liable party and each deciding rule, in Chinese then English."""
    if case.liability is None:
        return Text("liability: not ruled / 未判责")
    lines = [f"liability / 责任方: {case.liability}"]
    for rule in case.liability_rules:
        lines.append(f"  {rule}: {RULES[rule].zh}")
        lines.append(f"  {' ' * len(rule)}  {RULES[rule].en}")
    return Text("\n".join(lines))


def outcome_account(outcome: Outcome) -> Group:
    """The whole account of one replayed history."""
    parts: list[Table | Text] = [path_table(outcome.case)]
    for number, event, code in outcome.refused:
        parts.append(Text(f"line {number}: {event} refused with {code}", style="yellow"))
    parts.append(liability_text(outcome.case))
    refund = outcome.case.refund_amount
    parts.append(Text(f"refunded / 退款: {refund if refund is not None else '-'} fen"))
    for failure in outcome.failures:
        parts.append(Text(f"FAILED {failure}", style="bold red"))  # Text: never markup
    return Group(*parts)


def summary_table(outcomes: Sequence[Outcome]) -> Table:
    """One line per history and a total."""
    table = Table(title="replay")
    for column in ("file", "case", "state", "liability", "refund", "events", "result"):
        table.add_column(column)
    for o in outcomes:
        case = o.case
        table.add_row(
            safe(o.source),
            safe(case.case_id),
            case.state,
            case.liability or "-",
            str(case.refund_amount) if case.refund_amount is not None else "-",
            str(len(case.events)),
            "ok" if o.ok else f"FAILED ({len(o.failures)})",
        )
    passed = sum(o.ok for o in outcomes)
    table.caption = f"{passed} passed, {len(outcomes) - passed} failed"
    return table

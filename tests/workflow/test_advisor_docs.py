"""docs/concepts/advisor.md: its playbook table is the data's, and it has one worked example per
playbook row, each a complete program that runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aftersales.workflow.playbook import Row, playbook

PAGE = Path(__file__).resolve().parents[2] / "docs" / "concepts" / "advisor.md"
TEXT = PAGE.read_text(encoding="utf-8")
EXAMPLES = re.findall(r"### `(\w+)`[^\n]*\n(?:(?!###).)*?```python\n(.*?)```", TEXT, re.S)


def _move(row: Row) -> str:
    move = f"`{row.event}`"
    if row.reason:
        move += f" `{row.negotiation_type}`, reason `{row.reason}`"
    if row.amount_needed:
        move += " (amount needed)"
    if row.tracking_needed:
        move += " (tracking needed)"
    return move


def render_table() -> str:
    """The playbook as the page's markdown table."""
    lines = [
        "| row | situation | state | move | evidence the move carries |",
        "|---|---|---|---|---|",
    ]
    for row in playbook().rows:
        if row.event == "reject":
            evidence = "section 5's need, computed"
        else:
            groups = [" or ".join(f"`{kind}`" for kind in group) for group in row.evidence]
            evidence = "; ".join(groups) or "none"
        states = ", ".join(f"`{state}`" for state in sorted(row.when.states))
        situation = f"{row.situation.en} ({row.situation.zh})"
        lines.append(f"| `{row.key}` | {situation} | {states} | {_move(row)} | {evidence} |")
    return "\n".join(lines) + "\n"


def test_the_playbook_table_is_the_datas():
    start = TEXT.index("<!-- playbook:start")
    table = TEXT[TEXT.index("\n", start) + 1 : TEXT.index("<!-- playbook:end -->")]
    assert table == render_table(), "docs/concepts/advisor.md: regenerate the playbook table"


def test_every_playbook_row_has_one_worked_example():
    assert [key for key, _ in EXAMPLES] == [row.key for row in playbook().rows]


@pytest.mark.parametrize(("key", "block"), EXAMPLES, ids=[key for key, _ in EXAMPLES])
def test_the_worked_example_runs(key, block):
    exec(compile(block, f"{PAGE.name}:{key}", "exec"), {"__name__": f"advisor_{key}"})

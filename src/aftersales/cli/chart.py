"""The weekly rates as a small SVG line chart (matplotlib, the optional ``chart`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..extras import require
from ..metrics import Week


def draw_weekly(weeks: Sequence[Week], target: Path) -> None:
    """Rejection rate and merchant-liable share per week, written to ``target`` as SVG."""
    require("the chart", "chart", "matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 3.5))
    nan = float("nan")
    days: Any = [week.start for week in weeks]
    rejection: Any = [nan if w.rejection_rate is None else w.rejection_rate for w in weeks]
    liable: Any = [
        nan if w.merchant_liable_share is None else w.merchant_liable_share for w in weeks
    ]
    axes.plot(days, rejection, marker="o", label="rejection rate")
    axes.plot(days, liable, marker="o", label="merchant-liable share")
    axes.set_ylim(0, 1)
    axes.set_ylabel("share of cases")
    axes.set_title("After-sales, per week")
    axes.legend()
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(target, format="svg", metadata={"Date": None})
    plt.close(figure)

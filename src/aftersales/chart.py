"""The weekly rates as a small SVG line chart (matplotlib, the optional ``chart`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any


def draw_weekly(weeks: Sequence[tuple[datetime, float | None, float | None]], target: Path) -> None:
    """Rejection rate and merchant-liable share per week, written to ``target`` as SVG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SystemExit("the chart needs matplotlib: pip install 'aftersales[chart]'") from exc
    figure, axes = plt.subplots(figsize=(8, 3.5))
    nan = float("nan")
    days: Any = [row[0] for row in weeks]
    rejection: Any = [nan if row[1] is None else row[1] for row in weeks]
    liable: Any = [nan if row[2] is None else row[2] for row in weeks]
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

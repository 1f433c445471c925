"""Shared by the benchmarks: timing, the result table, and results.json.

Every figure is a ratio against a baseline measured in the same process, in the same run: the
machines are shared and noisy, so absolute times mean little.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

INSERT_FEED = (
    "INSERT INTO aftersales_feed (position, case_id, seq) "
    "VALUES ((SELECT coalesce(max(position), 0) + 1 FROM aftersales_feed), ?, ?)"
)
"""The store's feed insert on SQLite, for the raw baselines: placed at the next position."""
RESULTS = Path(os.environ.get("AFTERSALES_BENCH_RESULTS", Path(__file__).parent / "results.json"))
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, 10, tzinfo=CST)


@dataclass
class Row:
    """One line of a benchmark's table."""

    id: str
    figure: str
    value: float
    baseline: float
    unit: str
    ratio: float
    target: str
    passed: bool


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs of ``fn``, in seconds: the least disturbed by neighbours."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def facts(case_id: str, **overrides: Any) -> dict[str, Any]:
    """Facts of a plain refund case."""
    return {
        "case_id": case_id,
        "order_id": "O-" + case_id,
        "shop_id": "S1",
        "buyer_id": "B1",
        "type": "refund",
        "category": "ordinary",
        "paid_amount": 10000,
        "requested_amount": 10000,
        "buyer_reason": "no_reason",
        "opened_at": T0,
        **overrides,
    }


def arguments(description: str, **sizes: int) -> argparse.Namespace:
    """Sizes from the command line, each with a default; ``--quick`` divides them by 10."""
    parser = argparse.ArgumentParser(description=description)
    for name, default in sizes.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--quick", action="store_true", help="a tenth of every size")
    args = parser.parse_args()
    if args.quick:
        for name in sizes:
            setattr(args, name, max(1, getattr(args, name) // 10))
    return args


def report(title: str, rows: list[Row]) -> None:
    """Print the table and merge the rows into bench/results.json."""
    print(f"\n{title}")
    header = f"{'id':<6}{'figure':<52}{'value':>12}{'baseline':>12}{'ratio':>8}  target"
    print(header)
    print("-" * len(header))
    for r in rows:
        mark = "PASS" if r.passed else "MISS"
        print(
            f"{r.id:<6}{r.figure:<52}{r.value:>12.4g}{r.baseline:>12.4g}{r.ratio:>8.3f}"
            f"  {r.target} {mark}"
        )
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for r in rows:
        saved[f"{r.id}:{r.figure}"] = asdict(r)
    saved["_python"] = sys.version.split()[0]
    RESULTS.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")

"""The benchmarks still run (tiny sizes, no timing asserted: ratios are for `make bench`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage.conftest import pg_url_or_skip

BENCH = Path(__file__).resolve().parent.parent / "bench"
TINY = {
    "p1_command.py": ["--cases", "10", "--rounds", "1"],
    "p2_memory_command.py": ["--events", "100", "--rounds", "1"],
    "p3_sweeper.py": ["--timers", "20"],
    "p4_verify.py": ["--histories", "10"],
    "p5_postgres.py": ["--cases", "8", "--rounds", "1", "--hot", "8"],
    "p6_memory.py": ["--cases", "100", "--machines", "10"],
    "p7_report.py": ["--cases", "200"],
}


@pytest.mark.parametrize("script", sorted(TINY))
def test_benchmark_runs_and_reports_ratios(script, tmp_path):
    env = {**os.environ, "AFTERSALES_BENCH_RESULTS": str(tmp_path / "results.json")}
    if script == "p5_postgres.py":
        env["AFTERSALES_PG_URL"] = pg_url_or_skip()
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *TINY[script]],
        capture_output=True,
        text=True,
        env=env,
        cwd=BENCH,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [v for k, v in json.loads((tmp_path / "results.json").read_text()).items() if ":" in k]
    assert rows and all({"value", "baseline", "ratio", "passed"} <= set(row) for row in rows)

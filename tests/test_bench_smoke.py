"""The benchmarks still run (tiny sizes, no timing asserted: ratios are for `make bench`).

Scripts that compare with the peers of the ``bench`` extra are skipped, saying so, when those
libraries are not installed; nothing is installed here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import pg_url_or_skip

BENCH = Path(__file__).resolve().parent.parent / "bench"
ALL_PEERS = ("django_fsm", "django_fsm_log", "transitions", "eventsourcing")
TINY = {
    "p1_command.py": (["--cases", "6", "--rounds", "1"], ()),
    "p2_memory_command.py": (["--cases", "6", "--rounds", "1"], ("transitions",)),
    "p3_sweeper.py": (["--timers", "20", "--rounds", "1"], ()),
    "p4_verify.py": (["--histories", "10", "--rounds", "1"], ALL_PEERS),
    "p5_postgres.py": (["--cases", "8", "--rounds", "1", "--hot", "8"], ()),
    "p6_memory.py": (["--cases", "10", "--rounds", "1"], ALL_PEERS),
    "p7_report.py": (["--cases", "200", "--rounds", "1"], ()),
    "p8_lifecycle.py": (["--cases", "4", "--rounds", "1"], ALL_PEERS),
    "p8_postgres.py": (["--cases", "3", "--rounds", "1"], (*ALL_PEERS, "psycopg_pool")),
    "p9_long_case.py": (["--events", "450", "--rounds", "1"], ()),
    "p9_linear.py": (["--events", "400", "--rounds", "1"], ()),
}
FIELDS = {"id", "figure", "value", "baseline", "unit", "ratio", "target", "passed", "min", "max"}


def test_every_script_is_covered():
    assert sorted(p.name for p in BENCH.glob("p[0-9]_*.py")) == sorted(TINY)


@pytest.mark.parametrize("script", sorted(TINY))
def test_benchmark_runs_and_reports_ratios(script, tmp_path):
    args, needs = TINY[script]
    missing = [name for name in needs if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"{script} needs the bench peers {missing}: pip install -e '.[bench]'")
    env = {**os.environ, "AFTERSALES_BENCH_RESULTS": str(tmp_path / "results.json")}
    if script in ("p5_postgres.py", "p8_postgres.py"):
        env["AFTERSALES_PG_URL"] = pg_url_or_skip()
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=BENCH,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    saved = json.loads((tmp_path / "results.json").read_text())
    rows = [row for key, row in saved.items() if ":" in key]
    assert rows and all(set(row) >= FIELDS for row in rows)
    assert all(row["id"] == script[:2].upper() for row in rows)


def test_postgres_lifecycles_say_why_they_skip_without_a_url(tmp_path):
    """Without AFTERSALES_PG_URL the PostgreSQL lifecycles run nothing, say so, and exit 0 (so
    `make bench` goes on), writing no row."""
    env = {k: v for k, v in os.environ.items() if k != "AFTERSALES_PG_URL"}
    env["AFTERSALES_BENCH_RESULTS"] = str(tmp_path / "results.json")
    done = subprocess.run(
        [sys.executable, str(BENCH / "p8_postgres.py"), "--quick"],
        capture_output=True,
        text=True,
        env=env,
        cwd=BENCH,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "skipped, AFTERSALES_PG_URL is not set" in done.stderr
    assert not (tmp_path / "results.json").exists()


@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_peers_selftest_passes(where):
    """Every peer runs both workloads to their final states, replays them, and refuses the
    forbidden steps leaving no trace, on SQLite files and on PostgreSQL databases of their own."""
    missing = [
        name for name in (*ALL_PEERS, "psycopg_pool") if importlib.util.find_spec(name) is None
    ]
    if missing:
        pytest.skip(f"the bench peers {missing} are missing: pip install -e '.[bench]'")
    args = ["--cases", "2"] + (["--postgres", pg_url_or_skip()] if where == "postgres" else [])
    done = subprocess.run(
        [sys.executable, str(BENCH / "peers" / "selftest.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "all peers passed" in done.stdout
    expected = 3 if where == "postgres" else 4
    assert done.stdout.count("settings read back") == expected

"""The package as a stranger installs it: the sdist and the wheel are built, the wheel goes into a
fresh virtualenv with the core alone and then with ``[all]``, and the sdist's own tests collect.
Slow (a build and two installs), and run by ``make test`` and CI all the same."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import venv
from pathlib import Path

import pytest

import aftersales

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(
    *args: str | Path, cwd: Path | None = None, ok: bool = True
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    if ok:
        assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    return out


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A virtualenv with nothing but pip."""
    folder = tmp_path_factory.mktemp("venv")
    venv.create(folder, with_pip=True)
    return folder / "bin"


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("aftersales-*.whl")
    return wheel


def test_the_core_install_is_the_workflow_alone(dist, fresh):
    _run(fresh / "pip", "install", "-q", _wheel(dist))
    installed = _run(fresh / "pip", "list", "--format=freeze").stdout.lower()
    for heavy in (
        "sqlalchemy",
        "sqlmodel",
        "alembic",
        "orjson",
        "msgspec",
        "typer",
        "rich",
        "graphviz",
        "psycopg",
    ):
        assert f"\n{heavy}==" not in f"\n{installed}", f"the core install pulled in {heavy}"
    script = (
        "from datetime import datetime, timezone\n"
        "from aftersales import Actor, __version__, open_case\n"
        "case = open_case({'case_id': 'C1', 'order_id': 'O1', 'shop_id': 'S1',"
        " 'buyer_id': 'B1', 'type': 'refund', 'category': 'ordinary', 'paid_amount': 100,"
        " 'requested_amount': 100, 'buyer_reason': 'no_reason',"
        " 'opened_at': datetime(2026, 3, 1, tzinfo=timezone.utc)})\n"
        "later = datetime(2026, 3, 2, tzinfo=timezone.utc)\n"
        "case.send('agree', actor=Actor.merchant('S1'), at=later)\n"
        "print(__version__, case.state)\n"
    )
    assert _run(fresh / "python", "-c", script).stdout.split() == [
        aftersales.__version__,
        "refunding",
    ]
    # The library's documents need no extra: a history line's schema, the --json outputs, metrics.
    core = "import aftersales.formats, aftersales.histories, aftersales.metrics, aftersales.cli"
    _run(fresh / "python", "-c", core)
    for part, extra in (("storage", "db"), ("wechat", "db"), ("diagrams", "diagrams")):
        missing = _run(fresh / "python", "-c", f"import aftersales.{part}", ok=False)
        last = missing.stderr.strip().splitlines()[-1]
        assert missing.returncode == 1 and f"pip install 'aftersales[{extra}]'" in last, last
    command = _run(fresh / "aftersales", "--help", ok=False)
    assert command.returncode == 3  # an extra not installed, as the docs have it
    assert command.stderr.strip() == command.stderr.strip().splitlines()[0]  # one line
    assert "pip install 'aftersales[cli]'" in command.stderr and "Traceback" not in command.stderr


def test_the_wheel_ships_the_library_not_the_tools(dist):
    import zipfile

    names = zipfile.ZipFile(_wheel(dist)).namelist()
    assert "aftersales/cli/command.py" in names and "aftersales/testing/plugin.py" in names
    docs = f"aftersales-{aftersales.__version__}.data/data/share/doc/aftersales/"
    for page in ("README.md", "CHANGELOG.md", "concepts/wechat.md", "reference/cli.md"):
        assert docs + page in names, page  # the docs travel with the wheel
    assert docs + "schemas/wechat-backfill.schema.json" in names
    assert not [n for n in names if n.startswith("tools/") or n.endswith("reference.py")]


def test_with_all_the_demo_runs_from_the_wheel(dist, fresh, tmp_path):
    _run(fresh / "pip", "install", "-q", f"{_wheel(dist)}[all]")
    assert _run(fresh / "aftersales", "--version").stdout.strip().endswith(aftersales.__version__)
    demo = _run(fresh / "aftersales", "demo", "--diagrams", "out", cwd=tmp_path)
    assert "0 log mismatches" in demo.stdout
    assert (tmp_path / "aftersales-demo.db").exists()
    assert (tmp_path / "out" / "index.html").exists()
    shown = _run(fresh / "aftersales", "docs").stdout.splitlines()
    found = dict(line.split(": ", 1) for line in shown if not line.startswith(" "))
    readme = Path(found["docs"])
    assert readme.is_file() and readme.is_relative_to(fresh.parent.resolve()), found
    assert (readme.parent / "reference" / "cli.md").is_file()
    assert Path(found["changelog"]).is_file()
    histories = Path(found["histories"].split("/*.jsonl")[0])
    replayed = _run(fresh / "aftersales", "replay", *map(str, histories.glob("*.jsonl")))
    assert "passed, 0 failed" in replayed.stdout


def test_the_sdist_tests_collect(dist, tmp_path):
    (sdist,) = dist.glob("aftersales-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.glob("aftersales-*")
    for needed in (
        "tests/conftest.py",
        "tests/support.py",
        "LICENSE",
        "CHANGELOG.md",
        "docs",
        "tools/reference.py",
    ):
        assert (unpacked / needed).exists(), needed
    assert len(list((unpacked / "tests" / "histories").glob("*.jsonl"))) >= 20
    collected = _run(
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        cwd=unpacked,
    )
    summary = collected.stdout.strip().splitlines()[-1]
    assert "error" not in summary and int(summary.split()[0]) > 500, summary

"""The console script before any command runs: a missing extra and bad settings of the
environment are one line on stderr and their exit code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aftersales.cli.command import main

HISTORY = Path(__file__).parent / "histories" / "idempotent_retries.jsonl"


def console_script(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``aftersales ARGS`` in a new interpreter, with ``env`` added to the environment."""
    code = "from aftersales.cli.command import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, "AFTERSALES_DB": "", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("AFTERSALES_TABLE_PREFIX", "t AS SELECT 1;--", "is not a table prefix"),
        ("AFTERSALES_TABLE_PREFIX", "my-shop_", "is not a table prefix"),
        ("AFTERSALES_TABLE_PREFIX", "p" * 43, "43 characters long"),
        ("AFTERSALES_DB_SCHEMA", "x;y", "is not a schema name"),
    ],
)
def test_a_bad_table_prefix_or_schema_is_one_line_and_exit_2(tmp_path, variable, value, why):
    for args in (("verify", "--db", str(tmp_path / "x.db")), ("replay", str(HISTORY))):
        done = console_script(*args, **{variable: value})
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"error: invalid_input: {variable}={value!r} ")
        assert why in done.stderr and len(done.stderr.splitlines()) == 1  # no traceback
        assert done.stdout == ""


def test_good_settings_still_run_the_command(tmp_path):
    done = console_script("replay", str(HISTORY), AFTERSALES_TABLE_PREFIX="Shop_")
    assert done.returncode == 0, done.stderr


def test_without_the_cli_extra_even_help_is_one_line_and_exit_3(monkeypatch, capsys):
    """The docs' exit code of a missing extra (3), in a core-only install's console script."""
    monkeypatch.setitem(sys.modules, "typer", None)  # as if typer were not installed
    monkeypatch.delitem(sys.modules, "aftersales.cli.application", raising=False)
    monkeypatch.setattr(sys, "argv", ["aftersales", "--help"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 3
    stderr = capsys.readouterr().err
    assert stderr == (
        "error: the aftersales command needs the 'cli' extra (typer not installed): "
        "pip install 'aftersales[cli]'\n"
    )

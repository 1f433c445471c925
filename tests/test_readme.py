"""The README tells the truth: the two commands come first, every Python example runs as printed
(in order, as a reader follows them), and every `aftersales` command it prints runs and exits 0
with nothing but the installed package (no file of this repository's tests).
`make demo` and `make test` themselves are run by CI and by the packaging test."""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from aftersales.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TEXT, re.S)


def test_readme_starts_with_the_two_commands():
    first = re.search(r"```(\w*)\n(.*?)```", TEXT, re.S)
    assert first is not None and first.group(1) == "sh"
    commands = [line.split("#")[0].strip() for line in first.group(2).splitlines()]
    assert commands == ["make demo", "make test"]
    assert TEXT.index("## Quick start") < TEXT.index("```")


def test_every_python_example_runs(capsys):
    found = blocks("python")
    assert len(found) >= 3, "the README shows fewer Python examples than it should"
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in found:
        exec(compile(block, str(README), "exec"), namespace)
    assert "transition_not_allowed" in capsys.readouterr().out


def _aftersales_commands() -> list[list[str]]:
    found = []
    for block in blocks("sh"):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("aftersales "):
                found.append(shlex.split(line)[1:])
    return found


def test_every_command_printed_runs(tmp_path, monkeypatch):
    commands = _aftersales_commands()
    assert len(commands) >= 5
    # Only what a pip user has: the files the commands themselves write, never tests/.
    assert not [args for args in commands if any("tests/" in arg for arg in args)]
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    demo = runner.invoke(app, ["demo"], env={"AFTERSALES_DB": ""})  # what `make demo` runs
    assert demo.exit_code == 0, demo.output
    for args in commands:
        expanded = [match for arg in args for match in (sorted(glob.glob(arg)) or [arg])]
        result = runner.invoke(app, expanded, env={"AFTERSALES_DB": ""})
        assert result.exit_code == 0, f"aftersales {' '.join(args)}: {result.output}"


def test_aftersales_docs_names_pages_and_histories_that_exist(tmp_path, monkeypatch):
    """In this checkout the docs are its own docs/; the wheel's are tested in test_packaging."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["docs"], env={"AFTERSALES_DB": ""})
    assert result.exit_code == 0, result.output
    found = dict(line.split(": ", 1) for line in result.stdout.splitlines() if line[0] != " ")
    assert Path(found["docs"]) == ROOT / "docs" / "README.md"
    assert Path(found["changelog"]) == ROOT / "CHANGELOG.md"
    histories = sorted(Path(found["histories"].split("/*.jsonl")[0]).glob("*.jsonl"))
    assert len(histories) >= 10
    example = result.stdout.split("replay one: aftersales ", 1)[1].split()
    replayed = CliRunner().invoke(app, example, env={"AFTERSALES_DB": ""})
    assert replayed.exit_code == 0, replayed.output

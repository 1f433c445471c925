"""docs/ as a user reads it: the generated reference is what the code says now, every link stays
inside the repository, and the JSON Schemas describe what the package really reads and prints."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.scenarios import SCENARIOS, history

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HISTORIES = sorted((ROOT / "tests" / "histories").glob("*.jsonl"))


def _generator():  # tools/ is not a package: the generator is run by path, as `make docs` runs it
    spec = importlib.util.spec_from_file_location("reference", ROOT / "tools" / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _generator().render


def test_the_generated_reference_is_fresh():
    expected = render()
    for relative, text in expected.items():
        path = DOCS / relative
        assert path.exists(), f"docs/{relative} is missing: run make docs"
        assert path.read_text(encoding="utf-8") == text, f"docs/{relative} is stale: make docs"
    generated = {
        p.relative_to(DOCS).as_posix()
        for d in ("reference", "schemas")
        for p in (DOCS / d).iterdir()
    }
    assert generated == set(expected), "docs/ holds a generated file the code no longer makes"


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted(DOCS.rglob("*.md"))]


@pytest.mark.parametrize("page", _markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_stays_in_the_repository(page):
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        assert not re.match(r"[a-z]+:", target), f"{page.name} links outside the repo: {target}"
        path = target.split("#", 1)[0]
        if path:
            assert (page.parent / path).resolve().is_relative_to(ROOT), target
            assert (page.parent / path).exists(), f"{page.name}: {target} does not exist"


def test_the_concept_pages_exist_and_are_linked_from_the_index():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for page in sorted((DOCS / "concepts").glob("*.md")) + sorted(
        (DOCS / "reference").glob("*.md")
    ):
        assert page.relative_to(DOCS).as_posix() in index, f"{page.name} is not in docs/README.md"
    assert len(list((DOCS / "concepts").glob("*.md"))) >= 5


# -- the schemas against what the package reads and prints --------------------------------------


def _schema(name: str) -> dict:
    return json.loads((DOCS / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_time(value: object) -> bool:
    # The package's own reading of a time: ISO 8601 with a UTC offset.
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def _validator(name: str) -> jsonschema.Validator:
    schema = _schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=FORMATS)


def _history_lines() -> list[tuple[str, int, dict]]:
    found = []
    sources = [(p.name, p.read_text(encoding="utf-8")) for p in HISTORIES]
    sources += [(n, history(n).read_text(encoding="utf-8")) for s in SCENARIOS for n in s.files]
    for name, text in sources:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                found.append((name, number, json.loads(line)))
    return found


def test_every_accepted_history_line_fits_the_schema():
    validator = _validator("history-line")
    checked = 0
    for name, number, line in _history_lines():
        if "expect_error" in line:
            continue  # deliberately wrong lines: some are refused for their shape
        errors = [e.message for e in validator.iter_errors(line)]
        assert not errors, f"{name}:{number}: {errors}"
        checked += 1
    assert checked > 300


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ({"op": "haggle", "at": "2026-03-01T10:00:00+08:00"}, "unknown op"),
        ({"op": "agree", "actor": {"role": "merchant", "id": "S1"}}, "no at"),
        ({"op": "agree", "actor": {"role": "boss"}, "at": "2026-03-01T10:00:00+08:00"}, "role"),
        (
            {
                "op": "agree",
                "actor": {"role": "merchant"},
                "at": "2026-03-01T10:00:00+08:00",
                "x": 1,
            },
            "extra",
        ),
        (
            {"op": "ship_return", "actor": {"role": "buyer"}, "at": "2026-03-01T10:00:00+08:00"},
            "no tracking",
        ),
        ({"op": "expect", "state": "paid"}, "unknown state"),
        ({"op": "expect", "advice": {"reason": "agreed_cancel"}}, "advice without an event"),
        ({"op": "expect", "advice": {"event": "accept"}}, "not a merchant's event"),
        (
            {"op": "expect", "advice": {"event": None}, "situation": {"mood": "calm"}},
            "unknown situation",
        ),
        ({"op": "tick", "at": "yesterday"}, "not a time"),
    ],
)
def test_the_schema_refuses_what_the_parser_refuses(line, why):
    assert list(_validator("history-line").iter_errors(line)), why


runner = CliRunner()


def _json(*args: str) -> list[dict]:
    result = runner.invoke(app, list(args), env={"AFTERSALES_DB": ""})
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_every_json_output_fits_its_schema(tmp_path):
    db = str(tmp_path / "cases.db")
    one = str(ROOT / "tests" / "histories" / "reason_agreed_new_plan_to_return.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"op": "agree"}\n')
    outputs = {
        "replay": _json("replay", "--json", "--db", db, one),
        "replay-files": runner.invoke(
            app, ["replay", "--json", one, str(HISTORIES[0]), str(broken)]
        ).stdout,
        "export": _json("export", "R-ANP", "--db", db, "--json"),
        "verify": _json("verify", "--db", db, "--json"),
        "timers-run": _json("timers", "run", "--db", db, "--once", "--json"),
        "db-current": _json("db", "current", "--db", db, "--json"),
        "report": _json("report", "--db", db, "--json"),
        "advise": _json("advise", "R-ANP", "--db", db, "--json"),
    }
    outputs["replay-files"] = [json.loads(x) for x in outputs["replay-files"].splitlines()]
    assert len(outputs["replay-files"]) == 3 and outputs["replay-files"][2]["case"] is None
    line_validator = _validator("history-line")
    for name, documents in outputs.items():
        assert documents, name
        validator = _validator(name)
        for document in documents:
            errors = [e.message for e in validator.iter_errors(document)]
            assert not errors, f"{name}: {errors}"
    for line in outputs["export"][0]["lines"]:
        assert not list(line_validator.iter_errors(line)), line


@pytest.mark.parametrize("page", sorted((DOCS / "concepts").glob("*.md")), ids=lambda p: p.name)
def test_the_complete_examples_of_the_concept_pages_run(page):
    # ```python blocks are complete programs and run here, in order; ```py blocks are fragments.
    namespace: dict[str, object] = {"__name__": "docs"}
    for block in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
        exec(compile(block, str(page), "exec"), namespace)

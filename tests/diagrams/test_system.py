"""Missing system pieces are named, not tracebacks: no Graphviz `dot` stops before anything is
written, with one line saying what to install; no CJK font is a warning that Chinese labels will
not render."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.diagrams import render

runner = CliRunner()
HISTORY = "tests/histories/idempotent_retries.jsonl"


@pytest.fixture
def no_dot(monkeypatch):
    real = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: None if name == "dot" else real(name)
    )


def test_without_dot_render_writes_nothing_and_says_what_to_install(no_dot, tmp_path):
    out = tmp_path / "diagrams"
    result = runner.invoke(app, ["diagrams", "render", "--out", str(out)])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "error: Graphviz's dot program is not installed",
        "  install the graphviz package, for example: apt-get install graphviz",
    ]
    assert not out.exists()


def test_without_dot_the_dot_format_still_works(no_dot, tmp_path):
    result = runner.invoke(
        app, ["diagram", "--history", HISTORY, "--format", "dot", "-o", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.dot").read_text().startswith("digraph")


@pytest.mark.render
def test_without_a_cjk_font_chinese_pictures_warn(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "has_cjk_font", lambda: False)
    stem = str(tmp_path / "c")
    zh = runner.invoke(app, ["diagram", "--history", HISTORY, "-o", stem])
    assert zh.exit_code == 0, zh.output
    assert zh.stderr.count("warning: no CJK font found") == 1
    en = runner.invoke(app, ["diagram", "--history", HISTORY, "-o", stem, "--lang", "en"])
    assert en.exit_code == 0 and "CJK" not in en.stderr


def test_the_library_warns_too(monkeypatch):
    monkeypatch.setattr(render, "has_cjk_font", lambda: False)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: "/usr/bin/" + name)
    with pytest.warns(render.SystemWarning, match="Chinese labels"):
        render.check_system(["svg"])

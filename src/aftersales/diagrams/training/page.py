"""The training set: every picture (overview, each party, each seed scenario) and one static
page, ``index.html``, that holds them with the scenario cards and the practice quiz.

Scenario paths, cards and quiz answers come from replaying the seed histories shipped with the
package and asking the machine, so the page shows exactly what the machine does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html import escape
from pathlib import Path

import graphviz

from ...scenarios import SCENARIOS, Scenario
from ...workflow.vocabulary import ROLE_LABELS, Label, Role
from .. import words
from ..labels import PICTURE_LABELS
from ..model import steps
from ..render import actor_diagram, highlight_diagram, machine_diagram, write
from ..words import Lang
from .advice import advice_card
from .assets import CSS, SCRIPT
from .cards import card, click_path
from .markup import advice_html, answer_key, bi, card_html, figure, question_html
from .quiz import questions
from .replays import replay_seed
from .texts import ADVICE, PAGE

__all__ = [
    "ROLES",
    "click_path",
    "page_html",
    "render_all",
    "replay_seed",
    "scenario_diagram",
    "training_diagrams",
    "write_page",
]

ROLES = tuple(role.value for role in Role)
"""The parties, merchant first: the one the training is for."""


def scenario_diagram(scenario: Scenario, lang: Lang) -> graphviz.Digraph:
    """The scenario's recommended paths in green and its risky path in red, nothing else."""
    recommended = [replay_seed(name) for name in scenario.recommended]
    risky = replay_seed(scenario.risky)
    title = scenario.title_zh if lang == "zh" else scenario.title_en
    return highlight_diagram(
        f"scenario_{scenario.key}_{lang}",
        title,
        [steps(case.events, case.path) for case in recommended],
        [steps(risky.events, risky.path)],
        lang,
    )


def training_diagrams() -> Iterator[tuple[str, graphviz.Digraph]]:
    """Every committed picture by file stem."""
    for lang in words.LANGS:
        yield f"overview_{lang}", machine_diagram(lang)
    for role in ROLES:
        for lang in words.LANGS:
            yield f"actor_{role}_{lang}", actor_diagram(role, lang)
    for scenario in SCENARIOS:
        for lang in words.LANGS:
            yield f"scenario_{scenario.key}_{lang}", scenario_diagram(scenario, lang)


def _title(scenario: Scenario) -> Label:
    return Label(scenario.title_zh, scenario.title_en)


def _party_title(role: str) -> Label:
    frame, who = PICTURE_LABELS["actor_title"], ROLE_LABELS[role]
    return Label(frame.zh.format(who.zh), frame.en.format(who.en))


def _toc() -> str:
    parties = "".join(
        f'<li><a href="#party-{role}">{bi(_party_title(role))}</a></li>' for role in ROLES
    )
    scenarios = "".join(
        f'<li><a href="#scenario-{s.key}">{bi(_title(s))}</a></li>' for s in SCENARIOS
    )
    return (
        f'<nav class="toc" aria-label="toc"><h2>{bi(PAGE["toc"])}</h2><ol>'
        f'<li><a href="#overview">{bi(PAGE["overview"])}</a></li>'
        f'<li><a href="#parties">{bi(PAGE["parties"])}</a><ol>{parties}</ol></li>'
        f'<li><a href="#scenarios">{bi(PAGE["scenarios"])}</a><ol>{scenarios}</ol></li>'
        f'<li><a href="#quiz">{bi(PAGE["quiz"])}</a></li>'
        "</ol></nav>"
    )


def _overview() -> str:
    return (
        f'<section id="overview"><h2>{bi(PAGE["overview"])}</h2>'
        f'<p class="note">{bi(PAGE["overview_note"])}</p>'
        f"{figure('overview', PAGE['overview'])}</section>"
    )


def _parties() -> str:
    sheets = "".join(
        f'<div class="sheet wide" id="party-{role}"><h3>{bi(_party_title(role))}</h3>'
        f"{figure(f'actor_{role}', _party_title(role))}</div>"
        for role in ROLES
    )
    return (
        f'<section id="parties"><h2>{bi(PAGE["parties"])}</h2>'
        f'<p class="note">{bi(PAGE["parties_note"])}</p>{sheets}</section>'
    )


def _scenario(scenario: Scenario) -> str:
    advice = advice_html(ADVICE["card"], ADVICE["card_note"], advice_card(scenario))
    return (
        f'<section id="scenario-{scenario.key}" class="scenario"><h2>{bi(_title(scenario))}</h2>'
        f'<div class="beside">{figure(f"scenario_{scenario.key}", _title(scenario))}{advice}</div>'
        f'<div class="sheet">{card_html(card(scenario))}</div></section>'
    )


def _quiz() -> str:
    found = questions()
    body = "".join(question_html(n, q) for n, q in enumerate(found, start=1))
    return (
        f'<section id="quiz"><h2>{bi(PAGE["quiz"])}</h2>'
        f'<p class="note">{bi(PAGE["quiz_note"])}</p>{body}{answer_key(found)}</section>'
    )


def page_html() -> str:
    """The training page's HTML: one file, both languages, the pictures beside it."""
    title = f"{PAGE['title'].zh} / {PAGE['title'].en}"
    header = (
        '<header class="top"><div class="tools">'
        f'<button type="button" id="switch">{bi(PAGE["switch"])}</button>'
        f'<button type="button" id="print">{bi(PAGE["print"])}</button></div>'
        f"<h1>{bi(PAGE['title'])}</h1><p>{bi(PAGE['intro'])}</p>"
        f'<p class="rule">{bi(PAGE["rule"])}</p></header>'
    )
    sections = "".join(_scenario(s) for s in SCENARIOS)
    scenarios = f'<div id="scenarios">{sections}</div>'
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN" data-lang="zh">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>{CSS}</style>\n</head>\n<body>\n{header}\n{_toc()}\n<main>\n"
        f"{_overview()}\n{_parties()}\n{scenarios}\n{_quiz()}\n</main>\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def write_page(out: Path) -> Path:
    """Write ``out/index.html``."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "index.html"
    target.write_text(page_html(), encoding="utf-8")
    return target


def render_all(out: Path, formats: Iterable[str] = ("dot", "svg")) -> list[Path]:
    """The committed training set: every picture in both languages, and the page."""
    formats = tuple(formats)
    written = []  # the first write checks for dot before anything is written
    for stem, dot in training_diagrams():
        written += write(dot, out, stem, formats)
    written.append(write_page(out))
    return written

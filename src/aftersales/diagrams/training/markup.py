"""HTML for the training page's parts: bilingual text, pictures, scenario cards, quiz questions.

Every text is written twice, once per language, and the page shows one language at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ...workflow.vocabulary import Label
from .answers import GRADES
from .cards import Card, Entry, Way
from .quiz import Question
from .texts import PAGE

GRADE_LABELS = {grade: PAGE[f"verdict_{grade}"] for grade in GRADES}


def bi(label: Label, tag: str = "span", cls: str = "") -> str:
    """``label`` in both languages, each in its own element; CSS shows one of them."""
    extra = f" {cls}" if cls else ""
    return (
        f'<{tag} class="zh{extra}" lang="zh-CN">{escape(label.zh)}</{tag}>'
        f'<{tag} class="en{extra}" lang="en">{escape(label.en)}</{tag}>'
    )


def figure(stem: str, alt: Label) -> str:
    """A committed picture in both languages."""
    return (
        "<figure>"
        f'<img class="zh" src="{stem}_zh.svg" alt="{escape(alt.zh)}">'
        f'<img class="en" src="{stem}_en.svg" alt="{escape(alt.en)}">'
        "</figure>"
    )


def _entry(entry: Entry) -> str:
    tone = f' class="{entry.tone}"' if entry.tone else ""
    lines = "".join(bi(line, "p") for line in entry.lines)
    return f"<dt>{bi(entry.heading)}</dt><dd{tone}>{lines}</dd>"


def _way(way: Way) -> str:
    entries = "".join(_entry(entry) for entry in way.entries)
    return f'<article class="way"><h3>{bi(way.title)}</h3><dl>{entries}</dl></article>'


def advice_html(heading: Label, note: Label, turns: Iterable[Way]) -> str:
    """The advisor's card: one part per merchant turn, each a short list."""
    parts = "".join(
        f"<h4>{bi(turn.title)}</h4><dl>{''.join(_entry(e) for e in turn.entries)}</dl>"
        for turn in turns
    )
    return (
        f'<aside class="advice"><h3>{bi(heading)}</h3><p class="note">{bi(note)}</p>{parts}</aside>'
    )


def card_html(card: Card) -> str:
    """A scenario card: each recommended way, then what a direct rejection costs."""
    ways = "".join(_way(way) for way in card.ways)
    cost = "".join(bi(line, "p") for line in card.cost.lines)
    return f'{ways}<div class="cost"><h3>{bi(card.cost.heading)}</h3>{cost}</div>'


def _facts(question: Question) -> str:
    rows = "".join(
        f"<tr><th>{bi(heading)}</th><td>{bi(value)}</td></tr>" for heading, value in question.facts
    )
    return f"<table>{rows}</table>"


def question_html(number: int, question: Question) -> str:
    """One quiz question: the story, the facts, the options, and each option's hidden answer."""
    qid = f"q{number}"
    items = []
    for index, option in enumerate(question.options, start=1):
        fid = f"{qid}-a{index}"
        button = (
            f'<button type="button" class="option" aria-pressed="false" aria-controls="{fid}" '
            f'data-grade="{option.grade}" data-kind="{option.move.kind}">'
            f"{bi(option.move.label)}</button>"
        )
        feedback = (
            f'<div class="feedback" id="{fid}" data-grade="{option.grade}" hidden>'
            f"<p>{bi(GRADE_LABELS[option.grade], cls='grade')} · {bi(option.outcome)}</p>"
            f"<p>{bi(option.why)}</p></div>"
        )
        items.append(f"<li>{button}{feedback}</li>")
    heading = Label(PAGE["question"].zh.format(number), PAGE["question"].en.format(number))
    return (
        f'<div class="question" id="{qid}">'
        f"<h3>{bi(heading)}</h3><p>{bi(question.story)}</p>{_facts(question)}"
        f"<p><b>{bi(PAGE['your_move'])}</b></p>"
        f'<ol class="options">{"".join(items)}</ol></div>'
    )


def answer_key(questions: Iterable[Question]) -> str:
    """The printed answer key: each question's recommended option by letter."""
    letters = "ABCDEFGH"
    keys = " · ".join(f"{n}. {letters[q.best]}" for n, q in enumerate(questions, start=1))
    return f'<div class="answer-key"><h3>{bi(PAGE["answer_key"])}</h3><p>{keys}</p></div>'

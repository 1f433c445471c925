"""The trainee's words for the machine's names, all looked up in the label tables (the
workflow's rows in :mod:`aftersales.workflow.vocabulary`, the rest in :mod:`.labels`) and the
reason catalog. Nothing here invents a label: it only picks the language and joins phrases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Literal

from ..workflow.inputs import Policy
from ..workflow.vocabulary import (
    EVENT_LABELS,
    EVIDENCE_LABELS,
    GUARD_LABELS,
    ROLE_LABELS,
    STATE_LABELS,
    Label,
)
from .labels import (
    DURATION_UNITS,
    EVIDENCE_GROUP_LABELS,
    FALLBACK_LABEL,
    LEGEND_LABELS,
    TIMER_LABELS,
)

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

IMPLIED_GUARDS = frozenset({"is_timer_due"})
"""Guards a picture leaves out: the timer phrase on an expiry already says the deadline passed."""


def text(label: Label, lang: Lang) -> str:
    """The label in ``lang``."""
    return label.zh if lang == "zh" else label.en


def joined(parts: Iterable[str], lang: Lang, sep: str = "list") -> str:
    """Phrases joined as a list (、 / ,) or as alternatives (或 / or)."""
    seps = {"list": ("、", ", "), "or": ("或", " or "), "and": (" + ", " + ")}[sep]
    return (seps[0] if lang == "zh" else seps[1]).join(parts)


def duration(span: timedelta, lang: Lang) -> str:
    """``48小时`` / ``48 h`` or, for whole days from three days on, ``7天`` / ``7 d``."""
    hours = int(span.total_seconds() // 3600)
    if hours % 24 == 0 and hours >= 72:
        return text(DURATION_UNITS["days"], lang).format(hours // 24)
    return text(DURATION_UNITS["hours"], lang).format(hours)


def timer(kind: str, lang: Lang, policy: Policy | None = None) -> str:
    """A timer as a phrase with its duration, by default the policy's default."""
    span = (policy or Policy()).duration(kind)
    return text(TIMER_LABELS[kind], lang).format(duration(span, lang))


def event(name: str | None, lang: Lang) -> str:
    """What an event is called; an eventless step happens at once."""
    return text(EVENT_LABELS[name] if name else LEGEND_LABELS["instant"], lang)


def state(name: str, lang: Lang) -> str:
    """What a state is called."""
    return text(STATE_LABELS[name], lang)


def states(names: Iterable[str], lang: Lang) -> str:
    """Several states, listed."""
    return joined((state(name, lang) for name in names), lang)


def guards(names: Sequence[str], fallback: bool, lang: Lang) -> list[str]:
    """The phrases of the guards an arrow shows, or "otherwise" for a fallback."""
    shown = [text(GUARD_LABELS[name], lang) for name in names if name not in IMPLIED_GUARDS]
    return [*shown, text(FALLBACK_LABEL, lang)] if fallback else shown


def evidence(kinds: Iterable[str], lang: Lang) -> str:
    """Evidence kinds (or the placeholders ``media`` and ``any``), listed without repeats."""
    table = {**EVIDENCE_LABELS, **EVIDENCE_GROUP_LABELS}
    return joined(dict.fromkeys(text(table[kind], lang) for kind in kinds), lang)


def need(groups: Sequence[Sequence[str]], lang: Lang) -> str:
    """An evidence need: every group, each met by one of its kinds."""
    table = {**EVIDENCE_LABELS, **EVIDENCE_GROUP_LABELS}
    parts = (joined((text(table[k], lang) for k in group), lang, "or") for group in groups)
    return joined(parts, lang, "and")


def money(fen: int) -> str:
    """An amount in fen as yuan: ``¥199.00``."""
    return f"¥{fen // 100}.{fen % 100:02d}"


def who(role: str, name: str | None, lang: Lang) -> str:
    """Who does what: ``商家:同意`` / ``merchant: agree``."""
    sep = ":" if lang == "zh" else ": "
    return text(ROLE_LABELS[role], lang) + sep + event(name, lang)


def aside(line: str, extra: Sequence[str], lang: Lang) -> str:
    """A line with phrases in brackets after it: ``同意(仅退款售后单)``."""
    if not extra:
        return line
    inner = joined(extra, lang)
    return f"{line}({inner})" if lang == "zh" else f"{line} ({inner})"


def fill(frame: Label, *parts: Label | str) -> Label:
    """A sentence frame of the label table filled in both languages."""
    zh = [part.zh if isinstance(part, Label) else part for part in parts]
    en = [part.en if isinstance(part, Label) else part for part in parts]
    return Label(frame.zh.format(*zh), frame.en.format(*en))


def both(labels: Sequence[Label], sep: str = "list") -> Label:
    """Labels joined into one, each language its own way."""
    return Label(
        joined((label.zh for label in labels), "zh", sep),
        joined((label.en for label in labels), "en", sep),
    )

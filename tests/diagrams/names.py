"""The code names a trainee must never read: identifiers of the machine, the reason catalog,
the evidence kinds, the liability rules and the refusal codes."""

from __future__ import annotations

import inspect
import re
from functools import cache
from typing import get_args

from aftersales.diagrams.labels import NEGOTIATION_TYPE_LABELS
from aftersales.workflow import errors
from aftersales.workflow.graph import machine_graph
from aftersales.workflow.inputs import EvidenceKind
from aftersales.workflow.liability import RULES
from aftersales.workflow.reasons import catalog
from aftersales.workflow.vocabulary import TIMER_KINDS

SMALL_ID = re.compile(r'<FONT POINT-SIZE="9" COLOR="#757575">\w+</FONT>')
"""A state id standing small beside its label: the one code name a picture may show."""


@cache
def code_names() -> frozenset[str]:
    """Every identifier with an underscore. Single words (``reject``, ``image``, ``closed``)
    are left out: they are plain English too, and the English labels rightly use them."""
    graph = machine_graph()
    guards = {name for edge in graph.edges for name in edge.conds + edge.validators}
    codes = {
        cls.code
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.AftersalesError)
    }
    names = (
        set(graph.states)
        | set(graph.events)
        | guards
        | set(TIMER_KINDS)
        | set(catalog())
        | set(get_args(EvidenceKind))
        | set(NEGOTIATION_TYPE_LABELS)
        | set(RULES)
        | codes
    )
    return frozenset(name for name in names if "_" in name)


def found_in(text: str) -> list[str]:
    """The code names that occur in ``text`` as whole words."""
    return sorted(name for name in code_names() if re.search(rf"(?<![\w-]){name}(?![\w-])", text))

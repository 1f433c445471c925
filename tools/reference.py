"""The reference pages of ``docs/``, written from the code itself: the machine's states and
events, the error codes, the reason catalog, the policy and its timers, WeChat's statuses and the
JSON Schemas. ``make docs`` (``python tools/reference.py docs``) writes them; a test checks
that the committed files are what the code says now.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from aftersales.workflow.errors import ERROR_CLASSES
from aftersales.workflow.graph import Edge, machine_graph
from aftersales.workflow.inputs import Policy
from aftersales.workflow.liability import RULES
from aftersales.workflow.reasons import catalog
from aftersales.workflow.vocabulary import (
    CASE_TYPE_LABELS,
    EVENT_DATA,
    EVENT_LABELS,
    EVENT_ROLES,
    GUARD_LABELS,
    NEXT_ACTOR,
    STATE_LABELS,
    STATE_TIMERS,
    TIMER_KINDS,
)

GENERATED = "<!-- Generated from the code by `make docs`; edit the code, not this file. -->"


def _table(head: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ") or "-"

    head = list(head)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _page(title: str, intro: str, *sections: str) -> str:
    return "\n\n".join([GENERATED, f"# {title}", intro, *sections]) + "\n"


def _code(names: Iterable[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _edge_text(edge: Edge) -> str:
    guards = [name for name in edge.conds if name in GUARD_LABELS]
    when = f" if {_code(guards)}" if guards else ""
    return f"`{edge.source}` → `{edge.target}`{when}"


# -- states -------------------------------------------------------------------------------------


def states_page() -> str:
    from aftersales.wechat.status import STATUSES

    graph = machine_graph()
    statuses: dict[str, list[str]] = {}
    for status, states in STATUSES.items():
        for state in states:
            statuses.setdefault(state, []).append(status)
    eventless = {edge.source for edge in graph.edges if edge.event is None}
    rows = []
    for state in graph.states:
        label = STATE_LABELS[state]
        kind = "final" if state in graph.final else "transient" if state in eventless else ""
        rows.append(
            (
                f"`{state}`",
                label.zh,
                label.en,
                kind,
                NEXT_ACTOR.get(state) or "",
                f"`{STATE_TIMERS[state]}`" if state in STATE_TIMERS else "",
                _code(statuses.get(state, [])),
            )
        )
    return _page(
        "States",
        f"A case starts in `{graph.initial}`. A final state takes no further event; a transient "
        "state is left at once by a transition of its own. The timer is the one the state "
        "starts on entry (see [policy and timers](policy.md)); the WeChat statuses are those an "
        "after-sale order shows while the case is in the state (see [WeChat](wechat.md)).",
        _table(
            ("State", "中文", "English", "Kind", "Next to act", "Timer", "WeChat statuses"), rows
        ),
    )


# -- events -------------------------------------------------------------------------------------


def _field_type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "anyOf" in schema:
        return " or ".join(_field_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_field_type(schema.get('items', {}))}"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _fields(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parts = []
    for name, prop in schema.get("properties", {}).items():
        mark = "" if name in required else "?"
        parts.append(f"`{name}{mark}`: {_field_type(prop)}")
    return "; ".join(parts) or "none"


def events_page() -> str:
    graph = machine_graph()
    rows = []
    for event in EVENT_ROLES:
        edges = [edge for edge in graph.current_edges if edge.event == event]
        label = EVENT_LABELS[event]
        rows.append(
            (
                f"`{event}`",
                f"{label.zh} / {label.en}",
                EVENT_ROLES[event],
                "<br>".join(_edge_text(edge) for edge in edges),
                _fields(EVENT_DATA[event]),
            )
        )
    guards = _table(
        ("Guard", "中文", "English"),
        ((f"`{name}`", label.zh, label.en) for name, label in GUARD_LABELS.items()),
    )
    return _page(
        "Events",
        "Each event names the one role that may send it. Every command also carries `actor`, "
        "`at` (a time with a UTC offset) and optionally `command_id` (an idempotency key) and "
        "`origin` (`local`, or `platform` for what was learned from WeChat). A field marked `?` "
        "is optional. Where an event has several transitions from one state, the first whose "
        "guards hold is taken, in the order listed. `expire` is sent by the timers, never by a "
        "caller (the platform may send it early, with `origin` `platform`).",
        _table(("Event", "Label", "Role", "Transitions", "Data"), rows),
        "## Guards\n\n" + guards,
    )


# -- errors -------------------------------------------------------------------------------------


def errors_page() -> str:
    rows = [
        (f"`{code}`", f"`{cls.__name__}`", (inspect.getdoc(cls) or "").replace("``", "`"))
        for code, cls in ERROR_CLASSES.items()
    ]
    return _page(
        "Error codes",
        "Every refusal is an `AftersalesError` with a stable `code`, an English and a Chinese "
        "message, and the offending `field` where there is one. A refused command changes "
        "nothing. Catch the class, or compare the code.",
        _table(("Code", "Class", "Meaning"), rows),
    )


# -- reasons ------------------------------------------------------------------------------------


def reasons_page() -> str:
    rows = []
    for reason in catalog().values():
        needs = "; and ".join(" or ".join(group) for group in reason.rejection_evidence)
        rows.append(
            (
                f"`{reason.key}`",
                f"{reason.label_zh} / {reason.label_en}",
                f"`{reason.negotiation_type}`",
                ", ".join(CASE_TYPE_LABELS[t].en for t in reason.applies_to),
                "yes" if reason.need_image else "",
                _requirements(reason.requires),
                needs,
                reason.wechat_code,
            )
        )
    rules = _table(
        ("Rule", "中文", "English"),
        ((f"`{key}`", label.zh, label.en) for key, label in RULES.items()),
    )
    return _page(
        "Negotiation reasons and liability rules",
        "A negotiation names a reason from this catalog. The reason fixes the negotiation type, "
        "the case types it applies to, whether an image is needed, what the case must be like, "
        "and the evidence a later rejection needs to be defensible (one item of each group "
        "joined by `and`). The WeChat code is the "
        "reason's number in WeChat's negotiation API, where it has one.",
        _table(
            (
                "Reason",
                "Label",
                "Type",
                "Applies to",
                "Image",
                "Requires",
                "Rejection evidence",
                "WeChat",
            ),
            rows,
        ),
        "## Liability rules\n\nWhen the platform judges a case, these rules decide whether the "
        "merchant is liable.\n\n" + rules,
    )


def _requirements(requires: Any) -> str:
    found = []
    for name, value in vars(requires).items():
        if value in ((), None, False):
            continue
        shown = " or ".join(value) if isinstance(value, tuple) else value
        found.append(name if value is True else f"{name}: {shown}")
    return "; ".join(found)


# -- policy and timers --------------------------------------------------------------------------


def _duration(value: Any) -> str:
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    return f"{seconds // 3600} h"


def policy_page() -> str:
    rows = []
    for name, info in Policy.model_fields.items():
        default = info.get_default(call_default_factory=True)
        shown = _duration(default) if hasattr(default, "total_seconds") else json.dumps(default)
        rows.append((f"`{name}`", shown, info.description or ""))
    graph = machine_graph()
    timers = []
    for kind in TIMER_KINDS:
        states = [state for state, timer in STATE_TIMERS.items() if timer == kind]
        starts = _code(states) if states else "`demand_evidence`"
        expiry = [
            _edge_text(edge)
            for edge in graph.current_edges
            if edge.event == "expire" and edge.source in states
        ]
        timers.append((f"`{kind}`", starts, "<br>".join(expiry) or "merchant liable (R3)"))
    return _page(
        "Policy and timers",
        "A policy is set per store and may be overridden per case (the `policy` of an `open` "
        "command or history line). Durations are ISO 8601 (`PT48H`, `P7D`), between one minute "
        "and three years.",
        _table(("Key", "Default", "Meaning"), rows),
        "## Timers\n\nEach state that waits for someone starts a timer on entry and every "
        "timer of the case is replaced when the state changes. When the timer is due, the "
        "sweeper (`CaseStore.fire_due_timers`, `aftersales timers run`) sends `expire`, which "
        "acts at the due time. The platform may move a deadline with `set_deadline`.\n\n"
        + _table(("Timer", "Started by", "On expiry"), timers),
    )


# -- WeChat statuses ----------------------------------------------------------------------------


def wechat_page() -> str:
    from aftersales.wechat.status import NOT_MODELLED, STATUSES

    rows = [
        (f"`{status}`", _code(states) or ("not modelled" if status in NOT_MODELLED else ""))
        for status, states in STATUSES.items()
    ]
    return _page(
        "WeChat after-sale statuses",
        "Every status of WeChat Shop's after-sale order (the `status` of `getaftersaleorder` and "
        "of the `channels_ec_aftersale_update` notification) and the states of ours it can "
        "mean. A status that none of the case's possible next states explains is recorded as a "
        "divergence, never applied by force.",
        _table(("WeChat status", "Our states"), rows),
    )


# -- the command line ---------------------------------------------------------------------------


def _commands(group: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


def cli_page() -> str:
    import typer

    from aftersales.cli import app

    sections = []
    root: Any = typer.main.get_command(app)
    for name, command in _commands(root, "aftersales"):
        helptext = inspect.cleandoc(command.help or "")
        rows = []
        for param in command.params:
            if param.name == "help":
                continue
            if param.param_type_name == "option":
                flags = " / ".join(f"`{flag}`" for flag in (*param.opts, *param.secondary_opts))
                default = param.default if param.show_default is not False else None
                shown = "" if default in (None, False, ()) else f"`{default}`"
                rows.append((flags, getattr(param, "help", "") or "", shown))
            else:
                many = "..." if param.nargs == -1 else ""
                rows.append((f"`{param.name.upper()}{many}`", "argument", ""))
        table = _table(("Option", "Meaning", "Default"), rows) if rows else ""
        sections.append(f"## `{name}`\n\n{helptext}\n\n{table}".rstrip())
    return _page(
        "The command line",
        "Every command of `aftersales` (the `cli` extra) with its options, as `--help` shows "
        "them. " + (inspect.cleandoc(root.help or "").split("\n\n")[-1]),
        *sections,
    )


# -- the whole set ------------------------------------------------------------------------------

PAGES: dict[str, Callable[[], str]] = {
    "reference/states.md": states_page,
    "reference/events.md": events_page,
    "reference/errors.md": errors_page,
    "reference/reasons.md": reasons_page,
    "reference/policy.md": policy_page,
    "reference/wechat.md": wechat_page,
    "reference/cli.md": cli_page,
}


def render() -> dict[str, str]:
    """Every generated file of ``docs/`` by its path there, with its text."""
    from aftersales.formats import schemas

    files = {path: page() for path, page in PAGES.items()}
    for name, schema in schemas().items():
        text = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True)
        files[f"schemas/{name}.schema.json"] = text + "\n"
    return files


def write(folder: Path) -> list[Path]:
    """Write every generated file under ``folder``; the paths written."""
    written = []
    for relative, text in render().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - `make docs`
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)

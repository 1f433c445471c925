"""The public API, written down: every name in the ``__all__`` of every module of the package
that has one, with its signature; classes with their public methods, dataclass and pydantic
fields, enum members and constants. Any change fails here until the snapshot is updated, so a
change cannot land unseen: update it with

    AFTERSALES_UPDATE_API_SNAPSHOT=1 pytest tests/test_api_snapshot.py

and write the change in CHANGELOG.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import importlib
import inspect
import os
import pkgutil
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import aftersales

SNAPSHOT = Path(__file__).with_name("api_snapshot.txt")
SKIPPED = ("__main__",)
"""Modules never imported here: running them is what they are for."""


def public_modules() -> list[str]:
    """Every importable module of the package, private ones (``_x``) left out."""
    found = ["aftersales"]
    for info in pkgutil.walk_packages(aftersales.__path__, "aftersales."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts[1:]) or parts[-1] in SKIPPED:
            continue
        found.append(info.name)
    return sorted(found)


def _clean(text: str) -> str:
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


def _signature(obj: Any) -> str:
    try:
        return _clean(str(inspect.signature(obj)))
    except (TypeError, ValueError):
        return "(...)"


SIMPLE = (str, int, float, bool, type(None), bytes)


def _value(obj: Any) -> str:
    if isinstance(obj, SIMPLE) or (
        isinstance(obj, tuple | frozenset) and all(isinstance(x, SIMPLE) for x in obj)
    ):
        return f" = {_clean(repr(obj))}"
    return ""


def _own_members(cls: type) -> dict[str, Any]:
    """Members defined by the class or by the package's classes it derives from."""
    members: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if base is cls or base.__module__.startswith("aftersales"):
            members.update(vars(base))
    return members


def _fields(cls: type) -> list[str]:
    if dataclasses.is_dataclass(cls):
        lines = []
        for field in dataclasses.fields(cls):
            default = ""
            if field.default is not dataclasses.MISSING:
                default = f" = {_clean(repr(field.default))}"
            elif field.default_factory is not dataclasses.MISSING:
                default = " = <factory>"
            lines.append(f"    field {field.name}: {field.type}{default}")
        return lines
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, dict):
        lines = []
        for name, info in model_fields.items():
            default = "" if info.is_required() else f" = {_clean(repr(info.get_default()))}"
            annotation = _clean(inspect.formatannotation(info.annotation))
            lines.append(f"    field {name}: {annotation}{default}")
        return lines
    return []


def _class(name: str, cls: type) -> list[str]:
    bases = ", ".join(base.__qualname__ for base in cls.__bases__)
    lines = [f"class {name}({bases})"]
    lines += _fields(cls)
    if issubclass(cls, enum.Enum):
        lines += [f"    member {member.name} = {member.value!r}" for member in cls]
        return lines
    field_names = {line.split()[1].rstrip(":") for line in lines[1:]}
    for attr, member in sorted(_own_members(cls).items()):
        if attr.startswith("_") and attr not in ("__init__", "__call__"):
            continue
        if attr in field_names or attr in ("model_config", "model_fields"):
            continue
        if isinstance(member, staticmethod | classmethod):
            kind = type(member).__name__
            lines.append(f"    {kind} {attr}{_signature(getattr(cls, attr))}")
        elif isinstance(member, property):
            returns = inspect.signature(member.fget).return_annotation if member.fget else "?"
            lines.append(f"    property {attr}: {_clean(str(returns))}")
        elif inspect.isfunction(member):
            lines.append(f"    def {attr}{_signature(member)}")
        elif not callable(member):
            lines.append(f"    attr {attr}: {type(member).__name__}{_value(member)}")
    return lines


def describe(module_name: str) -> list[str]:
    """The public API of one module: its ``__all__``, described."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        return []
    lines = [f"module {module_name}"]
    for name in sorted(names):
        obj = getattr(module, name)
        if inspect.isclass(obj):
            lines += ["  " + line for line in _class(name, obj)]
        elif callable(obj):
            lines.append(f"  def {name}{_signature(obj)}")
        else:
            lines.append(f"  {name}: {type(obj).__name__}{_value(obj)}")
    return lines


def render() -> str:
    """The snapshot text of the whole public API."""
    lines: list[str] = []
    for module_name in public_modules():
        described = describe(module_name)
        if described:
            lines += [*described, ""]
    return "\n".join(lines)


def test_the_public_api_matches_its_snapshot():
    now = render()
    if os.environ.get("AFTERSALES_UPDATE_API_SNAPSHOT") == "1":
        SNAPSHOT.write_text(now, encoding="utf-8")
    was = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if now != was:
        diff = "".join(
            difflib.unified_diff(
                was.splitlines(keepends=True),
                now.splitlines(keepends=True),
                "tests/api_snapshot.txt (committed)",
                "the package now",
            )
        )
        pytest.fail(
            "The public API changed:\n"
            f"{diff}\n"
            "If the change is meant, update the snapshot with\n"
            "    AFTERSALES_UPDATE_API_SNAPSHOT=1 pytest tests/test_api_snapshot.py\n"
            "and write the change in CHANGELOG.md (under the unreleased version).",
            pytrace=False,
        )


def test_the_snapshot_covers_every_public_package():
    text = SNAPSHOT.read_text(encoding="utf-8")
    for module_name in ("aftersales", "aftersales.storage", "aftersales.wechat"):
        assert f"module {module_name}\n" in text
    assert "def send(self, case_id: 'str', event: 'str', *, actor: 'Actor'" in text


if __name__ == "__main__":  # print the snapshot of whatever ``aftersales`` is importable
    sys.stdout.write(render())

"""Optional parts and the extras that install them: one clear line when one is missing."""

from __future__ import annotations

from importlib.util import find_spec


class ExtraMissing(ImportError):
    """An optional part of the package was used without the extra that installs it."""


def require(part: str, extra: str, *modules: str) -> None:
    """Raise :class:`ExtraMissing` naming the extra if any of ``modules`` is not installed."""
    missing = [module for module in modules if find_spec(module) is None]
    if missing:
        raise ExtraMissing(
            f"{part} needs the '{extra}' extra ({', '.join(missing)} not installed): "
            f"pip install 'aftersales[{extra}]'"
        )


class ToolMissing(RuntimeError):
    """A program of the system the package needs is not installed (Graphviz's ``dot``)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message} ({hint})")
        self.message, self.hint = message, hint


class SystemWarning(UserWarning):
    """Something of the system is missing and the result will be worse, not wrong (a font)."""

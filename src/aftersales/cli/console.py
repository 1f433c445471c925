"""What the command line shares: exit codes, one-line errors, escaped output, progress bars.

Exit codes (every command):

====  =====================================================================
0     done; every check held
1     a check failed (an expectation of a history, a divergence, a parked timer)
2     bad input: a file or option that cannot be read or used
3     the database is unavailable (unreachable, no schema, the file is missing)
4     not found (no such case)
70    an internal error: a bug of ours (``--debug`` shows the traceback)
====  =====================================================================
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, NoReturn

import typer
from alembic.util import CommandError
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text
from typer.core import TyperGroup

from ..extras import ExtraMissing, SystemWarning, ToolMissing
from ..histories import HistoryError
from ..workflow.errors import AftersalesError

OK, FAILED, BAD_INPUT, UNAVAILABLE, NOT_FOUND, INTERNAL = 0, 1, 2, 3, 4, 70
EXIT_CODES_HELP: Final = (
    "Exit codes: 0 ok, 1 a check failed, 2 bad input, 3 database (or Graphviz) unavailable, "
    "4 not found, 70 internal error."
)
CODE_EXITS: Final = {
    "storage_unavailable": UNAVAILABLE,
    "conflict": UNAVAILABLE,
    "not_found": NOT_FOUND,
}

PIPED_WIDTH: Final = 200
"""Columns of human output written to a file or a pipe (Rich would cut tables at 80)."""
out = Console(highlight=False, width=None if sys.stdout.isatty() else PIPED_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)
settings = {"debug": False}


def safe(text: object) -> str:
    """User data fit for Rich: markup escaped, control characters shown, not obeyed."""
    shown = "".join(
        ch if ch.isprintable() or ch in "\n\t" else f"\\x{ord(ch):02x}" for ch in str(text)
    )
    return escape(shown)


def fail(message: str, hint: str = "", code: int = BAD_INPUT) -> NoReturn:
    """Say what went wrong (and what to do) in one or two lines on stderr, then exit."""
    err.print(f"[red]error:[/red] {safe(message)}")
    if hint:
        err.print(f"  {safe(hint)}")
    raise typer.Exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Run a command: the package's errors become one line and their exit code, missing system
    pieces a warning line; anything else is a bug, shown in full only with ``--debug``."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SystemWarning)
            yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(141) from None
    except Exception as exc:
        if settings["debug"]:
            raise
        fail(*_one_line(exc))
    for message in dict.fromkeys(str(w.message) for w in caught if w.category is SystemWarning):
        err.print(f"[yellow]warning:[/yellow] {safe(message)}")


def _one_line(exc: Exception) -> tuple[str, str, int]:
    """What went wrong, what to do, and the exit code."""
    if isinstance(exc, ToolMissing):
        return exc.message, exc.hint, UNAVAILABLE
    if isinstance(exc, ExtraMissing):
        return str(exc), "", UNAVAILABLE
    if isinstance(exc, AftersalesError):
        return f"{exc.code}: {exc.message_en}", "", CODE_EXITS.get(exc.code, BAD_INPUT)
    if isinstance(exc, HistoryError):
        return str(exc), "", BAD_INPUT
    if isinstance(exc, OSError):  # a file or folder given on the command line
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}", "", BAD_INPUT
    if isinstance(exc, CommandError):  # Alembic's: an unknown revision, say
        return str(exc), "see: aftersales db current", BAD_INPUT
    return (
        f"internal error: {type(exc).__name__}: {exc}",
        "this is a bug: run again with --debug for the traceback and report it",
        INTERNAL,
    )


USAGE_ERROR: Final[type[Exception]] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)
"""Click's ``UsageError`` (vendored by recent Typer, a package of its own before)."""


class OneLineUsageErrors(TyperGroup):
    """The command group whose usage errors (an unknown option, a missing value) are one line
    and a hint on stderr, exit 2, instead of the usage, a hint and a framed error."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _one_line_usage():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _one_line_usage():
            return super().invoke(ctx)


@contextmanager
def _one_line_usage() -> Iterator[None]:
    try:
        yield
    except USAGE_ERROR as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments: the help, as asked
            raise
        context = getattr(exc, "ctx", None)
        hint = f"see: {context.command_path} --help" if context is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if re.search(r"unexpected extra argument.*\((true|false|yes|no|1|0)\)", message, re.I):
            hint = "a flag takes no value: --json, not --json true"
        fail(message, hint, int(getattr(exc, "exit_code", BAD_INPUT)))


def db_option_value(db: str | None) -> str:
    """The database from ``--db`` or ``AFTERSALES_DB``; required."""
    found = db or os.environ.get("AFTERSALES_DB")
    if not found:
        fail(
            "no database given",
            "pass --db URL (or a path to a SQLite file), or set AFTERSALES_DB",
        )
    return found


def existing_sqlite_file(db: str) -> None:
    """Refuse to touch a SQLite file that does not exist: only `demo` and `db upgrade` create."""
    from ..storage import database_url, shown

    url = database_url(db)
    in_a_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if not in_a_file:
        return
    path = str(url.database)
    try:
        exists = Path(path).exists()
    except OSError as exc:  # a name too long for the file system, and the like
        fail(f"cannot use the file {path[:120]}: {exc.strerror}", "give another --db", UNAVAILABLE)
    if not exists:
        fail(
            f"no database at {path[:200]}",
            f"create it with: aftersales db upgrade --db {shown(url)[:200]}",
            UNAVAILABLE,
        )


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Any]:
    """A progress bar with total and rate on a terminal; nothing at all when piped (even when
    FORCE_COLOR tells Rich to colour a pipe)."""
    if not sys.stderr.isatty():
        yield lambda advance=1: None
        return
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda advance=1: bar.advance(task, advance)


class RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "")


def print_json(value: BaseModel) -> None:
    """One JSON document on stdout (machines read it), as its model's schema describes, and
    flushed: a reader of a pipe gets each document when it is printed."""
    try:
        text = value.model_dump_json()
    except PydanticSerializationError:  # a file name that is not UTF-8: escaped, not lost
        import json

        text = json.dumps(value.model_dump(mode="json"))
    sys.stdout.write(text + "\n")
    sys.stdout.flush()

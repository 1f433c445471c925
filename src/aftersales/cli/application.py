"""The ``aftersales`` Typer application: the global options and every command, registered in
the order ``--help`` lists them.

``--db`` takes a database URL or a plain path to a SQLite file, the same way everywhere (or
``AFTERSALES_DB``); only ``demo`` and ``db upgrade`` create one.
"""

from __future__ import annotations

from ..extras import require

require("the aftersales command", "cli", "typer", "rich", "sqlalchemy", "alembic")

from typing import Annotated

import typer

from .. import __version__
from .advise import advise
from .console import EXIT_CODES_HELP, OK, OneLineUsageErrors, out, settings
from .db import db_app
from .demo import demo
from .docs import docs
from .drawing import diagram, diagrams_app
from .replay import export, replay
from .report import report_command
from .timers import timers_app
from .verify import verify
from .wechat import wechat_app

app = typer.Typer(
    help=f"WeChat Shop after-sales cases as an explicit, tested state machine. {EXIT_CODES_HELP}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: a flag is `--json`, not `--json <bool>`
    cls=OneLineUsageErrors,  # a usage error is one line and a hint, not a box
)
app.add_typer(db_app, name="db")
app.add_typer(timers_app, name="timers")
app.add_typer(diagrams_app, name="diagrams")
app.add_typer(wechat_app, name="wechat")


def _version(value: bool) -> None:
    if value:
        out.print(f"aftersales {__version__}")
        raise typer.Exit(OK)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """WeChat Shop after-sales cases as an explicit, tested state machine."""
    settings["debug"] = debug


app.command()(replay)
app.command()(export)
app.command()(verify)
app.command()(advise)
app.command()(demo)
app.command()(diagram)
app.command("report")(report_command)
app.command()(docs)

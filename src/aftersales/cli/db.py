"""``aftersales db``: the schema's Alembic migrations, through ``store.schema``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..formats import DbCurrentOutput
from ..storage import Schema, database_url
from .console import (
    EXIT_CODES_HELP,
    FAILED,
    db_option_value,
    fail,
    handled,
    out,
    print_json,
)
from .options import Db, Json, open_store

db_app = typer.Typer(help=f"Database schema (Alembic). {EXIT_CODES_HELP}", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    db: Db = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL instead of running it.")
    ] = False,
) -> None:
    """Create or upgrade the schema (its own Alembic version table and branch).

    Example: aftersales db upgrade --db postgresql://user@host/shop
    """
    with handled():
        if sql:
            if _dialect(db) != "postgresql":
                fail(
                    "--sql prints PostgreSQL's migrations",
                    "SQLite's need a live database: run aftersales db upgrade on a copy",
                )
            print(Schema.upgrade_sql(revision, "postgresql"), end="")
            return
        at = open_store(db, create=True).schema.upgrade(revision)
    out.print(f"schema at {at}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[
        str, typer.Option(help="Target revision (base removes every table).", show_default=False)
    ],
    db: Db = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask before --revision base deletes every case.")
    ] = False,
) -> None:
    """Take the schema back to REVISION. Going to base drops every table, cases included: on a
    terminal it asks first; elsewhere it needs --yes.

    Example: aftersales db downgrade --revision as_0003 --db cases.db
    """
    with handled():
        store = open_store(db)
        if revision == "base" and not yes:
            _confirm_base(store.schema.cases_held(), store.schema.shown_url())
        at = store.schema.downgrade(revision)
    out.print(f"schema at {at or 'base'}")


def interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


def _confirm_base(cases: int, where: str) -> None:
    what = f"drops every table of the package in {where}, with its {cases} case(s)"
    if not interactive():
        fail(f"--revision base {what}", "pass --yes to do it without being asked")
    if not typer.confirm(f"--revision base {what}. Go on?", default=False, err=True):
        fail("nothing changed", code=FAILED)


@db_app.command("current")
def db_current(db: Db = None, as_json: Json = False) -> None:
    """Show the revision the schema is at. Example: aftersales db current --db cases.db"""
    with handled():
        at = open_store(db).schema.current()
    if as_json:
        print_json(DbCurrentOutput(current=at, head=Schema.head()))
    else:
        out.print(f"{at or 'none'} (head {Schema.head()})")


@db_app.command("stamp")
def db_stamp(
    revision: Annotated[str, typer.Option(help="The revision the schema already has.")] = "head",
    db: Db = None,
) -> None:
    """Record REVISION without running migrations.

    Example: aftersales db stamp --revision head --db x.db
    """
    with handled():
        at = open_store(db).schema.stamp(revision)
    out.print(f"schema stamped at {at}")


def _dialect(db: str | None) -> str:
    return database_url(db_option_value(db)).get_backend_name()

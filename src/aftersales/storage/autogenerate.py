"""Filters a host's Alembic ``env.py`` adds so that its autogenerate leaves our tables alone.

The host's metadata does not hold the package's tables, so without a filter ``alembic revision
--autogenerate`` writes a ``drop_table`` for each of them and ``alembic check`` fails. Give
either filter (or both) to ``context.configure`` in the host's ``env.py``::

    from aftersales.storage import include_name, include_object

    context.configure(..., include_name=include_name, include_object=include_object)

``include_name`` is the cheaper: Alembic does not even reflect the tables it refuses.
"""

from __future__ import annotations

from typing import Any, Final

from .tables import PREFIX, SCHEMA, metadata, name

TABLES: Final = frozenset(
    {table.name for table in metadata.tables.values()}
    | {f"{PREFIX}alembic_version", name("timer"), name("feed_copy")}
)
"""Every table the package has ever created: this release's, the version table, and the ones
of earlier revisions (``timer``) or left mid-migration (``feed_copy``)."""


def ours(table: str, schema: str | None) -> bool:
    """Whether ``table`` in ``schema`` (``None``: the default) is one of the package's."""
    return table in TABLES and schema == SCHEMA


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Alembic's ``include_name`` hook: every name but the package's tables."""
    if type_ == "table" and name is not None:
        return not ours(name, parent_names.get("schema_name"))
    return True


def include_object(
    object: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's ``include_object`` hook: every object but the package's tables (and so their
    columns, indexes and constraints)."""
    if type_ == "table" and name is not None:
        return not ours(name, getattr(object, "schema", None))
    return True

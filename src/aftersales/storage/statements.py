"""The hot statements, compiled once per dialect and run with ``exec_driver_sql``.

SQLAlchemy spends more time looking a Core statement up in its compiled cache and processing
its parameters than SQLite spends running it. A :class:`Statement` is a Core construct over the
package's tables compiled once per dialect through SQLAlchemy's public API (``compile()``, the
compiled ``positiontup`` and ``binds``, each type's ``bind_processor`` and
``result_processor``), then run with :meth:`Connection.exec_driver_sql`: still on the caller's
connection, in its transaction, seen by SQLAlchemy's events, ``echo`` and any instrumentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: tuple[Processor | None, ...]
    literals: dict[str, Any]
    """Values compiled into the statement itself (``status == "running"``): bound, not given."""
    results: tuple[tuple[str, Processor | None], ...]


class Statement:
    """A Core statement compiled once per engine's dialect, run with ``exec_driver_sql``."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()

    def _compiled(self, dialect: Dialect) -> _Compiled:
        # Per dialect *instance* (one per engine), not per dialect name and driver: the bind
        # processors compiled here carry the engine's settings (its ``json_serializer``, say),
        # and two drivers differ in paramstyle and types. Forgotten with the engine.
        found = self._by_dialect.get(dialect)
        if found is None:
            found = self._compile(dialect)
            self._by_dialect[dialect] = found
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        binds = compiled.binds
        processors = tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        literals = {
            name: bind.value
            for name, bind in binds.items()
            if not bind.required and bind.value is not None
        }
        results: tuple[tuple[str, Processor | None], ...] = ()
        if isinstance(self.statement, sa.Select):
            results = tuple(
                (column.name, column.type.dialect_impl(dialect).result_processor(dialect, None))
                for column in self.statement.selected_columns
            )
        return _Compiled(str(compiled), names, positional, processors, literals, results)

    def _args(self, compiled: _Compiled, params: dict[str, Any]) -> Any:
        given = {**compiled.literals, **params} if compiled.literals else params
        values = []
        for name, processor in zip(compiled.names, compiled.processors, strict=True):
            value = given[name]
            values.append(
                processor(value) if processor is not None and value is not None else value
            )
        return (
            tuple(values) if compiled.positional else dict(zip(compiled.names, values, strict=True))
        )

    def execute(
        self, conn: Connection, params: dict[str, Any] | None = None
    ) -> sa.CursorResult[Any]:
        """Run once; the result, rows as the driver returns them (see :meth:`rows`)."""
        compiled = self._compiled(conn.dialect)
        return conn.exec_driver_sql(compiled.sql, self._args(compiled, params or {}))

    def executemany(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Run once per row of parameters; the number of rows changed in all (-1 if the driver
        cannot say)."""
        if not rows:
            return 0
        compiled = self._compiled(conn.dialect)
        result = conn.exec_driver_sql(compiled.sql, [self._args(compiled, row) for row in rows])
        return result.rowcount

    def rows(self, conn: Connection, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a select; each row as a mapping of column name to value, each value converted by
        its column type's result processor (datetimes, JSON)."""
        compiled = self._compiled(conn.dialect)
        found = []
        for row in self.execute(conn, params):
            found.append(
                {
                    name: (process(value) if process is not None and value is not None else value)
                    for (name, process), value in zip(compiled.results, row, strict=True)
                }
            )
        return found

"""Prepared statements for the hot write path.

SQLAlchemy spends 10-20 µs per statement building and caching what it sends, as much as SQLite
spends running it. A :class:`Prepared` statement is a Core statement over the SQLModel tables,
compiled once per dialect with SQLAlchemy's own type processors, then run on the DBAPI cursor of
the caller's connection, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from .engine import Tx


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: dict[str, Callable[[Any], Any]]
    literals: dict[str, Any]
    """Values written into the statement itself, such as ``status == "running"``."""


class Prepared:
    """A statement compiled once per dialect, executed on the raw DBAPI cursor."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
            positional = bool(compiled.positional)
            names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
            # SQLAlchemy's own type conversion for each bound value.
            processors = cast(dict[str, Callable[[Any], Any]], dict(compiled._bind_processors))
            literals = {
                name: bind.value
                for name, bind in compiled.binds.items()
                if not bind.required and bind.value is not None
            }
            found = _Compiled(str(compiled), names, positional, processors, literals)
            self._by_dialect[dialect.name] = found
        return found

    def _args(self, compiled: _Compiled, params: dict[str, Any]) -> Any:
        given = {**compiled.literals, **params} if compiled.literals else params
        values = [given[name] for name in compiled.names]
        for index, name in enumerate(compiled.names):
            processor = compiled.processors.get(name)
            if processor is not None and values[index] is not None:
                values[index] = processor(values[index])
        if compiled.positional:
            return tuple(values)
        return dict(zip(compiled.names, values, strict=True))

    def execute(self, tx: Tx, params: dict[str, Any] | None = None) -> Any:
        """Run once; the DBAPI cursor, for ``fetchone``, ``fetchall`` and ``rowcount``."""
        compiled = self._compiled(tx.dialect)
        cursor = tx.dbapi.cursor()
        cursor.execute(compiled.sql, self._args(compiled, params or {}))
        return cursor

    def executemany(self, tx: Tx, rows: Sequence[dict[str, Any]]) -> int:
        """Run once per row of parameters; the number of rows changed in all."""
        compiled = self._compiled(tx.dialect)
        cursor = tx.dbapi.cursor()
        cursor.executemany(compiled.sql, [self._args(compiled, row) for row in rows])
        changed: int = cursor.rowcount
        cursor.close()
        return changed


def integrity_error(tx: Tx) -> type[Exception]:
    """The DBAPI's integrity error class: a duplicate key raised by the driver itself."""
    error: type[Exception] = tx.dialect.loaded_dbapi.IntegrityError
    return error

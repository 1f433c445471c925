"""Where the package's tables live: the table prefix and the PostgreSQL schema.

Both come from the environment, are read once (when :mod:`aftersales.storage.tables` is
imported) and are checked here: they become identifiers, never SQL. A value is one identifier
of letters, digits and ``_``, not starting with a digit (:data:`PATTERN`); ``-``, spaces, dots
and quotes are refused, so no name needs more than the dialect's ordinary quoting (mixed case
such as ``Shop_`` or ``MySchema`` is quoted everywhere, and so kept as written on PostgreSQL).
The prefix is at most :data:`MAX_PREFIX` characters, so that the longest name derived from it
(``ix_<prefix>divergence_case_id``, an index of the earliest revisions) fits PostgreSQL's 63
bytes; a schema name at most 63.
"""

from __future__ import annotations

import os
import re
from typing import Final

from ..workflow.errors import InvalidInput

PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""What a prefix or a schema name may be: letters, digits and ``_``, not starting with a digit."""

IDENTIFIER_LIMIT: Final = 63
"""PostgreSQL's longest identifier, in bytes (SQLite has no limit; the same one applies)."""

LONGEST_SUFFIX: Final = len("ix_") + len("divergence_case_id")
"""What the longest derived name adds to the prefix (an index name of revision as_0002)."""

MAX_PREFIX: Final = IDENTIFIER_LIMIT - LONGEST_SUFFIX
"""The longest table prefix: 42 characters."""

DEFAULT_PREFIX: Final = "aftersales_"


def table_prefix(value: str | None) -> str:
    """The table prefix ``value`` (``None``: the default), or ``invalid_input`` saying why."""
    if value is None:
        return DEFAULT_PREFIX
    _check("AFTERSALES_TABLE_PREFIX", value, MAX_PREFIX, "table prefix", "表名前缀")
    return value


def db_schema(value: str | None) -> str | None:
    """The schema ``value`` (``None`` or empty: the connection's default schema), or
    ``invalid_input`` saying why."""
    if not value:
        return None
    _check("AFTERSALES_DB_SCHEMA", value, IDENTIFIER_LIMIT, "schema name", "schema 名")
    return value


def _check(variable: str, value: str, limit: int, what: str, what_zh: str) -> None:
    if PATTERN.fullmatch(value) is None:
        raise InvalidInput(
            f"{variable}={value!r} is not a {what}: use letters, digits and _ only, not starting "
            "with a digit (- and spaces are refused: my_shop_, not my-shop_).",
            f"{variable}={value!r} 不是有效的{what_zh}:只能使用字母、数字和下划线,且不能以数字开头"
            "(不允许 - 和空格:请用 my_shop_ 而非 my-shop_)。",
            variable,
        )
    if len(value) > limit:
        raise InvalidInput(
            f"{variable}={value!r} is {len(value)} characters long; at most {limit} fit "
            "PostgreSQL's 63-byte names.",
            f"{variable}={value!r} 长 {len(value)} 个字符;PostgreSQL 的名称最长 63 字节,"
            f"此处最多 {limit} 个字符。",
            variable,
        )


PREFIX: Final = table_prefix(os.environ.get("AFTERSALES_TABLE_PREFIX"))
SCHEMA: Final = db_schema(os.environ.get("AFTERSALES_DB_SCHEMA"))


def check_backend(dialect: str) -> None:
    """Refuse a schema where the backend has none (SQLite), before anything is written."""
    if SCHEMA is not None and dialect != "postgresql":
        raise InvalidInput(
            f"AFTERSALES_DB_SCHEMA={SCHEMA!r} names a PostgreSQL schema; {dialect} has none: "
            "unset it (or use AFTERSALES_TABLE_PREFIX).",
            f"AFTERSALES_DB_SCHEMA={SCHEMA!r} 是 PostgreSQL 的 schema;{dialect} 没有 schema:"
            "请取消该设置(或使用 AFTERSALES_TABLE_PREFIX)。",
            "AFTERSALES_DB_SCHEMA",
        )

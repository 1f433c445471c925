"""A pytest plugin: case histories as test items, a store fixture, WeChat notifications to hand.

Registered through the ``pytest11`` entry point and off unless asked for. Turn it on with the
``aftersales_histories`` ini option (globs of history files, for example
``["tests/histories/*.jsonl"]``) or with ``--aftersales-histories`` (collects
``*.history.jsonl``). Each file is one test; a failure says the line, what was expected, what
the case did, and the path so far. ``--aftersales-db URL`` replays through a store instead of
memory and gives the ``aftersales_store`` fixture that database. That database must hold none
of the package's rows (no case, divergence, refusal...) when the session starts (a throwaway
test database, as for any test run): the plugin empties the package's tables before each
history and each use of the fixture, so histories that reuse a case id do not meet, and leaves
them empty at the end.

Fixtures: ``aftersales_store`` (a fresh :class:`CaseStore` on SQLite, or on ``--aftersales-db``)
and ``wechat_notification`` (builds the JSON WeChat pushes for an after-sale order).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..histories import Failure, HistoryError, MemoryTarget, Target, parse_history, read_history
from ..workflow.errors import AftersalesError

if TYPE_CHECKING:
    from ..storage import CaseStore


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aftersales", "after-sales case histories")
    group.addoption(
        "--aftersales-histories",
        action="store_true",
        help="collect *.history.jsonl files as tests (or the globs of aftersales_histories)",
    )
    group.addoption(
        "--aftersales-db",
        default=None,
        help="replay histories through a store at this database URL, also the store fixture's",
    )
    parser.addini(
        "aftersales_histories",
        type="linelist",
        default=[],
        help="globs of case history files to collect as tests (turns the plugin on)",
    )


def _globs(config: pytest.Config) -> list[str]:
    given = [str(glob) for glob in config.getini("aftersales_histories")]
    if given:
        return given
    return ["*.history.jsonl"] if config.getoption("aftersales_histories") else []


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    globs = _globs(parent.config)
    if not globs or file_path.suffix != ".jsonl":
        return None
    try:
        relative = str(file_path.relative_to(parent.config.rootpath))
    except ValueError:  # a file outside the root directory: matched by its name
        relative = file_path.name
    if any(fnmatch.fnmatch(relative, g) or fnmatch.fnmatch(file_path.name, g) for g in globs):
        return HistoryFile.from_parent(parent, path=file_path)
    return None


class HistoryFile(pytest.File):
    """A case history file: one test item."""

    def collect(self) -> Iterator[pytest.Item]:
        yield HistoryItem.from_parent(self, name=self.path.stem)


class HistoryProblem(Exception):
    """The history did not hold: its failures, readable."""

    def __init__(self, failures: list[Failure]) -> None:
        super().__init__(failures)
        self.failures = failures


class HistoryItem(pytest.Item):
    """Replaying one history and checking every expectation."""

    def runtest(self) -> None:
        from ..histories import replay_lines

        source = str(self.path)
        lines = parse_history(read_history(self.path), source)
        outcome = replay_lines(lines, self._target(), source)
        if not outcome.ok:
            raise HistoryProblem(outcome.failures)

    def _target(self) -> Target:
        database = _database(self.config)
        if database is None:
            return MemoryTarget()
        from ..storage import StoreTarget

        return StoreTarget(database.fresh_store())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        problem = excinfo.value
        if isinstance(problem, HistoryProblem):
            return "\n".join(
                f"line {f.line}: {f.problem}\n  path so far: {' > '.join(f.path) or '-'}"
                for f in problem.failures
            )
        if isinstance(problem, HistoryError):
            return f"cannot read the history: {problem}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"case history {self.name}"


class TestDatabase:
    """The database of ``--aftersales-db``: migrated once, refused if it holds any of the
    package's rows, and emptied of them before each use."""

    __test__ = False  # not a test class, whatever pytest's naming rules say

    def __init__(self, url: str) -> None:
        from ..storage import CaseStore

        self.store = CaseStore(url)
        # Before migrating: a mistyped URL is left as it was.
        found = self.store.schema.rows_held()
        if found:
            raise pytest.UsageError(
                f"--aftersales-db {self.store.schema.shown_url()} already holds {found} rows of "
                "the package (cases, divergences, refusals...); give it an empty test database "
                "(the plugin deletes its rows between tests)"
            )
        self.store.schema.upgrade()

    def fresh_store(self) -> CaseStore:
        self.store.schema.empty()
        return self.store

    def close(self) -> None:
        self.fresh_store()
        self.store.dispose()


_DATABASE = pytest.StashKey["TestDatabase | None"]()


def _database(config: pytest.Config) -> TestDatabase | None:
    if _DATABASE not in config.stash:
        url = config.getoption("aftersales_db")
        try:
            config.stash[_DATABASE] = TestDatabase(url) if url else None
        except AftersalesError as exc:
            raise pytest.UsageError(f"--aftersales-db: {exc}") from None
    return config.stash[_DATABASE]


def pytest_sessionstart(session: pytest.Session) -> None:
    _database(session.config)  # a database that cannot be used stops the run before any test


def pytest_unconfigure(config: pytest.Config) -> None:
    database = config.stash.get(_DATABASE, None)
    if database is not None:
        database.close()


@pytest.fixture
def aftersales_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    """A fresh case store with its schema: SQLite in the test's folder, or the emptied
    ``--aftersales-db`` database."""
    database = _database(request.config)
    if database is not None:
        yield database.fresh_store()
        return
    from ..storage import CaseStore

    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture
def wechat_notification() -> Callable[..., str]:
    """Builds a ``channels_ec_aftersale_update`` body as WeChat pushes it (decrypted):
    ``wechat_notification("WX1", "USER_CANCELD", at=datetime)``; ``complaint_status=...``
    builds a ``channels_ec_complaint_update`` instead."""

    def build(
        after_sale_order_id: str,
        status: str | None = None,
        *,
        at: datetime,
        order_id: str = "",
        complaint_status: int | None = None,
        complaint_id: str = "",
    ) -> str:
        base = {
            "ToUserName": "gh_shop",
            "FromUserName": "OpenID",
            "CreateTime": int(at.timestamp()),
            "MsgType": "event",
        }
        if complaint_status is not None:
            body = {
                "complaint_status": complaint_status,
                "after_sale_order_id": after_sale_order_id,
                "complaint_id": complaint_id,
                "order_id": order_id,
            }
            return json.dumps(
                {**base, "Event": "channels_ec_complaint_update", "finder_shop_complaint": body}
            )
        body = {"status": status, "after_sale_order_id": after_sale_order_id, "order_id": order_id}
        return json.dumps(
            {
                **base,
                "Event": "channels_ec_aftersale_update",
                "finder_shop_aftersale_status_update": body,
            }
        )

    return build

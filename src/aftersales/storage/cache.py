"""The verified case cache: what a store last wrote of a case, so its next command skips reading.

An entry holds the case's record as this store wrote it, with the version and the digest head
the row then had. A command on a cached case skips the SELECT; its UPDATE still checks the row's
``version`` *and* digest head, so an entry gone stale (another store, process or sweeper wrote
the case since) fails that check, and the command runs again on a fresh load: the cache never
changes an outcome. A command the cached case refuses is also tried again on a fresh load before
the refusal is kept (a refusal writes no case row, so nothing would have checked the entry).

Every writer of a column the rules read bumps the row's ``version``: commands and timers (the
only writers of the snapshot, state and log), never anything else. The columns the sweeper
writes without a new version (``due_at``, ``timer_kind``, ``timer_error``) are rewritten by
every command, cached or not, so none of them is decided on from an entry.

The cache is bounded: at most ``size`` cases, least recently used first out (an entry is the
case's record: a few kilobytes). It is used only when the store owns the transaction, never
inside a caller's ``Session`` (whose transaction may yet roll back).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from ..workflow.record import CaseRecord

DEFAULT_SIZE: Final = 1024
"""Cases a store keeps by default (about 4-5 MB at most)."""


@dataclass(frozen=True)
class Entry:
    """A case as this store last wrote it."""

    record: CaseRecord
    version: int
    digest: str
    stored: dict[str, Any]
    """The case row's changing columns as written (see ``repository.row_values``)."""


class CaseCache:
    """At most ``size`` entries by case id, least recently used first out; ``size=0``: off."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError("cache size is a count of cases (0: no cache)")
        self.size = size
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()  # a store may serve several threads

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._entries

    def get(self, case_id: str) -> Entry | None:
        """The entry of ``case_id`` (its record a copy the caller may change), or ``None``."""
        with self._lock:
            found = self._entries.get(case_id)
            if found is None:
                return None
            self._entries.move_to_end(case_id)
        # Every value of a record is immutable and the rules only rebind attributes.
        return Entry(copy.copy(found.record), found.version, found.digest, found.stored)

    def put(self, case_id: str, entry: Entry) -> None:
        """Keep ``entry`` (after its transaction committed), dropping the oldest beyond size."""
        if not self.size:
            return
        with self._lock:
            self._entries[case_id] = entry
            self._entries.move_to_end(case_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, *case_ids: str) -> None:
        """Forget these cases."""
        with self._lock:
            for case_id in case_ids:
                self._entries.pop(case_id, None)

    def clear(self) -> None:
        """Forget every case."""
        with self._lock:
            self._entries.clear()

"""Following the feed from a durable cursor: for hosts that prefer an outbox to listeners.

:func:`relay` reads :meth:`CaseStore.events_since` from the position a :class:`Cursor` keeps,
hands each :class:`FeedItem` to the host's handler in feed order, and saves the position after
each item the handler returned from. Delivery is at least once: after a crash between the
handler and the save, the item comes again, so the handler is idempotent (key it on
``item.position`` or on ``(item.case_id, item.event.seq)``). :class:`FileCursor` keeps the
position in a file; a host may keep it anywhere that has ``load`` and ``save``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..workflow.errors import InvalidInput
from .feed import FeedItem
from .store import CaseStore


class Cursor(Protocol):
    """Where a relay keeps the last feed position it handled."""

    def load(self) -> int:
        """The last position handled; 0 before the first."""
        ...  # pragma: no cover - a protocol

    def save(self, position: int) -> None:
        """Keep ``position`` durably."""
        ...  # pragma: no cover - a protocol


class FileCursor:
    """A cursor in a file: the position as decimal text, replaced atomically on each save."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> int:
        """The kept position, 0 if the file does not exist; ``invalid_input`` if it holds
        anything but a position."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return 0
        except (OSError, UnicodeDecodeError) as exc:
            raise _bad_cursor(str(self.path), f"unreadable: {exc}") from None
        if not text.isdigit() or len(text) > 19:
            raise _bad_cursor(str(self.path), f"not a feed position: {text[:40]!r}")
        return int(text)

    def save(self, position: int) -> None:
        """Write ``position`` to a side file, flush it to disk and put it in place."""
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "w", encoding="ascii") as out:
            out.write(f"{position}\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path)


@dataclass(frozen=True)
class Relayed:
    """What one :func:`relay` run did."""

    handled: int
    """Items the handler returned from (and whose position was saved)."""
    position: int
    """The cursor's position now: the last item handled, or where it started."""


def relay(
    store: CaseStore,
    handler: Callable[[FeedItem], object],
    cursor: Cursor,
    *,
    batch: int = 500,
    limit: int | None = None,
) -> Relayed:
    """Hand every event after the cursor's position to ``handler``, oldest first, saving the
    position after each; stop at the end of the feed or after ``limit`` items. A handler that
    raises stops the run with its exception; the cursor stays at the last item handled."""
    if batch < 1 or (limit is not None and limit < 0):
        raise InvalidInput(
            "batch must be at least 1 and limit not negative.",
            "batch 至少为 1,limit 不能为负数。",
            "batch" if batch < 1 else "limit",
        )
    start = cursor.load()
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise _bad_cursor(type(cursor).__name__, f"not a feed position: {start!r:.40}")
    position, handled = start, 0
    while limit is None or handled < limit:
        size = batch if limit is None else min(batch, limit - handled)
        items = store.events_since(position, limit=size)
        for item in items:
            handler(item)
            position = item.position
            cursor.save(position)
            handled += 1
        if len(items) < size:
            break
    return Relayed(handled, position)


def _bad_cursor(where: str, why: str) -> InvalidInput:
    return InvalidInput(
        f"The relay's cursor {where} is {why}.", f"转发游标 {where} 无效:{why}。", "cursor"
    )

"""Host events: callbacks the store calls inside the transaction of every event it records.

A listener is called as ``listener(conn, case, event)`` once for each new event, after the
event's rows are written and before the transaction commits: a command (``send``, ``open_case``,
``act``), a timer the sweeper fires, a step a sync records. ``conn`` is the transaction's
:class:`Connection` (the caller's session's, when there is one), so a host's own writes on it
commit with the event or not at all; a listener that raises rolls the whole write back and its
exception reaches the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy.engine import Connection

from ..workflow.case import Case
from ..workflow.record import EventRecord

Listener = Callable[[Connection, Case, EventRecord], None]
"""Called with the transaction's connection, the case after the write (its ``state`` is the
state after its last new event) and one new event (``event.state_after``: right after it)."""


def announce(conn: Connection, listeners: Sequence[Listener], cases: Iterable[Case]) -> None:
    """Call the listeners, in the order they were given, for each new event of ``cases`` in
    turn, inside the transaction."""
    if not listeners:
        return
    for case in cases:
        for event in case.events:
            for listener in listeners:
                listener(conn, case, event)

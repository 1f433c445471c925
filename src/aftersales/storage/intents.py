"""Outbound intents: a merchant command written down before WeChat hears it.

``act`` writes the intent (the case, the event, the actor, the data, the command id, the time,
the API and the body) before it calls the gateway. WeChat's reply, or its own notification of
the same step arriving first (the echo), or a later sync completes it (``done``, with the event
that recorded it) or fails it (``failed``, with why). An intent that stays ``open`` means WeChat
may or may not have applied the command: a retry with the same command id, the echo or a fetch
and sync settle it. :class:`IntentStore` gives :class:`~aftersales.storage.CaseStore` these
methods; this module is the only one that reads or writes the ``intent`` table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.orm import Session

from ..workflow.errors import Conflict
from ..workflow.record import Actor
from .engine import savepoint, transaction
from .repository import safe_text
from .tables import intent_table

OPEN, DONE, FAILED = "open", "done", "failed"
INTENT_TIMEOUT: Final = timedelta(hours=1)
"""How long an intent may stay open before ``verify`` lists it (policy ``intent_timeout``)."""
_intent = intent_table.c


@dataclass(frozen=True)
class Intent:
    """A merchant command on its way to WeChat, as written before the call."""

    case_id: str
    command_id: str
    event: str
    actor: Actor
    data: dict[str, Any]
    at: datetime
    api: str
    """The WeChat API called; ``body`` is what it was sent."""
    body: dict[str, Any]
    status: str
    """``open``, ``done`` or ``failed``."""
    error: str | None
    seq: int | None
    """The event that recorded the command, once done."""
    written_at: datetime
    closed_at: datetime | None


def _intent_of(row: Row[Any]) -> Intent:
    return Intent(
        case_id=row.case_id,
        command_id=row.command_id,
        event=row.event,
        actor=Actor(row.actor_role, row.actor_id),
        data=dict(row.data),
        at=row.at,
        api=row.api,
        body=dict(row.body),
        status=row.status,
        error=row.error,
        seq=row.seq,
        written_at=row.written_at,
        closed_at=row.closed_at,
    )


def _find(conn: Connection, case_id: str, command_id: str) -> Intent | None:
    query = sa.select(intent_table).where(
        _intent.case_id == case_id, _intent.command_id == command_id
    )
    row = conn.execute(query).first()
    return None if row is None else _intent_of(row)


class IntentStore:
    """The outbound-intent methods of :class:`~aftersales.storage.CaseStore`."""

    engine: Engine
    clock: Callable[[], datetime]

    def write_intent(
        self,
        case_id: str,
        command_id: str,
        event: str,
        *,
        actor: Actor,
        data: Mapping[str, Any],
        at: datetime,
        api: str,
        body: Mapping[str, Any],
        session: Session | None = None,
    ) -> Intent:
        """Write an open intent before WeChat is called; the intent as it stands.

        An intent already kept under ``command_id`` is returned as it is when open or done and
        it names the same command (event, actor and data: a retry), and is ``conflict`` when it
        names another; a failed one is opened again with this attempt's data (WeChat refused
        it, so a retry is a new attempt).
        """
        row = {
            "event": event,
            "actor_role": actor.role,
            "actor_id": actor.id,
            "data": dict(data),
            "at": at,
            "api": safe_text(api, 100),
            "body": dict(body),
            "status": OPEN,
            "error": None,
            "seq": None,
            "written_at": self.clock(),
            "closed_at": None,
        }
        with transaction(self.engine, session) as conn:
            found = _find(conn, case_id, command_id)
            if found is not None and found.status != FAILED:
                if (found.event, found.actor, found.data) != (event, actor, dict(data)):
                    raise Conflict(
                        f"command_id {command_id!r} was used for another command "
                        f"({found.event}, {found.status}); use a new id for a new command.",
                        f"command_id {command_id!r} 已用于另一条指令({found.event},"
                        f"{found.status}),新指令请使用新的 command_id。",
                        "command_id",
                    )
                return found
            if found is not None:
                conn.execute(
                    intent_table.update()
                    .where(_intent.case_id == case_id, _intent.command_id == command_id)
                    .values(**row)
                )
            else:
                try:
                    with savepoint(conn):  # a racing twin wrote it first: read theirs
                        conn.execute(
                            intent_table.insert().values(
                                case_id=case_id, command_id=command_id, **row
                            )
                        )
                except sa.exc.IntegrityError:
                    pass
            written = _find(conn, case_id, command_id)
        assert written is not None
        return written

    def intent(
        self, case_id: str, command_id: str, *, session: Session | None = None
    ) -> Intent | None:
        """The intent kept under ``command_id`` for the case, if any."""
        with transaction(self.engine, session) as conn:
            return _find(conn, case_id, command_id)

    def open_intents(
        self,
        case_id: str | None = None,
        *,
        older_than: timedelta | None = None,
        session: Session | None = None,
    ) -> list[Intent]:
        """Intents nobody has completed yet (of one case, or all), oldest first; with
        ``older_than``, only those written longer ago than that by the store's clock."""
        query = sa.select(intent_table).where(_intent.status == OPEN).order_by(_intent.id)
        if case_id is not None:
            query = query.where(_intent.case_id == case_id)
        if older_than is not None:
            query = query.where(_intent.written_at <= self.clock() - older_than)
        with transaction(self.engine, session) as conn:
            return [_intent_of(row) for row in conn.execute(query)]

    def close_intent(
        self,
        case_id: str,
        command_id: str,
        *,
        done: bool,
        seq: int | None = None,
        error: str | None = None,
        session: Session | None = None,
    ) -> bool:
        """Close an open intent as done (with the event that recorded it) or failed (with
        why); whether it was open."""
        values = {
            "status": DONE if done else FAILED,
            "seq": seq,
            "error": None if error is None else safe_text(error, 300),
            "closed_at": self.clock(),
        }
        with transaction(self.engine, session) as conn:
            closed = conn.execute(
                intent_table.update()
                .where(
                    _intent.case_id == case_id,
                    _intent.command_id == command_id,
                    _intent.status == OPEN,
                )
                .values(**values)
            )
            return bool(closed.rowcount)

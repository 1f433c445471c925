"""The ``transitions`` library's Machine on SQLAlchemy 2 ORM rows.

One Machine is built once and shared: each step loads the case row in a new Session transaction
(``BEGIN IMMEDIATE``), binds the row to the machine with ``add_model`` at its stored state,
triggers the event (conditions are the guards; an ``after_state_change`` callback adds the log
row), unbinds it, and commits. The row's ``version_id_col`` makes the UPDATE conditional on the
version read (``StaleDataError`` otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from transitions import EventData, Machine, MachineError

from . import (
    BUYER,
    OPEN_FOR_MERCHANT,
    PRAGMA_STATEMENTS,
    Actor,
    Refused,
    Step,
    checked_pg_settings,
    checked_pragmas,
    drive,
    facts,
    negotiation_refusal,
)


class Base(DeclarativeBase):
    pass


class CaseRow(Base):
    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(primary_key=True)
    order_id: Mapped[str]
    shop_id: Mapped[str]
    buyer_id: Mapped[str]
    type: Mapped[str]
    category: Mapped[str]
    paid_amount: Mapped[int]
    requested_amount: Mapped[int]
    buyer_reason: Mapped[str]
    opened_at: Mapped[datetime]
    state: Mapped[str]
    version: Mapped[int] = mapped_column(nullable=False)
    negotiation_type: Mapped[str | None]
    tracking_no: Mapped[str | None]
    refund_amount: Mapped[int | None]
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's idiom)


class LogRow(Base):
    __tablename__ = "case_log"

    case_id: Mapped[str] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str]
    actor_role: Mapped[str]
    actor_id: Mapped[str]
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    state_before: Mapped[str | None]
    state_after: Mapped[str]


def utc(at: datetime) -> datetime:
    """SQLite keeps no offset: store UTC, as ``aftersales`` does (on PostgreSQL too: the columns
    are ``timestamp without time zone``)."""
    return at.astimezone(UTC).replace(tzinfo=None)


# -- guards (conditions) and effects, all given the EventData -------------------------------


def _role(role: str) -> Any:
    def condition(ev: EventData) -> bool:
        return bool(ev.kwargs["actor"].role == role)

    condition.__name__ = f"by_{role}"
    return condition


by_merchant, by_buyer, by_system = _role("merchant"), _role("buyer"), _role("system")


def model(ev: EventData) -> Any:
    """The bound case: a ``CaseRow`` while stepping, a ``Replayed`` while replaying."""
    return ev.model


def valid_negotiation(ev: EventData) -> bool:
    return negotiation_refusal(ev.kwargs["data"]) is None


def invite_cancel(ev: EventData) -> bool:
    return bool(model(ev).negotiation_type == "invite_cancel")


def evidence_request(ev: EventData) -> bool:
    return bool(model(ev).negotiation_type == "request_evidence")


def refund_case(ev: EventData) -> bool:
    return bool(model(ev).type == "refund")


def has_tracking(ev: EventData) -> bool:
    return bool(ev.kwargs["data"].get("tracking"))


def record_negotiation(ev: EventData) -> None:
    model(ev).negotiation_type = ev.kwargs["data"]["negotiation_type"]


def record_tracking(ev: EventData) -> None:
    model(ev).tracking_no = ev.kwargs["data"]["tracking"]


def record_refund(ev: EventData) -> None:
    model(ev).refund_amount = model(ev).requested_amount


def write_log(ev: EventData) -> None:
    """After every state change: the log row, in the step's session (none when replaying)."""
    session: Session | None = ev.kwargs.get("session")
    if session is None:
        return
    case: CaseRow = model(ev)
    assert ev.transition is not None
    actor: Actor = ev.kwargs["actor"]
    at = utc(ev.kwargs["at"])
    case.updated_at = at
    session.add(
        LogRow(
            case_id=case.case_id,
            seq=case.version + 1,  # the version this UPDATE will write
            event=ev.event.name,
            actor_role=actor.role,
            actor_id=actor.id,
            at=at,
            data=dict(ev.kwargs["data"]),
            state_before=ev.transition.source,
            state_after=ev.transition.dest,
        )
    )


STATES = [
    "requested",
    "negotiating",
    "buyer_declined",
    "buyer_timed_out",
    "evidence_supplied",
    "awaiting_return",
    "awaiting_receipt",
    "refunding",
    "cancelled",
    "refunded",
]
MERCHANT_OPEN = list(OPEN_FOR_MERCHANT)
TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": "negotiate",
        "source": MERCHANT_OPEN,
        "dest": "negotiating",
        "conditions": [by_merchant, valid_negotiation],
        "after": record_negotiation,
    },
    # accept: the first alternative whose conditions hold wins
    {
        "trigger": "accept",
        "source": "negotiating",
        "dest": "cancelled",
        "conditions": [by_buyer, invite_cancel],
    },
    {
        "trigger": "accept",
        "source": "negotiating",
        "dest": "refunding",
        "conditions": [by_buyer, refund_case],
        "unless": evidence_request,
    },
    {
        "trigger": "accept",
        "source": "negotiating",
        "dest": "awaiting_return",
        "conditions": by_buyer,
        "unless": evidence_request,
    },
    {
        "trigger": "agree",
        "source": MERCHANT_OPEN,
        "dest": "refunding",
        "conditions": [by_merchant, refund_case],
    },
    {
        "trigger": "agree",
        "source": MERCHANT_OPEN,
        "dest": "awaiting_return",
        "conditions": by_merchant,
        "unless": refund_case,
    },
    {
        "trigger": "ship_return",
        "source": "awaiting_return",
        "dest": "awaiting_receipt",
        "conditions": [by_buyer, has_tracking],
        "after": record_tracking,
    },
    {
        "trigger": "confirm_receipt",
        "source": "awaiting_receipt",
        "dest": "refunding",
        "conditions": by_merchant,
    },
    {
        "trigger": "refund_succeeded",
        "source": "refunding",
        "dest": "refunded",
        "conditions": by_system,
        "after": record_refund,
    },
]
MACHINE = Machine(
    model=None,
    states=STATES,
    transitions=TRANSITIONS,
    initial="requested",
    send_event=True,
    auto_transitions=False,
    after_state_change=write_log,
)
"""Built once; case objects are bound to it for one step at a time."""


@contextmanager
def bound(model: Any, state: str) -> Iterator[Any]:
    MACHINE.add_model(model, initial=state)
    try:
        yield model
    finally:
        MACHINE.remove_model(model)


def fire(model: Any, step_event: str, **kwargs: Any) -> None:
    """Trigger ``step_event`` on a bound model; ``Refused`` when no transition's guards hold."""
    try:
        triggered = model.trigger(step_event, **kwargs)
    except MachineError as exc:  # no transition for this event from this state
        raise Refused(exc.value) from exc
    if not triggered:
        raise Refused(f"{step_event} refused in state {model.state}")


class Replayed:
    """What the guards read, rebuilt from the log alone (no session: nothing is written)."""

    def __init__(self, case_type: str, requested_amount: int) -> None:
        self.type, self.requested_amount = case_type, requested_amount
        self.negotiation_type: str | None = None
        self.tracking_no: str | None = None
        self.refund_amount: int | None = None


class Peer:
    name = "transitions + SQLAlchemy"

    def setup(self, path: Path) -> None:
        self.engine = sa.create_engine(f"sqlite:///{path}")

        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # SQLAlchemy's recipe: we issue BEGIN
            for statement in PRAGMA_STATEMENTS:
                dbapi_conn.execute(statement)

        @event.listens_for(self.engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        Base.metadata.create_all(self.engine)
        with self.engine.connect() as conn:
            self._pragmas = checked_pragmas(lambda sql: conn.exec_driver_sql(sql).scalar())
        self.sessions = sessionmaker(self.engine)

    def setup_postgres(self, url: str) -> None:
        """SQLAlchemy's postgresql+psycopg dialect with its defaults (a QueuePool, READ
        COMMITTED): the version column makes a lost race an UPDATE of no row, as on SQLite."""
        self.engine = sa.create_engine(url)
        Base.metadata.create_all(self.engine)
        with self.engine.connect() as conn:
            self._pragmas = checked_pg_settings(lambda sql: conn.exec_driver_sql(sql).scalar())
        self.sessions = sessionmaker(self.engine)

    def pragmas(self) -> dict[str, str]:
        return self._pragmas

    def open(self, case_id: str, kind: str) -> None:
        values = facts(case_id, kind)
        at = utc(values["opened_at"])
        data = {k: v for k, v in values.items() if k != "case_id"}
        data["opened_at"] = values["opened_at"].isoformat()
        with self.sessions.begin() as session:
            session.add(CaseRow(**values | {"opened_at": at}, state="requested", updated_at=at))
            session.add(
                LogRow(
                    case_id=case_id,
                    seq=1,
                    event="open",
                    actor_role=BUYER.role,
                    actor_id=BUYER.id,
                    at=at,
                    data=data,
                    state_before=None,
                    state_after="requested",
                )
            )

    def step(self, case_id: str, step: Step) -> None:
        with self.sessions.begin() as session:
            case = session.get(CaseRow, case_id)
            if case is None:
                raise Refused(f"no case {case_id}")
            with bound(case, case.state):
                fire(
                    case, step.event, actor=step.actor, at=step.at, data=step.data, session=session
                )

    def run(self, case_ids: list[str], kind: str) -> None:
        drive(self, case_ids, kind)

    def replay(self, case_ids: list[str]) -> int:
        """Re-trigger each logged event on the machine from the opening state; compare."""
        with self.sessions() as session:
            for case_id in case_ids:
                case = session.get_one(CaseRow, case_id)
                log = session.scalars(
                    select(LogRow).where(LogRow.case_id == case_id).order_by(LogRow.seq)
                ).all()
                if not log or log[0].event != "open":
                    raise AssertionError(f"{case_id}: the log does not start with open")
                with bound(Replayed(case.type, case.requested_amount), "requested") as shadow:
                    for row in log[1:]:
                        actor = Actor(row.actor_role, row.actor_id)
                        fire(shadow, row.event, actor=actor, at=row.at, data=row.data)
                        if shadow.state != row.state_after:
                            raise AssertionError(f"{case_id}: {row.event} led to {shadow.state}")
                    if shadow.state != case.state:
                        raise AssertionError(f"{case_id}: replayed {shadow.state}, {case.state}")
                session.expunge_all()
        return len(case_ids)

    def final_states(self, case_ids: list[str]) -> dict[str, str]:
        with self.sessions() as session:
            rows = session.execute(
                select(CaseRow.case_id, CaseRow.state).where(CaseRow.case_id.in_(case_ids))
            )
            return {case_id: state for case_id, state in rows}

    def close(self) -> None:
        self.engine.dispose()

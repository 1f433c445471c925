"""Where our cases meet WeChat's orders: the platform id links and the divergence log.

A divergence is kept once per message (its key), in the store's ``divergence`` table, and never
changes a case. :class:`LinkMethods` is the part of :class:`CaseStore` that reads and writes
them; ``aftersales.wechat`` reaches them only through the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ..metrics import Period
from ..results import PlatformDivergence
from ..workflow.errors import Conflict, NotFound
from .cache import CaseCache
from .engine import savepoint, transaction
from .report import period_filters
from .repository import Repository, not_found, safe_text
from .tables import case_table, divergence_table

_case = case_table.c
_DISPUTE_KEY = "wechat:complaint:"
"""How the keys of a dispute's messages begin (notifications and fetched disputes alike)."""


class LinkMethods:
    """The store's links to WeChat: platform ids, dispute ids, kept divergences, and the
    transaction a message of WeChat's is followed in."""

    engine: Engine
    repository: Repository
    cache: CaseCache

    @contextmanager
    def unit_of_work(self, session: Session | None = None) -> Iterator[Session]:
        """One transaction: the caller's ``session``, or a session of the store's own that
        commits at the end (and rolls back on an error)."""
        if session is not None:
            yield session
            return
        with Session(self.engine) as own, own.begin():
            yield own

    @contextmanager
    def savepoint(self, session: Session) -> Iterator[None]:
        """Every write inside the block, or none of them; the session's transaction goes on."""
        with savepoint(session.connection()):
            yield

    def link_platform_id(
        self, case_id: str, platform_id: str, *, session: Session | None = None
    ) -> None:
        """Link WeChat's after-sale order id to our case; ``conflict`` if another case has it."""
        with transaction(self.engine, session) as conn:
            taken = _case_for(conn, platform_id)
            if taken not in (None, case_id):
                raise Conflict(
                    f"WeChat after-sale {platform_id} is linked to case {taken} already.",
                    f"微信售后单 {platform_id} 已关联售后单 {taken}。",
                    "platform_id",
                )
            if not self.repository.commitments.reseal(conn, case_id, platform_id=platform_id):
                raise not_found(case_id)
        # The link decides whose clock the case follows; a cached record would not know it.
        self.cache.drop(case_id)

    def linked_case(self, platform_id: str, *, session: Session | None = None) -> str | None:
        """Our case id for WeChat's after-sale order id, if one is linked."""
        with transaction(self.engine, session) as conn:
            return _case_for(conn, platform_id)

    def case_for_platform_id(self, platform_id: str, *, session: Session | None = None) -> str:
        """Our case id for WeChat's after-sale order id; ``not_found`` if none is linked."""
        found = self.linked_case(platform_id, session=session)
        if found is None:
            raise NotFound(
                f"No case is linked to WeChat after-sale {platform_id!r:.80}.",
                f"没有售后单关联到微信售后单 {platform_id!r:.80}。",
                "platform_id",
            )
        return found

    def complaint_id(self, case_id: str, *, session: Session | None = None) -> str | None:
        """The dispute id WeChat gave the case, if any."""
        query = sa.select(_case.complaint_id).where(_case.case_id == case_id)
        with transaction(self.engine, session) as conn:
            found = conn.execute(query).scalar()
        return None if found is None else str(found)

    def link_complaint(
        self, case_id: str, complaint_id: str, *, session: Session | None = None
    ) -> None:
        """Keep the dispute id WeChat gave the case (and reseal its row)."""
        with transaction(self.engine, session) as conn:
            self.repository.commitments.reseal(conn, case_id, complaint_id=complaint_id)

    def record_divergence(
        self,
        *,
        key: str,
        platform_id: str,
        status: str,
        case_id: str | None,
        our_state: str | None,
        reason: str,
        at: datetime,
        session: Session | None = None,
    ) -> bool:
        """Keep a disagreement with WeChat once per message (``key``); whether it was new."""
        row = {
            "key": safe_text(key, 300),
            "platform_id": safe_text(platform_id, 128),
            "platform_status": safe_text(status, 64),
            "case_id": case_id,
            "our_state": our_state,
            "reason": safe_text(reason, 500),
            "at": at,
        }
        with transaction(self.engine, session) as conn:
            return _insert_divergence(conn, key, row)

    def resolve_divergences(
        self,
        case_id: str,
        platform_id: str,
        *,
        seq: int,
        at: datetime,
        complaint: bool,
        session: Session | None = None,
    ) -> int:
        """Mark the open divergences a sync just explained as resolved at ``at`` by the case's
        event ``seq``: the case's own, and those kept under its platform id before the case
        was known (now linked to it). ``complaint`` says which messages were followed, a
        dispute's or the after-sale order's: each resolves its own kind. How many."""
        _div = divergence_table.c
        disputes = _div.key.like(f"{_DISPUTE_KEY}%")
        mine = _div.case_id == case_id
        if platform_id:
            mine = sa.or_(mine, sa.and_(_div.case_id.is_(None), _div.platform_id == platform_id))
        with transaction(self.engine, session) as conn:
            done = conn.execute(
                divergence_table.update()
                .where(_div.resolved_at.is_(None), mine, disputes if complaint else ~disputes)
                .values(case_id=case_id, resolved_at=at, resolved_seq=seq)
            )
        return int(done.rowcount or 0)

    def divergences(
        self,
        case_id: str | None = None,
        *,
        period: Period | None = None,
        resolved: bool = False,
        session: Session | None = None,
    ) -> list[PlatformDivergence]:
        """The open disagreements with WeChat (with ``resolved``, the resolved ones too),
        oldest first: of one case, of the cases a report of ``period`` counts (a divergence
        linked to no case is in no period but the whole one), or all."""
        query = sa.select(divergence_table).order_by(divergence_table.c.id)
        if not resolved:
            query = query.where(divergence_table.c.resolved_at.is_(None))
        if case_id is not None:
            query = query.where(divergence_table.c.case_id == case_id)
        if period is not None and period != Period():
            chosen = sa.select(_case.case_id).where(*period_filters(period))
            query = query.where(divergence_table.c.case_id.in_(chosen))
        with transaction(self.engine, session) as conn:
            return [
                PlatformDivergence(
                    row.id,
                    row.case_id,
                    row.platform_id,
                    row.platform_status,
                    row.our_state,
                    row.reason,
                    row.at,
                    row.resolved_at,
                    row.resolved_seq,
                )
                for row in conn.execute(query)
            ]


def _case_for(conn: Connection, platform_id: str) -> str | None:
    query = sa.select(_case.case_id).where(_case.platform_id == platform_id)
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def _insert_divergence(conn: Connection, key: str, row: Mapping[str, object]) -> bool:
    exists = sa.select(divergence_table.c.id).where(divergence_table.c.key == key)
    if conn.execute(exists).first() is not None:
        return False
    try:
        with savepoint(conn):  # two deliveries at once: the second finds the key taken
            conn.execute(divergence_table.insert().values(**row))
    except sa.exc.IntegrityError:
        return False
    return True

"""For the WeChat edge: which shop an order belongs to (a sync never opens a case for an order
another shop's cases hold), and a case held for one message at a time (deliveries of the same
message one after the other, so each is applied once or finds the case in sync)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .engine import transaction
from .tables import case_table

_case = case_table.c


class LineStore:
    """The order-line methods of :class:`~aftersales.storage.CaseStore`."""

    engine: Engine

    def shops_of_order(self, order_id: str, *, session: Session | None = None) -> set[str]:
        """The shops whose stored cases carry ``order_id`` (empty when none does)."""
        query = sa.select(_case.shop_id).where(_case.order_id == order_id).distinct()
        with transaction(self.engine, session) as conn:
            return {str(shop) for shop in conn.execute(query).scalars()}

    def hold_case(self, case_id: str, *, session: Session) -> bool:
        """Lock the case's row until the session's transaction ends (``FOR UPDATE`` on
        PostgreSQL; SQLite has one writer at a time anyway); whether the case exists."""
        query = sa.select(_case.case_id).where(_case.case_id == case_id).with_for_update()
        with transaction(self.engine, session) as conn:
            return conn.execute(query).first() is not None

"""Where our cases meet WeChat's orders, as functions of a store: the platform id links and the
divergences kept when WeChat says something our events cannot explain.

The rows live in storage (:class:`aftersales.storage.CaseStore` reads and writes them); these
functions are the WeChat-side names for the same calls.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..storage import CaseStore, PlatformDivergence

Divergence = PlatformDivergence
"""WeChat said something no sequence of our events explains (see
:class:`aftersales.storage.PlatformDivergence`)."""


def link_platform_id(
    store: CaseStore, case_id: str, platform_id: str, *, session: Session | None = None
) -> None:
    """Link WeChat's after-sale order id to our case; ``conflict`` if another case has it."""
    store.link_platform_id(case_id, platform_id, session=session)


def case_for_platform_id(
    store: CaseStore, platform_id: str, *, session: Session | None = None
) -> str:
    """Our case id for WeChat's after-sale order id; ``not_found`` if none is linked."""
    return store.case_for_platform_id(platform_id, session=session)


def divergences(
    store: CaseStore, case_id: str | None = None, *, session: Session | None = None
) -> list[PlatformDivergence]:
    """Every recorded disagreement with WeChat (of one case, or all), oldest first."""
    return store.divergences(case_id, session=session)

"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aftersales import Case, open_case
from tests.support import facts


@pytest.fixture
def make_case() -> Callable[..., Case]:
    """Open a case with the given fact overrides (and ``policy=``)."""

    def make(policy: dict[str, Any] | None = None, **overrides: Any) -> Case:
        return open_case(facts(**overrides), policy=policy)

    return make

"""The ``browser`` marker: tests that drive Debian's Chromium through Playwright."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium (Playwright); deselect with -m 'not browser'"
    )

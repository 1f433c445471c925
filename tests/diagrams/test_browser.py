"""The training page in a real browser: headless Debian Chromium driven by Playwright.

Needs /usr/bin/chromium (the Makefile installs it); no browser is downloaded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from aftersales.diagrams.page import ROLES, click_path
from aftersales.scenarios import SCENARIOS

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason="Chromium not installed (apt-get install chromium)",
)


def test_training_page_loads_every_diagram():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((REPO / "diagrams" / "index.html").as_uri())
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
        )
        text = page.inner_text("body")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "training-page.png"), full_page=False)
        browser.close()
    assert len(sizes) == 2 + 2 * len(ROLES) + 2 * len(SCENARIOS)
    for src, complete, width in sizes:
        assert complete and width > 0, f"{src} did not load"
    for scenario in SCENARIOS:
        assert scenario.title_zh in text and scenario.title_en in text
        for reason in scenario.reasons:
            assert click_path(reason) in text
    assert "各方可以做什么 / Who can do what" in text

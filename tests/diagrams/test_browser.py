"""The training page in a real browser: headless Debian Chromium driven by Playwright.

Needs /usr/bin/chromium (the Makefile's ``browser`` target installs it); no browser is
downloaded. Screenshots and the printed PDFs land in ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aftersales.diagrams.training.page import ROLES
from aftersales.diagrams.training.quiz import questions
from aftersales.diagrams.training.texts import PAGE
from aftersales.scenarios import SCENARIOS
from aftersales.workflow.liability import RULES

REPO = Path(__file__).resolve().parents[2]
INDEX = REPO / "diagrams" / "index.html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000
"""Every wait of a browser step gives up after this long: the test stays bounded."""
MAX_PAGES = 28
"""The printed page (one language) must stay under this many A4 pages."""
MM = 96 / 25.4  # CSS pixels per millimetre
PORTRAIT = (186 * MM, 273 * MM)  # A4 less the 12 mm margins of the page's print CSS
LANDSCAPE = (277 * MM, 190 * MM)  # A4 landscape less its 10 mm margins
PICTURES_PER_LANGUAGE = 1 + len(ROLES) + len(SCENARIOS)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
        reason="Chromium not installed (make browser, or apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Any, lang: str = "zh", width: int = 1280, height: int = 900) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{INDEX.as_uri()}?lang={lang}")
    page.wait_for_load_state("load")
    return page


def test_page_shows_every_picture_in_one_language_at_a_time(browser):
    page = open_page(browser)
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
    )
    assert len(images) == 2 * PICTURES_PER_LANGUAGE
    for src, complete, width in images:
        assert complete and width > 0, f"{src} did not load"
    shown = page.eval_on_selector_all("img", "imgs => imgs.filter(i => i.offsetParent).length")
    assert shown == PICTURES_PER_LANGUAGE
    text = page.inner_text("body")
    assert PAGE["title"].zh in text and PAGE["title"].en not in text
    page.screenshot(path=str(ARTIFACTS / "training-page-zh.png"))
    page.locator("#overview").screenshot(path=str(ARTIFACTS / "training-overview-zh.png"))
    page.click("#switch")
    text = page.inner_text("body")
    assert PAGE["title"].en in text and PAGE["title"].zh not in text
    for scenario in SCENARIOS:
        assert scenario.title_en in text
    page.screenshot(path=str(ARTIFACTS / "training-page-en.png"))
    page.close()


@pytest.mark.parametrize("stem", ["overview_zh", "overview_en", "actor_merchant_zh"])
def test_pictures_at_full_size(browser, tmp_path, stem):
    # An SVG document itself never settles for a screenshot; a page holding it at 100 % does.
    holder = tmp_path / f"{stem}.html"
    svg = (REPO / "diagrams" / f"{stem}.svg").as_uri()
    holder.write_text(f'<body style="margin:0"><img src="{svg}"></body>', encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(holder.as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("document.images[0].naturalWidth") > 0
    page.screenshot(path=str(ARTIFACTS / f"{stem}-100.png"), full_page=True)
    page.close()


def test_every_quiz_question_answered(browser):
    page = open_page(browser)
    found = questions()
    best, risk = PAGE["verdict_best"].zh, PAGE["verdict_risk"].zh
    for number, question in enumerate(found, start=1):
        for index, option in enumerate(question.options, start=1):
            button = page.locator(f"#q{number} li:nth-child({index}) button.option")
            button.click()
            feedback = page.locator(f"#q{number}-a{index}")
            assert feedback.is_visible()
            assert feedback.get_attribute("data-grade") == option.grade
            said = feedback.inner_text()
            if option.grade == "best":
                assert best in said, f"question {number}: the right answer is not marked right"
            if option.move.kind == "direct-reject":
                assert risk in said and RULES["R1_direct_rejection"].zh in said, number
        assert page.locator(f"#q{number} .feedback:visible").count() == 1
        if number == 1:
            page.locator("#q1").screenshot(path=str(ARTIFACTS / "quiz-question-1.png"))
    page.close()


def picture_boxes(page: Any, within: str) -> list[dict[str, float]]:
    script = """(within) => Array.from(document.querySelectorAll('img'))
        .filter(i => i.offsetParent && (within === '*' ? !i.closest('#parties')
                                                       : i.closest(within)))
        .map(i => { const r = i.getBoundingClientRect();
                    return {src: i.getAttribute('src'), width: r.width, height: r.height}; })"""
    return list(page.evaluate(script, within))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_printed_page_fits_a4(browser, lang):
    for within, (width, height) in (("*", PORTRAIT), ("#parties", LANDSCAPE)):
        page = open_page(browser, lang, width=round(width), height=round(height))
        page.emulate_media(media="print")
        boxes = picture_boxes(page, within)
        assert boxes, within
        for box in boxes:
            assert box["width"] <= width + 1 and box["height"] <= height + 1, box
        page.close()
    page = open_page(browser, lang)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    page.close()
    (ARTIFACTS / f"training-{lang}.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    landscape = len(re.findall(rb"/MediaBox \[0 0 841\.\d+ 594\.\d+\]", pdf))
    print(f"{lang}: {pages} A4 pages, {landscape} landscape")
    assert 0 < pages < MAX_PAGES
    assert landscape == len(ROLES), "each party's picture on a landscape page"

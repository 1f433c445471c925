"""The training page and the committed set: fresh, free of code names, complete, printable."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from aftersales import advice_at_merchant_turns
from aftersales.diagrams.training.cards import click_path
from aftersales.diagrams.training.page import page_html, training_diagrams
from aftersales.diagrams.training.quiz import questions
from aftersales.diagrams.training.replays import replay_seed
from aftersales.scenarios import SCENARIOS, SITUATIONS
from aftersales.workflow.case import Case
from aftersales.workflow.liability import RULES
from aftersales.workflow.reasons import catalog
from aftersales.workflow.record import Actor

from .names import SMALL_ID, found_in

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "diagrams"


class Visible(HTMLParser):
    """The text a reader can meet: text nodes, ``alt`` and ``title``; scripts and styles not."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        self.parts += [value or "" for name, value in attrs if name in ("alt", "title")]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def svg_text(svg: str) -> str:
    """The text of a rendered picture, without the small state ids a picture may show."""
    shown = re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)
    small = re.findall(r'<text[^>]*font-size="9.00"[^>]*>(\w+)</text>', svg)
    return unescape(" ".join(t for t in shown if t not in small))


def test_committed_set_is_fresh_and_complete():
    generated = set()
    for stem, dot in training_diagrams():
        committed = FOLDER / f"{stem}.dot"
        assert committed.exists(), f"missing {committed}: run `aftersales diagrams render`"
        assert committed.read_text(encoding="utf-8") == dot.source, (
            f"{committed} is stale: run `aftersales diagrams render`"
        )
        assert (FOLDER / f"{stem}.svg").exists()
        generated |= {f"{stem}.dot", f"{stem}.svg"}
    assert (FOLDER / "index.html").read_text(encoding="utf-8") == page_html()
    on_disk = {p.name for p in FOLDER.iterdir()} - {"index.html"}
    assert on_disk == generated, f"no longer generated: {sorted(on_disk - generated)}"


@pytest.mark.parametrize("svg", sorted(FOLDER.glob("*.svg")), ids=lambda p: p.stem)
def test_no_code_name_in_a_rendered_picture(svg):
    text = svg_text(svg.read_text(encoding="utf-8"))
    assert text.strip()
    assert found_in(text) == []


def test_no_code_name_on_the_page():
    html = (FOLDER / "index.html").read_text(encoding="utf-8")
    assert found_in(visible(html)) == []
    assert found_in(SMALL_ID.sub("", html.split("<script>")[0].split("</style>")[1])) == []


def test_nothing_points_outside_the_repository():
    html = page_html()
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links
    for link in links:
        assert link.startswith("#") or (FOLDER / link).exists(), link
    assert "../" not in html and "http" not in html


def test_table_of_contents_links_every_section():
    html = page_html()
    toc = html.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    targets = re.findall(r'href="#([\w-]+)"', toc)
    assert {"overview", "parties", "quiz"} <= set(targets)
    assert {f"scenario-{s.key}" for s in SCENARIOS} <= set(targets)
    for target in targets:
        assert f'id="{target}"' in html, target


def test_both_languages_are_in_the_file_one_shown_at_a_time():
    html = page_html()
    assert '<html lang="zh-CN" data-lang="zh">' in html
    assert 'html[data-lang="zh"] .en, html[data-lang="en"] .zh { display: none' in html
    assert html.count('class="zh"') + html.count('class="zh ') == html.count(
        'class="en"'
    ) + html.count('class="en ')
    assert 'id="switch"' in html


def test_print_css_a4_one_section_a_page_pictures_fitted():
    html = page_html()
    assert "@page { size: A4;" in html and "size: A4 landscape" in html
    assert "section { break-before: page;" in html
    assert "figure img { border: none; max-height:" in html


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_scenario_card_walks_the_steps(scenario):
    html = unescape(page_html())
    section = html.split(f'id="scenario-{scenario.key}"', 1)[1].split("</section>", 1)[0]
    assert scenario.title_zh in section and scenario.title_en in section
    assert section.count("买家怎么说") == len(scenario.recommended)
    assert section.count("What the buyer said") == len(scenario.recommended)
    for key in scenario.reasons:
        reason = catalog()[key]
        assert click_path(key) in section
        assert reason.message_zh in section and reason.message_en in section
        assert reason.evidence_guide_zh in section
        wording = "必填:至少上传一张图片或视频" if reason.need_image else "选填:可以不传图片"
        assert wording in section
    for answer in ("同意", "拒绝 → 买家已拒绝协商", "不处理(买家48小时内答复) → 买家超时未处理"):
        assert answer in section or answer.replace("同意", "补充凭证") in section
    assert RULES["R1_direct_rejection"].zh in section.split('class="cost"', 1)[1]


def test_click_path_says_whether_images_are_required():
    assert click_path("agreed_cancel").endswith("上传图片凭证(必填) > 提交")
    assert click_path("no_seven_day_return_invite_cancel").endswith("上传图片凭证(选填) > 提交")
    assert click_path("agreed_cancel").startswith(
        "售后管理 > 售后处理 > 售后处理列表 > 协商 > 协商类型(已协商一致,邀请买家取消售后)"
    )


def test_quiz_answers_are_the_machines():
    found = questions()
    assert len(found) >= 8
    html = page_html()
    for number, question in enumerate(found, start=1):
        block = html.split(f'id="q{number}"', 1)[1].split('<div class="question"', 1)[0]
        grades = re.findall(r'<button[^>]*data-grade="(\w+)"', block)
        assert grades == [option.grade for option in question.options]
        assert grades.count("best") == 1
        for option in question.options:
            assert option.verdict.allowed == (option.grade != "refused")
            assert bool(option.verdict.risk) == (option.grade == "risk")
            if option.move.kind == "direct-reject":
                assert option.grade == "risk"
                assert "R1_direct_rejection" in option.verdict.risk


def test_a_direct_rejection_in_the_quiz_is_judged_by_the_machine_itself():
    question = questions()[0]
    option = next(o for o in question.options if o.move.kind == "direct-reject")
    facts = {
        "case_id": "Q",
        "order_id": "O",
        "shop_id": "S1",
        "buyer_id": "B1",
        "type": "refund",
        "category": "virtual",
        "paid_amount": 19900,
        "requested_amount": 19900,
        "buyer_reason": "no_reason",
        "opened_at": "2026-03-01T10:00:00+08:00",
    }
    fresh = Case.open(facts).would("reject", Actor.merchant("S1"))
    assert fresh.risk == option.verdict.risk == ("R1_direct_rejection",)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_the_advice_card_beside_each_scenario_says_what_advise_says(scenario):
    html = page_html()
    section = html.split(f'id="scenario-{scenario.key}"', 1)[1].split("</section>", 1)[0]
    beside = section.split('<div class="beside">', 1)[1].split('<div class="sheet">', 1)[0]
    assert beside.startswith("<figure>") and f'src="scenario_{scenario.key}_zh.svg"' in beside
    aside = unescape(beside.split('<aside class="advice">', 1)[1].split("</aside>", 1)[0])
    parts = aside.split("<h4>")[1:]
    turns = [
        (name, turn)
        for name in scenario.recommended
        for turn in advice_at_merchant_turns(replay_seed(name).events, SITUATIONS[name])
    ]
    assert len(parts) == len(turns) > 0
    for part, (name, (_, advice)) in zip(parts, turns, strict=True):
        where = (name, advice.event)
        assert advice.why_zh in part and advice.why_en in part, where
        reason = catalog().get(str(advice.data.get("reason")))
        if reason is not None:  # the move names the catalog's reason
            assert reason.label_zh in part and reason.label_en in part, where
        else:
            assert advice.event in ("agree", "reject"), where
            assert ("同意" if advice.event == "agree" else "拒绝") in part, where
        for item in advice.evidence:
            assert item.label_zh in part and item.label_en in part, where
            assert item.guide_zh in part and item.guide_en in part, where
        for avoid in advice.avoid:
            assert avoid.why_zh in part and avoid.why_en in part, where
        assert ("金额由你填写" in part) == advice.amount_needed, where

"""The training set: diagrams of the machine and the seed scenarios, and a static page.

Scenario paths come from replaying the seed histories shipped with the package, so a picture
shows exactly what the machine does. Chinese first, English second.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from pathlib import Path

import graphviz

from ..histories import MemoryTarget, parse_history, replay_lines
from ..scenarios import SCENARIOS, Scenario, history
from ..workflow.case import Case
from ..workflow.liability import RULES, evidence_need
from ..workflow.reasons import catalog
from ..workflow.vocabulary import NEGOTIATION_TYPE_LABELS, ROLE_LABELS, Role
from .model import steps
from .render import Lang, actor_diagram, highlight_diagram, machine_diagram

ROLES = tuple(role.value for role in Role)
"""The parties, merchant first: the one the training is for."""
CONSOLE_PATH = ("售后管理", "售后处理", "售后处理列表", "协商")


def replay_seed(name: str) -> Case:
    """Replay one shipped seed history in memory; the case it leads to."""
    target = MemoryTarget()
    replay_lines(parse_history(history(name).read_text(encoding="utf-8"), name), target, name)
    return target.case


def scenario_diagram(scenario: Scenario, lang: Lang) -> graphviz.Digraph:
    """The machine with the scenario's recommended paths bold and its risky path red."""
    recommended = [replay_seed(name) for name in scenario.recommended]
    risky = replay_seed(scenario.risky)
    title = scenario.title_zh if lang == "zh" else scenario.title_en
    return highlight_diagram(
        f"scenario_{scenario.key}_{lang}",
        title,
        [steps(case.events, case.path) for case in recommended],
        [steps(risky.events, risky.path)],
        lang,
    )


def training_diagrams() -> Iterator[tuple[str, graphviz.Digraph]]:
    """Every committed diagram by file stem."""
    langs: tuple[Lang, ...] = ("zh", "en")
    for lang in langs:
        yield f"machine_{lang}", machine_diagram(lang)
    for role in ROLES:
        for lang in langs:
            yield f"actor_{role}_{lang}", actor_diagram(role, lang)
    for scenario in SCENARIOS:
        for lang in langs:
            yield f"scenario_{scenario.key}_{lang}", scenario_diagram(scenario, lang)


def click_path(reason_key: str) -> str:
    """The merchant console clicks that send a negotiation with this reason."""
    reason = catalog()[reason_key]
    ntype = NEGOTIATION_TYPE_LABELS[reason.negotiation_type].zh
    steps_zh = (
        *CONSOLE_PATH,
        f"协商类型({ntype})",
        f"协商说明({reason.label_zh})",
        "商家留言",
        "上传图片凭证",
        "提交",
    )
    return " > ".join(steps_zh)


def _reason_block(reason_key: str) -> str:
    reason = catalog()[reason_key]
    ntype = NEGOTIATION_TYPE_LABELS[reason.negotiation_type]
    images = "必须上传图片凭证" if reason.need_image else "图片凭证可选"
    return f"""
    <div class="reason">
      <h4>{escape(reason.label_zh)} / {escape(reason.label_en)}</h4>
      <p class="clickpath">{escape(click_path(reason_key))}</p>
      <p>协商类型 / type: {escape(ntype.zh)} / {escape(ntype.en)} · {images}</p>
      <p><b>商家留言(自动填充)</b>:{escape(reason.message_zh)}</p>
      <p><b>Merchant message (auto-filled)</b>: {escape(reason.message_en)}</p>
      <p><b>凭证引导语</b>:{escape(reason.evidence_guide_zh)}</p>
      <p><b>Evidence guide</b>: {escape(reason.evidence_guide_en)}</p>
    </div>"""


def _scenario_section(scenario: Scenario) -> str:
    first = replay_seed(scenario.recommended[0])
    need = evidence_need(first.record, "buyer_declined")
    risky = replay_seed(scenario.risky)
    rule = risky.liability_rules[0] if risky.liability_rules else "R1_direct_rejection"
    reasons = "".join(_reason_block(key) for key in scenario.reasons)
    return f"""
  <section id="{scenario.key}">
    <h2>{escape(scenario.title_zh)}</h2>
    <p class="en">{escape(scenario.title_en)}</p>
    <img src="scenario_{scenario.key}_zh.svg" alt="{escape(scenario.title_zh)}">
    <img src="scenario_{scenario.key}_en.svg" alt="{escape(scenario.title_en)}">
    <h3>操作路径 / Console click path</h3>{reasons}
    <h3>如买家拒绝或超时后仍需拒绝 / If you still reject after the negotiation</h3>
    <p>所需凭证:{escape(need.label.zh)}</p>
    <p class="en">Evidence needed: {escape(need.label.en)}</p>
    <h3>直接拒绝的后果 / What a direct rejection costs</h3>
    <p class="risk">{escape(RULES[rule].zh)}</p>
    <p class="risk en">{escape(RULES[rule].en)}</p>
  </section>"""


PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>售后协商培训 / After-sales negotiation training</title>
<style>
  body {{ font-family: "Noto Sans CJK SC", sans-serif; max-width: 1200px; margin: 2em auto; }}
  img {{ max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }}
  .en {{ color: #555; }}
  .clickpath {{ font-family: monospace; background: #f4f4f4; padding: 0.4em; }}
  .risk {{ color: #c62828; }}
  .reason {{ border-left: 4px solid #1b5e20; padding-left: 1em; margin: 1em 0; }}
</style>
</head>
<body>
  <h1>售后协商培训</h1>
  <p class="en">After-sales negotiation training for customer-service staff. Generated from the
  state machine of the aftersales library; regenerate with
  <code>aftersales diagrams render</code>.</p>
  <p>原则:不要直接拒绝买家的售后申请。先使用「售后协商」,把取消售后的决定交还买家,并保留凭证。</p>
  <p class="en">Rule: never reject a request directly. Negotiate first, leave the decision to
  cancel with the buyer, and keep the evidence.</p>
  <h2>完整状态机 / The whole machine</h2>
  <p>绿色:推荐路径;红色:商家有判责风险的操作;虚线:超时。
  <span class="en">Green: recommended; red: liability risk; dashed: timer expiry.</span></p>
  <img src="machine_zh.svg" alt="售后单状态机">
  <img src="machine_en.svg" alt="After-sales case machine">
  <h2>各方可以做什么 / Who can do what</h2>
  <p>同一个状态机,按操作方拆开:每张图只画该方能执行的操作。
  <span class="en">The same machine split by party: each picture draws only what that party
  can do.</span></p>
{actors}
{sections}
</body>
</html>
"""


def _actor_images(role: str) -> str:
    who = ROLE_LABELS[role]
    return (
        f"  <h3>{escape(who.zh)} / {escape(who.en)}</h3>\n"
        f'  <img src="actor_{role}_zh.svg" alt="{escape(who.zh)}可以做什么">\n'
        f'  <img src="actor_{role}_en.svg" alt="What the {escape(who.en)} can do">\n'
    )


def page_html() -> str:
    """The training page's HTML."""
    return PAGE.format(
        actors="".join(_actor_images(role) for role in ROLES),
        sections="".join(_scenario_section(s) for s in SCENARIOS),
    )


def write_page(out: Path) -> Path:
    """Write ``out/index.html``."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "index.html"
    target.write_text(page_html(), encoding="utf-8")
    return target

"""The training page's stylesheet and script, inlined so ``index.html`` is one portable file.

Screen: one language at a time (both are in the file), a table of contents, a quiz that reveals
the machine's answer on click. Print: A4, every section on a new page, party pictures on
landscape pages, each picture scaled to fit its page, the quiz as a worksheet with an answer key.
"""

from __future__ import annotations

CSS = """
:root { --merchant: #d84315; --risk: #c62828; --good: #2e7d32; --muted: #5f6b73; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; margin: 0; color: #1f2933;
  line-height: 1.55; }
main, header.top, nav.toc { max-width: 1120px; margin: 0 auto; padding: 0 1.2em; }
html[data-lang="zh"] .en, html[data-lang="en"] .zh { display: none !important; }
header.top { padding-top: 1.2em; }
header.top .tools { float: right; display: flex; gap: .5em; }
header.top .tools button { font: inherit; padding: .3em .9em; border: 1px solid #90a4ae;
  background: #fff; border-radius: 4px; cursor: pointer; }
.rule { border-left: 5px solid var(--merchant); background: #fff3e0; padding: .6em 1em; }
nav.toc { border: 1px solid #cfd8dc; border-radius: 6px; padding: .6em 1.2em; margin-top: 1em; }
nav.toc ol { margin: .2em 0; }
section { padding-top: 1em; }
section > h2 { border-bottom: 2px solid #cfd8dc; padding-bottom: .2em; }
figure { margin: .8em 0; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; }
.note { color: var(--muted); }
.way { border: 1px solid #cfd8dc; border-radius: 6px; padding: .4em 1.2em; margin: 1em 0; }
.way dt { font-weight: bold; margin-top: .5em; }
.way dd { margin-left: 1.2em; }
.way dd p { margin: .15em 0; }
.console p:last-child { font-family: monospace; background: #f4f4f4; padding: .3em .5em;
  font-size: .9em; }
.risk { color: var(--risk); }
.beside { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.2em;
  align-items: start; }
.advice { border: 1px solid #a5d6a7; border-left: 5px solid var(--good); border-radius: 6px;
  background: #f1f8e9; padding: .4em 1em; margin: .8em 0; font-size: .92em; }
.advice h3 { margin: .3em 0; }
.advice h4 { margin: .8em 0 .2em 0; }
.advice dt { font-weight: bold; }
.advice dd { margin: 0 0 .3em 1em; }
.advice dd p { margin: .1em 0; }
@media (max-width: 800px) { .beside { display: block; } }
.cost { border-left: 5px solid var(--risk); padding: .2em 1em; background: #ffebee; }
.question { border: 1px solid #cfd8dc; border-radius: 6px; padding: .6em 1.2em; margin: 1em 0; }
.question table { border-collapse: collapse; margin: .4em 0; }
.question th { text-align: left; color: var(--muted); font-weight: normal; padding-right: 1em; }
.options { list-style: upper-alpha; padding-left: 2em; }
.options li { margin: .35em 0; }
button.option { font: inherit; text-align: left; width: 100%; padding: .35em .7em;
  border: 1px solid #b0bec5; border-radius: 4px; background: #fafafa; cursor: pointer; }
button.option.chosen[data-grade="best"] { border-color: var(--good); background: #e8f5e9; }
button.option.chosen[data-grade="ok"] { border-color: #607d8b; background: #eceff1; }
button.option.chosen[data-grade="risk"] { border-color: var(--risk); background: #ffebee; }
button.option.chosen[data-grade="refused"] { border-color: #6d4c41; background: #efebe9; }
.feedback { margin: .3em 0 .6em 0; padding: .4em .8em; border-left: 4px solid #90a4ae; }
.feedback .grade { font-weight: bold; }
.feedback[data-grade="best"] { border-color: var(--good); }
.feedback[data-grade="best"] .grade { color: var(--good); }
.feedback[data-grade="risk"] { border-color: var(--risk); }
.feedback[data-grade="risk"] .grade { color: var(--risk); }
.feedback[data-grade="refused"] .grade { color: #6d4c41; }
.answer-key { display: none; }
@page { size: A4; margin: 12mm; }
@page wide { size: A4 landscape; margin: 10mm; }
@media print {
  body { font-size: 10pt; line-height: 1.4; }
  main, header.top, nav.toc { max-width: none; padding: 0; }
  header.top .tools { display: none; }
  section { break-before: page; padding-top: 0; }
  .sheet { break-before: page; }
  /* The party pictures are wider than tall: their section prints on landscape pages, the
     heading on the page of the first picture rather than alone on a page of its own. */
  #parties { page: wide; }
  #parties .sheet:first-of-type { break-before: auto; }
  figure { break-inside: avoid; margin: .3em 0; }
  figure img { border: none; max-height: 232mm; }
  #parties figure img { max-height: 140mm; }
  .way, .question { break-inside: avoid; }
  .beside { display: block; }
  .advice { break-inside: avoid; background: none; }
  button.option { border: none; background: none; padding: 0; }
  .feedback { display: none !important; }
  .answer-key { display: block; }
  a { color: inherit; text-decoration: none; }
}
"""

SCRIPT = """
(function () {
  var root = document.documentElement;
  var wanted = new URLSearchParams(location.search).get("lang");
  if (wanted === "en" || wanted === "zh") { root.dataset.lang = wanted; }
  document.getElementById("switch").addEventListener("click", function () {
    root.dataset.lang = root.dataset.lang === "zh" ? "en" : "zh";
    root.lang = root.dataset.lang === "zh" ? "zh-CN" : "en";
  });
  document.getElementById("print").addEventListener("click", function () { window.print(); });
  document.querySelectorAll(".question").forEach(function (question) {
    question.querySelectorAll("button.option").forEach(function (button) {
      button.addEventListener("click", function () {
        question.querySelectorAll("button.option").forEach(function (other) {
          other.classList.remove("chosen");
          other.setAttribute("aria-pressed", "false");
        });
        question.querySelectorAll(".feedback").forEach(function (f) { f.hidden = true; });
        button.classList.add("chosen");
        button.setAttribute("aria-pressed", "true");
        document.getElementById(button.getAttribute("aria-controls")).hidden = false;
      });
    });
  });
})();
"""

"""``aftersales diagrams render`` and ``aftersales diagram``: the training set, one case's path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

import typer

from ..histories import MemoryTarget, replay_file
from ..workflow.case import Case
from .console import fail, handled, out, safe
from .options import Db, open_store

diagrams_app = typer.Typer(help="Training diagrams.", no_args_is_help=True)


@diagrams_app.command("render")
def diagrams_render(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write.")] = Path("diagrams"),
) -> None:
    """Regenerate the committed training set (DOT and SVG) and its page.

    Example: aftersales diagrams render --out diagrams
    """
    with handled():
        from ..diagrams.training import render_all

        written = render_all(out_dir)
    out.print(f"{len(written)} files written to {safe(out_dir)}/")


def diagram(
    history_file: Annotated[
        Path | None, typer.Option("--history", help="Draw this history's path.")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="Draw this stored case.")] = None,
    db: Db = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="File stem, file name, or a folder.")
    ] = Path("case"),
    fmt: Annotated[str, typer.Option("--format", help="svg, png, pdf or dot.")] = "svg",
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """Draw one case's actual path over the machine, steps numbered.

    Example: aftersales diagram --case fresh-quality --db aftersales-demo.db --format png
    """
    with handled():
        from ..diagrams.render import FORMATS, case_diagram, write

        if (
            fmt not in FORMATS
            or lang not in ("zh", "en")
            or (history_file is None) == (case is None)
        ):
            fail("give exactly one of --history or --case; --format svg|png|pdf|dot; --lang zh|en")
        shown = _case(history_file, case, db)
        dot = case_diagram(shown.events, shown.path, shown.case_id, cast(Literal["zh", "en"], lang))
        stem = output / "case" if output.is_dir() else output  # -o a folder: case.<format> in it
        if stem.suffix == f".{fmt}":  # -o c1.svg, not c1.svg.svg
            stem = stem.with_suffix("")
        [written] = write(dot, stem.parent, stem.name, [fmt], lang=lang)
    out.print(f"wrote {safe(written)}")


def _case(history_file: Path | None, case: str | None, db: str | None) -> Case:
    if history_file is not None:
        target = MemoryTarget()
        replay_file(history_file, target)
        return target.case
    assert case is not None
    return open_store(db).get(case)

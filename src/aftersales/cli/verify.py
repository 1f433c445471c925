"""``aftersales verify``: every stored case against its log, and WeChat's divergences."""

from __future__ import annotations

from typing import Annotated, Literal, cast

import typer

from ..formats import VerifyOutput
from ..storage import PlatformDivergence, Verification
from .console import FAILED, OK, err, fail, handled, out, print_json, progress, safe
from .options import Db, Json, open_store


def verify(
    db: Db = None,
    case: Annotated[str | None, typer.Option("--case", help="Only this case.")] = None,
    engine: Annotated[
        str, typer.Option(help="compiled (the dispatch table) or psm (python-statemachine).")
    ] = "compiled",
    as_json: Json = False,
) -> None:
    """Check every stored case against its log: the digest chain, the replay under the rules,
    and everything the case row stores. Exit 1 when a case does not match its log (a
    mismatch), 4 if --case names no case. Open disagreements with WeChat (divergences) are
    listed after the count and never fail the check.

    Example: aftersales verify --db cases.db --engine psm
    """
    if engine not in ("compiled", "psm"):
        fail("--engine is compiled or psm")
    with handled():
        store = open_store(db)
        if case is not None:
            store.get(case)  # not found: exit 4, not a divergence
        total = 1 if case else store.count_cases()
        with progress("verifying", total) as advance:
            report = store.verify(
                case, engine=cast(Literal["compiled", "psm"], engine), progress=advance
            )
        platform = store.divergences(case)
    if as_json:
        _print_json(report, platform)
    else:
        for mismatch in report.divergences:
            err.print(f"[red]log mismatch: {safe(mismatch)}[/red]")
        mismatches = len(report.divergences)
        out.print(f"{report.checked} case(s) checked against their logs: {mismatches} mismatch(es)")
        if platform:  # disagreements with WeChat are shown, not failed on
            out.print(f"{len(platform)} open disagreement(s) with WeChat (shown, not failed on):")
        for d in platform:
            out.print(
                f"[yellow]  {safe(d.case_id or '-')} is {safe(d.our_state or '-')}, "
                f"WeChat says {safe(d.platform_status)} ({safe(d.reason)})[/yellow]"
            )
    raise typer.Exit(FAILED if report.divergences else OK)


def _print_json(report: Verification, platform: list[PlatformDivergence]) -> None:
    print_json(
        VerifyOutput.model_validate(
            {
                "checked": report.checked,
                "divergences": report.divergences,
                "platform_divergences": platform,
            },
            from_attributes=True,
        )
    )

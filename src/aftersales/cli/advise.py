"""``aftersales advise``: the merchant's next move on a stored case, by the seed's playbook."""

from __future__ import annotations

from typing import Annotated

import typer

from ..formats import AdviceOutput
from ..workflow.advice import advise as advise_case
from ..workflow.playbook import Situation
from .advice_view import advice_account
from .console import handled, out, print_json
from .options import Db, Json, open_store


def advise(
    case_id: Annotated[str, typer.Argument(help="The case to advise on.")],
    db: Db = None,
    served: Annotated[
        str | None,
        typer.Option(help="Virtual goods: full, partial or none served within the period."),
    ] = None,
    agreed_offline: Annotated[
        bool, typer.Option("--agreed-offline", help="The buyer agreed in chat to cancel.")
    ] = False,
    compensated: Annotated[
        bool, typer.Option("--compensated", help="Reshipped, gift sent or partly paid.")
    ] = False,
    buyer_evidence: Annotated[
        str | None,
        typer.Option(help="Your verdict on the buyer's evidence: confirmed, partly, disputed."),
    ] = None,
    as_json: Json = False,
) -> None:
    """What to do now on a case, by the merchant guide: the move, the message to send, the
    evidence to gather (with the catalog's guide lines), and what to avoid, in Chinese and
    English. The options say what only you know; the case says the rest.

    Exit 2 on a bad option value, 4 if there is no such case.

    Example: aftersales advise C1 --db cases.db --served full
    """
    with handled():
        situation = Situation.of(
            {
                "served": served,
                "agreed_offline": agreed_offline,
                "compensated": compensated,
                "buyer_evidence": buyer_evidence,
            }
        )
        case = open_store(db).get(case_id)
        advice = advise_case(case, situation=situation)
    if as_json:
        print_json(AdviceOutput.of(case.case_id, case.state, situation, advice))
    else:
        out.print(advice_account(case.case_id, case.state, situation, advice))

"""The advisor: the merchant guide's playbook applied to a case at the merchant's turn
(docs/concepts/advisor.md).

Nothing here restates a rule. The playbook (:mod:`.playbook`) says what the seed would do; every
candidate move is then put to :meth:`Case.would` with the evidence the advice lists, and only a
move the guards allow without any liability risk is recommended. The evidence a later
rejection needs comes from :func:`evidence_need`, the function the rejection guard calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from .advice_evidence import EvidenceAdvice, entry, rejection_evidence
from .case import Case, Verdict
from .errors import AftersalesError, InvalidInput
from .graph import machine_graph
from .liability import RULES
from .playbook import Playbook, Row, Situation, playbook
from .reasons import catalog
from .record import Actor, CaseRecord, EventRecord
from .replay import Mismatch
from .replay import _apply as replay_event  # the replay's own step, not a copy
from .vocabulary import (
    EVENT_LABELS,
    NEXT_ACTOR,
    ROLE_LABELS,
    STATE_LABELS,
    Label,
)

_FROZEN_EMPTY: Mapping[str, Any] = MappingProxyType({})
ADVICE_KEYS = ("event", "negotiation_type", "reason")
"""What an expectation of advice (:func:`check_advice`) may name."""


@dataclass(frozen=True)
class Alternative:
    """A command the merchant may send: the event, its fixed data and what to gather for it."""

    event: str
    data: Mapping[str, Any]
    amount_needed: bool
    tracking_needed: bool
    evidence: tuple[EvidenceAdvice, ...]
    why_zh: str
    why_en: str

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            **self.__dict__,
            "data": dict(self.data),
            "evidence": [item.to_dict() for item in self.evidence],
        }


@dataclass(frozen=True)
class Avoid:
    """A move that would make the merchant liable here, with the rules it would break."""

    event: str
    data: Mapping[str, Any]
    rules: tuple[str, ...]
    why_zh: str
    why_en: str

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {**self.__dict__, "data": dict(self.data), "rules": list(self.rules)}


@dataclass(frozen=True)
class Advice:
    """The advice for the merchant's turn.

    ``event`` is ``None`` when it is not the merchant's turn; ``why`` then says whose it is.
    ``amount_needed``: the merchant fills in ``amount`` (below the requested amount);
    ``tracking_needed``: the merchant fills in ``tracking``.
    """

    event: str | None
    data: Mapping[str, Any]
    amount_needed: bool
    tracking_needed: bool
    evidence: tuple[EvidenceAdvice, ...]
    message_zh: str | None
    message_en: str | None
    why_zh: str
    why_en: str
    alternatives: tuple[Alternative, ...] = ()
    avoid: tuple[Avoid, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As JSON (what ``aftersales advise --json`` is meant to print)."""
        return {
            **self.__dict__,
            "data": dict(self.data),
            "evidence": [item.to_dict() for item in self.evidence],
            "alternatives": [move.to_dict() for move in self.alternatives],
            "avoid": [move.to_dict() for move in self.avoid],
        }


def advise(
    case: Case,
    *,
    situation: Situation | Mapping[str, Any] | None = None,
    at: datetime | str | None = None,
) -> Advice:
    """The merchant's best move now, by the seed's playbook, checked by the case's own guards.

    ``situation`` holds what only the merchant knows (:class:`Situation`, or a mapping of its
    fields). ``at``: advise as of that time (timers due by then fire first, on a copy); by
    default as of the case's last event. The case itself is never changed.
    """
    wanted = Situation.of(situation)
    if at is not None:
        case = case.copy()
        case.fire_due_timers(at)
    actor = NEXT_ACTOR.get(case.state)
    if actor != "merchant":
        return _not_merchant_turn(case.record, actor)
    return _merchant_turn(case, wanted, playbook())


def advice_at_merchant_turns(
    events: Sequence[EventRecord], situation: Situation | Mapping[str, Any] | None = None
) -> list[tuple[int, Advice]]:
    """The advice at each merchant turn of a case's whole log (oldest first): ``(seq, advice)``
    where ``seq`` is the event after which the turn began (the opening is 1). The log is
    replayed once, event by event, as :func:`aftersales.replay` does; a log that does not
    replay is :class:`InvalidInput`."""
    wanted = Situation.of(situation)
    found: list[tuple[int, Advice]] = []
    case: Case | None = None
    for record in events:
        problem = None
        try:
            if case is None:
                case = Case.reopen(record)
            else:
                problem = replay_event(case, record)
        except AftersalesError as err:
            problem = Mismatch(record.seq, f"the current rules refuse {record.event}: {err.code}")
        if problem is not None:
            raise InvalidInput(
                f"The log does not replay at event {problem.seq}: {problem.problem}",
                f"事件记录无法重放(第 {problem.seq} 个事件)。",
                "events",
            )
        assert case is not None  # opened by the first event, or refused above
        turn_begins = record.state_before is None or bool(record.entered)
        if turn_begins and NEXT_ACTOR.get(case.state) == "merchant":
            found.append((record.seq, advise(case, situation=wanted)))
    return found


def check_advice(
    case: Case,
    expected: Mapping[str, Any],
    situation: Situation | Mapping[str, Any] | None = None,
) -> list[str]:
    """What differs between the advice for ``case`` and ``expected`` (some of ``event``,
    ``negotiation_type``, ``reason``, as a history's ``expect`` line would carry them); empty
    when it holds. Meant for the pytest plugin and other checkers."""
    unknown = sorted(set(expected) - set(ADVICE_KEYS))
    if unknown:
        return [f"advice takes some of {list(ADVICE_KEYS)}, not {unknown}"]
    advice = advise(case, situation=situation)
    actual = {"event": advice.event, **{key: advice.data.get(key) for key in ADVICE_KEYS[1:]}}
    return [
        f"expected advice {key} {want!r}, got {actual[key]!r} ({advice.why_en})"
        for key, want in expected.items()
        if actual[key] != want
    ]


# -- the merchant's turn -----------------------------------------------------------------------


def _merchant_turn(case: Case, situation: Situation, book: Playbook) -> Advice:
    record = case.record
    merchant = Actor.merchant(record.facts.shop_id)
    notes: list[Label] = []
    chosen: tuple[Row, Alternative] | None = None
    others: list[Alternative] = []
    for row in book.matching(record, situation):
        move = _move(case, row, book)
        verdict = case.would(row.event, merchant, data=_probe(move, record))
        if not (verdict.allowed and not verdict.risk):
            if chosen is None:
                notes.append(_refusal(row, verdict))
            continue
        if chosen is None:
            chosen = (row, move)
        elif all((m.event, m.data) != (move.event, move.data) for m in (chosen[1], *others)):
            others.append(move)
    avoid = _avoid(case, merchant)
    if chosen is None:  # the last rows always fit; this is a broken playbook
        why = _join([*notes, Label("没有无风险的操作。", "No move is free of risk here.")])
        return Advice(None, _FROZEN_EMPTY, False, False, (), None, None, *why, avoid=avoid)
    row, move = chosen
    reason = catalog()[row.reason] if row.reason else None
    why = _join([*notes, row.why])
    return Advice(
        event=move.event,
        data=move.data,
        amount_needed=move.amount_needed,
        tracking_needed=move.tracking_needed,
        evidence=move.evidence,
        message_zh=reason.message_zh if reason else None,
        message_en=reason.message_en if reason else None,
        why_zh=why.zh,
        why_en=why.en,
        alternatives=tuple(others),
        avoid=avoid,
    )


def _probe(move: Alternative, record: CaseRecord) -> dict[str, Any]:
    """The move as a command the merchant could send: its data, one item of each evidence
    listed, and sample values where the merchant fills in an amount (half the requested) or a
    tracking number."""
    data = dict(move.data)
    kinds = dict.fromkeys(item.kinds[0] for item in move.evidence)
    if kinds:
        data["evidence"] = [{"kind": kind, "ref": f"advice-{kind}"} for kind in kinds]
    if move.amount_needed:
        data["amount"] = max(1, record.requested_amount // 2)
    if move.tracking_needed:
        data["tracking"] = "ADVICE-TRACKING"
    return data


def _move(case: Case, row: Row, book: Playbook) -> Alternative:
    record = case.record
    if row.event == "reject":
        evidence = rejection_evidence(record, record.state, book.guides, "move")
    else:
        reason = catalog()[row.reason] if row.reason else None
        guide = Label(reason.evidence_guide_zh, reason.evidence_guide_en) if reason else None
        guide = guide or row.evidence_guide or book.guides["any"]
        evidence = tuple(entry(group, guide, "move") for group in row.evidence)
    move = Alternative(
        row.event,
        MappingProxyType(row.data),
        row.amount_needed,
        row.tracking_needed,
        evidence,
        row.why.zh,
        row.why.en,
    )
    if row.event != "negotiate":
        return move
    return Alternative(**{**move.__dict__, "evidence": evidence + _later(case, move, book)})


def _later(case: Case, move: Alternative, book: Playbook) -> tuple[EvidenceAdvice, ...]:
    """What a rejection after this negotiation would need that the negotiation does not carry."""
    probe = case.copy()
    merchant = Actor.merchant(case.record.facts.shop_id)
    try:
        probe.send("negotiate", actor=merchant, at=case.last_at, data=_probe(move, case.record))
    except AftersalesError:  # refused: the advisor reports the refusal instead
        return ()
    # A request for evidence is answered by evidence the merchant may dispute; the rest by a
    # decline or silence.
    ntype = move.data["negotiation_type"]
    after = "evidence_supplied" if ntype == "request_evidence" else "buyer_declined"
    carried = tuple(item.kinds for item in move.evidence)
    return rejection_evidence(probe.record, after, book.guides, "rejection", carried)


def _avoid(case: Case, merchant: Actor) -> tuple[Avoid, ...]:
    """A bare rejection, where the state offers one and it would make the merchant liable;
    always the direct rejection from ``requested``."""
    state = case.state
    if "reject" not in machine_graph().events_from(state):
        return ()
    verdict = case.would("reject", merchant, data={})
    if not verdict.risk and state != "requested":
        return ()
    if verdict.risk:
        why = _join([RULES[rule] for rule in verdict.risk])
    else:  # the policy judges this direct rejection by evidence the case already holds
        why = Label(
            "平台不允许未经协商直接拒绝(错误 10021068),请先协商。",
            "The platform refuses a rejection without a negotiation (error 10021068): "
            "negotiate first.",
        )
    return (Avoid("reject", _FROZEN_EMPTY, verdict.risk, why.zh, why.en),)


def _refusal(row: Row, verdict: Verdict) -> Label:
    move = EVENT_LABELS[row.event]
    if row.reason:
        reason = catalog()[row.reason]
        move = Label(f"{move.zh}「{reason.label_zh}」", f"{move.en} ({reason.label_en})")
    if verdict.allowed:
        problem = _join([RULES[rule] for rule in verdict.risk])
    else:
        problem = Label(verdict.message_zh or "", verdict.message_en or "")
    return Label(
        f"按「{row.situation.zh}」本应{move.zh},但此处不可行:{problem.zh}",
        f"For “{row.situation.en}” the playbook would {move.en}, but that is not possible "
        f"here: {problem.en}",
    )


def _not_merchant_turn(record: CaseRecord, actor: str | None) -> Advice:
    state = STATE_LABELS[record.state]
    if actor is None:
        why = Label(
            f"售后单已结束({state.zh}),无需再处理。",
            f"The case is over ({state.en}); there is nothing left to do.",
        )
    else:
        role = ROLE_LABELS[actor]
        why = Label(
            f"现在轮到{role.zh}处理({state.zh}),商家暂时无需操作。",
            f"It is the {role.en}'s turn ({state.en}); the merchant has nothing to do now.",
        )
    if record.evidence_demanded:
        why = _join(
            [
                why,
                Label(
                    "平台已要求商家举证:请在截止前提交凭证,逾期将被判商家责任。",
                    "The platform has asked for the merchant's evidence: submit it before the "
                    "deadline, or the merchant is liable.",
                ),
            ]
        )
    return Advice(None, _FROZEN_EMPTY, False, False, (), None, None, why.zh, why.en)


def _join(parts: Sequence[Label]) -> Label:
    zh = "".join(part.zh if part.zh.endswith("。") else part.zh + "。" for part in parts)
    en = " ".join(part.en if part.en.endswith(".") else part.en + "." for part in parts)
    return Label(zh, en)

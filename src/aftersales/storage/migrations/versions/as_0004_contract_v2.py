"""contract v2: facts and timers in the case row, JSON payloads, origin, indexes

Revision ID: as_0004
Revises: as_0003
- case: the v2 facts (sku_id, count, received, used), the WeChat dispute id, the policy,
  the workflow version each case follows (1 for every case already stored), ``final``, the
  running timer (``due_at`` was there; ``timer_kind`` and ``timer_error`` join it),
  ``applications``, a versioned JSON snapshot (the old one is dropped: it is rebuilt from the
  log on first use), amounts as BIGINT, a unique platform id, and only the indexes a query
  uses;
- event: ``origin``; data and note as JSON (JSONB on PostgreSQL);
- refused: ``origin``, data as JSON;
- timer: dropped, its running rows folded into the case rows;
- divergence: the reason, and rows without a case.

The downgrade restores the as_0003 schema with every row, and writes each case's snapshot again
in the shape the release before v2 reads (built from the log). Cases that use what only v2
knows (an exchange, say) cannot be read by that release in any shape.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

from aftersales.storage.codec import record_from_row
from aftersales.storage.tables import PREFIX, SCHEMA, name

revision: str = "as_0004"
down_revision: str | Sequence[str] | None = "as_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINAL = ("cancelled", "refunded", "partially_refunded", "closed")
JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")


def legacy(index: str) -> str:
    """An index name of the first releases, which did not carry the table prefix."""
    return index if PREFIX == "aftersales_" else f"{PREFIX}{index}"


def _table(table: str, *columns: str) -> sa.TableClause:
    return sa.table(name(table), *(sa.column(c) for c in columns), schema=SCHEMA)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _to_json(table: str, *columns: str) -> None:
    """Text columns holding JSON become JSON (JSONB on PostgreSQL)."""
    with op.batch_alter_table(name(table), schema=SCHEMA) as batch:
        for column in columns:
            using = f"{column}::jsonb" if _postgres() else None
            batch.alter_column(
                column, type_=JSON_TYPE, existing_type=sa.Text(), postgresql_using=using
            )


def _to_text(table: str, *columns: str) -> None:
    with op.batch_alter_table(name(table), schema=SCHEMA) as batch:
        for column in columns:
            using = f"{column}::text" if _postgres() else None
            batch.alter_column(
                column, type_=sa.Text(), existing_type=JSON_TYPE, postgresql_using=using
            )


def upgrade() -> None:
    """Upgrade schema."""
    # Every case stored so far follows contract v1; their snapshots are rebuilt from the log.
    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch:
        for index in (
            "buyer_id",
            "due_at",
            "opened_at",
            "order_id",
            "platform_id",
            "state",
            "shop_id",
        ):
            batch.drop_index(f"ix_{PREFIX}case_{index}")
        batch.drop_index(legacy("ix_case_shop_opened"))
        batch.add_column(sa.Column("sku_id", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column("received", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("policy", JSON_TYPE, nullable=True))
        batch.add_column(
            sa.Column("workflow_version", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(
            sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("timer_kind", sa.String(), nullable=True))
        batch.add_column(sa.Column("timer_error", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("applications", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(sa.Column("snapshot_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("complaint_id", sa.String(), nullable=True))
        for column in ("paid_amount", "requested_amount"):
            batch.alter_column(column, type_=sa.BigInteger(), existing_type=sa.Integer())
        for column in ("refund_amount", "resolution_seconds"):
            batch.alter_column(
                column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=True
            )
        batch.alter_column("snapshot", existing_type=sa.Text(), nullable=True)
    case = sa.table(name("case"), sa.column("state"), sa.column("final", sa.Boolean), schema=SCHEMA)
    op.execute(sa.text(f"UPDATE {_q('case')} SET snapshot = NULL"))
    op.execute(case.update().where(case.c.state.in_(FINAL)).values(final=sa.true()))
    _fold_timers()
    _policies_from_openings()
    _v2_from_openings()
    _one_case_per_platform_id()
    _to_json("case", "snapshot")
    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch:
        batch.create_index(f"ix_{PREFIX}case_shop_opened", ["shop_id", "opened_at"])
        batch.create_index(f"ix_{PREFIX}case_opened", ["opened_at"])
        batch.create_index(f"ix_{PREFIX}case_line", ["order_id", "sku_id"])
        batch.create_index(
            f"uq_{PREFIX}case_open_line",
            ["order_id", "sku_id"],
            unique=True,
            sqlite_where=sa.text("final = 0"),
            postgresql_where=sa.text("NOT final"),
        )
        batch.create_index(
            f"ix_{PREFIX}case_due",
            ["due_at"],
            sqlite_where=sa.text("due_at IS NOT NULL"),
            postgresql_where=sa.text("due_at IS NOT NULL"),
        )
        batch.create_index(f"uq_{PREFIX}case_platform", ["platform_id"], unique=True)

    with op.batch_alter_table(name("event"), schema=SCHEMA) as batch:
        batch.add_column(sa.Column("origin", sa.String(), nullable=False, server_default="local"))
        batch.drop_index(legacy("ix_event_event_case"))
        batch.drop_constraint(legacy("uq_event_command"), type_="unique")
    _to_json("event", "data", "note")
    with op.batch_alter_table(name("event"), schema=SCHEMA) as batch:
        batch.create_index(f"ix_{PREFIX}event_event_case", ["event", "case_id"])
        batch.create_index(
            f"ix_{PREFIX}event_platform",
            ["case_id"],
            sqlite_where=sa.text("origin = 'platform'"),
            postgresql_where=sa.text("origin = 'platform'"),
        )
        batch.create_unique_constraint(f"uq_{PREFIX}event_command", ["case_id", "command_id"])
    _origins_from_notes()

    with op.batch_alter_table(name("refused"), schema=SCHEMA) as batch:
        for index in ("case_id", "code", "event"):
            batch.drop_index(f"ix_{PREFIX}refused_{index}")
        batch.add_column(sa.Column("origin", sa.String(), nullable=False, server_default="local"))
    _to_json("refused", "data")
    with op.batch_alter_table(name("refused"), schema=SCHEMA) as batch:
        batch.create_index(f"ix_{PREFIX}refused_case", ["case_id"])

    with op.batch_alter_table(name("timer"), schema=SCHEMA) as batch:
        batch.drop_index(legacy("ix_timer_status_due"))
        batch.drop_index(f"ix_{PREFIX}timer_case_id")
    op.drop_table(name("timer"), schema=SCHEMA)

    with op.batch_alter_table(name("divergence"), schema=SCHEMA) as batch:
        batch.drop_index(f"ix_{PREFIX}divergence_case_id")
        batch.add_column(
            sa.Column("reason", sa.String(), nullable=False, server_default="unexplained status")
        )
        batch.alter_column("case_id", existing_type=sa.String(), nullable=True)
        batch.alter_column("our_state", existing_type=sa.String(), nullable=True)
        batch.create_index(f"ix_{PREFIX}divergence_case", ["case_id"])


def _q(table: str) -> str:
    """A table's name (schema-qualified when there is one) quoted for the dialect: the prefix
    and schema are settings, never SQL."""
    preparer = op.get_context().dialect.identifier_preparer
    return preparer.format_table(sa.table(name(table), schema=SCHEMA))


def _fold_timers() -> None:
    """The running timer rows become the case rows' own timer."""
    case, timer = _q("case"), _q("timer")
    running = f"FROM {timer} t WHERE t.case_id = {case}.case_id AND t.status = 'running'"
    op.execute(
        f"UPDATE {case} SET timer_kind = (SELECT t.kind {running}), "
        f"due_at = (SELECT t.due_at {running}) WHERE EXISTS (SELECT 1 {running})"
    )


def _policies_from_openings() -> None:
    """Each case's policy overrides, from its opening event, into the case row."""
    case, event = _q("case"), _q("event")
    opening = f"FROM {event} e WHERE e.case_id = {case}.case_id AND e.seq = 1"
    if _postgres():
        value = f"(SELECT (e.data::jsonb) -> 'policy' {opening})"
    else:
        value = f"(SELECT json_extract(e.data, '$.policy') {opening})"
    op.execute(
        f"UPDATE {case} SET policy = {value} "
        f"WHERE EXISTS (SELECT 1 {opening} AND e.data LIKE '%\"policy\"%')"
    )


OPENING_VALUES = (
    ("workflow_version", "note", "integer", "1"),
    ("sku_id", "data", "text", "''"),
    ("count", "data", "integer", "1"),
    ("received", "data", "boolean", "false"),
    ("used", "data", "boolean", "false"),
)
"""What a v2 opening records and the case row keeps: (column, where in the opening, type,
the value of a v1 case)."""


def _v2_from_openings() -> None:
    """The contract version and the v2 facts, from each case's opening.

    A case stored before v2 has none of them in its opening and keeps the v1 values. A case
    opened under v2 and taken down to as_0003 by the downgrade (which drops these columns)
    gets them back from its log, which kept them.
    """
    case, event = _q("case"), _q("event")
    opening = f"FROM {event} e WHERE e.case_id = {case}.case_id AND e.seq = 1"
    for column, where, kind, v1 in OPENING_VALUES:
        if _postgres():
            value = f"(SELECT ((e.{where})::jsonb ->> '{column}')::{kind} {opening})"
        else:
            value = f"(SELECT json_extract(e.{where}, '$.{column}') {opening})"
            v1 = {"false": "0", "true": "1"}.get(v1, v1)
        op.execute(f'UPDATE {case} SET "{column}" = COALESCE({value}, {v1})')


STORED_ORIGIN = "stored_origin"
"""The note key that keeps a platform event's origin while the schema is below as_0004 (that
schema has no column for it, and a v2 row's digest covers it)."""


def _origins_into_notes() -> None:
    event, key = _q("event"), STORED_ORIGIN
    if _postgres():
        note = f"(note::jsonb || jsonb_build_object('{key}', origin))::text"
    else:
        note = f"json_set(note, '$.{key}', origin)"
    op.execute(f"UPDATE {event} SET note = {note} WHERE origin <> 'local'")


def _origins_from_notes() -> None:
    """Origins a downgrade kept in the notes (see ``_origins_into_notes``) go back."""
    event, key = _q("event"), STORED_ORIGIN
    if _postgres():
        origin, note = f"note::jsonb ->> '{key}'", f"note::jsonb - '{key}'"
    else:
        origin, note = f"json_extract(note, '$.{key}')", f"json_remove(note, '$.{key}')"
    kept = f"CAST(note AS TEXT) LIKE '%\"{key}\"%'"
    op.execute(f"UPDATE {event} SET origin = {origin}, note = {note} WHERE {kept}")


def _one_case_per_platform_id() -> None:
    """Earlier releases let a later link take a platform id over; the latest case keeps it."""
    case = _q("case")
    later = (
        f"SELECT 1 FROM {case} c2 WHERE c2.platform_id = {case}.platform_id AND "
        f"(c2.opened_at > {case}.opened_at OR "
        f"(c2.opened_at = {case}.opened_at AND c2.case_id > {case}.case_id))"
    )
    op.execute(
        f"UPDATE {case} SET platform_id = NULL WHERE platform_id IS NOT NULL AND EXISTS ({later})"
    )


def downgrade() -> None:
    """Downgrade schema."""
    if context.is_offline_mode():
        raise RuntimeError("the downgrade rebuilds snapshots from each log: run it online")
    conn = op.get_bind()
    with op.batch_alter_table(name("divergence"), schema=SCHEMA) as batch:
        batch.drop_index(f"ix_{PREFIX}divergence_case")
    div = _table("divergence", "case_id", "our_state")
    conn.execute(div.delete().where(div.c.case_id.is_(None)))
    conn.execute(div.update().where(div.c.our_state.is_(None)).values(our_state="unknown"))
    with op.batch_alter_table(name("divergence"), schema=SCHEMA) as batch:
        batch.drop_column("reason")
        batch.alter_column("case_id", existing_type=sa.String(), nullable=False)
        batch.alter_column("our_state", existing_type=sa.String(), nullable=False)
        batch.create_index(f"ix_{PREFIX}divergence_case_id", ["case_id"])

    op.create_table(
        name("timer"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_seq", sa.Integer(), nullable=False),
        sa.Column("ended_seq", sa.Integer(), nullable=True),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    with op.batch_alter_table(name("timer"), schema=SCHEMA) as batch:
        batch.create_index(f"ix_{PREFIX}timer_case_id", ["case_id"])
        batch.create_index(legacy("ix_timer_status_due"), ["status", "due_at"])
    case = _table("case", "case_id", "state", "version", "due_at", "timer_kind")
    timer = _table("timer", "case_id", "kind", "state", "due_at", "status", "started_seq")
    for row in conn.execute(sa.select(case).where(case.c.due_at.is_not(None))).all():
        conn.execute(
            timer.insert().values(
                case_id=row.case_id,
                kind=row.timer_kind or "merchant_response",
                state=row.state,
                due_at=row.due_at,
                status="running",
                started_seq=row.version,
            )
        )

    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch:
        for index in ("shop_opened", "opened", "line", "due", "platform"):
            prefix = "uq" if index == "platform" else "ix"
            batch.drop_index(f"{prefix}_{PREFIX}case_{index}")
        batch.drop_index(f"uq_{PREFIX}case_open_line")
    _to_text("case", "snapshot")
    _v1_snapshots(conn)

    with op.batch_alter_table(name("refused"), schema=SCHEMA) as batch:
        batch.drop_index(f"ix_{PREFIX}refused_case")
    _to_text("refused", "data")
    with op.batch_alter_table(name("refused"), schema=SCHEMA) as batch:
        batch.drop_column("origin")
        for index in ("case_id", "code", "event"):
            batch.create_index(f"ix_{PREFIX}refused_{index}", [index])

    with op.batch_alter_table(name("event"), schema=SCHEMA) as batch:
        batch.drop_index(f"ix_{PREFIX}event_platform")
        batch.drop_index(f"ix_{PREFIX}event_event_case")
        batch.drop_constraint(f"uq_{PREFIX}event_command", type_="unique")
    _to_text("event", "data", "note")
    _origins_into_notes()
    with op.batch_alter_table(name("event"), schema=SCHEMA) as batch:
        batch.drop_column("origin")
        batch.create_index(legacy("ix_event_event_case"), ["event", "case_id"])
        batch.create_unique_constraint(legacy("uq_event_command"), ["case_id", "command_id"])

    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch:
        for column in (
            "sku_id",
            "count",
            "received",
            "used",
            "policy",
            "workflow_version",
            "final",
            "timer_kind",
            "timer_error",
            "applications",
            "snapshot_version",
            "complaint_id",
        ):
            batch.drop_column(column)
        for column in ("paid_amount", "requested_amount"):
            batch.alter_column(column, type_=sa.Integer(), existing_type=sa.BigInteger())
        for column in ("refund_amount", "resolution_seconds"):
            batch.alter_column(
                column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=True
            )
        batch.alter_column("snapshot", existing_type=sa.Text(), nullable=False)
        for index in (
            "buyer_id",
            "due_at",
            "opened_at",
            "order_id",
            "platform_id",
            "state",
            "shop_id",
        ):
            batch.create_index(f"ix_{PREFIX}case_{index}", [index])
        batch.create_index(legacy("ix_case_shop_opened"), ["shop_id", "opened_at"])


def _v1_snapshots(conn: sa.Connection) -> None:
    """Write each case's snapshot in the shape the release before v2 reads, from its log."""
    columns = [
        "case_id",
        "order_id",
        "shop_id",
        "buyer_id",
        "type",
        "category",
        "seven_day_return",
        "paid_amount",
        "requested_amount",
        "buyer_reason",
        "shipped",
        "opened_at",
        "state",
        "version",
        "last_at",
        "liability",
        "refund_amount",
        "snapshot",
        "policy",
    ]
    case = _table("case", *columns)
    event = _table(
        "event",
        "case_id",
        "seq",
        "event",
        "data",
        "note",
        "command_id",
        "at",
        "state_before",
        "state_after",
        "schema_version",
        "origin",
        "actor_role",
        "actor_id",
    )
    for row in conn.execute(sa.select(case)).all():
        events = conn.execute(
            sa.select(event).where(event.c.case_id == row.case_id).order_by(event.c.seq)
        ).all()
        snapshot = _v1_snapshot(row, events)
        conn.execute(
            case.update().where(case.c.case_id == row.case_id).values(snapshot=json.dumps(snapshot))
        )


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _time(value: Any) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _iso(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.isoformat())


def _v1_snapshot(row: Any, events: Sequence[Any]) -> dict[str, Any]:
    """The release-before-v2 record of a case: its facts and policy, the state and timer of its
    last event, every negotiation, rejection and submitted evidence of its log."""
    state: dict[str, Any] = _loads(row.snapshot) or {}
    negotiations: list[dict[str, Any]] = []
    merchant_evidence: list[Any] = []
    path: list[str] = []
    commands: dict[str, int] = {}
    rejection, rule_rules, missed = None, [], False
    agreed, refund_due = row.requested_amount, state.get("refund_due")
    timer = None
    for item in events:
        data, note = _loads(item.data) or {}, _loads(item.note) or {}
        row_values = {**item._mapping, "data": data, "note": note, "at": _time(item.at)}
        entered = record_from_row(row_values).entered
        path += entered
        timer = note.get("timer")
        if item.command_id is not None:
            commands[item.command_id] = item.seq
        if item.event == "negotiate":
            negotiations.append(
                {
                    "seq": item.seq,
                    "at": _iso(item.at),
                    "negotiation_type": data["negotiation_type"],
                    "reason": data["reason"],
                    "message": data.get("message"),
                    "amount": data.get("amount"),
                    "new_type": data.get("new_type"),
                    "evidence": data.get("evidence", []),
                }
            )
        elif item.event == "reject":
            rejection = {
                "seq": item.seq,
                "at": _iso(item.at),
                "from_state": item.state_before,
                "reject_reason": data.get("reject_reason"),
                "evidence": data.get("evidence", []),
                "findings": note.get("findings", []),
            }
        elif item.event == "submit_evidence":
            merchant_evidence += data.get("evidence", [])
        elif item.event == "expire" and item.state_before == "platform_intervention":
            missed = True
        elif item.event == "rule":
            rule_rules = note.get("assessment", {}).get("rules", [])
        if "agreed_amount" in note:
            agreed = note["agreed_amount"]
    return {
        "facts": {
            "case_id": row.case_id,
            "order_id": row.order_id,
            "shop_id": row.shop_id,
            "buyer_id": row.buyer_id,
            "type": row.type,
            "category": row.category,
            "seven_day_return": row.seven_day_return,
            "paid_amount": row.paid_amount,
            "requested_amount": row.requested_amount,
            "buyer_reason": row.buyer_reason,
            "shipped": bool(row.shipped),
            "opened_at": _iso(row.opened_at),
        },
        "policy": _loads(row.policy) or {},
        "state": row.state,
        "case_type": state.get("case_type", row.type),
        "agreed_amount": state.get("agreed_amount", agreed),
        "now": _iso(row.last_at),
        "negotiations": negotiations,
        "rejection": rejection,
        "timer": timer,
        "evidence_demanded": state.get("evidence_demanded", False),
        "evidence_missed": state.get("evidence_missed", missed),
        "merchant_evidence": merchant_evidence,
        "seq": row.version,
        "last_at": _iso(row.last_at),
        "refund_due": refund_due,
        "refund_amount": row.refund_amount,
        "liability": row.liability,
        "liability_rules": state.get("liability_rules", rule_rules),
        "path": path,
        "commands": commands,
        "note": {},
    }

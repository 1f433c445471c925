"""initial schema

Revision ID: as_0001
Revises:
Tables of the case store: cases, the append-only event log, timers, refusals, feed.
(Revision ``0001`` of releases before contract v2, which kept it in ``alembic_version``.)

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.storage.tables import PREFIX, SCHEMA, name

# revision identifiers, used by Alembic.
revision: str = "as_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("aftersales",)
depends_on: str | Sequence[str] | None = None


def legacy(index: str) -> str:
    """An index name of the first releases, which did not carry the table prefix."""
    return index if PREFIX == "aftersales_" else f"{PREFIX}{index}"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        name("case"),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("shop_id", sa.String(), nullable=False),
        sa.Column("buyer_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("seven_day_return", sa.String(), nullable=False),
        sa.Column("paid_amount", sa.Integer(), nullable=False),
        sa.Column("requested_amount", sa.Integer(), nullable=False),
        sa.Column("buyer_reason", sa.String(), nullable=False),
        sa.Column("shipped", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("liability", sa.String(), nullable=True),
        sa.Column("refund_amount", sa.Integer(), nullable=True),
        sa.Column("platform_id", sa.String(), nullable=True),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
        schema=SCHEMA,
    )
    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch_op:
        batch_op.create_index(f"ix_{PREFIX}case_buyer_id", ["buyer_id"], unique=False)
        batch_op.create_index(f"ix_{PREFIX}case_due_at", ["due_at"], unique=False)
        batch_op.create_index(f"ix_{PREFIX}case_opened_at", ["opened_at"], unique=False)
        batch_op.create_index(f"ix_{PREFIX}case_order_id", ["order_id"], unique=False)
        batch_op.create_index(f"ix_{PREFIX}case_platform_id", ["platform_id"], unique=False)
        batch_op.create_index(f"ix_{PREFIX}case_shop_id", ["shop_id"], unique=False)
        batch_op.create_index(f"ix_{PREFIX}case_state", ["state"], unique=False)

    op.create_table(
        name("event"),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("actor_role", sa.String(), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state_before", sa.String(), nullable=True),
        sa.Column("state_after", sa.String(), nullable=False),
        sa.Column("command_id", sa.String(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq"),
        sa.UniqueConstraint("case_id", "command_id", name=legacy("uq_event_command")),
        schema=SCHEMA,
    )
    op.create_table(
        name("feed"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        schema=SCHEMA,
    )
    op.create_table(
        name("refused"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("actor_role", sa.String(), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column("command_id", sa.String(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    with op.batch_alter_table(name("refused"), schema=SCHEMA) as batch_op:
        batch_op.create_index(f"ix_{PREFIX}refused_case_id", ["case_id"], unique=False)
        batch_op.create_index(f"ix_{PREFIX}refused_code", ["code"], unique=False)
        batch_op.create_index(f"ix_{PREFIX}refused_event", ["event"], unique=False)

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
    with op.batch_alter_table(name("timer"), schema=SCHEMA) as batch_op:
        batch_op.create_index(f"ix_{PREFIX}timer_case_id", ["case_id"], unique=False)
        batch_op.create_index(legacy("ix_timer_status_due"), ["status", "due_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table(name("timer"), schema=SCHEMA) as batch_op:
        batch_op.drop_index(legacy("ix_timer_status_due"))
        batch_op.drop_index(f"ix_{PREFIX}timer_case_id")

    op.drop_table(name("timer"), schema=SCHEMA)
    with op.batch_alter_table(name("refused"), schema=SCHEMA) as batch_op:
        batch_op.drop_index(f"ix_{PREFIX}refused_event")
        batch_op.drop_index(f"ix_{PREFIX}refused_code")
        batch_op.drop_index(f"ix_{PREFIX}refused_case_id")

    op.drop_table(name("refused"), schema=SCHEMA)
    op.drop_table(name("feed"), schema=SCHEMA)
    op.drop_table(name("event"), schema=SCHEMA)
    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch_op:
        batch_op.drop_index(f"ix_{PREFIX}case_state")
        batch_op.drop_index(f"ix_{PREFIX}case_shop_id")
        batch_op.drop_index(f"ix_{PREFIX}case_platform_id")
        batch_op.drop_index(f"ix_{PREFIX}case_order_id")
        batch_op.drop_index(f"ix_{PREFIX}case_opened_at")
        batch_op.drop_index(f"ix_{PREFIX}case_due_at")
        batch_op.drop_index(f"ix_{PREFIX}case_buyer_id")

    op.drop_table(name("case"), schema=SCHEMA)

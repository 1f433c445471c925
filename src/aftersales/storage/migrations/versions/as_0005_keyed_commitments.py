"""keyed commitments: case seals and the store commitment

Revision ID: as_0005
Revises: as_0004
- case: ``seal`` and ``link_seal``, the keyed seals a store with a secret keeps (``NULL``
  without one, and for every case stored before: ``verify`` with a key says "no commitment");
- commitment: the keyed store commitment, one row a slot (see
  ``aftersales.storage.commitments``), empty until the first write with a secret.

The downgrade drops them: nothing else reads them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.storage.tables import SCHEMA, name

revision: str = "as_0005"
down_revision: str | Sequence[str] | None = "as_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch:
        batch.add_column(sa.Column("seal", sa.String(), nullable=True))
        batch.add_column(sa.Column("link_seal", sa.String(), nullable=True))
    op.create_table(
        name("commitment"),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("acc", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("slot"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table(name("commitment"), schema=SCHEMA)
    with op.batch_alter_table(name("case"), schema=SCHEMA) as batch:
        batch.drop_column("link_seal")
        batch.drop_column("seal")

"""Alembic environment: the package's own tables, version table and branch.

Run by :mod:`aftersales.storage.migrate` with a connection (online) or a URL (offline ``--sql``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from aftersales.storage.migrate import VERSION_TABLE
from aftersales.storage.tables import SCHEMA, metadata

config = context.config


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        version_table_schema=SCHEMA,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        version_table_schema=SCHEMA,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

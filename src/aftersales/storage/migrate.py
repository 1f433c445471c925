"""Schema migrations with Alembic: production databases are upgraded, never ``create_all``-ed."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config


def alembic_config(url: str) -> Config:
    """The Alembic configuration for the database at ``url``, scripts shipped in the package."""
    config = Config()
    location = resources.files("aftersales.storage").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the schema at ``url`` back to ``revision``."""
    command.downgrade(alembic_config(url), revision)

"""Storage tests use the backend fixtures of tests/conftest.py (``db_url``, ``store``)."""

from tests.conftest import fresh_pg, pg_url_or_skip

__all__ = ["fresh_pg", "pg_url_or_skip"]

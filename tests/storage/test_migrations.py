"""Alembic owns the schema: upgrading an empty database gives exactly the declared tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aftersales import AftersalesError
from aftersales.storage import CaseStore, make_engine
from aftersales.storage.migrate import downgrade, upgrade
from aftersales.storage.tables import metadata
from tests.support import facts


def test_upgrade_matches_the_models_and_downgrades(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    store = CaseStore(engine)
    assert store.open_case(facts()).state == "requested"
    engine.dispose()
    downgrade(db_url, "base")
    engine = make_engine(db_url)
    assert "aftersales_case" not in sa.inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize("url", ["nonsense://", "sqlite+nodriver:///x.db"])
def test_bad_url_is_a_clear_error(url):
    with pytest.raises(AftersalesError) as info:
        CaseStore(url)
    assert info.value.code == "storage_unavailable"


def test_unreachable_database_is_a_clear_error():
    store = CaseStore("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(AftersalesError) as info:
        store.get("C1")
    assert info.value.code == "storage_unavailable"

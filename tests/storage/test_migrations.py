"""The package's schema lives beside a host application's: its own metadata, its own Alembic
version table and branch; every revision upgrades and downgrades; a database written by the
release before contract v2 loads, takes commands and verifies after the upgrade."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Field, SQLModel

from aftersales import AftersalesError
from aftersales.storage import CaseStore, make_engine
from aftersales.storage.migrate import VERSION_TABLE, current, downgrade, head, stamp, upgrade
from aftersales.storage.tables import metadata
from aftersales.storage.verify import verify
from tests.support import BUYER, MERCHANT, at, ev, facts

FIXTURES = Path(__file__).parent / "fixtures"
REVISIONS = ["as_0001", "as_0002", "as_0003", "as_0004", "as_0005", "as_0006", "as_0007", "as_0008"]


class HostOrder(SQLModel, table=True):
    """A host application's own model, on SQLModel's global metadata."""

    __tablename__ = "host_order"

    id: int | None = Field(default=None, primary_key=True)
    total: int


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    found = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return found


def test_upgrade_matches_the_models(db_url):
    assert upgrade(db_url) == head() == REVISIONS[-1]
    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        diff = compare_metadata(context, metadata)
    assert diff == []
    assert CaseStore(engine).open_case(facts()).state == "requested"
    engine.dispose()


def test_every_revision_downgrades_and_upgrades_again(db_url):
    for revision in REVISIONS:
        upgrade(db_url, revision)
        assert current(db_url) == revision
    for revision in reversed([None, *REVISIONS[:-1]]):
        downgrade(db_url, revision or "base")
        assert current(db_url) == revision
    # Alembic keeps its (now empty) version table; every table of the package is gone.
    assert {t for t in tables(db_url) if t.startswith("aftersales_")} == {VERSION_TABLE}
    assert upgrade(db_url) == head()


def test_the_package_and_a_host_app_never_create_each_others_tables(db_url):
    assert "host_order" not in metadata.tables and "aftersales_case" not in SQLModel.metadata.tables
    engine = make_engine(db_url)
    SQLModel.metadata.create_all(engine)  # the host's create_all
    assert tables(db_url) == {"host_order"}
    CaseStore(engine).create_schema()  # ours
    assert "host_order" in tables(db_url) and "aftersales_case" in tables(db_url)
    SQLModel.metadata.drop_all(engine)
    assert "aftersales_case" in tables(db_url)
    engine.dispose()


def test_the_package_has_its_own_alembic_version_table(db_url):
    # A host that runs Alembic keeps its revision in the shared alembic_version table.
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('1a2b3c4d5e6f')"))
    assert upgrade(db_url) == head()
    with engine.connect() as conn:
        host = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert host == "1a2b3c4d5e6f"
    assert VERSION_TABLE in tables(db_url)
    downgrade(db_url, "base")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    engine.dispose()


def test_create_schema_stamps_the_head_so_upgrade_is_a_no_op(db_url):
    store = CaseStore(db_url)
    store.create_schema()
    assert current(db_url) == head()
    assert upgrade(db_url) == head()  # no "table already exists"
    assert stamp(db_url, "head") == head()
    store.engine.dispose()


def test_offline_sql_for_a_dba():
    from aftersales.storage.migrate import upgrade_sql

    sql = upgrade_sql(None, "head", "postgresql")
    assert "CREATE TABLE aftersales_case" in sql and VERSION_TABLE in sql
    assert "JSONB" in sql


def v1_database(tmp_path) -> str:
    """The database the release before contract v2 wrote (seed scenarios, the corpus of that
    release, and three cases left mid-way), as kept in fixtures/v1_release.sql."""
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / "v1_release.sql").read_text(encoding="utf-8"))
    return f"sqlite:///{path}"


def test_a_v1_database_upgrades_loads_commands_and_verifies(tmp_path):
    url = v1_database(tmp_path)
    assert current(url) == "as_0003"  # its revision moved out of the shared version table
    assert upgrade(url) == head()
    store = CaseStore(url)
    report = verify(store)
    assert report.checked == 37 and report.ok, report.divergences
    # A return agreed under v1 still lapses to cancelled, as it would have then.
    [fired] = store.fire_due_timers("2026-04-09T11:00:00+08:00", case_id="V1-RETURN")
    assert fired.state_after == "cancelled"
    # Evidence handed to the platform does not cure a v1 case's missing evidence (v2 would).
    store.send(
        "V1-EVIDENCE",
        "submit_evidence",
        actor=MERCHANT,
        at="2026-04-01T16:00:00+08:00",
        data={"evidence": [ev("image")]},
    )
    assert store.assess("V1-EVIDENCE").rules == ("R2_missing_evidence",)
    # A case opened now follows v2 beside them, in the same database.
    store.open_case(facts(case_id="NEW", order_id="O-NEW", type="return_refund"))
    store.send("NEW", "agree", actor=MERCHANT, at=at(1))
    [fired] = store.fire_due_timers(at(1, days=7), case_id="NEW")
    assert fired.state_after == "return_lapsed"
    # The v1 opening retried under its command id returns the case, as before.
    v1_open = store.get("V1-OPEN")
    again = store.open_case(
        {**v1_open.events[0].data, "opened_at": v1_open.events[0].at}, command_id="open-V1-OPEN"
    )
    assert again.case_id == "V1-OPEN"
    assert verify(store).ok
    store.engine.dispose()


def test_a_v1_database_downgrades_back_to_what_that_release_reads(tmp_path):
    url = v1_database(tmp_path)
    upgrade(url)
    store = CaseStore(url)
    store.send("V1-OPEN", "agree", actor=MERCHANT, at="2026-04-01T12:00:00+08:00")
    store.engine.dispose()
    downgrade(url, "as_0003")
    with sqlite3.connect(tmp_path / "v1.db") as conn:
        snapshot = conn.execute(
            "SELECT snapshot FROM aftersales_case WHERE case_id = 'V1-OPEN'"
        ).fetchone()[0]
        timers = conn.execute("SELECT case_id, kind, status FROM aftersales_timer").fetchall()
    old = json.loads(snapshot)
    assert (old["state"], old["path"], old["seq"]) == ("refunding", ["requested", "refunding"], 2)
    assert ("V1-RETURN", "return_shipping", "running") in timers
    assert not [t for t in timers if t[0] == "V1-OPEN"]  # refunding runs no timer
    assert upgrade(url) == head()


def test_snapshots_are_disposable_and_rebuilt_from_the_log(store):
    store.open_case(facts())
    store.send("C1", "negotiate", actor=MERCHANT, at=at(1), data=_negotiation())
    with store.engine.begin() as conn:  # an old shape, and one nobody can read
        conn.execute(sa.text("UPDATE aftersales_case SET snapshot_version = 0"))
    assert store.get("C1").state == "negotiating"
    store.send("C1", "accept", actor=BUYER, at=at(2))
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE aftersales_case SET snapshot = NULL"))
    case = store.get("C1")
    assert (case.state, case.path[-1]) == ("cancelled", "cancelled")
    assert verify(store).ok


def test_a_new_snapshot_version_rebuilds_every_case(store, monkeypatch):
    for n in range(3):
        store.open_case(facts(case_id=f"C{n}", order_id=f"O{n}"))
    monkeypatch.setattr("aftersales.storage.repository.SNAPSHOT_VERSION", 2)
    monkeypatch.setattr("aftersales.storage.snapshot.SNAPSHOT_VERSION", 2)
    rebuilt = []
    original = __import__("aftersales.storage.repository", fromlist=["rebuilt"]).rebuilt

    def counting(case_id, events):
        rebuilt.append(case_id)
        return original(case_id, events)

    monkeypatch.setattr("aftersales.storage.repository.rebuilt", counting)
    deployed = CaseStore(store.engine)  # the new release: nothing cached yet
    for n in range(3):
        deployed.send(f"C{n}", "agree", actor=MERCHANT, at=at(1))
    assert rebuilt == ["C0", "C1", "C2"]
    with store.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT DISTINCT snapshot_version FROM aftersales_case"))
        assert [v for (v,) in versions] == [2]


def _negotiation():
    return {
        "negotiation_type": "invite_cancel",
        "reason": "agreed_cancel",
        "evidence": [ev("chat_record")],
    }


@pytest.mark.parametrize("url", ["nonsense://", "sqlite+nodriver:///x.db", " "])
def test_bad_url_is_a_clear_error(url):
    with pytest.raises(AftersalesError) as info:
        CaseStore(url)
    assert info.value.code in ("storage_unavailable", "invalid_input")


def test_unreachable_database_is_a_clear_error():
    store = CaseStore("postgresql://nobody:s3cret@127.0.0.1:1/none")
    with pytest.raises(AftersalesError) as info:
        store.get("C1")
    assert info.value.code == "storage_unavailable"
    assert "s3cret" not in str(info.value)


def test_a_table_prefix_names_every_table(tmp_path):
    script = (
        "from aftersales.storage import CaseStore\n"
        "import sqlalchemy as sa\n"
        f"s = CaseStore('sqlite:///{tmp_path / 'p.db'}')\n"
        "s.create_schema()\n"
        "print(sorted(sa.inspect(s.engine).get_table_names()))\n"
    )
    env = {"AFTERSALES_TABLE_PREFIX": "shop1_as_", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == str(
        [
            "shop1_as_alembic_version",
            "shop1_as_case",
            "shop1_as_commitment",
            "shop1_as_divergence",
            "shop1_as_event",
            "shop1_as_intent",
            "shop1_as_refused",
        ]
    )


HOST_ENV = """
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
"""
HOST_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "host0001"
down_revision = None


def upgrade():
    op.create_table("host_order", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("host_order")
"""


def _host_alembic(folder: Path) -> Path:
    """A host application's own Alembic environment, as the docs' recipe expects it."""
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text(HOST_ENV)
    (folder / "versions" / "host0001.py").write_text(HOST_REVISION)
    return folder


def _deploy(engine: sa.Engine, host: Path, *, fail: bool = False) -> None:
    # docs/concepts/embedding.md, "One deployment step": the host's revisions, then ours, on one
    # connection in one transaction.
    from alembic import command
    from alembic.config import Config

    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(host))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        upgrade(connection)
        if fail:
            raise RuntimeError("the deployment step fails after both upgrades")


def test_the_host_recipe_runs_both_histories_in_one_transaction(db_url, tmp_path):
    engine = make_engine(db_url)
    host = _host_alembic(tmp_path / "host_migrations")
    with pytest.raises(RuntimeError):
        _deploy(engine, host, fail=True)
    assert "host_order" not in tables(db_url) and "aftersales_case" not in tables(db_url)
    _deploy(engine, host)
    assert {"host_order", "aftersales_case", "alembic_version", VERSION_TABLE} <= tables(db_url)
    with engine.connect() as conn:
        shared = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert shared == "host0001" and current(engine) == head()
    _deploy(engine, host)  # both at head: a no-op
    engine.dispose()


def test_a_v1_database_beside_a_host_revision_gives_up_only_its_own(tmp_path):
    url = v1_database(tmp_path)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('0001')"))  # the host's
    assert upgrade(url) == head()
    with engine.connect() as conn:
        shared = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        assert list(shared) == ["0001"]
    engine.dispose()


def test_a_downgrade_and_upgrade_round_trip_keeps_every_case_verified(db_url):
    # The downgrade to as_0003 drops the workflow version and the v2 facts from the case rows,
    # and the events' origin; the upgrade takes them back from each opening, and the origins
    # from the notes the downgrade kept them in.
    upgrade(db_url)
    store = CaseStore(db_url)
    store.open_case(facts(case_id="C1", sku_id="SKU-7", count=2, received=True, used=True))
    store.send("C1", "agree", actor=MERCHANT, at=at(1), origin="platform")
    store.open_case(facts(case_id="C2"))
    store.engine.dispose()
    downgrade(db_url, "as_0003")
    upgrade(db_url)
    store = CaseStore(db_url)
    report = verify(store)
    assert report.ok, [str(d) for d in report.divergences]
    [case] = [store.get("C1")]
    assert case.record.workflow_version == 3  # the version new cases open under
    assert (case.record.facts.sku_id, case.record.facts.count) == ("SKU-7", 2)
    assert case.record.facts.received and case.record.facts.used
    assert [e.origin for e in case.events] == ["local", "platform"]
    assert "stored_origin" not in case.events[1].note


def test_feed_positions_move_into_the_event_rows_and_back(db_url):
    """as_0006 moves every feed position into its event row and the downgrade restores the feed
    table: cursors stay valid both ways; an event not placed yet (PostgreSQL) is placed after."""
    assert upgrade(db_url) == head()
    store = CaseStore(db_url)
    for case_id in ("C1", "C2"):
        store.open_case(facts(case_id=case_id, order_id=f"O-{case_id}"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    placed = [(i.position, i.case_id, i.event.seq) for i in store.events_since(0)]
    assert sorted(p for p, _, _ in placed) == [1, 2, 3]
    store.send("C2", "agree", actor=MERCHANT, at=at(1))  # PostgreSQL: not placed yet
    store.engine.dispose()
    downgrade(db_url, "as_0005")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        feed = conn.execute(
            sa.text("SELECT position, case_id, seq FROM aftersales_feed ORDER BY id")
        ).all()
    engine.dispose()
    expected_last = (None, "C2", 2) if db_url.startswith("postgresql") else (4, "C2", 2)
    assert [tuple(r) for r in feed] == [*placed, expected_last]
    assert upgrade(db_url) == head()
    store = CaseStore(db_url)
    items = [(i.position, i.case_id, i.event.seq) for i in store.events_since(0)]
    assert items == [*placed, (4, "C2", 2)]
    assert verify(store).ok
    store.engine.dispose()


def test_a_schema_over_a_hosts_connection_migrates_in_its_transaction(db_url):
    """The one-deployment-step pattern of docs/concepts/embedding.md: the host's change and ours
    in one transaction, through the public Schema."""
    from aftersales.storage import Schema

    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE host_order (id INTEGER PRIMARY KEY)"))
        assert Schema(conn).upgrade() == head() and Schema(conn).current() == head()
        assert Schema(conn).cases_held() == 0
    assert Schema(engine).current() == head()
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE host_order"))
    engine.dispose()

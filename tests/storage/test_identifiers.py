"""The table prefix and schema are identifiers, never SQL: checked when the settings load,
quoted in every statement the migrations write. Ordinary values (mixed case, a schema of
one's own) work end to end on both backends; the rest are refused with one line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from aftersales import AftersalesError
from aftersales.storage.migrate import head
from aftersales.storage.settings import MAX_PREFIX, db_schema, table_prefix
from tests.conftest import pg_url_or_skip

INJECTION = "t AS SELECT 1;COPY t TO PROGRAM 'touch {marker}'--"


@pytest.mark.parametrize(
    "value",
    [
        "t AS SELECT 1;COPY t TO PROGRAM 'id'--",
        "my-shop_",
        "shop ",
        'sh"op_',
        "a.b_",
        "1shop_",
        "",
        "x" * (MAX_PREFIX + 1),
        "店铺_",
    ],
)
def test_a_prefix_that_is_not_one_identifier_is_refused(value):
    with pytest.raises(AftersalesError) as info:
        table_prefix(value)
    assert (info.value.code, info.value.field) == ("invalid_input", "AFTERSALES_TABLE_PREFIX")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", ["aftersales_", "Shop_", "_x", "x" * MAX_PREFIX, "a1_"])
def test_an_identifier_prefix_is_taken_as_written(value):
    assert table_prefix(value) == value


def test_the_schema_is_checked_the_same_way():
    assert db_schema(None) is None and db_schema("") is None
    assert db_schema("MySchema") == "MySchema"
    for bad in ("public; DROP TABLE x", "my-schema", "x" * 64):
        with pytest.raises(AftersalesError) as info:
            db_schema(bad)
        assert (info.value.code, info.value.field) == ("invalid_input", "AFTERSALES_DB_SCHEMA")


def run(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter: the settings are read once, at import."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env={**environ, **env},
        timeout=120,
    )


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return (
        run("from aftersales.cli.command import main; main()", **env)
        if not args
        else run(
            f"import sys; sys.argv = ['aftersales', *{list(args)!r}]\n"
            "from aftersales.cli.command import main; main()",
            **env,
        )
    )


def test_an_injected_prefix_runs_nothing_on_sqlite(tmp_path):
    marker = tmp_path / "pwned"
    done = cli(
        "db",
        "upgrade",
        "--db",
        str(tmp_path / "x.db"),
        AFTERSALES_TABLE_PREFIX=INJECTION.format(marker=marker),
    )
    assert done.returncode != 0
    assert "AFTERSALES_TABLE_PREFIX" in done.stderr + done.stdout
    assert not (tmp_path / "x.db").exists() and not marker.exists()


def test_an_injected_prefix_runs_nothing_on_postgresql(tmp_path):
    url = pg_url_or_skip()
    marker = tmp_path / "pwned"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        before = set(sa.inspect(conn).get_table_names())
    done = cli(
        "db", "upgrade", "--db", url, AFTERSALES_TABLE_PREFIX=INJECTION.format(marker=marker)
    )
    assert done.returncode != 0 and "AFTERSALES_TABLE_PREFIX" in done.stderr + done.stdout
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == before
    engine.dispose()
    assert not marker.exists()


END_TO_END = """
import sqlalchemy as sa
from aftersales import Actor
from aftersales.storage import CaseStore
from aftersales.storage.migrate import current, downgrade, head, upgrade
from aftersales.storage.tables import SCHEMA, name
from aftersales.storage.verify import verify
from tests.support import MERCHANT, at, facts

url = {url!r}
from alembic.script import ScriptDirectory
from aftersales.storage.migrate import alembic_config
walk = ScriptDirectory.from_config(alembic_config()).walk_revisions()
for revision in reversed([script.revision for script in walk]):
    assert upgrade(url, revision) == revision  # every migration, one by one
store = CaseStore(url)
store.open_case(facts())
store.send("C1", "agree", actor=MERCHANT, at=at(1))
try:
    store.send("C1", "reject", actor=MERCHANT, at=at(2))
except Exception as exc:
    assert exc.code == "transition_not_allowed"
assert store.get("C1").state == "refunding" and len(store.refusals("C1")) == 1
assert [item.event.seq for item in store.events_since(0)] == [1, 2]
assert verify(store).ok
names = set(sa.inspect(store.engine).get_table_names(schema=SCHEMA))
assert name("case") in names and name("alembic_version") in names, names
store.engine.dispose()
assert downgrade(url, "as_0003") == "as_0003"  # the v1 snapshots rewritten from the log
assert upgrade(url) == head()
assert downgrade(url, "base") == ""
assert current(url) is None
engine = sa.create_engine(url)
left = set(sa.inspect(engine).get_table_names(schema=SCHEMA))
assert left & {{name(t) for t in ("case", "event", "feed", "refused", "timer")}} == set(), left
print("ok", sorted(left))
"""


def _clean_pg(url: str, schema: str | None, prefix: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if schema:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        for table in (
            "case",
            "event",
            "feed",
            "refused",
            "timer",
            "divergence",
            "feed_copy",
            "feed_placed",
        ):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{prefix}{table}" CASCADE'))
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{prefix}alembic_version"'))
    engine.dispose()


@pytest.mark.parametrize(
    ("prefix", "schema"),
    [("Shop_", None), ("aftersales_", "MySchema"), ("Shop_", "MySchema")],
)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ordinary_names_work_end_to_end(backend, prefix, schema, tmp_path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'cases.db'}"
    else:
        url = pg_url_or_skip()
        _clean_pg(url, schema, prefix)  # a missing schema is created by the upgrade
    env = {
        "AFTERSALES_TABLE_PREFIX": prefix,
        **({"AFTERSALES_DB_SCHEMA": schema} if schema else {}),
    }
    done = run(END_TO_END.format(url=url), **env)
    try:
        if backend == "sqlite" and schema:
            # SQLite has no schemas: refused in one line naming the setting, nothing created.
            assert done.returncode != 0
            assert "invalid_input" not in done.stdout
            assert "AFTERSALES_DB_SCHEMA" in done.stderr.strip().splitlines()[-1]
            return
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("ok")
    finally:
        if backend == "postgresql":
            _clean_pg(url, schema, prefix)


def test_the_longest_prefix_keeps_every_name_whole_on_postgresql():
    # PostgreSQL truncates a longer name with a NOTICE: none may come, up or down, through
    # every revision, with a prefix of the longest length allowed.
    url = pg_url_or_skip()
    prefix = "P" * (MAX_PREFIX - 2) + "x_"
    _clean_pg(url, None, prefix)
    script = """
    import sqlalchemy as sa
    from aftersales.storage.migrate import downgrade, upgrade
    from aftersales.storage.tables import metadata

    engine = sa.create_engine({url!r})
    notices = []

    @sa.event.listens_for(engine, "connect")
    def _notices(dbapi_conn, record):
        dbapi_conn.add_notice_handler(lambda diag: notices.append(diag.message_primary))

    revisions = ["as_0001", "as_0002", "as_0003", "as_0004", "as_0005", "as_0006", "as_0007"]
    for revision in [*revisions, "as_0008"]:
        upgrade(engine, revision)
    with engine.connect() as conn:
        indexes = set(conn.execute(sa.text("SELECT indexname FROM pg_indexes")).scalars())
    expected = {{i.name for t in metadata.tables.values() for i in t.indexes}}
    assert expected <= indexes, expected - indexes
    for revision in [*reversed(revisions), "base"]:
        downgrade(engine, revision)
    truncated = [n for n in notices if "truncated" in n]
    assert not truncated, truncated
    print("ok", max(len(n) for n in expected))
    """
    done = run(textwrap.dedent(script).format(url=url), AFTERSALES_TABLE_PREFIX=prefix)
    _clean_pg(url, None, prefix)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def test_a_schema_with_sqlite_is_refused_when_the_store_is_made(tmp_path):
    script = f"""
    from aftersales import AftersalesError
    from aftersales.storage import CaseStore
    try:
        CaseStore({str(tmp_path / "x.db")!r})
    except AftersalesError as exc:
        print(exc.code, exc.field)
    """
    done = run(script, AFTERSALES_DB_SCHEMA="MySchema")
    assert done.stdout.split() == ["invalid_input", "AFTERSALES_DB_SCHEMA"], done.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_missing_schema_names_the_command_that_creates_it():
    url = pg_url_or_skip()
    _clean_pg(url, "NoSuchSchema", "aftersales_")
    script = f"""
    from aftersales import AftersalesError
    from aftersales.storage import CaseStore
    try:
        CaseStore({url!r}).get("C1")
    except AftersalesError as exc:
        print(exc.code, "aftersales db upgrade" in str(exc))
    """
    done = run(script, AFTERSALES_DB_SCHEMA="NoSuchSchema")
    assert done.stdout.split() == ["storage_unavailable", "True"], done.stderr


def test_the_sql_for_a_dba_creates_the_schema_and_quotes_every_name():
    url = pg_url_or_skip()
    _clean_pg(url, "MySchema", "Shop_")
    done = run(
        "from aftersales.storage.migrate import upgrade_sql; print(upgrade_sql())",
        AFTERSALES_TABLE_PREFIX="Shop_",
        AFTERSALES_DB_SCHEMA="MySchema",
    )
    assert done.returncode == 0, done.stderr
    sql = done.stdout
    assert sql.startswith('CREATE SCHEMA IF NOT EXISTS "MySchema";')
    assert 'CREATE TABLE "MySchema"."Shop_case"' in sql and "MySchema.Shop_" not in sql
    engine = sa.create_engine(url)
    try:
        raw = engine.raw_connection()
        raw.driver_connection.autocommit = True  # the script has its own BEGIN and COMMIT
        raw.driver_connection.execute(sql)
        raw.close()
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names(schema="MySchema"))
            version = conn.execute(
                sa.text('SELECT version_num FROM "MySchema"."Shop_alembic_version"')
            )
            assert version.scalar_one() == head()
        assert {"Shop_case", "Shop_event", "Shop_refused"} <= names
    finally:
        engine.dispose()
        _clean_pg(url, "MySchema", "Shop_")

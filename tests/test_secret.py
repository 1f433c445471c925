"""The store's secret: bytes, or text taken as UTF-8; anything else is one clear error
(``invalid_input`` naming where it came from), never an internal error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from aftersales.cli import app
from aftersales.storage import CaseStore, secret_from_environ
from aftersales.workflow.errors import InvalidInput
from tests.support import facts

NOT_UTF8 = b"s3cr\xff\xfet".decode("utf-8", "surrogateescape")
"""What ``os.environ`` holds for a variable whose bytes are not UTF-8."""


def test_a_secret_from_the_environment_is_its_utf8_bytes_or_none():
    assert secret_from_environ({"AFTERSALES_SECRET": "shop 秘密"}) == "shop 秘密".encode()
    assert secret_from_environ({"AFTERSALES_SECRET": ""}) is None
    assert secret_from_environ({}) is None


def test_a_secret_that_is_not_utf8_is_invalid_input_naming_the_variable():
    with pytest.raises(InvalidInput) as info:
        secret_from_environ({"AFTERSALES_SECRET": NOT_UTF8})
    assert info.value.code == "invalid_input" and info.value.field == "AFTERSALES_SECRET"
    assert "\n" not in info.value.message_en


def test_a_store_takes_its_secret_as_text_or_bytes(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    by_text = CaseStore(url, secret="shop 秘密")
    by_text.create_schema()
    by_text.open_case(facts())
    assert by_text.repository.key == "shop 秘密".encode()
    with pytest.raises(InvalidInput) as info:
        CaseStore(url, secret=NOT_UTF8)
    assert info.value.field == "secret"


def test_the_command_line_says_one_line_and_exits_2_for_a_secret_that_is_not_utf8(tmp_path):
    db = tmp_path / "c.db"
    CaseStore(f"sqlite:///{db}").create_schema()
    result = CliRunner().invoke(
        app, ["verify", "--db", str(db)], env={"AFTERSALES_SECRET": NOT_UTF8}
    )
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "AFTERSALES_SECRET" in result.output

"""WeChat's push at the door. The vectors are built here with the scheme's own steps (消息加解密:
SHA-1 of the sorted parts; AES-256-CBC, IV the key's first 16 bytes, PKCS#7 to 32 bytes over
random(16) + length(4, big-endian) + message + appid), independently of the module; two come
from WeChat's own push documentation. Every tampering is one typed refusal."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import struct
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("cryptography")
pytest.importorskip("defusedxml")

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from aftersales import AftersalesError, InvalidInput
from aftersales.wechat import Intake, PushRejected, reconcile
from tests.support import facts

TOKEN = "tok3n"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat generates them
APPID = "wx1234567890abcdef"
FIXTURES = Path(__file__).parent / "fixtures"
PUSH = (FIXTURES / "notify_user_canceld.json").read_bytes()
SIGNED = "1772337600"  # the timestamp safe_push signs: 2026-03-01 04:00 UTC


def at(timestamp: str) -> Callable[[], datetime]:
    """An intake's clock reading ``timestamp``: the push read the moment it was signed."""
    return lambda: datetime.fromtimestamp(int(timestamp), UTC)


at_signing = at(SIGNED)


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def encrypt(
    message: bytes, appid: str = APPID, key: str = KEY, pad: int | None = None, length=None
) -> str:
    """The scheme's encryption, step by step; ``pad``/``length`` forge a wrong padding byte or
    length field."""
    aes_key = base64.b64decode(key + "=")
    size = len(message) if length is None else length
    plain = os.urandom(16) + struct.pack(">I", size) + message + appid.encode()
    count = 32 - len(plain) % 32
    plain += bytes([count if pad is None else pad]) * count
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(aes_key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def safe_push(encrypted: str, token: str = TOKEN, xml: bool = False) -> tuple[dict, bytes]:
    """The query and body WeChat sends in safe mode for ``Encrypt``."""
    query = {
        "signature": sign(token, "1772337600", "n0nce"),
        "timestamp": "1772337600",
        "nonce": "n0nce",
        "encrypt_type": "aes",
        "msg_signature": sign(token, "1772337600", "n0nce", encrypted),
    }
    if xml:
        body = f"<xml><ToUserName>gh_shop</ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        return query, (body + "</xml>").encode()
    return query, json.dumps({"ToUserName": "gh_shop", "Encrypt": encrypted}).encode()


@pytest.fixture
def intake() -> Intake:
    return Intake(token=TOKEN, encoding_aes_key=KEY, appid=APPID, clock=at_signing)


def refused(call, *args: Any) -> PushRejected:
    with pytest.raises(PushRejected) as info:
        call(*args)
    assert isinstance(info.value, AftersalesError) and info.value.code == "push_rejected"
    return info.value


# WeChat's own examples (the WeChat Shop push settings page; Token "AAAAA").


def test_the_handshake_of_wechats_example_answers_its_echostr():
    query = {
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
        "echostr": "4375120948345356249",
        "timestamp": "1714036504",
        "nonce": "1514711492",
    }
    assert Intake(token="AAAAA").handshake(query) == "4375120948345356249"
    error = refused(Intake(token="AAAAB").handshake, query)
    assert (error.reason, error.http_status, error.field) == ("bad_signature", 403, "signature")


def test_wechats_plaintext_example_passes_and_is_not_a_notification_we_follow():
    query = {
        "signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78",
        "timestamp": "1714037059",
        "nonce": "486452656",
    }
    body = {"ToUserName": "gh_97417a04a28d", "CreateTime": 1714037059, "Event": "debug_demo"}
    notification = Intake(token="AAAAA", clock=at("1714037059")).read(
        query, json.dumps(body).encode()
    )
    assert (notification.kind, notification.status) == ("ignored", "debug_demo")


# Round trips.


def test_a_safe_mode_push_round_trips_to_the_notification(intake):
    notification = intake.read(*safe_push(encrypt(PUSH)), "application/json")
    assert (notification.kind, notification.after_sale_order_id, notification.status) == (
        "aftersale",
        "WX-1",
        "USER_CANCELD",
    )
    assert notification.order_id == "O-WX-1" and notification.create_time is not None


def test_the_same_push_reads_the_same_whatever_the_random_prefix(intake):
    first = intake.read(*safe_push(encrypt(PUSH)))
    second = intake.read(*safe_push(encrypt(PUSH)))
    assert first == second and first.key == second.key


def test_an_xml_envelope_and_an_xml_message_read_alike(intake):
    xml_message = (
        b"<xml><ToUserName>gh_shop</ToUserName><CreateTime>1772337600</CreateTime>"
        b"<MsgType>event</MsgType><Event>channels_ec_aftersale_update</Event>"
        b"<finder_shop_aftersale_status_update><status>USER_CANCELD</status>"
        b"<after_sale_order_id>WX-1</after_sale_order_id><order_id>O-WX-1</order_id>"
        b"</finder_shop_aftersale_status_update></xml>"
    )
    for message in (PUSH, xml_message):
        notification = intake.read(*safe_push(encrypt(message), xml=True), "text/xml")
        assert (notification.kind, notification.after_sale_order_id) == ("aftersale", "WX-1")
        assert notification.create_time is not None


def test_a_plaintext_intake_reads_json_and_xml():
    plain = Intake(token=TOKEN, clock=at_signing)
    query = {"signature": sign(TOKEN, SIGNED, "2"), "timestamp": SIGNED, "nonce": "2"}
    assert plain.read(query, PUSH).after_sale_order_id == "WX-1"
    xml = b"<xml><Event>channels_ec_complaint_update</Event><finder_shop_complaint>"
    xml += b"<after_sale_order_id>WX-1</after_sale_order_id><complaint_status>100"
    xml += b"</complaint_status></finder_shop_complaint></xml>"
    assert plain.read(query, xml).complaint_status == 100


def test_a_push_goes_from_intake_to_reconcile(store, intake):
    store.open_case(facts(platform_id="WX-1"))
    result = reconcile(store, intake.read(*safe_push(encrypt(PUSH))))
    assert (result.action, store.get("C1").state) == ("applied", "cancelled")


# Tampering: each is one refusal, with its reason and its 4xx.


def test_a_wrong_msg_signature_is_refused_before_decryption(intake):
    query, body = safe_push(encrypt(PUSH), token="not-the-token")
    error = refused(intake.read, query, body)
    assert (error.reason, error.http_status, error.field) == ("bad_signature", 403, "msg_signature")
    query, body = safe_push(encrypt(PUSH))
    query["timestamp"] = "1772337601"  # a replay with another time
    assert refused(intake.read, query, body).reason == "bad_signature"
    query, body = safe_push(encrypt(PUSH))
    tampered = json.loads(body)
    tampered["Encrypt"] = encrypt(PUSH.replace(b"USER_CANCELD", b"REFUND_SUCCESS"))
    assert refused(intake.read, query, json.dumps(tampered).encode()).reason == "bad_signature"


@pytest.mark.parametrize(
    ("encrypted", "reason"),
    [
        (encrypt(PUSH, pad=0), "bad_padding"),
        (encrypt(PUSH, pad=33), "bad_padding"),
        (encrypt(PUSH, appid="wx-someone-else"), "wrong_appid"),
        (encrypt(PUSH, appid=""), "wrong_appid"),
        (encrypt(PUSH, length=len(PUSH) + 1000), "bad_ciphertext"),
        ("not base64 at all!", "bad_ciphertext"),
        (base64.b64encode(b"x" * 17).decode(), "bad_ciphertext"),  # not whole AES blocks
        ("=", "bad_ciphertext"),
    ],
    ids=["pad-0", "pad-33", "appid", "no-appid", "length", "base64", "blocks", "empty"],
)
def test_a_tampered_ciphertext_is_refused(intake, encrypted, reason):
    error = refused(intake.read, *safe_push(encrypted))
    assert (error.reason, error.http_status, error.field) == (
        reason,
        400,
        "appid" if reason == "wrong_appid" else "Encrypt",
    )


def test_a_push_encrypted_with_another_key_is_refused(intake):
    error = refused(intake.read, *safe_push(encrypt(PUSH, key="B" * 43)))
    assert error.reason in {"bad_padding", "bad_ciphertext", "wrong_appid"}  # garbage plaintext


def test_a_wrong_padding_byte_count_with_a_right_value_is_refused(intake):
    """The last byte says 3 but the two before it are not 3: PKCS#7 checks them all."""
    aes_key = base64.b64decode(KEY + "=")
    plain = os.urandom(16) + struct.pack(">I", len(PUSH)) + PUSH + APPID.encode()
    count = 32 - len(plain) % 32
    plain += b"\x00" * (count - 1) + bytes([min(count, 3) if count > 1 else 1])
    if count == 1:
        pytest.skip("a one-byte padding cannot be inconsistent")
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(aes_key[:16])).encryptor()
    encrypted = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    assert refused(intake.read, *safe_push(encrypted)).reason == "bad_padding"


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><Encrypt>&lol3;</Encrypt></xml>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]><xml><Encrypt>&secret;</Encrypt></xml>"""
DTD_ONLY = b'<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://example.invalid/x.dtd"><xml/>'


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (LAUGHS, "unsafe_xml"),
        (EXTERNAL, "unsafe_xml"),
        (DTD_ONLY, "unsafe_xml"),
        (b"\x00\xff\xfe junk", "malformed"),
        (b"<xml><Encrypt>", "malformed"),
        (b"[1, 2]", "malformed"),
        (b'"Encrypt"', "malformed"),
        (b"", "malformed"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed"),
        (b"<a>" * 5_000 + b"</a>" * 5_000, "malformed"),
        (json.dumps({"ToUserName": "gh"}).encode(), "wrong_mode"),
        (json.dumps({"Encrypt": 5}).encode(), "wrong_mode"),
        (b"{}" + b" " * (1024 * 1024), "too_large"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "dtd",
        "junk",
        "truncated-xml",
        "array",
        "string",
        "empty",
        "deep-json",
        "deep-xml",
        "plaintext",
        "encrypt-not-text",
        "oversize",
    ],
)
def test_a_bad_body_is_refused(intake, body, reason):
    query, _ = safe_push(encrypt(PUSH))
    error = refused(intake.read, query, body)
    assert error.reason == reason
    assert error.http_status == (413 if reason == "too_large" else 400)
    assert error.to_dict()["reason"] == reason and error.message_zh


@pytest.mark.parametrize("missing", ["timestamp", "nonce", "msg_signature"])
def test_a_query_without_a_field_is_refused(intake, missing):
    query, body = safe_push(encrypt(PUSH))
    del query[missing]
    error = refused(intake.read, query, body)
    assert (error.reason, error.field, error.http_status) == ("missing_field", missing, 400)


def test_an_encrypted_push_to_a_plaintext_intake_is_refused():
    query, body = safe_push(encrypt(PUSH))
    assert refused(Intake(token=TOKEN, clock=at_signing).read, query, body).reason == "wrong_mode"


def test_a_handshake_without_echostr_is_refused():
    query = {"signature": sign(TOKEN, "1", "2"), "timestamp": "1", "nonce": "2"}
    assert refused(Intake(token=TOKEN, clock=at_signing).handshake, query).reason == "missing_field"


def test_a_wrong_configuration_is_invalid_input_not_a_refused_push():
    for kwargs, field in (
        ({"token": TOKEN, "encoding_aes_key": "short", "appid": APPID}, "encoding_aes_key"),
        ({"token": TOKEN, "encoding_aes_key": "!" * 43, "appid": APPID}, "encoding_aes_key"),
        ({"token": TOKEN, "encoding_aes_key": KEY}, "appid"),
        ({"token": ""}, "token"),
    ):
        with pytest.raises(InvalidInput) as info:
            Intake(**kwargs)
        assert info.value.field == field


# The replay window: a push is read only near the time it was signed.


@pytest.mark.parametrize("safe", [True, False])
def test_a_push_signed_long_ago_or_far_ahead_is_refused_as_stale(safe):
    kwargs = {"encoding_aes_key": KEY, "appid": APPID} if safe else {}

    def read_at(offset: timedelta) -> Any:
        intake = Intake(token=TOKEN, clock=lambda: at_signing() + offset, **kwargs)
        if safe:
            return intake.read(*safe_push(encrypt(PUSH)))
        query = {"signature": sign(TOKEN, SIGNED, "n"), "timestamp": SIGNED, "nonce": "n"}
        return intake.read(query, PUSH)

    for inside in (timedelta(0), timedelta(minutes=4, seconds=59), -timedelta(minutes=5)):
        assert read_at(inside).after_sale_order_id == "WX-1"
    for outside in (timedelta(minutes=5, seconds=1), timedelta(days=30), -timedelta(minutes=6)):
        error = refused(read_at, outside)
        assert (error.reason, error.http_status, error.field) == (
            "stale_timestamp",
            403,
            "timestamp",
        )


def test_the_window_is_the_intakes_to_set_and_a_signed_junk_timestamp_is_malformed():
    query = {"signature": sign(TOKEN, "soon", "n"), "timestamp": "soon", "nonce": "n"}
    assert refused(Intake(token=TOKEN).read, query, PUSH).reason == "malformed"
    long_ago = {"signature": sign(TOKEN, "1", "n"), "timestamp": "1", "nonce": "n"}
    assert refused(Intake(token=TOKEN).read, long_ago, PUSH).reason == "stale_timestamp"
    assert Intake(token=TOKEN, max_age=None).read(long_ago, PUSH).after_sale_order_id == "WX-1"
    wide = Intake(token=TOKEN, max_age=timedelta(days=365 * 60))
    assert wide.read(long_ago, PUSH).after_sale_order_id == "WX-1"
    for bad in (timedelta(0), -timedelta(seconds=1)):
        with pytest.raises(InvalidInput) as info:
            Intake(token=TOKEN, max_age=bad)
        assert info.value.field == "max_age"


# Fuzz: whatever comes in, the answer is a notification or the one refusal.

texts = st.text(max_size=60)
queries = st.dictionaries(
    st.sampled_from(["signature", "timestamp", "nonce", "msg_signature", "echostr", "x"]),
    st.one_of(texts, st.integers(), st.none(), st.lists(texts, max_size=2)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries, body=st.one_of(st.binary(max_size=400), texts.map(str.encode)))
def test_random_pushes_only_ever_raise_the_refusal(query, body):
    for intake in (
        Intake(token=TOKEN, encoding_aes_key=KEY, appid=APPID, clock=at_signing),
        Intake(token=TOKEN, clock=at_signing),
    ):
        for call in (
            lambda i=intake: i.read(query, body),
            lambda i=intake: i.read(query, body, "text/xml"),
            lambda i=intake: i.handshake(query),
        ):
            with contextlib.suppress(PushRejected):
                call()


@settings(max_examples=300, deadline=None)
@given(
    encrypted=st.one_of(
        texts,
        st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
        st.binary(max_size=200).map(lambda b: encrypt(b)),
        st.binary(max_size=200).map(lambda b: encrypt(PUSH, length=len(b) * 997)),
    ),
    xml=st.booleans(),
)
def test_signed_random_ciphertexts_only_ever_raise_the_refusal(encrypted, xml):
    """Signed with the right token, so every one reaches the decryption."""
    intake = Intake(token=TOKEN, encoding_aes_key=KEY, appid=APPID, clock=at_signing)
    if xml and ("]]>" in encrypted or any(ord(c) < 32 or c in "\ufffe\uffff" for c in encrypted)):
        xml = False  # a CDATA section cannot carry these; JSON can
    try:
        notification = intake.read(*safe_push(encrypted, xml=xml))
    except PushRejected:
        return
    assert notification.kind in {"aftersale", "complaint", "ignored", "unreadable"}


def test_without_the_extra_the_wire_parts_say_which_extra_in_one_line():
    script = (
        "import sys\n"
        "sys.modules.update(httpx=None, cryptography=None, defusedxml=None)\n"
        "import aftersales.wechat as wechat\n"  # the db extra alone still imports it
        "for name in ('Intake', 'PushRejected', 'HttpGateway'):\n"
        "    try:\n"
        "        getattr(wechat, name)\n"
        "    except ImportError as exc:\n"
        "        print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == 3, done.stderr
    assert all(
        line.startswith("ExtraMissing") and line.endswith("pip install 'aftersales[wechat]'")
        for line in lines
    )

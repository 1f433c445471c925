"""Each input is validated once, and every check still holds: a command without data is
validated once per event model and contract version, a refusal of it raised every time; the
free-text limit of the case's policy applies to the fields the event's model has."""

from __future__ import annotations

import pytest

from aftersales import InvalidInput, open_case
from tests.support import MERCHANT, PLATFORM, at, facts


@pytest.mark.parametrize("data", [None, {}])
def test_an_event_that_needs_data_refuses_none_every_time(data):
    for _ in range(3):
        case = open_case(facts())
        with pytest.raises(InvalidInput) as info:
            case.send("intervene", actor=PLATFORM, at=at(1), data=data)
        assert info.value.field == "message"
        assert case.version == 1


def test_empty_data_of_an_event_without_fields_is_shared_and_accepted():
    first, second = open_case(facts()), open_case(facts(case_id="C2"))
    assert first.send("agree", actor=MERCHANT, at=at(1)).data == {}
    assert second.send("agree", actor=MERCHANT, at=at(1), data={}).data == {}


def test_data_that_is_not_an_object_is_still_refused():
    case = open_case(facts())
    for junk in ("", 0, [], ()):
        with pytest.raises(InvalidInput):
            case.send("agree", actor=MERCHANT, at=at(1), data=junk)  # type: ignore[arg-type]


def test_the_policys_text_limit_applies_to_each_text_field():
    case = open_case(facts(), policy={"max_message_chars": 5})
    with pytest.raises(InvalidInput) as info:
        case.send("intervene", actor=PLATFORM, at=at(1), data={"message": "too long"})
    assert info.value.field == "message" and case.version == 1
    case.send("intervene", actor=PLATFORM, at=at(1), data={"message": "ok"})
    assert case.version == 2

"""Global ids (domain/ids.py): opaque, typed, and the raw ids of 0.1 still accepted."""

from __future__ import annotations

import pytest

from domain import ids
from domain.errors import BadUserInput
from domain.events import parse_cursor

RAW = "65f0000000000000000000c1"


def test_a_global_id_names_its_type_and_raw_id_and_reads_back() -> None:
    value = ids.global_id("Sow", RAW)
    assert not {"=", "+", "/"} & set(value)
    assert RAW not in value
    assert ids.parse_global_id(value) == ("Sow", RAW)
    assert ids.raw_id(value, "Sow", "id") == RAW
    assert ids.node_id(value, "id") == ("Sow", RAW)


def test_event_ids_are_their_log_position() -> None:
    value = ids.global_id("ContractEvent", "42")
    assert ids.parse_global_id(value) == ("ContractEvent", "42")
    assert parse_cursor(value) == parse_cursor("42") == 42


def test_a_raw_id_is_still_taken_where_the_type_is_known() -> None:
    assert ids.raw_id(RAW, "Sow", "id") == RAW
    assert ids.raw_id(RAW, ("Sow", "Csa"), "entityId") == RAW


def test_an_id_of_another_type_is_refused_naming_the_argument() -> None:
    with pytest.raises(BadUserInput) as refused:
        ids.raw_id(ids.global_id("Csa", RAW), "Sow", "id")
    assert refused.value.extensions == {"field": "id"}
    with pytest.raises(BadUserInput):
        ids.raw_id(ids.global_id("Agent", RAW), ("Sow", "Csa"), "entityId")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "nope",
        RAW,  # raw: it does not say its type
        ids.global_id("Sow", RAW) + "A",
        ids.global_id("Sow", RAW) + "==",
        ids.global_id("Unknown", RAW),
        ids.global_id("Sow", "12"),  # not a raw id of a SOW
        ids.global_id("ContractEvent", "007"),
        "U" * 200,
    ],
)
def test_node_takes_global_ids_only(value: str) -> None:
    assert ids.parse_global_id(value) is None
    with pytest.raises(BadUserInput) as refused:
        ids.node_id(value, "ids[2]")
    assert refused.value.extensions == {"field": "ids[2]"}
    # Where the type is known, it is passed on as a raw id: it finds nothing (NOT_FOUND).
    assert ids.raw_id(value, "Sow", "id") == value

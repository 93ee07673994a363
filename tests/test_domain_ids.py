"""Global ids (domain/ids.py): opaque, typed, and the raw ids of 0.1 still accepted."""

from __future__ import annotations

import pytest

from domain import ids
from domain.errors import BadUserInput, NotFound
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
    assert refused.value.message == "id: a Csa id, not a Sow id"
    with pytest.raises(BadUserInput) as refused:
        ids.raw_id(ids.global_id("Agent", RAW), ("Sow", "Csa"), "entityId")
    assert refused.value.message == "entityId: an Agent id, not a Sow or Csa id"
    with pytest.raises(BadUserInput) as refused:
        ids.raw_id(ids.global_id("Sow", RAW), "ObligationOccurrence", "id")
    assert refused.value.message == "id: a Sow id, not an ObligationOccurrence id"


# Not global ids, yet spelt as an id could be: passed on where a raw id is taken.
NOT_GLOBAL = [
    "",
    "nope",
    RAW,  # raw: it does not say its type
    ids.global_id("Sow", RAW) + "A",
    ids.global_id("Unknown", RAW),
    ids.global_id("Sow", "12"),  # not a raw id of a SOW
    ids.global_id("ContractEvent", "007"),
]


@pytest.mark.parametrize("value", [*NOT_GLOBAL, ids.global_id("Sow", RAW) + "==", "U" * 200])
def test_node_takes_global_ids_only(value: str) -> None:
    assert ids.parse_global_id(value) is None
    with pytest.raises(BadUserInput) as refused:
        ids.node_id(value, "ids[2]")
    assert refused.value.extensions == {"field": "ids[2]"}


@pytest.mark.parametrize("value", NOT_GLOBAL)
def test_where_the_type_is_known_anything_spelt_as_an_id_is_passed_on(value: str) -> None:
    # As a raw id: it finds nothing (NOT_FOUND), or, deprecated, its document.
    assert ids.raw_id(value, "Sow", "id") == value


def test_the_longest_id_is_an_obligation_occurrences() -> None:
    longest = ids.global_id("ObligationOccurrence", RAW)
    assert ids.raw_id(longest, "ObligationOccurrence", "id") == RAW
    assert len(longest) == ids.LONGEST == 60  # as docs/errors.md says


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("U" * 5000, "U" * ids.LONGEST + "..."),
        ("65f0\x00c1", "65f0?c1"),
        ("65f0\u202ec1", "65f0?c1"),
        ('{"$ne": null}', '{"$ne": null}'),
        ("a.b", "a.b"),
        (ids.global_id("Sow", RAW) + "==", ids.global_id("Sow", RAW) + "=="),  # padded
    ],
)
def test_what_can_be_no_id_is_not_found_before_storage_and_shown_short_and_clean(
    value: str, shown: str
) -> None:
    """No id is longer than the longest global id, nor holds a character outside base64url
    (which spells every raw id too): NOT_FOUND, as the first type wanted, never echoed in
    full nor with a control or bidirectional character."""
    with pytest.raises(NotFound) as refused:
        ids.raw_id(value, ("Sow", "Csa"), "entityId")
    assert refused.value.extensions == {"kind": "Sow", "id": shown}
    assert refused.value.message == f"Sow {shown} not found"

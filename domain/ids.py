"""Global ids: every object a client can fetch again by `node(id:)` is named by an opaque id
that says its type, base64url (unpadded) of `Type:rawid`.

The raw ids of version 0.1 (a database id, an event's sequence number) are still accepted
where one type is expected, until 0.3.0 (CHANGELOG.md, Deprecated); `node(id:)` takes global
ids only, since a raw id does not say what it names.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection
from typing import NamedTuple

from domain.errors import BadUserInput, NotFound, a_or_an

# Each type that has a global id, with what its raw ids look like.
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_SEQUENCE = re.compile(r"[1-9][0-9]{0,17}|0")
RAW_IDS: dict[str, re.Pattern[str]] = {
    "Client": _OBJECT_ID,
    "Agent": _OBJECT_ID,
    "Sow": _OBJECT_ID,
    "Csa": _OBJECT_ID,
    "Document": _OBJECT_ID,
    "ObligationOccurrence": _OBJECT_ID,
    "ContractEvent": _SEQUENCE,
}
NODE_TYPES = frozenset(RAW_IDS)
# What every id is spelt with: base64url, unpadded, holds the hex and digits of raw ids too.
_SPELLING = re.compile(r"[A-Za-z0-9_-]*")


class TypedId(NamedTuple):
    type_name: str
    raw: str


def global_id(type_name: str, raw: str) -> str:
    """The opaque id of the `type_name` object whose raw id is `raw`."""
    encoded = base64.urlsafe_b64encode(f"{type_name}:{raw}".encode())
    return encoded.rstrip(b"=").decode()


# The longest id of all (an ObjectId, 24 characters, is the longest raw id): longer input is
# no id, refused before decoding or looking anything up.
LONGEST = max(len(global_id(type_name, "0" * 24)) for type_name in RAW_IDS)


def shown(value: str) -> str:
    """`value` as an error may name an id that was sent: at most `LONGEST` characters, and
    `?` for any outside printable ASCII (a control or a bidirectional override, say)."""
    clean = "".join(c if " " <= c <= "~" else "?" for c in value[:LONGEST])
    return clean + "..." if len(value) > LONGEST else clean


def not_found(type_name: str, raw: str) -> NotFound:
    """NOT_FOUND for the `type_name` object stored under `raw`, named by its global id: the
    id a client knows, whichever form it sent."""
    return NotFound(type_name, global_id(type_name, raw))


def parse_global_id(value: str) -> tuple[str, str] | None:
    """The type and raw id a global id names; None when `value` is not one."""
    if len(value) > LONGEST:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (ValueError, UnicodeError, binascii.Error):
        return None
    type_name, _, raw = text.partition(":")
    pattern = RAW_IDS.get(type_name)
    # Decoding skips stray characters: only the canonical spelling is an id.
    if pattern and pattern.fullmatch(raw) and global_id(type_name, raw) == value:
        return type_name, raw
    return None


def node_id(value: str, field: str) -> tuple[str, str]:
    """The type and raw id of a global id; BadUserInput naming `field` for anything else,
    raw ids included (they do not say what they name)."""
    parsed = parse_global_id(value)
    if parsed is None:
        raise BadUserInput(f"{field}: not a global id", field=field)
    return parsed


def raw_id(value: str, types: str | Collection[str], field: str) -> str:
    """The raw id of `value`, a global id of one of `types` or (deprecated) a raw id; a
    global id of another type is refused (BadUserInput naming `field`). What can be no id at
    all (`_named`) is not found; anything else is passed on as it is: like a raw id that
    names nothing, it finds nothing (NOT_FOUND)."""
    named = _named(value, _wanted(types), field)
    return value if named is None else named.raw


def typed_id(value: str, types: str | Collection[str], field: str) -> TypedId:
    """`value` as `raw_id` takes it, with the type it names: its global id's, or, for a raw
    id, which does not say, the first of `types`. A raw id of none of `types` is not found
    here: an id sought among several types (an event's entity) has no one store to say
    which kind it did not find."""
    wanted = _wanted(types)
    named = _named(value, wanted, field)
    if named is not None:
        return named
    if not any(RAW_IDS[type_name].fullmatch(value) for type_name in wanted):
        raise NotFound(wanted[0], shown(value))
    return TypedId(wanted[0], value)


def optional_raw_id(value: str | None, types: str | Collection[str], field: str) -> str | None:
    return None if value is None else raw_id(value, types, field)


def optional_typed_id(
    value: str | None, types: str | Collection[str], field: str
) -> TypedId | None:
    return None if value is None else typed_id(value, types, field)


def _wanted(types: str | Collection[str]) -> tuple[str, ...]:
    return (types,) if isinstance(types, str) else tuple(types)


def _named(value: str, wanted: tuple[str, ...], field: str) -> TypedId | None:
    """The type and raw id of `value` if it is a global id of one of `wanted`; None if it
    is not a global id but could be a raw one. A global id of another type is refused
    (BadUserInput naming `field`); what is longer than any id or spelt with a character no
    id holds is not found (as the first of `wanted`) before it reaches storage, and named
    short and clean (`shown`): an error never echoes it as sent."""
    parsed = parse_global_id(value)
    if parsed is None:
        if len(value) > LONGEST or not _SPELLING.fullmatch(value):
            raise NotFound(wanted[0], shown(value))
        return None
    type_name, raw = parsed
    if type_name not in wanted:
        expected = " or ".join(wanted)
        raise BadUserInput(
            f"{field}: {a_or_an(type_name)} id, not {a_or_an(expected)} id", field=field
        )
    return TypedId(type_name, raw)

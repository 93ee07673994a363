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

from domain.errors import BadUserInput, NotFound

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

# Longer input is no id of ours; refused before decoding.
_MAX_LENGTH = 120


def global_id(type_name: str, raw: str) -> str:
    """The opaque id of the `type_name` object whose raw id is `raw`."""
    encoded = base64.urlsafe_b64encode(f"{type_name}:{raw}".encode())
    return encoded.rstrip(b"=").decode()


def not_found(type_name: str, raw: str) -> NotFound:
    """NOT_FOUND for the `type_name` object stored under `raw`, named by its global id: the
    id a client knows, whichever form it sent."""
    return NotFound(type_name, global_id(type_name, raw))


def parse_global_id(value: str) -> tuple[str, str] | None:
    """The type and raw id a global id names; None when `value` is not one."""
    if len(value) > _MAX_LENGTH:
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
    global id of another type is refused (BadUserInput naming `field`). Anything else is
    passed on as it is: like a raw id that names nothing, it finds nothing (NOT_FOUND)."""
    parsed = parse_global_id(value)
    if parsed is None:
        return value
    type_name, raw = parsed
    wanted = (types,) if isinstance(types, str) else tuple(types)
    if type_name not in wanted:
        expected = " or ".join(wanted)
        raise BadUserInput(f"{field}: a {type_name} id, not a {expected} id", field=field)
    return raw


def optional_raw_id(value: str | None, types: str | Collection[str], field: str) -> str | None:
    return None if value is None else raw_id(value, types, field)

"""Global ids in tests: what the API answers is global; what a test writes to or reads from
the database directly is raw."""

from __future__ import annotations

from bson import ObjectId

from domain import ids


def raw(value: str) -> str:
    """The raw id of a global id the API answered with (a raw id stays as it is)."""
    parsed = ids.parse_global_id(value)
    return value if parsed is None else parsed[1]


def oid(value: str) -> ObjectId:
    """The database `_id` of a global id the API answered with."""
    return ObjectId(raw(value))


def gid(type_name: str, value: str | ObjectId | int) -> str:
    """The global id the API gives the `type_name` object stored under `value`."""
    return ids.global_id(type_name, str(value))


def seq(event_id: str) -> int:
    """The log position of the event whose `id` the API answered with."""
    return int(raw(event_id))

"""Immutable terms versions: canonical JSON, its SHA-256, and field-level diffs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.errors import BadUserInput, Conflict
from domain.party import Actor, Role

_MISSING = object()


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: equal terms give equal bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def content_hash(terms: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(terms)).hexdigest()


class VersionState(StrEnum):
    """EFFECTIVE versions were in force; PROPOSED and REJECTED are amendments that were not.

    REJECTED: refused by the other party, or left unanswered when the document ended.
    """

    EFFECTIVE = "EFFECTIVE"
    PROPOSED = "PROPOSED"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class TermsVersion:
    """One immutable version of a document's terms, in canonical form."""

    number: int
    terms: dict[str, Any]
    hash: str
    author: Actor
    at: datetime
    change_summary: str | None
    state: VersionState = VersionState.EFFECTIVE

    @staticmethod
    def of(
        number: int,
        terms: dict[str, Any],
        author: Actor,
        at: datetime,
        change_summary: str | None,
        state: VersionState = VersionState.EFFECTIVE,
    ) -> TermsVersion:
        return TermsVersion(number, terms, content_hash(terms), author, at, change_summary, state)


class SignatureParty(StrEnum):
    CLIENT = "CLIENT"
    OPERATOR = "OPERATOR"
    AGENT = "AGENT"


@dataclass(frozen=True, slots=True)
class Signature:
    """A party's signature, bound to the exact version signed by its content hash."""

    party: SignatureParty
    signer: Actor
    version: int
    hash: str
    at: datetime


def party_of(role: Role | None) -> SignatureParty:
    match role:
        case Role.CLIENT:
            return SignatureParty.CLIENT
        case Role.AGENT:
            return SignatureParty.AGENT
        case _:
            return SignatureParty.OPERATOR


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed leaf; `path` like `pricing.rate` or `slaTargets[1].target`."""

    path: str
    before: Any
    after: Any


def diff(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Every changed leaf between two canonical terms, lists compared index by index."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key in sorted(before.keys() | after.keys()):
            child = f"{path}.{key}" if path else key
            changes += diff(before.get(key, _MISSING), after.get(key, _MISSING), child)
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index in range(max(len(before), len(after))):
            left = before[index] if index < len(before) else _MISSING
            right = after[index] if index < len(after) else _MISSING
            changes += diff(left, right, f"{path}[{index}]")
        return changes
    if before == after:
        return []
    return [
        FieldChange(
            path,
            None if before is _MISSING else before,
            None if after is _MISSING else after,
        )
    ]


def check_expected_version(expected: int, current: int) -> None:
    if expected != current:
        raise Conflict(expected, current)


def check_version_number(number: int, latest: int, field: str) -> None:
    if not 1 <= number <= latest:
        raise BadUserInput(f"{field}: no version {number} (1 to {latest})", field=field)

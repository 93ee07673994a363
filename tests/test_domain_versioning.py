"""Versions and signatures in the domain: canonical JSON, its SHA-256, diffs, and the
hash a signature binds. Pure: no server, no HTTP."""

from __future__ import annotations

import hashlib
import json

import pytest

from domain import sow as sows
from domain.commands import AcceptSowAmendment, ProposeSowAmendment
from domain.errors import Conflict
from domain.versioning import (
    FieldChange,
    SignatureParty,
    VersionState,
    canonical_json,
    check_expected_version,
    content_hash,
    diff,
)
from tests.domain_builders import CLIENT, NOW, STAFF, draft_sow, signed_sow


def test_canonical_json_is_the_same_bytes_whatever_the_key_order() -> None:
    one = {"b": [1, {"y": "é", "x": None}], "a": "18.50"}
    other = {"a": "18.50", "b": [1, {"x": None, "y": "é"}]}
    assert canonical_json(one) == canonical_json(other)
    assert canonical_json(one) == '{"a":"18.50","b":[1,{"x":null,"y":"é"}]}'.encode()
    assert content_hash(one) == hashlib.sha256(canonical_json(other)).hexdigest()
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"rate": float("nan")})


def test_a_documents_hash_is_the_hash_of_its_terms_canonical_json() -> None:
    sow = draft_sow()
    text = json.dumps(sow.terms.canonical(), sort_keys=True, separators=(",", ":"))
    assert sow.terms_hash == hashlib.sha256(text.encode()).hexdigest()


def test_each_signature_binds_the_version_and_hash_it_signed() -> None:
    sow = signed_sow()
    assert [(s.party, s.version, s.hash) for s in sow.signatures] == [
        (SignatureParty.CLIENT, 1, sow.terms_hash),
        (SignatureParty.OPERATOR, 1, sow.terms_hash),
    ]
    proposal_command = ProposeSowAmendment(
        id=sow.id, expected_version=1, patch={"billingTerm": "ANNUAL"}, change_summary="Annual"
    )
    proposed = sows.propose_amendment(sow, proposal_command, STAFF, NOW)
    (proposal,) = proposed.versions
    assert (proposal.number, proposal.state) == (2, VersionState.PROPOSED)
    accept = AcceptSowAmendment(id=sow.id, expected_version=1)
    accepted = sows.accept_amendment(proposed.after, accept, CLIENT, NOW)
    assert accepted.after.version == 2
    assert accepted.after.terms_hash == proposal.hash != sow.terms_hash
    assert [(s.party, s.version) for s in accepted.after.signatures[2:]] == [
        (SignatureParty.OPERATOR, 2),
        (SignatureParty.CLIENT, 2),
    ]


def test_a_diff_lists_every_changed_leaf_by_path() -> None:
    before = {"pricing": {"rate": "18.50"}, "slaTargets": [{"target": 80}], "title": "A"}
    after = {"pricing": {"rate": "19.00"}, "slaTargets": [{"target": 80}, {"target": 5}]}
    assert diff(before, after) == [
        FieldChange("pricing.rate", "18.50", "19.00"),
        FieldChange("slaTargets[1]", None, {"target": 5}),
        FieldChange("title", "A", None),
    ]
    assert diff(after, after) == []


def test_a_stale_expected_version_is_a_conflict_naming_both() -> None:
    check_expected_version(3, 3)
    with pytest.raises(Conflict) as stale:
        check_expected_version(2, 3)
    assert stale.value.extensions == {"expectedVersion": 2, "currentVersion": 3}

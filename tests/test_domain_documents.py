"""Signed copies and upload rules, pure: what a copy says, that it renders to the same bytes,
how files are recognised and named."""

from __future__ import annotations

import hashlib
import re
import zlib

import pytest

from domain import csa as csas
from domain import sow as sows
from domain.commands import CountersignCsa, SendCsa, SignCsa, SignSow, StartSowReview, SubmitSow
from domain.document import (
    JPEG,
    PDF,
    PNG,
    DocumentKind,
    check_sha256,
    check_upload,
    recognise,
    safe_file_name,
)
from domain.errors import BadUserInput
from domain.party import Agent, AgentStatus, Client
from domain.signed_copy import csa_copy, printable, render, sow_copy, term_rows
from domain.versioning import SignatureParty, TermsVersion
from tests.domain_builders import (
    AGENT,
    AGENT_ID,
    CLIENT,
    CLIENT_ID,
    NOW,
    STAFF,
    draft_csa,
    draft_sow,
    executed_csa,
    signed_sow,
)

ACME = Client(CLIENT_ID, "Acme Zoë & Co.", NOW)
DANA = Agent(AGENT_ID, "Łukasz Dana", "dana@example.com", AgentStatus.ACTIVE, NOW)


def _version(document: sows.Sow | csas.Csa) -> TermsVersion:
    return TermsVersion(
        document.version,
        document.terms.canonical(),
        document.terms_hash,
        document.signatures[0].signer,
        NOW,
        None,
    )


def pdf_text(pdf: bytes) -> str:
    """The text drawn on every page (fpdf2 compresses page streams with zlib)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    text = b""
    for stream in streams:
        try:
            text += zlib.decompress(stream)
        except zlib.error:
            text += stream
    return text.decode("latin-1")


def test_signing_a_sow_and_countersigning_a_csa_queue_their_copies_not_events() -> None:
    draft = draft_sow()
    submitted = sows.submit(draft, SubmitSow(id=draft.id, expected_version=1), CLIENT, NOW)
    review = StartSowReview(id=draft.id, expected_version=1)
    reviewed = sows.start_review(submitted.after, review, STAFF, NOW).after
    change = sows.sign(reviewed, SignSow(id=draft.id, expected_version=1), STAFF, NOW)
    (copy,) = change.copies
    assert copy.kind is DocumentKind.SOW_SIGNED_COPY
    assert copy.recipients == (SignatureParty.CLIENT, SignatureParty.OPERATOR)
    assert [e.type for e in change.events] == ["SIGNED"]

    csa = draft_csa()
    sent = csas.send(csa, SendCsa(id=csa.id, expected_version=1), STAFF, NOW).after
    signed = csas.sign(sent, SignCsa(id=csa.id, expected_version=1), AGENT, NOW).after
    countersign = CountersignCsa(id=csa.id, expected_version=1)
    executed = csas.countersign(signed, countersign, STAFF, NOW)
    (copy,) = executed.copies
    assert (copy.kind, copy.entity_id, copy.version) == (
        DocumentKind.CSA_EXECUTED_COPY,
        signed.id,
        1,
    )
    assert copy.recipients == (SignatureParty.AGENT, SignatureParty.OPERATOR)
    # Delivered is said only once a copy is really sent, by the sender.
    assert [e.type for e in executed.events] == ["COUNTERSIGNED"]


def test_a_sow_copy_shows_parties_every_term_version_hash_and_signatures() -> None:
    sow = signed_sow()
    copy = sow_copy(sow, _version(sow), ACME)
    text = pdf_text(render(copy))
    for expected in (
        "Statement of Work SOW-2026-0001",
        "Acme Zo\xeb & Co.",
        "18.50 USD per hour",
        "2026-06-01",
        "2027-05-31",
        "Monday, Tuesday, Wednesday, Thursday, Friday, 08:00 to 20:00 (America/New_York)",
        "Service level: at least 80 % of calls answered within 20 s",
        "capped at 10 %",
        "30 days",
        "Inbound voice, Chat",
        sow.terms_hash,
        "compliance-user (compliance)",
        "client-user (client)",
        "2026-03-02 09:00:00 UTC",
        "Page 1 of",
    ):
        assert expected.replace("(", "\\(").replace(")", "\\)") in text, expected
    labels = [name for name, _ in term_rows(sow.terms.canonical())]
    assert len(labels) == len(sow.terms.canonical())


def test_a_csa_copy_names_the_agent_and_its_sow() -> None:
    csa = executed_csa()
    copy = csa_copy(csa, _version(csa), DANA, "SOW-2026-0001")
    assert copy.file_name == "CSA-2026-0001-v1-executed.pdf"
    assert len(copy.signatures) == 2
    text = pdf_text(render(copy))
    for expected in (
        "Lukasz Dana",
        "15.75 USD per hour",
        "1. Handle inbound calls",
        "SOW-2026-0001",
    ):
        assert expected in text, expected


def test_the_same_version_renders_to_the_same_bytes() -> None:
    csa = executed_csa()
    first = render(csa_copy(csa, _version(csa), DANA, "SOW-2026-0001"))
    again = render(csa_copy(csa, _version(csa), DANA, "SOW-2026-0001"))
    assert first.startswith(b"%PDF-")
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(again).hexdigest()


def test_text_outside_the_fonts_keeps_its_letters_or_its_code_point() -> None:
    assert printable("Zoë Łódź 東\x00") == "Zoë Lódz <U+6771>"
    assert printable("a\tb \u2013 \u20ac") == "a b \u2013 \u20ac"


def test_files_are_recognised_by_their_bytes_only() -> None:
    assert recognise(b"%PDF-1.7\n") == PDF
    assert recognise(b"\x89PNG\r\n\x1a\n....") == PNG
    assert recognise(b"\xff\xd8\xff\xe0") == JPEG
    assert recognise(b"<html>") is None
    assert check_upload(b"%PDF-1.4", 10, 100) == PDF
    for head, size in ((b"%PDF-1.4", 101), (b"", 0), (b"GIF89a", 10)):
        with pytest.raises(BadUserInput):
            check_upload(head, size, 100)


@pytest.mark.parametrize(
    ("given", "content_type", "safe"),
    [
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("C:\\Users\\x\\Résumé final.PDF", PDF, "Resume_final.pdf"),
        ('a"b;c\r\nd.png', PNG, "a_b_c_d.png"),
        (".hidden", JPEG, "hidden.jpg"),
        ("photo.exe", JPEG, "photo.jpg"),
        (None, PDF, "document.pdf"),
        ("東京.pdf", PDF, "document.pdf"),
        ("x" * 500 + ".pdf", PDF, "x" * 116 + ".pdf"),
    ],
)
def test_file_names_are_made_safe(given: str | None, content_type: str, safe: str) -> None:
    assert safe_file_name(given, content_type) == safe


def test_a_sha256_is_64_hex_digits() -> None:
    assert check_sha256(" " + "AB" * 32 + " ") == "ab" * 32
    with pytest.raises(BadUserInput):
        check_sha256("abc")

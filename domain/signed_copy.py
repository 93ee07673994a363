"""What a signed copy says, and its PDF: parties, every term of the version signed in words,
the version's number and content hash, each signature, page numbers.

Rendering is deterministic (DESIGN.md, Documents): the same version gives the same bytes, so
a copy is verified by its SHA-256 at any time. fpdf2 writes no clock of its own when given
the creation date (here: when the version was signed), and its file identifier is a digest
of the content. The fonts are the PDF's standard ones, so nothing is read from disk.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos

from domain.csa import Csa
from domain.document import COPY_KINDS, DocumentKind
from domain.events import EntityType
from domain.party import Agent, Client
from domain.sow import Sow
from domain.values import PERCENT_METRICS, SlaMetric, TargetDirection, direction_of
from domain.versioning import Signature, TermsVersion

FONT = "Helvetica"
# The standard fonts' widest single-byte encoding: Western European accents, euro, dashes.
ENCODING = "windows-1252"
LABEL_WIDTH = 48


@dataclass(frozen=True, slots=True)
class SignedCopy:
    """Everything a copy shows, gathered from the entity, its signed version and its parties."""

    kind: DocumentKind
    heading: str
    number: str
    parties: tuple[tuple[str, str], ...]
    references: tuple[tuple[str, str], ...]
    version: TermsVersion
    signatures: tuple[Signature, ...]

    @property
    def title(self) -> str:
        what = "executed copy" if self.kind is DocumentKind.CSA_EXECUTED_COPY else "signed copy"
        return f"{self.number} v{self.version.number}, {what}"

    @property
    def file_name(self) -> str:
        what = "executed" if self.kind is DocumentKind.CSA_EXECUTED_COPY else "signed"
        return f"{self.number}-v{self.version.number}-{what}.pdf"

    @property
    def signed_at(self) -> datetime:
        """The moment the version became binding: its last signature."""
        return max(signature.at for signature in self.signatures)


def _signed(signatures: Sequence[Signature], version: TermsVersion) -> tuple[Signature, ...]:
    return tuple(s for s in signatures if s.version == version.number and s.hash == version.hash)


def sow_copy(sow: Sow, version: TermsVersion, client: Client) -> SignedCopy:
    return SignedCopy(
        kind=COPY_KINDS[EntityType.SOW],
        heading="Statement of Work",
        number=sow.number,
        parties=(("Client", f"{client.name} (id {client.id})"), ("Operator", "The operator")),
        references=(("Statement of Work", f"{sow.number} (id {sow.id})"),),
        version=version,
        signatures=_signed(sow.signatures, version),
    )


def csa_copy(csa: Csa, version: TermsVersion, agent: Agent, sow_number: str) -> SignedCopy:
    return SignedCopy(
        kind=COPY_KINDS[EntityType.CSA],
        heading="Client Service Agreement",
        number=csa.number,
        parties=(
            ("Agent", f"{agent.name} <{agent.email}> (id {agent.id})"),
            ("Operator", "The operator"),
        ),
        references=(
            ("Client Service Agreement", f"{csa.number} (id {csa.id})"),
            ("Under SOW", f"{sow_number}, version {csa.sow_version} (id {csa.sow_id})"),
            ("Program", csa.program_name),
        ),
        version=version,
        signatures=_signed(csa.signatures, version),
    )


# Labels that words from camelCase would get wrong.
_LABELS = {
    "slaTargets": "SLA targets",
    "goLiveDate": "Go-live date",
    "paymentTermsDays": "Payment terms",
    "payRate": "Pay rate",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_ENUM = re.compile(r"^[A-Z][A-Z0-9_]+$")


def label(key: str) -> str:
    return _LABELS.get(key) or _CAMEL.sub(" ", key).capitalize()


def words(value: str) -> str:
    """An enum value in words (`INBOUND_VOICE` is "Inbound voice"); other text as it is."""
    return value.replace("_", " ").capitalize() if _ENUM.match(value) else value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _rate(value: Mapping[str, Any], amount: str) -> str:
    # Money as written in the terms: the decimal string signed, never a float.
    return f"{value[amount]} {value['currency']} {words(value['unit']).lower()}"


def _hours(value: Mapping[str, Any]) -> str:
    days = ", ".join(words(day) for day in value["days"])
    return f"{days}, {value['opensAt']} to {value['closesAt']} ({value['timeZone']})"


def _target(value: Mapping[str, Any]) -> str:
    metric = SlaMetric(value["metric"])
    bound = "at least" if direction_of(metric) is TargetDirection.FLOOR else "at most"
    unit = " %" if metric in PERCENT_METRICS else " s"
    text = f"{words(metric.value)}: {bound} {_number(value['target'])}{unit}"
    if value.get("thresholdSeconds") is not None:
        text += f" of calls answered within {value['thresholdSeconds']} s"
    return text


def _credit(value: Mapping[str, Any]) -> str:
    return (
        f"{words(value['metric'])}: {_number(value['percentOfFees'])} % of the period's fees "
        f"per missed period, capped at {_number(value['capPercent'])} %"
    )


def _each(render: Callable[[Mapping[str, Any]], str]) -> Callable[[Any], str]:
    return lambda items: "\n".join(render(item) for item in items) or "none"


# Terms whose shape deserves a sentence; every other term is written by `describe`.
_FORMATS: dict[str, Callable[[Any], str]] = {
    "pricing": lambda value: _rate(value, "rate"),
    "payRate": lambda value: _rate(value, "amount"),
    "serviceHours": _hours,
    "hoursOfService": _hours,
    "slaTargets": _each(_target),
    "performanceExpectations": _each(_target),
    "serviceCredits": _each(_credit),
    "paymentTermsDays": lambda days: f"{days} days",
    "obligations": lambda items: "\n".join(f"{n}. {text}" for n, text in enumerate(items, 1)),
}


def describe(value: Any) -> str:
    """Any term in words: what `_FORMATS` does not know still shows, every leaf of it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return words(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{label(key)}: {describe(item)}" for key, item in value.items())
    if isinstance(value, list):
        if all(isinstance(item, Mapping) for item in value) and value:
            return "\n".join(describe(item) for item in value)
        return ", ".join(describe(item) for item in value) or "none"
    return str(value)


def term_rows(terms: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every term of a canonical terms object, in its order, as (label, text)."""
    return [(label(key), _FORMATS.get(key, describe)(value)) for key, value in terms.items()]


# Latin letters with a stroke, which Unicode does not decompose into letter and accent.
_STROKED = str.maketrans("ŁłĐđĦħŦŧı", "LlDdHhTti")


def printable(text: str) -> str:
    """`text` in the standard fonts' encoding: a character outside it loses its accent or
    stroke when it has one (ő is o, Ł is L) or is written as its code point, never dropped."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text):
        if char == "\n" or (char.isprintable() and _encodable(char)):
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char.translate(_STROKED)) if _encodable(c)
        )
        if char.isspace():
            out.append(" ")
        elif base.strip():
            out.append(base)
        elif char.isprintable():
            out.append(f"<U+{ord(char):04X}>")
    return "".join(out)


def _encodable(char: str) -> bool:
    try:
        char.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return unicodedata.category(char)[0] != "C"


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


class _Pdf(FPDF):
    def __init__(self, copy: SignedCopy) -> None:
        super().__init__(format="A4")
        self._footer_text = printable(
            f"{copy.number} version {copy.version.number} - terms SHA-256 "
            f"{copy.version.hash[:16]}..."
        )
        self.core_fonts_encoding = ENCODING
        self.set_creation_date(copy.signed_at)
        self.set_title(printable(f"{copy.heading} {copy.title}"))
        self.set_author("contract service")
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=8)
        text = f"{self._footer_text}    Page {self.page_no()} of {{nb}}"
        self.cell(0, 6, text, align="C")


def _section(pdf: FPDF, heading: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 8, printable(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)


def _rows(pdf: FPDF, rows: Sequence[tuple[str, str]]) -> None:
    width = pdf.epw
    with pdf.table(
        col_widths=(LABEL_WIDTH, width - LABEL_WIDTH),
        first_row_as_headings=False,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=5,
        text_align=("LEFT", "LEFT"),
    ) as table:
        for name, text in rows:
            row = table.row()
            row.cell(printable(name))
            row.cell(printable(text))


def render(copy: SignedCopy) -> bytes:
    """The copy as PDF bytes: the same copy, the same bytes."""
    pdf = _Pdf(copy)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 9, printable(f"{copy.heading} {copy.number}"), new_x=XPos.LMARGIN)
    pdf.set_font(FONT, size=10)
    what = "Executed" if copy.kind is DocumentKind.CSA_EXECUTED_COPY else "Signed"
    pdf.multi_cell(
        0,
        6,
        printable(f"{what} copy of version {copy.version.number}, signed {_utc(copy.signed_at)}"),
        new_x=XPos.LMARGIN,
    )
    _section(pdf, "Parties")
    _rows(pdf, copy.parties)
    _section(pdf, "Agreement")
    _rows(
        pdf,
        [
            *copy.references,
            ("Version", str(copy.version.number)),
            ("Content hash", f"SHA-256 {copy.version.hash}"),
        ],
    )
    _section(pdf, f"Terms of version {copy.version.number}")
    _rows(pdf, term_rows(copy.version.terms))
    _section(pdf, "Signatures")
    for signature in copy.signatures:
        role = f" ({signature.signer.role})" if signature.signer.role else ""
        _rows(
            pdf,
            [
                ("Party", words(signature.party.value)),
                ("Signer", f"{signature.signer.id}{role}"),
                ("Signed at", _utc(signature.at)),
                ("Signed hash", f"SHA-256 {signature.hash} (version {signature.version})"),
            ],
        )
        pdf.ln(2)
    return bytes(pdf.output())

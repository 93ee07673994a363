"""Free text: control and bidirectional formatting characters refused; tabs and line
breaks only in multi-line fields (`domain.text`)."""

from __future__ import annotations

import pytest

from domain.errors import BadUserInput
from domain.text import check_text, is_multiline


@pytest.mark.parametrize(
    "value",
    [
        "Acme",
        "Ünïcödé — “quotes” 日本語 עברית",
        "emoji 🎉",
        "family 👩\u200d👧",
        "a\u200bzero-width space is text",
        "שלום\u200f (RLM)",
    ],
)
def test_ordinary_text_passes_everywhere(value: str) -> None:
    check_text(value, "name")
    check_text(value, "reason")


@pytest.mark.parametrize(
    "character",
    [
        *("\x00", "\x1b", "\x07", "\x7f", "\x85", "\x9f"),
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
    ],
)
def test_controls_and_bidirectional_formatting_are_refused_everywhere(character: str) -> None:
    for path in ("name", "terms.title", "reason", "terms.obligations[1]"):
        with pytest.raises(BadUserInput) as refused:
            check_text(f"pay {character}100", path)
        assert refused.value.field == path
        assert f"U+{ord(character):04X}" in refused.value.message


@pytest.mark.parametrize("character", ["\t", "\n", "\r", "\u2028", "\u2029"])
def test_tabs_and_line_breaks_only_in_multiline_fields(character: str) -> None:
    check_text(f"first{character}second", "reason")
    check_text(f"first{character}second", "terms.obligations[0]")
    check_text(f"first{character}second", "terms.terminationClause")
    with pytest.raises(BadUserInput, match="single-line"):
        check_text(f"first{character}second", "terms.title")


def test_which_fields_are_multiline() -> None:
    assert is_multiline("changeSummary")
    assert is_multiline("terms.obligations[12]")
    assert not is_multiline("terms.programName")
    assert not is_multiline("email")

"""Parsed terms shared per content hash (`storage.codec.ParsedTerms`)."""

from __future__ import annotations

from typing import Any

from bson import Decimal128

from storage.codec import ParsedTerms


def test_terms_are_parsed_once_per_hash_and_the_least_recently_used_go_first() -> None:
    parsed: list[Any] = []

    def parse(canonical: Any) -> Any:
        parsed.append(canonical)
        return canonical

    terms = ParsedTerms(parse, size=2)
    assert terms.get("a", {"rate": Decimal128("12.50")}) == {"rate": "12.50"}
    terms.get("b", {"n": 2})
    terms.get("a", {"ignored": "same hash, same terms"})
    assert len(parsed) == 2
    terms.get("c", {"n": 3})  # over the size: "b", least recently used, goes
    terms.get("a", {})
    assert len(parsed) == 3
    terms.get("b", {"n": 2})
    assert parsed[-1] == {"n": 2}

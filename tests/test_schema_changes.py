"""`schema.graphql` against the last release's schema (releases/): every breaking change has an
entry under `### Breaking` in CHANGELOG.md's `## Unreleased` (the header there says how an
entry names one)."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import BreakingChange, build_schema, find_breaking_changes

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "releases"
CHANGELOG = ROOT / "CHANGELOG.md"
_WORD = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def last_release() -> Path:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.stem.removeprefix("schema-").split("."))

    return max(RELEASES.glob("schema-*.graphql"), key=version)


def breaking_entries(changelog: str) -> list[str]:
    """The bullets of `### Breaking` under `## Unreleased`."""
    unreleased = changelog.partition("\n## Unreleased\n")[2].partition("\n## ")[0]
    section = unreleased.partition("\n### Breaking\n")[2].partition("\n### ")[0]
    return [f"-{item}" for item in re.split(r"\n- |^- ", section)[1:]]


def covers(entry: str, change: BreakingChange) -> bool:
    """`entry` names, in backticks, a coordinate whose every word is in `change`'s
    description (as a whole name: `ServiceCredit` is not in `ServiceCreditTerm`)."""
    described = set(_WORD.findall(change.description))
    for coordinate in re.findall(r"`([^`]+)`", entry):
        words = _WORD.findall(coordinate)
        if words and set(words) <= described:
            return True
    return False


def unrecorded(old_sdl: str, new_sdl: str, changelog: str) -> list[str]:
    entries = breaking_entries(changelog)
    changes = find_breaking_changes(build_schema(old_sdl), build_schema(new_sdl))
    return [
        change.description
        for change in changes
        if not any(covers(entry, change) for entry in entries)
    ]


def test_every_breaking_change_since_the_last_release_is_in_the_changelog() -> None:
    missing = unrecorded(
        last_release().read_text(), (ROOT / "schema.graphql").read_text(), CHANGELOG.read_text()
    )
    assert not missing, (
        f"breaking changes against {last_release().name} without an entry under "
        f"### Breaking in CHANGELOG.md's ## Unreleased: {missing}"
    )


OLD = """
type Query { sow(id: ID!): Sow  sows(first: Int): [Sow!]! }
type Sow { id: ID! number: String! credits: [ServiceCredit!]! status: SowStatus! }
type ServiceCredit { percent: Int! }
enum SowStatus { DRAFT SIGNED }
"""
NEW = """
type Query { sow(id: ID!): Sow  sows: [Sow!]! }
type Sow { id: ID! credits: [ServiceCreditTerm!]! status: SowStatus! }
type ServiceCreditTerm { percent: Int! }
enum SowStatus { SIGNED }
"""


def changelog(*entries: str) -> str:
    bullets = "\n".join(f"- {entry}" for entry in entries)
    return f"# Changelog\n\n## Unreleased\n\n### Breaking\n\n{bullets}\n\n## 0.1.0\n\n- `Sow`\n"


def test_a_breaking_change_without_an_entry_is_reported() -> None:
    assert sorted(unrecorded(OLD, NEW, changelog())) == sorted(
        [
            "ServiceCredit was removed.",
            "Field Sow.number was removed.",
            "Field Sow.credits changed type from [ServiceCredit!]! to [ServiceCreditTerm!]!.",
            "Argument Query.sows(first:) was removed.",
            "Enum value SowStatus.DRAFT was removed.",
        ]
    )


def test_entries_cover_the_changes_their_coordinates_name() -> None:
    entries = [
        "`ServiceCredit` renamed `ServiceCreditTerm`.",
        "`Sow.number` removed: use `Sow.id`.",
        "`Query.sows(first:)` removed.",
        "`SowStatus.DRAFT` removed.",
    ]
    assert unrecorded(OLD, NEW, changelog(*entries)) == []
    # Each entry covers only its own: none of them alone covers everything.
    for entry in entries:
        assert unrecorded(OLD, NEW, changelog(entry))


def test_entries_of_a_released_section_or_another_heading_do_not_count() -> None:
    released = changelog().replace("- `Sow`", "- `ServiceCredit` renamed")
    assert "ServiceCredit was removed." in unrecorded(OLD, NEW, released)
    added = changelog().replace("### Breaking", "### Added\n\n- `ServiceCredit`")
    assert "ServiceCredit was removed." in unrecorded(OLD, NEW, added)

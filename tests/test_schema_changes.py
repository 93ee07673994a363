"""`schema.graphql` against the last release's schema (releases/): every breaking change has an
entry under `### Breaking` in CHANGELOG.md's `## Unreleased` naming its schema coordinate exactly
(the header there says how an entry names one)."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import BreakingChange, BreakingChangeType, build_schema, find_breaking_changes

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "releases"
CHANGELOG = ROOT / "CHANGELOG.md"


def last_release() -> Path:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.stem.removeprefix("schema-").split("."))

    return max(RELEASES.glob("schema-*.graphql"), key=version)


def breaking_entries(changelog: str) -> list[str]:
    """The bullets of `### Breaking` under `## Unreleased`."""
    unreleased = changelog.partition("\n## Unreleased\n")[2].partition("\n## ")[0]
    section = unreleased.partition("\n### Breaking\n")[2].partition("\n### ")[0]
    return [f"-{item}" for item in re.split(r"\n- |^- ", section)[1:]]


# A schema coordinate as graphql-core's descriptions write it: `Sow`, `Sow.number`,
# `Query.sows(first:)`, `SowStatus.DRAFT`, `@deprecated`, `@deprecated(reason:)`.
_COORDINATE = r"@?[_A-Za-z]\w*(?:\.[_A-Za-z]\w*)?(?:\([_A-Za-z]\w*:\))?"
_QUALIFIED = rf"(?=[^ ]*[.@(])({_COORDINATE})"
# Where each kind of breaking change names the coordinate it changes in its description.
_CHANGED = {
    BreakingChangeType.TYPE_REMOVED: rf"({_COORDINATE}) was removed",
    BreakingChangeType.TYPE_CHANGED_KIND: rf"^({_COORDINATE}) changed from",
    BreakingChangeType.TYPE_REMOVED_FROM_UNION: rf"union type ({_COORDINATE})\.$",
    BreakingChangeType.IMPLEMENTED_INTERFACE_REMOVED: rf"^({_COORDINATE}) no longer implements",
    BreakingChangeType.DIRECTIVE_REPEATABLE_REMOVED: rf"from ({_COORDINATE})\.$",
    BreakingChangeType.DIRECTIVE_LOCATION_REMOVED: rf"from ({_COORDINATE})\.$",
}


def coordinate(change: BreakingChange) -> str:
    """The schema coordinate `change` is about: a field's for a field changed or removed, an
    argument's, an enum value's, a type's only for the type itself."""
    found = re.search(_CHANGED.get(change.type, _QUALIFIED), change.description)
    # A kind of change or a wording this does not know must not pass as covered.
    assert found, f"no schema coordinate found in {change.description!r}"
    return found[1]


def covers(entry: str, change: BreakingChange) -> bool:
    """`entry` names, in backticks, exactly the coordinate `change` is about: a type or an
    enum named in passing (`String`, `SowStatus`) covers no change of a field or a value."""
    return coordinate(change) in re.findall(r"`([^`]+)`", entry)


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
        # A field whose type is renamed changes too: named by its own coordinate.
        "`Sow.credits` is a list of `ServiceCreditTerm`.",
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


# Against the real CHANGELOG: its entries mention `String` and `SowStatus` in passing, which
# must not make them cover a change of some other field or enum value.

CURRENT = (ROOT / "schema.graphql").read_text()


def test_a_field_whose_type_changes_is_not_covered_by_a_passing_mention_of_its_type() -> None:
    csa = "type Csa implements Node {"
    head, _, rest = CURRENT.partition(csa)
    # The first `number` after the type's opening is the CSA's own.
    changed = head + csa + rest.replace("  number: String!\n", "  number: Int!\n", 1)
    missing = unrecorded(CURRENT, changed, CHANGELOG.read_text())
    assert missing == ["Field Csa.number changed type from String! to Int!."]


def test_an_enum_value_removed_is_not_covered_by_a_passing_mention_of_its_enum() -> None:
    sow_status = "enum SowStatus {\n"
    head, _, rest = CURRENT.partition(sow_status)
    draft = '  """Being written by the client (or compliance); editable."""\n  DRAFT\n\n'
    changed = head + sow_status + rest.replace(draft, "", 1)
    assert changed != CURRENT
    missing = unrecorded(CURRENT, changed, CHANGELOG.read_text())
    assert missing == ["Enum value SowStatus.DRAFT was removed."]


def test_the_real_entries_cover_the_recorded_changes_by_their_coordinates() -> None:
    changes = find_breaking_changes(build_schema(last_release().read_text()), build_schema(CURRENT))
    # Not vacuous: there are breaking changes since the last release, each named exactly.
    assert changes
    entries = breaking_entries(CHANGELOG.read_text())
    for change in changes:
        named = [entry for entry in entries if covers(entry, change)]
        assert named, change.description
        assert all(f"`{coordinate(change)}`" in entry for entry in named), change.description

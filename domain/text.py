"""What free text a caller sends may hold: the one owner of that rule.

Contract text must read the same wherever it is shown and signed. Refused everywhere: the
C0 and C1 control characters (NUL, ESC, ...), DEL, and the bidirectional embedding,
override and isolate characters (U+202A to U+202E, U+2066 to U+2069), which make text render
in another order than the one it is stored and signed in. Tabs and line breaks (`\\t`,
`\\n`, `\\r`, and Unicode's line and paragraph separators U+2028 and U+2029) only in the
multi-line fields, `MULTILINE_FIELDS`; titles, names, e-mails and every other field are
single-line. Marks a script needs (the right-to-left mark in a Hebrew name, the zero-width
joiner of an emoji) are text, not formatting, and are kept.
"""

from __future__ import annotations

import re

from domain.errors import BadUserInput

# By their GraphQL names, wherever they appear (an argument or an input's field).
MULTILINE_FIELDS = frozenset(
    {
        "reason",
        "note",
        "changeSummary",
        "obligations",
        "confidentiality",
        "terminationClause",
    }
)

_BIDI = "\u202a-\u202e\u2066-\u2069"
_SINGLE_LINE_REFUSED = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")
_MULTILINE_REFUSED = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
# An input path's last field name: `terms.obligations[2]` is an obligation.
_LAST_NAME = re.compile(r"(\w+)(?:\[\d+\])*$")


def is_multiline(path: str) -> bool:
    """Whether the input at `path` (`terms.obligations[2]`) may hold tabs and line breaks."""
    last = _LAST_NAME.search(path)
    return last is not None and last[1] in MULTILINE_FIELDS


def check_text(value: str, path: str) -> None:
    """Refuses `value`, sent as the input at `path`, if it holds a character it may not."""
    multiline = is_multiline(path)
    refused = (_MULTILINE_REFUSED if multiline else _SINGLE_LINE_REFUSED).search(value)
    if refused is None:
        return
    what = "a control or bidirectional formatting character"
    if not multiline and refused[0] in "\t\n\r\u2028\u2029":
        what = "a tab or line break (a single-line field)"
    raise BadUserInput(
        f"{path}: {what} is not allowed (U+{ord(refused[0]):04X} at {refused.start()})",
        field=path,
    )

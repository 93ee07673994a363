"""The GraphQL multipart request spec's `map`, checked before Strawberry follows it.

Strawberry's `replace_placeholders_with_files` trusts `map`'s shape: a list for the object, a
path that is not a string, or one through a string or a null raised out of it as a 500.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

SHAPE = "`map` must be a JSON object of file part names to lists of paths into `operations`"


def map_error(operations: Any, files_map: Any, parts: Container[str]) -> str | None:
    """Why `files_map` cannot put the request's `parts` into `operations`, or None."""
    if not isinstance(files_map, dict):
        return SHAPE
    for name, paths in files_map.items():
        if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
            return SHAPE
        if name not in parts:
            return f"`map` names the part {name!r}, which the request does not hold"
        for path in paths:
            if not _placeholder(operations, path):
                return f"`map` path {path!r} is not a null in `operations`"
    return None


def _placeholder(operations: Any, path: str) -> bool:
    """`path` (`variables.file`, `variables.files.0`) leads to a null in `operations`: the
    spec's placeholder for a file."""
    value = operations
    for key in path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isascii() and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return False
    return value is None

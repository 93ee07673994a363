"""Which argument a value refused by its GraphQL type is about, for `extensions.field`.

graphql-core refuses values a type cannot take (a bad date, an unknown input field, a
float for a Decimal) before any resolver runs, and says where only in its message (for a
variable) or by the value's node (for a literal). Both become the argument path the
domain's own `BadUserInput` errors use, e.g. `terms.pricing.rate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)

# graphql-core's wording (`print_path_list` writes the path: `.pricing.rate`, `[0]`).
_BAD_VARIABLE = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at ([^:\s]+))?:")
_UNKNOWN_FIELD = re.compile(r"not to include unknown field '(\w+)'")


def input_field(error: GraphQLError, document: DocumentNode | None) -> str | None:
    """The path, from its argument, of the value `error` refuses; None if unknown."""
    if document is None:
        return None
    if match := _BAD_VARIABLE.match(error.message):
        variable, at = match.groups()
        uses = {path for node, path in _values(document) if _is_variable(node, variable)}
        # A variable passed in several places: which one is meant cannot be told.
        path = (uses.pop() if len(uses) == 1 else variable) + (at or "")
        if unknown := _UNKNOWN_FIELD.search(error.message):
            path += f".{unknown[1]}"
        return path
    if error.nodes:
        target = error.nodes[0]
        return next((path for node, path in _values(document) if _same(node, target)), None)
    return None


def _is_variable(node: Node, name: str) -> bool:
    return isinstance(node, VariableNode) and node.name.value == name


def _same(node: Node, target: Node) -> bool:
    # By position: a cached document may be another object than the one validated.
    return (
        node.loc is not None
        and target.loc is not None
        and ((node.loc.start, node.loc.end) == (target.loc.start, target.loc.end))
    )


class _Arguments(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[ArgumentNode] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.found.append(node)


def _values(document: DocumentNode) -> Iterator[tuple[Node, str]]:
    """Every value node of every argument in `document`, with its path."""
    arguments = _Arguments()
    visit(document, arguments)
    for argument in arguments.found:
        yield from _within(argument.value, argument.name.value)


def _within(node: ValueNode, path: str) -> Iterator[tuple[Node, str]]:
    yield node, path
    if isinstance(node, ObjectValueNode):
        for field in node.fields:
            # An unknown input field is reported at its field node, not its value.
            yield field, f"{path}.{field.name.value}"
            yield from _within(field.value, f"{path}.{field.name.value}")
    elif isinstance(node, ListValueNode):
        for index, item in enumerate(node.values):
            yield from _within(item, f"{path}[{index}]")

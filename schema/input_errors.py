"""Which argument a value refused by its GraphQL type is about, for `extensions.field`.

graphql-core refuses values a type cannot take (a bad date, an unknown input field, a
float for a Decimal) before any resolver runs. Where, is read from structured data only:
a literal's own node in the document (by position), or, for a variable, the variable's
definition node and the paths graphql-core's input validation reports for its value. Both
become the argument path the domain's own `BadUserInput` errors use, e.g.
`terms.pricing.rate`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    Undefined,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    is_input_type,
    is_list_type,
    type_from_ast,
    validate_input_value,
    visit,
)

type InputPath = list[str | int]


def input_field(
    error: GraphQLError,
    document: DocumentNode | None,
    schema: GraphQLSchema | None = None,
    variables: Mapping[str, Any] | None = None,
) -> str | None:
    """The path, from its argument, of the value `error` refuses; None if unknown."""
    if document is None or not error.nodes:
        return None
    target = error.nodes[0]
    if isinstance(target, VariableDefinitionNode):
        return _in_variable(error, target, document, schema, variables or {})
    return next((path for node, path in _values(document) if _same(node, target)), None)


def literal_field(error: GraphQLError, document: DocumentNode | None) -> str | None:
    """The path of the literal value a validation error refuses, or None.

    Of the validation rules, only ValuesOfCorrectTypeRule judges a value, and it reports at
    the literal's own node. The others that point into an argument point at a variable (one
    undefined, or used where its type does not fit) or at its definition (unused, of another
    type): the document's fault, not a value's."""
    if document is None or not error.nodes:
        return None
    target = error.nodes[0]
    if isinstance(target, VariableNode | VariableDefinitionNode):
        return None
    return next((path for node, path in _values(document) if _same(node, target)), None)


def _in_variable(
    error: GraphQLError,
    definition: VariableDefinitionNode,
    document: DocumentNode,
    schema: GraphQLSchema | None,
    variables: Mapping[str, Any],
) -> str:
    name = definition.variable.name.value
    uses = {path for node, path in _values(document) if _is_variable(node, name)}
    # A variable passed in several places: which one is meant cannot be told.
    field = uses.pop() if len(uses) == 1 else name
    type_ = None if schema is None else type_from_ast(schema, definition.type)
    if type_ is None or not is_input_type(type_):
        return field
    return field + _inside(variables.get(name, Undefined), type_, error.original_error)


def _inside(value: Any, type_: GraphQLInputType, refused: BaseException | None) -> str:
    """Where in `value` (of `type_`) the refusal `refused` is: graphql-core's own validation
    of the value reports each refusal with its path as a list; `refused` is the one of them
    the error carries (made by the same call, so equal to it), else the first."""
    reports: list[tuple[GraphQLError, InputPath]] = []
    validate_input_value(value, type_, lambda found, path: reports.append((found, path)))
    if not reports:
        return ""
    same = getattr(refused, "message", None)
    index = next((i for i, (found, _) in enumerate(reports) if found.message == same), 0)
    path = reports[index][1]
    suffix = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
    # An input object is blamed for each of its missing fields first, then for each field
    # it should not have: the refusal's rank among those of its path says which it is.
    here = [i for i, (_, other) in enumerate(reports) if other == path]
    unknown = _unknown_fields(value, type_, path)
    rank = here.index(index) - (len(here) - len(unknown))
    if rank >= 0:
        suffix += f".{unknown[rank]}"
    return suffix


def _unknown_fields(value: Any, type_: GraphQLInputType, path: InputPath) -> list[str]:
    """The fields of the input object at `path` in `value` that its type does not have."""
    for part in path:
        if isinstance(part, int):
            inner = get_nullable_type(type_)
            if not is_list_type(inner) or not isinstance(value, list):
                return []
            type_, value = inner.of_type, value[part]
        else:
            named = get_named_type(type_)
            if not isinstance(named, GraphQLInputObjectType) or not isinstance(value, dict):
                return []
            type_, value = named.fields[part].type, value[part]
    named = get_named_type(type_)
    if not isinstance(named, GraphQLInputObjectType) or not isinstance(value, dict):
        return []
    return [field for field in value if field not in named.fields]


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

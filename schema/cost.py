"""A query cost limit: each selected field costs 1 per item its ancestors' pages can hold.

Depth and alias limits do not bound work on their own: `sows(first: 100) { edges { node {
events(first: 100) { ... } } } }` is shallow yet reads 10,000 events. Here a field whose
arguments include `first` or `last` multiplies the cost of everything under it by its page
size (the literal value; the maximum page size when it comes from a variable; the default
page size when absent), and `nodes(ids:)` by its number of ids. Fragments are expanded
where they are spread, so they cannot hide cost.

The validation rule refuses an operation over the limit; `cost_report` tells the result of
every query and mutation its cost (`extensions.cost`), so that clients see how close they are
before they are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from schema.limits import too_complex

PAGE_ARGUMENTS = ("first", "last")
# `nodes(ids:)` reads one item per id, at most a page of them.
IDS_ARGUMENT = "ids"


class _Cost:
    """The cost of operations of one document against one schema."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragment: Callable[[str], FragmentDefinitionNode | None],
        max_page_size: int,
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragment = fragment
        self.max_page_size = max_page_size
        self.default_page_size = default_page_size

    def of(self, node: OperationDefinitionNode) -> int | None:
        root = self.schema.get_root_type(node.operation)
        return None if root is None else self._cost(node.selection_set, root, 1, frozenset())

    def _cost(
        self,
        selections: SelectionSetNode,
        parent: Any,
        multiplier: int,
        spread: frozenset[str],
    ) -> int:
        cost = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                cost += multiplier
                if selection.selection_set is None:
                    continue
                child = self._field_type(parent, selection.name.value)
                if child is None:
                    continue
                page = self._page(selection) if self._paged(parent, selection) else 1
                cost += self._cost(selection.selection_set, child, multiplier * page, spread)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                cost += self._cost(selection.selection_set, target, multiplier, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragment(name)
                # A cycle is reported by the standard rules; here it just stops.
                if fragment is None or name in spread:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                cost += self._cost(fragment.selection_set, target, multiplier, spread | {name})
        return cost

    @staticmethod
    def _field_type(parent: Any, name: str) -> Any:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return None
        field = parent.fields.get(name)
        return None if field is None else get_named_type(field.type)

    @staticmethod
    def _paged(parent: Any, node: FieldNode) -> bool:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return False
        field = parent.fields.get(node.name.value)
        names = (*PAGE_ARGUMENTS, IDS_ARGUMENT)
        return field is not None and any(name in field.args for name in names)

    def _page(self, node: FieldNode) -> int:
        sizes = [
            size
            for argument in node.arguments or ()
            if (size := self._size(argument.name.value, argument.value)) is not None
        ]
        # `first` with `last` is refused by the resolver; cost the larger.
        return max(sizes) if sizes else self.default_page_size

    def _size(self, name: str, value: Any) -> int | None:
        if isinstance(value, VariableNode) and name in (*PAGE_ARGUMENTS, IDS_ARGUMENT):
            return self.max_page_size
        if isinstance(value, IntValueNode) and name in PAGE_ARGUMENTS:
            # Out-of-range sizes are refused by the resolver; cost them at the cap.
            return max(1, min(int(value.value), self.max_page_size))
        if isinstance(value, ListValueNode) and name == IDS_ARGUMENT:
            return max(1, min(len(value.values), self.max_page_size))
        return None


def query_cost_rule(max_cost: int, max_page_size: int, default_page_size: int) -> type[Any]:
    """A graphql-core validation rule refusing operations that cost more than `max_cost`."""

    class QueryCost(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.cost = _Cost(
                context.schema, context.get_fragment, max_page_size, default_page_size
            )

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = self.cost.of(node)
            if cost is not None and cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the limit of {max_cost}",
                        node,
                        extensions=too_complex("cost", max_cost, cost=cost),
                    )
                )

    return QueryCost


def _selected(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation of `document` that runs (None when none would)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def cost_report(max_cost: int, max_page_size: int, default_page_size: int) -> type[Any]:
    """A schema extension putting `{"cost": {"requested": N, "limit": max_cost}}` in the
    `extensions` of every query's and mutation's result whose document parsed, over the limit
    or not. Subscriptions get none: their live events are rendered once for many subscribers,
    past every per-result hook (schema/shared_events.py), so a cost on some events only would
    be noise; and their cost is that of one event, known when they start."""

    class CostReport(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            yield
            # After validation, cached or not, and before execution: a refused operation
            # reports its cost too.
            context = self.execution_context
            document = context.graphql_document
            operation = None if document is None else _selected(document, context.operation_name)
            if operation is None or operation.operation is OperationType.SUBSCRIPTION:
                return
            assert document is not None
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            schema = context.schema._schema
            cost = _Cost(schema, fragments.get, max_page_size, default_page_size).of(operation)
            if cost is not None:
                context.extensions_results["cost"] = {"requested": cost, "limit": max_cost}

    return CostReport

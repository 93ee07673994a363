"""A query cost limit: each selected field costs 1 per item its ancestors' pages can hold.

Depth and alias limits do not bound work on their own: `sows(first: 100) { edges { node {
events(first: 100) { ... } } } }` is shallow yet reads 10,000 events. Here a field whose
arguments include `first` multiplies the cost of everything under it by its page size (the
literal value; the maximum page size when it comes from a variable; the default page size
when absent). Fragments are expanded where they are spread, so they cannot hide cost.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)

from schema.limits import too_complex

PAGE_ARGUMENT = "first"


def query_cost_rule(max_cost: int, max_page_size: int, default_page_size: int) -> type[Any]:
    """A graphql-core validation rule refusing operations that cost more than `max_cost`."""

    class QueryCost(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.context: ValidationContext = context

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            cost = self._cost(node.selection_set, root, 1, frozenset())
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the limit of {max_cost}",
                        node,
                        extensions=too_complex("cost", max_cost, cost=cost),
                    )
                )

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
                    target = (
                        self.context.schema.get_type(condition.name.value) if condition else parent
                    )
                    cost += self._cost(selection.selection_set, target, multiplier, spread)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    # A cycle is reported by the standard rules; here it just stops.
                    if fragment is None or name in spread:
                        continue
                    target = self.context.schema.get_type(fragment.type_condition.name.value)
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
            return field is not None and PAGE_ARGUMENT in field.args

        @staticmethod
        def _page(node: FieldNode) -> int:
            for argument in node.arguments or ():
                if argument.name.value != PAGE_ARGUMENT:
                    continue
                if isinstance(argument.value, IntValueNode):
                    # Out-of-range sizes are refused by the resolver; cost them at the cap.
                    return max(1, min(int(argument.value.value), max_page_size))
                if isinstance(argument.value, VariableNode):
                    return max_page_size
            return default_page_size

    return QueryCost

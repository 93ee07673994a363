"""Every String a query or mutation is given, checked by `domain.text` before it runs.

At the root fields' arguments, where every free text enters (literals and variables
alike, after their types coerced them): one check, with the path of the input it refuses,
for every mutation and query, present and future. Subscriptions take ids and cursors only,
and are not checked again on each event.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputType,
    GraphQLObjectType,
    GraphQLString,
    OperationType,
    get_argument_values,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domain.errors import BadUserInput
from domain.text import check_text


class TextChecked(StrawberryGraphQLCoreExecutionContext):
    def execute_root_grouped_field_set(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        position_context: Any,
    ) -> Any:
        if self.operation.operation is not OperationType.SUBSCRIPTION:
            for field_group in grouped_field_set.values():
                node = field_group[0].node
                field = root_type.fields.get(node.name.value)
                if field is None or not field.args:
                    continue
                values = get_argument_values(field, node, self.variable_values)
                try:
                    for name, argument in field.args.items():
                        value = values.get(argument.out_name or name)
                        _check(value, argument.type, name)
                except BadUserInput as refused:
                    raise GraphQLError(refused.message, node, original_error=refused) from None
        return super().execute_root_grouped_field_set(
            root_type, root_value, grouped_field_set, serially, position_context
        )


def _check(value: Any, type_: GraphQLInputType, path: str) -> None:
    if value is None:
        return
    nullable = get_nullable_type(type_)
    if nullable is GraphQLString:
        if isinstance(value, str):
            check_text(value, path)
    elif is_list_type(nullable):
        if isinstance(value, list):
            for index, item in enumerate(value):
                _check(item, nullable.of_type, f"{path}[{index}]")
    elif is_input_object_type(nullable):
        for name, field in nullable.fields.items():
            key = field.out_name or name
            item = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
            _check(item, field.type, f"{path}.{name}")

"""Every part of the published schema says what it is: codegen turns descriptions into the
doc comments a frontend developer reads, so a type, field, argument, enum value or input field
without one is a gap in the contract. GraphQL's own introspection types and built-in scalars
are described by the specification, not by us."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    is_introspection_type,
    is_specified_scalar_type,
)

from api.app import schema_for
from api.settings import Settings


def undescribed(schema: GraphQLSchema) -> list[str]:
    """The schema coordinate of every type, field, argument, enum value and input field
    without a (non-blank) description."""
    missing: list[str] = []

    def check(coordinate: str, description: str | None) -> None:
        if not (description or "").strip():
            missing.append(coordinate)

    for name, type_ in sorted(schema.type_map.items()):
        if is_introspection_type(type_) or is_specified_scalar_type(type_):
            continue
        check(name, type_.description)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                check(f"{name}.{field_name}", field.description)
                for arg_name, arg in field.args.items():
                    check(f"{name}.{field_name}({arg_name}:)", arg.description)
        elif isinstance(type_, GraphQLInputObjectType):
            for field_name, input_field in type_.fields.items():
                check(f"{name}.{field_name}", input_field.description)
        elif isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                check(f"{name}.{value_name}", value.description)
        elif isinstance(type_, GraphQLUnionType):
            pass
    return missing


def test_every_type_field_argument_and_enum_value_of_the_schema_is_described() -> None:
    schema = schema_for(Settings.model_construct())._schema
    missing = undescribed(schema)
    assert not missing, f"{len(missing)} parts of the schema have no description: {missing}"


def test_the_check_names_each_undescribed_part() -> None:
    schema = build_schema(
        '''
        """Described."""
        type Query {
          """Described."""
          a(x: Int, """Described.""" y: Int): E
          b: In
        }
        enum E { """Described.""" ONE TWO }
        """Described."""
        input In { """Described.""" p: Int  q: Int }
        '''
    )
    assert undescribed(schema) == ["E", "E.TWO", "In.q", "Query.a(x:)", "Query.b"]

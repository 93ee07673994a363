"""Every operation x every role, generated from the schema: a new operation needs a rule.

Generic on purpose: each root field is called with dummy arguments of valid shapes, so
the guard (`schema.access.Allowed` applying `domain.access.RULES`) decides before any
resolver. Guarded nested fields (a SOW's CSAs and performance figures, a CSA's
performance, an agent's email) are each read through their parent as every role, on the
viewer's own document and on another party's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationType,
    Undefined,
    is_composite_type,
)
from strawberry.types.base import StrawberryObjectDefinition

from api.app import schema_for
from api.settings import Settings
from domain.access import RULES
from domain.party import Role
from schema.access import Allowed
from tests.conftest import Api, Clock
from tests.csa_helpers import create_agent, produce
from tests.sla_helpers import worked_sow

SCHEMA = schema_for(Settings.model_construct())
GRAPHQL = SCHEMA._schema
ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
IDS = {
    Role.CLIENT: {"client_id": "65f0000000000000000000c1"},
    Role.AGENT: {"agent_id": "65f0000000000000000000a1"},
    Role.COMPLIANCE: {},
}
SCALARS: dict[str, object] = {
    "ID": "65f000000000000000000099",
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "Decimal": "1",
    "Currency": "USD",
    "Date": "2026-06-01",
    "DateTime": "2026-06-01T00:00:00+00:00",
    "JSON": {},
    # Over JSON, not a file part: a role let through gets BAD_USER_INPUT, not FORBIDDEN.
    "Upload": "x",
}


def graphql_name(field: Any) -> str:
    return SCHEMA.config.name_converter.get_graphql_name(field)


def strawberry_type(name: str) -> StrawberryObjectDefinition | None:
    found = SCHEMA.get_type_by_name(name)
    return found if isinstance(found, StrawberryObjectDefinition) else None


def root_fields(operation: str) -> list[str]:
    root = GRAPHQL.get_root_type(OperationType(operation))
    return [f"{root.name}.{name}" for name in root.fields] if root else []


ALL_ROOT_FIELDS = [field for operation in ROOTS for field in root_fields(operation)]
CALLABLE = [(op, field) for op in ("query", "mutation") for field in root_fields(op)]


def dummy(type_: GraphQLInputType) -> object:
    """A value of the right shape: required fields only, one item per list."""
    if isinstance(type_, GraphQLNonNull):
        return dummy(type_.of_type)
    if isinstance(type_, GraphQLList):
        return [dummy(type_.of_type)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: dummy(field.type)
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        }
    assert isinstance(type_, GraphQLScalarType)
    return SCALARS[type_.name]


def operation_for(operation: str, name: str) -> tuple[str, dict[str, object]]:
    """A minimal document calling root field `Type.field`, and its variables."""
    root = GRAPHQL.get_root_type(OperationType(operation))
    assert root is not None
    field: GraphQLField = root.fields[name]
    required = {
        arg: spec for arg, spec in field.args.items() if isinstance(spec.type, GraphQLNonNull)
    }
    declared = ", ".join(f"${arg}: {spec.type}" for arg, spec in required.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in required)
    selection = " { __typename }" if is_composite_type(_named(field.type)) else ""
    document = (
        f"{operation}{f'({declared})' if declared else ''} "
        f"{{ {name}{f'({passed})' if passed else ''}{selection} }}"
    )
    return document, {arg: dummy(spec.type) for arg, spec in required.items()}


def _named(type_: Any) -> Any:
    while hasattr(type_, "of_type"):
        type_ = type_.of_type
    return type_


def guard(type_name: str, field_name: str) -> type[Allowed] | None:
    """The guard of `type_name.field_name`, which names the domain operation it runs."""
    definition = strawberry_type(type_name)
    assert definition is not None
    (field,) = [f for f in definition.fields if graphql_name(f) == field_name]
    found = [p for p in field.permission_classes if issubclass(p, Allowed)]
    assert len(found) <= 1, f"{type_name}.{field_name}: more than one guard"
    return found[0] if found else None


def rule(field: str) -> frozenset[Role]:
    found = guard(*field.split("."))
    assert found is not None
    return RULES[found.operation]


@pytest.mark.parametrize("operation", ALL_ROOT_FIELDS)
def test_every_root_field_has_a_guard_and_its_operation_a_rule(operation: str) -> None:
    found = guard(*operation.split("."))
    assert found is not None, f"{operation} has no guard (schema.access.allowed)"
    assert found.operation in RULES, (
        f"{operation}: {found.operation} has no rule in domain/access.py"
    )


def test_every_rule_guards_a_field_and_every_guard_has_a_rule() -> None:
    guarded = {
        found.operation
        for type_name in GRAPHQL.type_map
        if (definition := strawberry_type(type_name)) is not None
        for field in definition.fields
        if (found := guard(type_name, graphql_name(field))) is not None
    }
    assert guarded == set(RULES)


@pytest.mark.parametrize(("operation", "field"), CALLABLE)
async def test_each_role_is_let_through_or_forbidden_by_the_rule(
    api: Api, operation: str, field: str
) -> None:
    document, variables = operation_for(operation, field.split(".")[1])
    anonymous = await api.post(document, variables)
    assert codes(anonymous) == ["UNAUTHENTICATED"], (document, anonymous)
    for role in Role:
        token = api.token(role, **IDS[role])
        body = await api.post(document, variables, token=token)
        if role in rule(field):
            refused = {"FORBIDDEN", "UNAUTHENTICATED"} & set(codes(body))
            assert not refused, (role, document, variables, body)
        else:
            assert codes(body) == ["FORBIDDEN"], (role, document, body)


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or ()]


# Every guarded nested field, reached from the root field that shows its parent: the rule
# decides, and a document of another party is not found at all.
NESTED: dict[str, tuple[str, str]] = {
    "Sow.csas": ("sow", "csas { id }"),
    "Sow.scorecard": ("sow", 'scorecard(period: "2026-11") { period results { metric } }'),
    "Sow.scorecards": ("sow", "scorecards { period }"),
    "Sow.statement": ("sow", 'statement(period: "2026-11") { fees credits { amount } }'),
    "Sow.occurrences": ("sow", "occurrences(status: OVERDUE) { totalCount edges { node { id } } }"),
    "Csa.performance": ("csa", "performance { answered recommendation }"),
    "Agent.email": ("csa", "agent { email }"),
    "Csa.sow": ("csa", "sow { id number }"),
}


# Reached on their own paths by the test after this one.
DOCUMENT_FIELDS = {"Agent.folder", "Sow.documents", "Csa.documents"}


def test_every_guarded_nested_field_is_exercised() -> None:
    nested = {
        f"{type_name}.{graphql_name(field)}"
        for type_name in GRAPHQL.type_map
        if type_name not in ROOTS.values()
        and (definition := strawberry_type(type_name)) is not None
        for field in definition.fields
        if guard(type_name, graphql_name(field)) is not None
    }
    assert nested == set(NESTED) | DOCUMENT_FIELDS


@pytest.mark.parametrize("field", sorted(NESTED))
async def test_nested_fields_show_each_role_its_own_documents_only(
    api: Api, clock: Clock, field: str
) -> None:
    own_client, sow = await worked_sow(api)
    _, other_sow = await worked_sow(api)
    agent_id, other_agent = await create_agent(api), await create_agent(api, "Other")
    (csa,) = await produce(api, sow["id"], [agent_id])
    (other_csa,) = await produce(api, other_sow["id"], [other_agent])
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    root, selection = NESTED[field]
    ids = {"sow": (sow["id"], other_sow["id"]), "csa": (csa["id"], other_csa["id"])}[root]
    document = f"query($id: ID!) {{ {root}(id: $id) {{ id {selection} }} }}"
    viewers = {
        Role.COMPLIANCE: ({}, ids[0]),
        Role.CLIENT: ({"client_id": own_client}, ids[0]),
        Role.AGENT: ({"agent_id": agent_id}, ids[0]),
    }
    for role, (claims, own) in viewers.items():
        for id, mine in ((own, True), (ids[1], role is Role.COMPLIANCE)):
            body = await api.post(document, {"id": id}, token=api.token(role, **claims))
            if role not in rule(f"Query.{root}"):
                expected = ["FORBIDDEN"]
            elif not mine:
                expected = ["NOT_FOUND"]  # before its fields: its existence is not told
            elif role not in rule(field):
                expected = ["FORBIDDEN"]
            else:
                expected = []
            assert codes(body) == expected, (role, id, body)


async def test_the_nested_document_fields_answer_each_role_that_reaches_them(api: Api) -> None:
    """`Agent.folder`, `Sow.documents` and `Csa.documents` (guarded: their rows above) let
    through every role the table names, on a path each role really has."""
    from tests.csa_helpers import executed, produce, setup

    client_id, sow, (agent_id,) = await setup(api)
    (csa,) = await produce(api, sow["id"], [agent_id])
    await executed(api, csa)
    paths = {
        "Agent.folder": [
            (Role.AGENT, "{ viewer { agent { folder { id } } } }", {"agent_id": agent_id}),
            (Role.COMPLIANCE, "{ agents { edges { node { folder { id } } } } }", {}),
        ],
        "Sow.documents": [
            (role, f'{{ sow(id: "{sow["id"]}") {{ documents {{ id }} }} }}', ids)
            for role, ids in ((Role.CLIENT, {"client_id": client_id}), (Role.COMPLIANCE, {}))
        ],
        "Csa.documents": [
            (role, f'{{ csa(id: "{csa["id"]}") {{ documents {{ id }} }} }}', ids)
            for role, ids in ((Role.AGENT, {"agent_id": agent_id}), (Role.COMPLIANCE, {}))
        ],
    }
    for field, calls in paths.items():
        assert {role for role, _, _ in calls} == rule(field), field
        for role, document, ids in calls:
            body = await api.post(document, token=api.token(role, **ids))
            assert not body.get("errors"), (field, role, body)

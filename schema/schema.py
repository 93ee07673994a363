"""The schema object: every concept's queries and mutations, and the safety extensions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig

from resolvers.paging import DEFAULT_PAGE_SIZE
from schema.cost import cost_report, query_cost_rule
from schema.csa import CsaMutations, CsaQueries
from schema.document import DocumentMutations, DocumentQueries
from schema.error_codes import ErrorCode
from schema.errors import ErrorCodes, code
from schema.event import EventQueries, EventSubscription
from schema.limits import limit_rule
from schema.nodes import NodeQueries
from schema.obligation import OccurrenceMutations, OccurrenceQueries
from schema.party import PartyMutation, PartyQuery
from schema.scalars import SCALAR_MAP
from schema.shared_events import SharedEventExecution
from schema.sla import SlaMutations
from schema.sow import SowMutations, SowQueries


def merged(name: str, description: str, types: tuple[type, ...]) -> type:
    """One root type of every concept's fields, as `strawberry.tools.merge_types`, with a
    description (which merge_types cannot give)."""
    return strawberry.type(type(name, types, {}), description=description)


Query = merged(
    "Query",
    "What a token may read: its viewer, clients and agents, SOWs, CSAs, their events, "
    "documents and obligations' occurrences, and any of them by global id.",
    (
        PartyQuery,
        SowQueries,
        CsaQueries,
        EventQueries,
        DocumentQueries,
        OccurrenceQueries,
        NodeQueries,
    ),
)
Mutation = merged(
    "Mutation",
    "Every change. One of a SOW's or CSA's status or terms takes the `expectedVersion` read, "
    "and writes the change and its events in one transaction.",
    (
        PartyMutation,
        SowMutations,
        CsaMutations,
        DocumentMutations,
        SlaMutations,
        OccurrenceMutations,
    ),
)

PARSER_CACHE_SIZE = 1024
VALIDATION_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class SchemaLimits:
    """What the settings decide for every operation (`api.app.schema_limits`)."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    max_cost: int
    max_page_size: int
    introspection: bool


class ContractSchema(strawberry.Schema):
    """Codes every error, including those raised before any extension hook runs."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Instead of Strawberry's default (log every error): refusals are not server
        # errors; `code` logs internal ones.
        document = getattr(execution_context, "graphql_document", None)
        variables = getattr(execution_context, "variables", None)
        for error in errors:
            code(error, document, schema=self._schema, variables=variables)


def build_schema(limits: SchemaLimits) -> strawberry.Schema:
    # The rule classes are built once: the validation cache is keyed by the rules too, and
    # the limiters build a new class per instance, so per-request limiters never hit it.
    rules = [
        *(
            limit_rule(rule, "depth", limits.max_depth)
            for rule in QueryDepthLimiter(max_depth=limits.max_depth).validation_rules
        ),
        *(
            limit_rule(rule, "aliases", limits.max_aliases)
            for rule in MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules
        ),
        query_cost_rule(limits.max_cost, limits.max_page_size, DEFAULT_PAGE_SIZE),
    ]
    # Factories: a fresh extension per request; the caches themselves live at module level.
    extensions: list[Any] = [
        lambda: ParserCache(maxsize=PARSER_CACHE_SIZE),
        lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        ErrorCodes,
        cost_report(limits.max_cost, limits.max_page_size, DEFAULT_PAGE_SIZE),
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return ContractSchema(
        query=Query,
        mutation=Mutation,
        subscription=EventSubscription,
        # Returned by no field: listed so that the schema (and codegen) publishes it.
        types=[ErrorCode],
        extensions=extensions,
        execution_context_class=SharedEventExecution,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


__all__ = ["SchemaLimits", "build_schema"]

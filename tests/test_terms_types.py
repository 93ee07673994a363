"""The terms are declared once, by the domain's models: every GraphQL type that mirrors one
(its output, its input, its patch) has exactly its fields, required exactly where the model
requires them. A field added to a model fails here until the GraphQL types follow. No server.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLInputObjectType, GraphQLNonNull, GraphQLObjectType, Undefined
from pydantic import BaseModel

from api.app import schema_for
from api.settings import Settings
from domain import csa, sow, values

SCHEMA = schema_for(Settings.model_construct())._schema

# Each domain model, and the GraphQL types mirroring it: output, input, patch (all optional).
MIRRORS: list[tuple[type[BaseModel], str, str, str | None]] = [
    (sow.SowTerms, "SowTerms", "SowTermsInput", "SowTermsPatch"),
    (csa.CsaTerms, "CsaTerms", "CsaTermsInput", "CsaTermsPatch"),
    (values.ServiceHours, "ServiceHours", "ServiceHoursInput", None),
    (values.SlaTarget, "SlaTarget", "SlaTargetInput", None),
    (sow.Pricing, "Pricing", "PricingInput", None),
    (sow.ServiceCredit, "ServiceCreditTerm", "ServiceCreditInput", None),
    (csa.PayRate, "PayRate", "PayRateInput", None),
]
# What an output type adds to its model: values computed from the terms, and `amount`, the
# name `Pricing.rate` has beside it while deprecated.
COMPUTED = {"CsaTerms": {"serviceLevelMetrics"}, "SlaTarget": {"direction"}, "Pricing": {"amount"}}


def fields(model: type[BaseModel]) -> dict[str, bool]:
    """The model's fields by their GraphQL (camelCase) name, and whether each is required."""
    return {field.alias or name: field.is_required() for name, field in model.model_fields.items()}


def graphql(name: str) -> dict[str, bool]:
    """The GraphQL type's fields, and whether each is non-null (for inputs: without default)."""
    found = SCHEMA.type_map[name]
    assert isinstance(found, GraphQLObjectType | GraphQLInputObjectType)
    return {
        field: isinstance(spec.type, GraphQLNonNull)
        and getattr(spec, "default_value", Undefined) is Undefined
        for field, spec in found.fields.items()
    }


@pytest.mark.parametrize(
    ("model", "output", "input_", "patch"), MIRRORS, ids=[output for _, output, _, _ in MIRRORS]
)
def test_graphql_terms_types_mirror_the_domain_models(
    model: type[BaseModel], output: str, input_: str, patch: str | None
) -> None:
    declared = fields(model)
    shown = graphql(output)
    assert set(shown) - COMPUTED.get(output, set()) == set(declared), output
    assert graphql(input_) == declared, input_
    if patch is not None:
        assert graphql(patch) == dict.fromkeys(declared, False), patch

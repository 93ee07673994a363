"""Terms validation in the domain: each refusal is BAD_USER_INPUT naming the field, from the
argument down. Pure: the HTTP tests (test_sow_terms.py) check what the wire adds."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.csa import check_term, parse_csa_terms, patch_csa_terms
from domain.errors import BadUserInput
from domain.sow import BillingTerm, parse_sow_terms, patch_sow_terms
from domain.values import SlaMetric
from tests.domain_builders import POLICY
from tests.terms import CSA_TERMS, SOW_TERMS

HOURS = SOW_TERMS["serviceHours"]
SLA = SOW_TERMS["slaTargets"][0]
CREDIT = SOW_TERMS["serviceCredits"][0]


def refused(changes: dict[str, Any]) -> str | None:
    with pytest.raises(BadUserInput) as error:
        parse_sow_terms({**SOW_TERMS, **changes})
    return error.value.field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # Whole-model checks blame the field they are about.
        ({"endDate": "2026-06-01"}, "terms.endDate"),
        (
            {"serviceCredits": [{**CREDIT, "percentOfFees": 20}]},
            "terms.serviceCredits[0].percentOfFees",
        ),
        ({"serviceCredits": [{**CREDIT, "metric": "CHAT"}]}, "terms.serviceCredits[0].metric"),
        (
            {"serviceCredits": [{**CREDIT, "metric": "AVERAGE_HANDLE_TIME"}]},
            "terms.serviceCredits[0].metric",
        ),
        ({"serviceHours": {**HOURS, "closesAt": HOURS["opensAt"]}}, "terms.serviceHours.closesAt"),
        (
            {"slaTargets": [{**SLA, "thresholdSeconds": None}]},
            "terms.slaTargets[0].thresholdSeconds",
        ),
        (
            {
                "slaTargets": [
                    SLA,
                    {"metric": "ABANDONMENT_RATE", "target": 5, "thresholdSeconds": 9},
                ]
            },
            "terms.slaTargets[1].thresholdSeconds",
        ),
        ({"slaTargets": [{**SLA, "target": 100.5}]}, "terms.slaTargets[0].target"),
        (
            {"slaTargets": [{"metric": "AVERAGE_WAIT_TIME", "target": 86_401}]},
            "terms.slaTargets[0].target",
        ),
        # Value checks name the value, in lists by index.
        ({"serviceHours": {**HOURS, "timeZone": "Mars/Olympus"}}, "terms.serviceHours.timeZone"),
        ({"serviceHours": {**HOURS, "opensAt": "8:00"}}, "terms.serviceHours.opensAt"),
        ({"serviceHours": {**HOURS, "days": ["MONDAY", "MONDAY"]}}, "terms.serviceHours.days"),
        ({"languages": ["en-US", "english!"]}, "terms.languages[1]"),
        (
            {"pricing": {"rate": "18.1234567", "unit": "PER_HOUR", "currency": "USD"}},
            "terms.pricing.rate",
        ),
        ({"pricing": {"rate": "0", "unit": "PER_HOUR", "currency": "USD"}}, "terms.pricing.rate"),
        (
            {"pricing": {"rate": "18.50", "unit": "PER_HOUR", "currency": "usd"}},
            "terms.pricing.currency",
        ),
        ({"title": "   "}, "terms.title"),
        ({"agentsRequired": 0}, "terms.agentsRequired"),
        ({"nonsense": 1}, "terms.nonsense"),
    ],
)
def test_sow_terms_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    assert refused(changes) == field


def test_valid_terms_are_kept_in_canonical_form() -> None:
    terms = parse_sow_terms({**SOW_TERMS, "title": "  Tier 1 support  "})
    canonical = terms.canonical()
    assert canonical["title"] == "Tier 1 support"  # stripped
    assert canonical["pricing"]["rate"] == "18.50"  # decimals as strings, digits kept
    assert canonical["goLiveDate"] == "2026-06-01"
    assert parse_sow_terms(canonical) == terms


def test_a_patch_changes_only_what_it_names_and_is_validated_whole() -> None:
    terms = parse_sow_terms(SOW_TERMS)
    annual = patch_sow_terms(terms, {"billingTerm": "ANNUAL"})
    assert annual.billing_term is BillingTerm.ANNUAL
    assert annual.model_copy(update={"billing_term": BillingTerm.MONTHLY}) == terms
    with pytest.raises(BadUserInput) as error:
        patch_sow_terms(terms, {"goLiveDate": "2027-06-01"})  # now after endDate
    assert error.value.field == "terms.endDate"


def test_csa_terms_and_the_term_policy() -> None:
    terms = parse_csa_terms(CSA_TERMS)
    assert [t.metric for t in terms.performance_expectations] == [SlaMetric.SERVICE_LEVEL]
    check_term(terms, POLICY)  # June 1 to August 31: three months
    for expiration in ("2026-08-30", "2026-10-02"):
        with pytest.raises(BadUserInput) as error:
            check_term(patch_csa_terms(terms, {"expirationDate": expiration}), POLICY)
        assert error.value.field == "terms.expirationDate"
    four_months = patch_csa_terms(terms, {"expirationDate": "2026-10-01"})
    assert four_months.expiration_date == date(2026, 10, 1)
    check_term(four_months, POLICY)

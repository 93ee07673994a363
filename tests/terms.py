"""Valid terms of a SOW and of a CSA under it, as a caller sends them (GraphQL names): the
starting point of the HTTP tests and of the domain's own tests alike."""

from __future__ import annotations

from typing import Any

from seed import dataset

SOW_TERMS: dict[str, Any] = {
    "title": "Tier 1 support",
    "programName": "Acme Care",
    "scope": ["INBOUND_VOICE", "CHAT"],
    "languages": ["en-US", "es-US"],
    "serviceHours": {
        "timeZone": "America/New_York",
        "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
        "opensAt": "08:00",
        "closesAt": "20:00",
    },
    "agentsRequired": 25,
    "goLiveDate": "2026-06-01",
    "endDate": "2027-05-31",
    "billingTerm": "MONTHLY",
    "pricing": {"rate": "18.50", "unit": "PER_HOUR", "currency": "USD"},
    "paymentTermsDays": 30,
    "slaTargets": [{"metric": "SERVICE_LEVEL", "target": 80, "thresholdSeconds": 20}],
    "serviceCredits": [{"metric": "SERVICE_LEVEL", "percentOfFees": 2, "capPercent": 10}],
    "disputeResolution": "ARBITRATION",
}

CSA_TERMS: dict[str, Any] = {
    "obligations": ["Handle inbound calls per the program script"],
    "performanceExpectations": [{"metric": "SERVICE_LEVEL", "target": 80, "thresholdSeconds": 20}],
    "hoursOfService": {
        "timeZone": "America/New_York",
        "days": ["MONDAY", "TUESDAY", "WEDNESDAY"],
        "opensAt": "09:00",
        "closesAt": "17:00",
    },
    "payRate": {"amount": "15.75", "currency": "USD", "unit": "PER_HOUR"},
    "effectiveDate": "2026-06-01",
    "expirationDate": "2026-08-31",
}

# The obligations of a call-center SOW (an operations plan, calibrations, recordings and
# transcripts on request), as a caller sends them: the demo data's own.
OBLIGATIONS: list[dict[str, Any]] = dataset.OBLIGATIONS

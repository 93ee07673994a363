"""The contract policy DESIGN.md fixes; the service's settings may change each number.

`api.settings.Settings` takes its defaults from here, so that the service, the demo data
and the tests agree on them without repeating them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class CsaPolicy:
    """CSA production: a term of `min..max` months, produced `min_lead_days` before go-live."""

    min_term_months: int
    max_term_months: int
    min_lead_days: int


# "term of three to four months"; "CSA production starts two weeks or more before go-live".
DESIGN_CSA_POLICY = CsaPolicy(min_term_months=3, max_term_months=4, min_lead_days=14)
# RENEWAL_DUE this many days before a CSA expires: "a configurable number of days".
RENEWAL_NOTICE_DAYS = 30
# Days after a month ends before the scheduler closes its SLA period: time for late and
# corrected interval data (DESIGN.md's SLA_CLOSE_AFTER_DAYS).
SLA_CLOSE_AFTER_DAYS = 5
# Answered contacts below which an agent's performance is INSUFFICIENT_DATA: too few to
# advise on a renewal.
MIN_ANSWERED_FOR_RENEWAL = 100
# Every date a caller sends (a Date or DateTime input) falls in this window: contract dates
# far outside it are typing mistakes, and year 1 or 9999 breaks date arithmetic.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

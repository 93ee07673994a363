"""When a contract date is reached: the scheduler's time-zone rule.

Contract dates (a SOW's `goLiveDate` and `endDate`, a CSA's `effectiveDate` and
`expirationDate`) are calendar dates without a time. They are read as local dates in the
time zone of the document's own terms (a SOW's `serviceHours.timeZone`, a CSA's
`hoursOfService.timeZone`), or in UTC for a document without one: date D is reached at
local midnight starting D, i.e. once `now` seen in that zone shows D or later. A program in
Asia/Tokyo therefore goes live nine hours before one in UTC with the same go-live date, and
one in America/Los_Angeles eight hours after.

Storage selects candidates by the latest date anywhere on Earth (`latest_local_date`) and
the domain decides per document with `local_date`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# Pacific/Kiritimati (UTC+14) is the first zone to enter each calendar date.
EARLIEST_ZONE_OFFSET = timedelta(hours=14)


def local_date(now: datetime, time_zone: str | None) -> date:
    """The calendar date at instant `now` (timezone-aware) in `time_zone` (None: UTC)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(time_zone) if time_zone else UTC).date()


def latest_local_date(now: datetime) -> date:
    """The latest calendar date any time zone shows at `now`: no document is due after it."""
    return local_date(now.astimezone(UTC) + EARLIEST_ZONE_OFFSET, None)

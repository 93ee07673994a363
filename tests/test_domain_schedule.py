"""The scheduler's date arithmetic in the domain: local dates, month arithmetic, renewal
terms, and what is due at an instant. Pure: no server, no HTTP."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from domain import csa as csas
from domain import sow as sows
from domain.commands import RenewCsa
from domain.csa import CsaFlag, CsaStatus, NewCsa
from domain.events import EventType
from domain.schedule import latest_local_date, local_date
from domain.sow import SowStatus
from tests.domain_builders import NOW, POLICY, STAFF, draft_csa, executed_csa, signed_sow

NOTICE_DAYS = 30


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_date_is_reached_at_local_midnight() -> None:
    instant = at("2026-05-31T15:00")
    assert local_date(instant, "Asia/Tokyo") == date(2026, 6, 1)
    assert local_date(instant, "America/New_York") == date(2026, 5, 31)
    assert local_date(instant, None) == date(2026, 5, 31)
    assert latest_local_date(instant) == date(2026, 6, 1)  # UTC+14 is there first
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 1, 1), None)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 6, 1), 0, date(2026, 6, 1)),
    ],
)
def test_months_are_added_clamped_to_the_months_end(day: date, months: int, expected: date) -> None:
    assert csas.add_months(day, months) == expected


def test_a_renewal_runs_as_long_as_the_term_it_continues() -> None:
    csa = executed_csa()  # June 1 to August 31
    new = NewCsa("65f0000000000000000000e2", "CSA-2026-0002", csa.agent_id)
    command = RenewCsa(id=csa.id, expected_version=1)
    _, created = csas.renew(csa, signed_sow(), [csa], new, command, STAFF, POLICY, NOW)
    terms = created.after.terms
    assert (terms.effective_date, terms.expiration_date) == (date(2026, 9, 1), date(2026, 11, 30))
    assert created.after.renewal_of == csa.id


def test_a_sow_past_both_dates_takes_both_steps_in_one_pass() -> None:
    sow = signed_sow()  # go-live 2026-06-01, end 2027-05-31, New York
    assert sows.scheduled(sow, at("2026-06-01T03:59")) is None
    live = sows.scheduled(sow, at("2026-06-01T04:00"))
    assert live is not None
    assert live.after.status is SowStatus.ACTIVE
    both = sows.scheduled(sow, at("2027-06-01T12:00"))
    assert both is not None
    assert both.after.status is SowStatus.EXPIRED
    assert [e.type for e in both.events] == [EventType.ACTIVATED, EventType.EXPIRED]
    assert sows.scheduled(both.after, at("2027-06-01T12:00")) is None


def test_a_csa_gets_one_renewal_notice_then_expires() -> None:
    csa = executed_csa()  # June 1 to August 31, New York
    active = csas.scheduled(csa, at("2026-06-15T12:00"), NOTICE_DAYS)
    assert active is not None
    assert active.after.status is CsaStatus.ACTIVE
    assert csas.scheduled(active.after, at("2026-07-31T12:00"), NOTICE_DAYS) is None
    notice = csas.scheduled(active.after, at("2026-08-01T12:00"), NOTICE_DAYS)
    assert notice is not None
    assert [e.type for e in notice.events] == [EventType.RENEWAL_DUE]
    assert notice.after.status is CsaStatus.ACTIVE
    assert csas.scheduled(notice.after, at("2026-08-02T12:00"), NOTICE_DAYS) is None
    ended = csas.scheduled(notice.after, at("2026-09-01T12:00"), NOTICE_DAYS)
    assert ended is not None
    assert [e.type for e in ended.events] == [EventType.EXPIRED]
    renewed = dataclasses.replace(active.after, renewed_by="65f0000000000000000000e2")
    assert csas.scheduled(renewed, at("2026-08-15T12:00"), NOTICE_DAYS) is None


def test_flags_compare_local_days() -> None:
    csa = draft_csa()  # produced 2026-03-02, go-live 2026-06-01: early enough
    assert csas.flags(csa, POLICY) == []
    late = dataclasses.replace(csa, produced_at=at("2026-05-20T12:00"))
    assert csas.flags(late, POLICY) == [CsaFlag.LATE_PRODUCTION]
    # Sent on May 31 in New York (00:30 UTC June 1): one day ahead, not late.
    sent = dataclasses.replace(csa, sent_at=at("2026-06-01T00:30"))
    assert csas.flags(sent, POLICY) == []
    early = dataclasses.replace(csa, sent_at=at("2026-06-01T00:30") - timedelta(days=4))
    assert csas.flags(early, POLICY) == [CsaFlag.EARLY_DELIVERY]

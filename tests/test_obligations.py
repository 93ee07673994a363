"""Obligations through GraphQL: terms, requests, fulfilment with evidence, the scheduler's
recurring occurrences and deadlines (two processes at once), the lists and who sees them."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.lifespan import scheduler_options
from api.settings import Settings
from domain.party import Role
from scheduler.mail import FolderMailer
from scheduler.run import run_once
from tests.conftest import Api, Clock, iso, serve
from tests.delivery_helpers import deliver
from tests.scheduler_helpers import run
from tests.sla_helpers import amend
from tests.sow_helpers import create_client, create_sow, signed_sow, transition
from tests.terms import OBLIGATIONS
from tests.test_subscriptions import live, take
from tests.ws import connected, websocket_client

LABOR_DAY = "2026-09-07"
TERMS = """
query($id: ID!) { sow(id: $id) { version terms {
  obligations { key title kind recurrence dueBusinessDays sections } holidays } } }
"""
UPDATE = """
mutation($id: ID!, $t: SowTermsPatch!) {
  updateSow(id: $id, expectedVersion: 1, terms: $t) { version }
}
"""
OCCURRENCE = """id sowId key title kind status period requestedAt dueAt fulfilledAt note requestNote
  dueBusinessDays termsVersion sections requestedBy { id role } evidence { id kind }"""
REQUEST = f"""
mutation($s: ID!, $k: String!, $n: String) {{
  requestObligation(sowId: $s, key: $k, note: $n) {{ {OCCURRENCE} }}
}}
"""
FULFIL = f"""
mutation($id: ID!, $n: String, $e: ID) {{
  fulfilObligation(id: $id, note: $n, evidenceDocumentId: $e) {{ {OCCURRENCE} }}
}}
"""
SOW_OCCURRENCES = f"""
query($id: ID!, $status: OccurrenceStatus, $first: Int, $after: String) {{
  sow(id: $id) {{ occurrences(status: $status, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {OCCURRENCE} }} }}
  }} }}
}}
"""
QUEUE = """
query($status: OccurrenceStatus) {
  occurrences(status: $status, first: 50) { totalCount edges { node { sowId key period status } } }
}
"""
EVENTS = """
query($id: ID!) { events(entityId: $id, first: 100) { edges { node {
  type fromStatus toStatus version reason actor { id role } } } } }
"""


def staff(api: Api) -> str:
    return api.token(Role.COMPLIANCE)


def client(api: Api, client_id: str) -> str:
    return api.token(Role.CLIENT, client_id=client_id)


async def active_sow(api: Api, clock: Clock, **changes: Any) -> tuple[str, dict[str, Any]]:
    """A client and its SOW with the obligations (and a Labor Day holiday), gone live on
    2026-06-01 (New York)."""
    client_id = await create_client(api)
    terms = {"obligations": OBLIGATIONS, "holidays": [LABOR_DAY], **changes}
    sow = await signed_sow(api, client_id, **terms)
    clock.now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    await run(api, clock)
    return client_id, sow


async def occurrence_events(api: Api, sow_id: str, token: str) -> list[tuple[str, Any, Any]]:
    data = await api.ok(EVENTS, {"id": sow_id}, token=token)
    nodes = [edge["node"] for edge in data["events"]["edges"]]
    return [
        (n["type"], n["fromStatus"], n["toStatus"])
        for n in nodes
        if n["type"].startswith("OBLIGATION_")
    ]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_the_terms_show_obligations_and_holidays_and_refuse_bad_ones(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id, obligations=OBLIGATIONS, holidays=[LABOR_DAY])
    terms = (await api.ok(TERMS, {"id": sow["id"]}, token=staff(api)))["sow"]["terms"]
    assert terms["holidays"] == [LABOR_DAY]
    assert terms["obligations"][0] == OBLIGATIONS[0]
    assert terms["obligations"][2] == {**OBLIGATIONS[2], "recurrence": None, "sections": None}

    twice = [OBLIGATIONS[2], {**OBLIGATIONS[3], "key": "recordings"}]
    refused = await api.error(
        UPDATE, {"id": sow["id"], "t": {"obligations": twice}}, client(api, client_id)
    )
    assert refused["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "terms.obligations[1].key",
    }
    outside = await api.error(
        UPDATE, {"id": sow["id"], "t": {"holidays": ["2026-01-01"]}}, client(api, client_id)
    )
    assert outside["extensions"]["field"] == "terms.holidays[0]"
    # Nothing changed.
    after = (await api.ok(TERMS, {"id": sow["id"]}, token=staff(api)))["sow"]
    assert (after["version"], after["terms"]) == (1, terms)
    # A patch clearing them.
    cleared = {"obligations": None, "holidays": None}
    await api.ok(UPDATE, {"id": sow["id"], "t": cleared}, token=client(api, client_id))
    after = (await api.ok(TERMS, {"id": sow["id"]}, token=staff(api)))["sow"]
    assert (after["version"], after["terms"]) == (2, {"obligations": [], "holidays": []})


async def test_a_client_requests_and_compliance_fulfils_with_evidence(
    api: Api, clock: Clock, tmp_path: Path
) -> None:
    client_id, sow = await active_sow(api, clock)
    other_id, other = await active_sow(api, clock)
    await deliver(api, FolderMailer(tmp_path))  # renders the SOWs' signed copies
    documents = "query($id: ID!) { sow(id: $id) { documents { id } } }"
    (copy,) = (await api.ok(documents, {"id": sow["id"]}, token=staff(api)))["sow"]["documents"]
    (foreign,) = (await api.ok(documents, {"id": other["id"]}, token=staff(api)))["sow"][
        "documents"
    ]

    # Friday 2026-09-04, 19:00 in New York: 3 business days, Monday a holiday.
    clock.now = datetime(2026, 9, 4, 23, tzinfo=UTC)
    asked = {"s": sow["id"], "k": "recordings", "n": "Calls of 2 September"}
    for role, claims, code in (
        (Role.CLIENT, {"client_id": other_id}, "NOT_FOUND"),
        (Role.COMPLIANCE, {}, "FORBIDDEN"),
        (Role.AGENT, {"agent_id": "65f0000000000000000000a1"}, "FORBIDDEN"),
    ):
        refused = await api.error(REQUEST, asked, api.token(role, **claims))
        assert refused["extensions"]["code"] == code, role
    recurring = await api.error(REQUEST, {**asked, "k": "calibration"}, client(api, client_id))
    assert recurring["extensions"] == {"code": "BAD_USER_INPUT", "field": "key"}

    found = (await api.ok(REQUEST, asked, token=client(api, client_id)))["requestObligation"]
    assert at(found["dueAt"]) == datetime(2026, 9, 11, 3, 59, 59, tzinfo=UTC)  # Thursday
    assert found | {"id": None, "dueAt": None} == {
        "id": None,
        "sowId": sow["id"],
        "key": "recordings",
        "title": "Audio recordings",
        "kind": "ON_REQUEST",
        "status": "OPEN",
        "period": None,
        "requestedAt": iso(clock.now),
        "dueAt": None,
        "fulfilledAt": None,
        "note": "Calls of 2 September",
        "requestNote": "Calls of 2 September",
        "dueBusinessDays": 3,
        "termsVersion": 1,
        "sections": [],
        "requestedBy": {"id": f"{Role.CLIENT}-{client_id}", "role": "CLIENT"},
        "evidence": None,
    }

    clock.now = datetime(2026, 9, 10, 15, tzinfo=UTC)
    fulfil = {"id": found["id"], "n": "Sent 14 files", "e": foreign["id"]}
    refused = await api.error(FULFIL, fulfil, staff(api))
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "field": "evidenceDocumentId"}
    refused = await api.error(FULFIL, {**fulfil, "e": "not-an-id"}, staff(api))
    assert refused["extensions"]["field"] == "evidenceDocumentId"
    refused = await api.error(FULFIL, {**fulfil, "e": copy["id"]}, client(api, client_id))
    assert refused["extensions"]["code"] == "FORBIDDEN"

    done = (await api.ok(FULFIL, {**fulfil, "e": copy["id"]}, token=staff(api)))["fulfilObligation"]
    assert (done["status"], done["note"], done["requestNote"], done["fulfilledAt"]) == (
        "FULFILLED",
        "Sent 14 files",
        "Calls of 2 September",
        iso(clock.now),
    )
    assert done["evidence"] == {"id": copy["id"], "kind": "SOW_SIGNED_COPY"}
    again = await api.error(FULFIL, {"id": found["id"]}, staff(api))
    assert again["extensions"]["code"] == "INVALID_TRANSITION"

    expected = [
        ("OBLIGATION_REQUESTED", None, "OPEN"),
        ("OBLIGATION_FULFILLED", "OPEN", "FULFILLED"),
    ]
    assert await occurrence_events(api, sow["id"], client(api, client_id)) == expected
    assert await occurrence_events(api, sow["id"], staff(api)) == expected
    assert await occurrence_events(api, sow["id"], client(api, other_id)) == []
    # The reason names the deadline in the wire's form and the occurrence by its node id.
    data = await api.ok(EVENTS, {"id": sow["id"]}, token=client(api, client_id))
    reasons = {e["node"]["reason"] for e in data["events"]["edges"]} - {None}
    assert (
        f"recordings (on request): Audio recordings; due {found['dueAt']}; occurrence {found['id']}"
    ) in reasons


async def test_only_an_active_sow_takes_requests(api: Api, clock: Clock) -> None:
    client_id = await create_client(api)
    sow = await signed_sow(api, client_id, obligations=OBLIGATIONS)
    refused = await api.error(REQUEST, {"s": sow["id"], "k": "recordings"}, client(api, client_id))
    assert refused["extensions"] == {
        "code": "INVALID_TRANSITION",
        "from": "SIGNED",
        "to": "SIGNED",
    }
    data = await api.ok(SOW_OCCURRENCES, {"id": sow["id"]}, token=staff(api))
    assert data["sow"]["occurrences"]["totalCount"] == 0


async def test_a_request_past_its_deadline_is_marked_overdue_then_fulfilled_late(
    api: Api, clock: Clock
) -> None:
    # Transcripts only: no recurring occurrence comes in between.
    client_id, sow = await active_sow(api, clock, obligations=[OBLIGATIONS[3]])
    clock.now = datetime(2026, 9, 4, 23, tzinfo=UTC)
    variables = {"s": sow["id"], "k": "transcripts"}
    found = (await api.ok(REQUEST, variables, token=client(api, client_id)))["requestObligation"]
    # Two business days from Friday, Monday a holiday: Wednesday 23:59:59 EDT.
    clock.now = datetime(2026, 9, 10, 3, 59, 59, tzinfo=UTC)
    assert (await run(api, clock)).events == {}
    clock.advance(seconds=1)
    assert (await run(api, clock)).events == {"SOW:OBLIGATION_OVERDUE": 1}
    assert (await run(api, clock)).events == {}
    done = (await api.ok(FULFIL, {"id": found["id"]}, token=staff(api)))["fulfilObligation"]
    assert done["status"] == "FULFILLED_LATE"
    assert await occurrence_events(api, sow["id"], client(api, client_id)) == [
        ("OBLIGATION_REQUESTED", None, "OPEN"),
        ("OBLIGATION_OVERDUE", "OPEN", "OVERDUE"),
        ("OBLIGATION_FULFILLED", "OVERDUE", "FULFILLED_LATE"),
    ]


async def test_two_schedulers_open_and_mark_each_occurrence_once(
    settings: Settings, clock: Clock
) -> None:
    async with serve(settings, clock) as one, serve(settings, clock) as two:
        client_id = await create_client(one)
        sows = [await signed_sow(one, client_id, obligations=OBLIGATIONS) for _ in range(3)]
        # Activated late: June, July and August are opened; June's and July's deadlines
        # (July 7, August 7) have passed, August's (September 4) has not.
        clock.now = datetime(2026, 9, 3, 12, tzinfo=UTC)
        stores = [one.app.state.services.store, two.app.state.services.store]
        options = scheduler_options(settings)
        reports = await asyncio.gather(*(run_once(store, clock(), options) for store in stores))
        assert [report.errors for report in reports] == [0, 0]
        assert sum((report.events for report in reports), Counter[str]()) == {
            "SOW:ACTIVATED": 3,
            "SOW:OBLIGATION_REQUESTED": 9,
            "SOW:OBLIGATION_OVERDUE": 6,
        }
        for sow in sows:
            data = await two.ok(SOW_OCCURRENCES, {"id": sow["id"]}, token=staff(two))
            nodes = [edge["node"] for edge in data["sow"]["occurrences"]["edges"]]
            assert sorted((n["period"], n["status"]) for n in nodes) == [
                ("2026-06", "OVERDUE"),
                ("2026-07", "OVERDUE"),
                ("2026-08", "OPEN"),
            ]
            assert {n["key"] for n in nodes} == {"calibration"}
            assert len(await occurrence_events(two, sow["id"], staff(two))) == 5


async def test_an_amendment_changes_the_occurrences_opened_after_it(api: Api, clock: Clock) -> None:
    client_id, sow = await active_sow(api, clock)
    clock.now = datetime(2026, 8, 3, tzinfo=UTC)
    await run(api, clock)  # June and July
    clock.now = datetime(2026, 8, 10, tzinfo=UTC)
    renamed = {**OBLIGATIONS[1], "title": "Calibration with QA", "dueBusinessDays": 1}
    await amend(api, client_id, sow["id"], 1, obligations=[renamed, OBLIGATIONS[2]])
    clock.now = datetime(2026, 9, 1, 12, tzinfo=UTC)
    await run(api, clock)
    data = await api.ok(SOW_OCCURRENCES, {"id": sow["id"]}, token=client(api, client_id))
    nodes = {e["node"]["period"]: e["node"] for e in data["sow"]["occurrences"]["edges"]}
    assert {p: (n["title"], n["dueBusinessDays"], n["termsVersion"]) for p, n in nodes.items()} == {
        "2026-06": ("Monthly call-calibration session with the client", 5, 1),
        "2026-07": ("Monthly call-calibration session with the client", 5, 1),
        "2026-08": ("Calibration with QA", 1, 2),
    }
    # August ends Monday 31; one business day on: Tuesday September 1, 23:59:59 EDT.
    assert at(nodes["2026-08"]["dueAt"]) == datetime(2026, 9, 2, 3, 59, 59, tzinfo=UTC)
    # The annual plan was dropped: its first year never opens.
    clock.now = datetime(2027, 6, 20, tzinfo=UTC)
    await run(api, clock)
    data = await api.ok(QUEUE, {"status": None}, token=staff(api))
    keys = {edge["node"]["key"] for edge in data["occurrences"]["edges"]}
    assert keys == {"calibration"}


async def test_the_lists_page_filter_and_show_each_viewer_its_own(api: Api, clock: Clock) -> None:
    client_id, sow = await active_sow(api, clock)
    other_id, other = await active_sow(api, clock)
    clock.now = datetime(2026, 9, 3, 12, tzinfo=UTC)
    await run(api, clock)

    variables = {"id": sow["id"], "status": "OVERDUE", "first": 1}
    first = (await api.ok(SOW_OCCURRENCES, variables, token=client(api, client_id)))["sow"]
    page = first["occurrences"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (2, True)
    after = {**variables, "after": page["pageInfo"]["endCursor"]}
    second = (await api.ok(SOW_OCCURRENCES, after, token=client(api, client_id)))["sow"]
    periods = [edge["node"]["period"] for edge in page["edges"] + second["occurrences"]["edges"]]
    assert periods == ["2026-07", "2026-06"]  # newest first
    assert second["occurrences"]["pageInfo"]["hasNextPage"] is False

    queue = (await api.ok(QUEUE, {"status": "OVERDUE"}, token=staff(api)))["occurrences"]
    assert queue["totalCount"] == 4
    assert {edge["node"]["sowId"] for edge in queue["edges"]} == {sow["id"], other["id"]}
    own = (await api.ok(QUEUE, {"status": "OVERDUE"}, token=client(api, other_id)))["occurrences"]
    assert {edge["node"]["sowId"] for edge in own["edges"]} == {other["id"]}
    assert own["totalCount"] == 2
    everything = (await api.ok(QUEUE, {}, token=client(api, other_id)))["occurrences"]
    assert everything["totalCount"] == 3
    agent = api.token(Role.AGENT, agent_id="65f0000000000000000000a1")
    assert (await api.error(QUEUE, {}, agent))["extensions"]["code"] == "FORBIDDEN"
    bad = await api.error(QUEUE.replace("first: 50", 'after: "nope"'), {}, staff(api))
    assert bad["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


async def test_the_sows_client_and_compliance_see_the_events_live(api: Api, clock: Clock) -> None:
    client_id, sow = await active_sow(api, clock, obligations=[OBLIGATIONS[3]])
    rival_id = await create_client(api, "Globex")
    async with (
        websocket_client(api) as sockets,
        connected(sockets, client(api, client_id)) as own,
        connected(sockets, client(api, rival_id)) as rival,
        connected(sockets, staff(api)) as compliance,
    ):
        for count, ws in enumerate((own, rival, compliance), start=1):
            await live(api, ws, count)
        clock.now = datetime(2026, 9, 4, 23, tzinfo=UTC)
        variables = {"s": sow["id"], "k": "transcripts"}
        await api.ok(REQUEST, variables, token=client(api, client_id))
        clock.now = datetime(2026, 9, 11, tzinfo=UTC)
        await run(api, clock)
        expected = [
            ("OBLIGATION_REQUESTED", sow["id"], "OPEN"),
            ("OBLIGATION_OVERDUE", sow["id"], "OVERDUE"),
        ]
        for ws in (own, compliance):
            events = await take(ws, 2)
            assert [(e["type"], e["entityId"], e["toStatus"]) for e in events] == expected
        # The rival's next event is one of its own.
        theirs = await create_sow(api, rival_id)
        assert [e["entityId"] for e in await take(rival, 1)] == [theirs["id"]]


PERIODS = """
query($id: ID!) { sow(id: $id) { status occurrences(first: 50) { edges { node { period } } } } }
"""


async def opened_periods(api: Api, sow_id: str) -> tuple[str, list[str]]:
    data = (await api.ok(PERIODS, {"id": sow_id}, token=staff(api)))["sow"]
    return data["status"], sorted(e["node"]["period"] for e in data["occurrences"]["edges"])


async def test_the_last_period_is_opened_when_the_sow_expires_as_it_ends(
    api: Api, clock: Clock
) -> None:
    _, ending = await active_sow(api, clock, endDate="2026-10-01")
    clock.now = datetime(2026, 9, 1, 12, tzinfo=UTC)
    await run(api, clock)  # June, July and August
    # September's period and the SOW end at the same instant, midnight in New York.
    clock.now = datetime(2026, 10, 1, 4, 0, 30, tzinfo=UTC)
    await run(api, clock)
    assert await opened_periods(api, ending["id"]) == (
        "EXPIRED",
        ["2026-06", "2026-07", "2026-08", "2026-09"],
    )
    # Closed: later passes open nothing, and only mark September's deadline.
    clock.now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert (await run(api, clock)).events == {"SOW:OBLIGATION_OVERDUE": 1}


async def test_periods_that_ended_while_active_are_opened_after_an_outage(
    api: Api, clock: Clock
) -> None:
    client_id, expired = await active_sow(api, clock, endDate="2026-10-01")
    terminated = await signed_sow(api, client_id, obligations=OBLIGATIONS)
    await run(api, clock)
    # No pass from go-live until after July ended and the second SOW was terminated...
    clock.now = datetime(2026, 8, 1, 4, 0, 30, tzinfo=UTC)
    variables = {"id": terminated["id"], "v": terminated["version"], "reason": "Withdrawn"}
    await api.ok(transition("terminateSow", "reason"), variables, token=staff(api))
    # ...nor until the first had ended.
    clock.now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    await run(api, clock)
    assert await opened_periods(api, expired["id"]) == (
        "EXPIRED",
        ["2026-06", "2026-07", "2026-08", "2026-09"],
    )
    assert await opened_periods(api, terminated["id"]) == ("TERMINATED", ["2026-06", "2026-07"])


async def test_a_period_under_an_obligation_since_dropped_still_opens(
    api: Api, clock: Clock
) -> None:
    client_id, sow = await active_sow(api, clock)
    # The amendment drops every recurring obligation after July ended, before a pass.
    clock.now = datetime(2026, 8, 10, tzinfo=UTC)
    await amend(api, client_id, sow["id"], 1, obligations=OBLIGATIONS[2:])
    clock.now = datetime(2026, 10, 15, tzinfo=UTC)
    await run(api, clock)
    assert await opened_periods(api, sow["id"]) == ("ACTIVE", ["2026-06", "2026-07"])

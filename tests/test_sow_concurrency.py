"""Optimistic concurrency: stale versions conflict, racing transitions have one winner."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

import pytest

from domain.party import Role
from storage import database
from tests.conftest import Api
from tests.sow_helpers import create_client, create_sow, signed_sow, transition

EVENTS = "query($id: ID!) { sow(id: $id) { status version events { totalCount } } }"
UPDATE = """
mutation($id: ID!, $v: Int!, $t: SowTermsPatch!) {
  updateSow(id: $id, expectedVersion: $v, terms: $t) { version }
}
"""


async def state(api: Api, sow_id: str) -> dict[str, Any]:
    data = await api.ok(EVENTS, {"id": sow_id}, api.token(Role.COMPLIANCE))
    found: dict[str, Any] = data["sow"]
    return found


def codes(bodies: Iterable[dict[str, Any]]) -> list[str]:
    """Each answer's error code, "OK" for a success, sorted."""
    return sorted(
        body["errors"][0]["extensions"]["code"] if body.get("errors") else "OK" for body in bodies
    )


@pytest.mark.parametrize("attempts", [2, 4])
async def test_racing_submits_have_exactly_one_winner(api: Api, attempts: int) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    token = api.token(Role.CLIENT, client_id=client_id)

    bodies = await asyncio.gather(
        *(
            api.post(transition("submitSow"), {"id": sow["id"], "v": 1}, token)
            for _ in range(attempts)
        )
    )

    assert codes(bodies) == ["INVALID_TRANSITION"] * (attempts - 1) + ["OK"]
    after = await state(api, sow["id"])
    assert after["status"] == "SUBMITTED"
    assert after["events"]["totalCount"] == 2


async def test_racing_signatures_have_exactly_one_winner(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    staff = api.token(Role.COMPLIANCE)
    await api.ok(
        transition("submitSow"),
        {"id": sow["id"], "v": 1},
        api.token(Role.CLIENT, client_id=client_id),
    )
    await api.ok(transition("startSowReview"), {"id": sow["id"], "v": 1}, staff)

    bodies = await asyncio.gather(
        api.post(transition("signSow"), {"id": sow["id"], "v": 1}, staff),
        api.post(transition("signSow"), {"id": sow["id"], "v": 1}, staff),
    )

    assert codes(bodies) == ["INVALID_TRANSITION", "OK"]
    after = await state(api, sow["id"])
    assert (after["status"], after["events"]["totalCount"]) == ("SIGNED", 4)
    signatures = await api.ok(
        "query($id: ID!) { sow(id: $id) { signatures { party } } }", {"id": sow["id"]}, staff
    )
    assert [s["party"] for s in signatures["sow"]["signatures"]] == ["CLIENT", "OPERATOR"]


async def test_racing_updates_one_wins_the_other_conflicts(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    token = api.token(Role.CLIENT, client_id=client_id)

    bodies = await asyncio.gather(
        api.post(UPDATE, {"id": sow["id"], "v": 1, "t": {"title": "A"}}, token),
        api.post(UPDATE, {"id": sow["id"], "v": 1, "t": {"title": "B"}}, token),
    )

    assert codes(bodies) == ["CONFLICT", "OK"]
    after = await state(api, sow["id"])
    assert (after["version"], after["events"]["totalCount"]) == (2, 2)


async def test_a_stale_transition_is_a_conflict_and_writes_nothing(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    token = api.token(Role.CLIENT, client_id=client_id)
    await api.ok(UPDATE, {"id": sow["id"], "v": 1, "t": {"title": "A"}}, token)

    error = await api.error(transition("submitSow"), {"id": sow["id"], "v": 1}, token)

    assert error["extensions"] == {"code": "CONFLICT", "expectedVersion": 1, "currentVersion": 2}
    after = await state(api, sow["id"])
    assert (after["status"], after["events"]["totalCount"]) == ("DRAFT", 2)


PROPOSE = """
mutation($id: ID!, $t: SowTermsPatch!) {
  proposeSowAmendment(id: $id, expectedVersion: 1, terms: $t, changeSummary: "annual") { id }
}
"""


async def test_racing_answers_to_one_amendment_have_one_winner(api: Api) -> None:
    client_id = await create_client(api)
    sow = await signed_sow(api, client_id)
    client, staff = api.token(Role.CLIENT, client_id=client_id), api.token(Role.COMPLIANCE)
    await api.ok(PROPOSE, {"id": sow["id"], "t": {"billingTerm": "ANNUAL"}}, staff)
    before = (await state(api, sow["id"]))["events"]["totalCount"]

    bodies = await asyncio.gather(
        api.post(transition("acceptSowAmendment"), {"id": sow["id"], "v": 1}, client),
        api.post(
            transition("rejectSowAmendment", "reason"),
            {"id": sow["id"], "v": 1, "reason": "no"},
            client,
        ),
    )

    assert codes(bodies) in (["CONFLICT", "OK"], ["BAD_USER_INPUT", "OK"])
    assert (await state(api, sow["id"]))["events"]["totalCount"] == before + 1


async def test_racing_proposals_leave_one_pending(api: Api) -> None:
    client_id = await create_client(api)
    sow = await signed_sow(api, client_id)
    client, staff = api.token(Role.CLIENT, client_id=client_id), api.token(Role.COMPLIANCE)
    before = (await state(api, sow["id"]))["events"]["totalCount"]

    bodies = await asyncio.gather(
        api.post(PROPOSE, {"id": sow["id"], "t": {"billingTerm": "ANNUAL"}}, staff),
        api.post(PROPOSE, {"id": sow["id"], "t": {"paymentTermsDays": 60}}, client),
    )

    assert codes(bodies) == ["BAD_USER_INPUT", "OK"]
    assert (await state(api, sow["id"]))["events"]["totalCount"] == before + 1


@pytest.mark.parametrize(
    ("times", "command", "code", "label"),
    [
        # MongoDB fails a transaction that races another for the event sequence with a
        # transient write conflict; a new SOW depends on nothing that moved, so it is
        # written again rather than reported as an internal error.
        (1, "insert", 112, "TransientTransactionError"),
        # A commit whose answer was lost (a network error, a timeout) may or may not have
        # applied; it is sent again, and the server answers with the first outcome.
        (2, "commitTransaction", 50, "UnknownTransactionCommitResult"),
    ],
)
async def test_a_transient_failure_is_retried_and_the_create_applied_once(
    api: Api, times: int, command: str, code: int, label: str
) -> None:
    client_id = await create_client(api)
    admin = api.app.state.services.db.client.admin
    await admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": times},
            "data": {"failCommands": [command], "errorCode": code, "errorLabels": [label]},
        }
    )
    try:
        sow = await create_sow(api, client_id)
    finally:
        await admin.command({"configureFailPoint": "failCommand", "mode": "off"})

    assert await state(api, sow["id"]) == {
        "status": "DRAFT",
        "version": 1,
        "events": {"totalCount": 1},
    }
    listed = await api.ok("{ sows { totalCount } }", token=api.token(Role.COMPLIANCE))
    assert listed["sows"]["totalCount"] == 1


async def test_a_write_that_keeps_failing_transiently_gives_up_at_one_deadline(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each re-read used to start the transaction's retry budget over: MAX_ATTEMPTS times
    # RETRY_SECONDS before the caller heard anything.
    monkeypatch.setattr(database, "RETRY_SECONDS", 0.5)
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    admin = api.app.state.services.db.client.admin
    await admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": "alwaysOn",
            "data": {
                "failCommands": ["update"],
                "errorCode": 112,
                "errorLabels": ["TransientTransactionError"],
            },
        }
    )
    started = time.monotonic()
    try:
        error = await api.error(
            UPDATE,
            {"id": sow["id"], "v": sow["version"], "t": {"paymentTermsDays": 60}},
            token=api.token(Role.CLIENT, client_id=client_id),
        )
    finally:
        await admin.command({"configureFailPoint": "failCommand", "mode": "off"})

    assert time.monotonic() - started < 2 * database.RETRY_SECONDS
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert (await state(api, sow["id"]))["version"] == sow["version"]


async def test_concurrent_creates_are_all_kept(api: Api) -> None:
    client_id = await create_client(api)
    token = api.token(Role.COMPLIANCE)

    created = await asyncio.gather(*(create_sow(api, client_id) for _ in range(6)))

    listed = await api.ok("{ sows { totalCount edges { node { id } } } }", token=token)
    assert listed["sows"]["totalCount"] == 6
    assert {edge["node"]["id"] for edge in listed["sows"]["edges"]} == {s["id"] for s in created}
    events = await api.ok("{ events { totalCount } }", token=token)
    assert events["events"]["totalCount"] == 6

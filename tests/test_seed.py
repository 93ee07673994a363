"""The demo data set: every status present, loaded through the domain rules, refused twice."""

from __future__ import annotations

import asyncio
import re
import subprocess
from datetime import UTC, datetime

import pytest

from api.lifespan import scheduler_options
from api.settings import Settings
from domain.csa import CsaStatus
from domain.party import Client, Role
from scheduler.run import run_once
from seed import dataset
from seed.load import NotEmpty, load, submitted_sows
from storage.database import Database
from storage.store import Store
from tests.conftest import Api, Clock
from tests.ids import gid
from tests.processes import contracts_command

SMALL = dataset.Scale(clients=2, agents=10, sows=len(dataset.SOW_MIX), csas=0)
STATUSES = """
{ sows(first: 10) {
    totalCount
    edges { node { status number version signatures { party } events(first: 50) {
      edges { node { type } } } } }
} }
"""


async def test_the_data_set_holds_every_sow_status(api: Api, clock: Clock) -> None:
    store = api.app.state.services.store
    loaded = await load(store, SMALL, clock())
    data = await api.ok(STATUSES, token=api.token(Role.COMPLIANCE))
    nodes = [edge["node"] for edge in data["sows"]["edges"]]
    assert data["sows"]["totalCount"] == SMALL.sows == loaded.sows
    assert {node["status"] for node in nodes} == {status.value for status, _ in dataset.SOW_MIX}
    assert len({node["number"] for node in nodes}) == SMALL.sows
    active = next(node for node in nodes if node["status"] == "ACTIVE")
    assert [s["party"] for s in active["signatures"]] == ["CLIENT", "OPERATOR"]
    types = [edge["node"]["type"] for edge in active["events"]["edges"]]
    # The live SOW's obligations add their own events (see the test after this one).
    assert [t for t in types if not t.startswith("OBLIGATION_")] == [
        "CREATED",
        "SUBMITTED",
        "REVIEW_STARTED",
        "SIGNED",
        "ACTIVATED",
    ]


OCCURRENCES = """
query($id: ID!) { sow(id: $id) { terms { obligations { key } } occurrences(first: 100) {
  edges { node { key status period sections requestedAt dueAt fulfilledAt } } } } }
"""


def period(occurrence: dict[str, str]) -> str:
    return occurrence["period"]


# Seeded on the test clock's day, and well after the SLA sample's month (October 2026), which
# the live SOW's term must still cover: its operations plan is due on either.
@pytest.mark.parametrize("seeded", [None, datetime(2028, 3, 1, 9, tzinfo=UTC)], ids=["now", "2028"])
async def test_the_data_set_has_obligations_due_fulfilled_late_and_overdue(
    api: Api, clock: Clock, seeded: datetime | None
) -> None:
    clock.now = seeded or clock.now
    store = api.app.state.services.store
    loaded = await load(store, SMALL, clock())
    assert loaded.sla_sample_sow is not None
    data = await api.ok(
        OCCURRENCES, {"id": loaded.sla_sample_sow}, token=api.token(Role.COMPLIANCE)
    )
    keys = [o["key"] for o in data["sow"]["terms"]["obligations"]]
    assert keys == ["operations-plan", "calibration", "recordings", "transcripts"]
    found = [edge["node"] for edge in data["sow"]["occurrences"]["edges"]]
    *earlier, plan = sorted((o for o in found if o["key"] == "operations-plan"), key=period)
    assert plan["status"] == "OPEN"
    assert {o["status"] for o in earlier} <= {"OVERDUE"}
    assert datetime.fromisoformat(plan["dueAt"]) > clock()
    assert plan["sections"] == dataset.OBLIGATIONS[0]["sections"]
    recordings = sorted(o["status"] for o in found if o["key"] == "recordings")
    assert recordings == ["FULFILLED", "FULFILLED_LATE"]
    (transcripts,) = [o for o in found if o["key"] == "transcripts"]
    assert transcripts["status"] == "OVERDUE"
    calibrations = [o for o in found if o["key"] == "calibration"]
    assert len(calibrations) >= 12
    assert {o["status"] for o in calibrations} <= {"FULFILLED", "OPEN", "OVERDUE"}
    # Compliance's work queue holds the overdue ones; the scheduler finds nothing more due
    # (`test_the_scheduler_finds_nothing_due_in_fresh_demo_data`).
    queue = "{ occurrences(status: OVERDUE) { totalCount } }"
    overdue = (await api.ok(queue, token=api.token(Role.COMPLIANCE)))["occurrences"]
    assert overdue["totalCount"] == sum(o["status"] == "OVERDUE" for o in found) >= 1


async def test_a_database_with_data_is_not_seeded_again(api: Api, clock: Clock) -> None:
    store = api.app.state.services.store
    await load(store, SMALL, clock())
    with pytest.raises(NotEmpty):
        await load(store, SMALL, clock())
    await load(store, SMALL, clock(), force=True)
    data = await api.ok("{ sows { totalCount } }", token=api.token(Role.COMPLIANCE))
    assert data["sows"]["totalCount"] == 2 * SMALL.sows


def _seed_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return contracts_command(settings, "seed", *args)


SOW_NUMBER = "query($id: ID!) { node(id: $id) { ... on Sow { number } } }"


async def test_the_seed_command_prints_a_working_token_per_role(api: Api) -> None:
    first = await asyncio.to_thread(_seed_command, api.settings)
    assert first.returncode == 0, first.stderr
    tokens = re.findall(r"Bearer ([\w.-]+)", first.stdout)
    assert len(tokens) == 3, first.stdout
    client, staff, agent = tokens
    own = await api.ok("{ sows { totalCount } }", token=client)
    assert 0 < own["sows"]["totalCount"] < dataset.DEMO.sows
    viewer = await api.ok("{ viewer { role } }", token=agent)
    assert viewer["viewer"]["role"] == "AGENT"
    everything = await api.ok("{ sows { totalCount } }", token=staff)
    assert everything["sows"]["totalCount"] == dataset.DEMO.sows
    # The import command it suggests names the SOW as the API does.
    (sow_id,) = re.findall(r"contracts sla import --sow (\S+) ", first.stdout)
    assert (await api.ok(SOW_NUMBER, {"id": sow_id}, token=staff))["node"]["number"]
    # Executed CSAs come with their copies, and the agent's folder with one upload.
    folder = await api.ok("{ agentFolder { kind url } }", token=agent)
    kinds = [document["kind"] for document in folder["agentFolder"]]
    assert kinds.count("ADMINISTRATIVE") == 1
    assert "CSA_EXECUTED_COPY" in kinds
    pdf = await api.http.get(
        folder["agentFolder"][0]["url"], headers={"Authorization": f"Bearer {agent}"}
    )
    assert pdf.content.startswith(b"%PDF-")
    outbox = api.app.state.services.db.db.outbox
    # Demo data mails nobody: its copies are rendered, not sent.
    assert await outbox.count_documents({"kind": "SEND"}) == 0
    assert await outbox.count_documents({"state": {"$ne": "DONE"}}) == 0
    again = await asyncio.to_thread(_seed_command, api.settings)
    assert again.returncode == 1
    assert "already holds data" in again.stderr


async def test_bulk_creation_leaves_what_one_by_one_commits_leave(settings: Settings) -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    client = Client("65f0000000000000000000c1", "Acme", now)
    histories = [
        dataset.sow_history(
            f"65f00000000000000000{n:04x}", f"SOW-2026-{n:04d}", client, status, n, now
        )
        for n, (status, _) in enumerate(dataset.SOW_MIX)
    ]
    contents = []
    for suffix in ("one_by_one", "bulk"):
        db = Database(settings.mongodb_uri or "", f"{settings.mongodb_database}_{suffix}")
        store = Store(db)
        try:
            if suffix == "bulk":
                await store.writer.create_all([c for history in histories for c in history])
            else:
                for change in (c for history in histories for c in history):
                    await store.writer.commit([change])
            # Versions and events get their own ids on insert: compare everything else.
            cursors = {
                name: db.db[name].find().sort([("seq", 1), ("entityId", 1), ("number", 1)])
                for name in ("sows", "versions", "events")
            }
            contents.append(
                {
                    name: [
                        {k: v for k, v in doc.items() if name == "sows" or k != "_id"}
                        async for doc in cursor
                    ]
                    for name, cursor in cursors.items()
                }
            )
        finally:
            await db.client.drop_database(db.db.name)
            await db.close()
    one_by_one, bulk = contents
    assert one_by_one == bulk
    assert len(bulk["events"]) == sum(len(c.events) for h in histories for c in h)


async def test_the_demo_holds_every_csa_status_and_a_busy_agent(api: Api, clock: Clock) -> None:
    store = api.app.state.services.store
    loaded = await load(store, dataset.DEMO, clock())
    staff = api.token(Role.COMPLIANCE)
    query = "{ csas(first: 100) { totalCount edges { node { status agent { id } } } } }"
    everything = (await api.ok(query, token=staff))["csas"]
    assert everything["totalCount"] == loaded.csas == dataset.DEMO.csas
    statuses = {edge["node"]["status"] for edge in everything["edges"]}
    assert statuses == {status.value for status in CsaStatus}
    in_force = await api.ok(
        "{ sows(filter: {status: [SIGNED, ACTIVE]}) { totalCount } }", token=staff
    )
    busy = loaded.agents[0].id
    own = (await api.ok(query, token=api.token(Role.AGENT, agent_id=busy)))["csas"]
    assert own["totalCount"] == in_force["sows"]["totalCount"]
    assert {edge["node"]["agent"]["id"] for edge in own["edges"]} == {gid("Agent", busy)}


async def test_the_scheduler_finds_nothing_due_in_fresh_demo_data(api: Api, clock: Clock) -> None:
    store = api.app.state.services.store
    await load(store, dataset.DEMO, clock())
    notices = await api.ok(
        "{ csas(first: 40) { edges { node { events(first: 20) { edges { node { type } } } } } } }",
        token=api.token(Role.COMPLIANCE),
    )

    report = await run_once(store, clock(), scheduler_options(api.settings))

    assert (report.changed, report.errors) == (0, 0)
    types = {
        event["node"]["type"]
        for csa in notices["csas"]["edges"]
        for event in csa["node"]["events"]["edges"]
    }
    assert "RENEWAL_DUE" in types


async def test_the_benchmarks_submitted_sows_are_submitted(api: Api, clock: Clock) -> None:
    """The benchmarks' pool of SOWs to review (the first once collided with the data set's
    live SLA sample SOW, whose terms only an ACTIVE SOW may have)."""
    store: Store = api.app.state.services.store
    client = Client(Store.new_id(), "Bench", clock.now)
    await store.parties.add_clients([client])
    ids = await submitted_sows(store, client, 3, clock.now)
    listed = await api.ok(
        "{ sows(filter: {status: [SUBMITTED]}) { totalCount } }", token=api.token(Role.COMPLIANCE)
    )
    assert (len(ids), listed["sows"]["totalCount"]) == (3, 3)

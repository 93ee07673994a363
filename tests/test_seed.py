"""The demo data set: every status present, loaded through the domain rules, refused twice."""

from __future__ import annotations

import pytest

from domain.party import Role
from seed import dataset
from seed.load import NotEmpty, load
from tests.conftest import Api, Clock

SMALL = dataset.Scale(clients=2, agents=10, sows=len(dataset.SOW_MIX), csas=0)
STATUSES = """
{ sows(first: 50) {
    totalCount
    edges { node { status number version signatures { party } events { totalCount } } }
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
    assert active["events"]["totalCount"] == 5  # created, submitted, review, signed, activated


async def test_a_database_with_data_is_not_seeded_again(api: Api, clock: Clock) -> None:
    store = api.app.state.services.store
    await load(store, SMALL, clock())
    with pytest.raises(NotEmpty):
        await load(store, SMALL, clock())
    await load(store, SMALL, clock(), force=True)
    data = await api.ok("{ sows { totalCount } }", token=api.token(Role.COMPLIANCE))
    assert data["sows"]["totalCount"] == 2 * SMALL.sows

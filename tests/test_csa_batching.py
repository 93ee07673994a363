"""Nested CSA fields batch through DataLoaders: a page costs the same queries at any size."""

from __future__ import annotations

import httpx

from api.app import create_app
from api.settings import Settings
from tests.commands import CommandCounter
from tests.conftest import Api, Clock
from tests.csa_helpers import executed, produce, setup, staff

PAGE = """
query { csas(first: 50) { edges { node { id agent { id name } renewalOf { id } } } } }
"""
SOWS = "query { sows { edges { node { id staffing { contracted active } csas { id } } } } }"


async def commands_for(settings: Settings, clock: Clock, agents: int) -> tuple[int, int]:
    counter = CommandCounter()
    app = create_app(settings, client_options={"event_listeners": [counter]})
    async with app.router.lifespan_context(app):
        app.state.services.clock = clock
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            api = Api(http=http, settings=settings, app=app)
            for client in range(2):
                _, sow, agent_ids = await setup(api, agents=agents, client=f"C{client}")
                produced = await produce(api, sow["id"], agent_ids)
                await executed(api, produced[0])
            counter.reset()
            await api.ok(PAGE, token=staff(api))
            page = counter.count
            counter.reset()
            await api.ok(SOWS, token=staff(api))
            sows = counter.count
        await app.state.services.db.client.drop_database(settings.mongodb_database)
    return page, sows


async def test_query_count_does_not_grow_with_the_page(settings: Settings, clock: Clock) -> None:
    small = await commands_for(settings, clock, agents=1)
    large = await commands_for(settings, clock, agents=4)
    assert small == large == (2, 3), (small, large)

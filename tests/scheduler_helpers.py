"""Running the scheduler in tests and reading back what it did through GraphQL."""

from __future__ import annotations

from api.lifespan import scheduler_options
from domain.party import Role
from scheduler.job import Options, Report
from scheduler.run import run_once
from tests.conftest import Api, Clock


def _state_query(kind: str) -> str:
    return f"""
query($id: ID!) {{
  {kind}(id: $id) {{ status }}
  events(entityId: $id) {{ edges {{ node {{ type fromStatus toStatus actor {{ id role }} }} }} }}
}}
"""


async def state(
    api: Api, id: str, kind: str = "sow", token: str | None = None
) -> tuple[str, list[tuple[str, str, str]]]:
    """The document's status and its scheduler events (type, from, to), as compliance
    sees them unless `token` says otherwise."""
    data = await api.ok(_state_query(kind), {"id": id}, token=token or api.token(Role.COMPLIANCE))
    nodes = [edge["node"] for edge in data["events"]["edges"]]
    system = [n for n in nodes if n["actor"] == {"id": "system", "role": None}]
    return data[kind]["status"], [(n["type"], n["fromStatus"], n["toStatus"]) for n in system]


async def run(api: Api, clock: Clock, options: Options | None = None) -> Report:
    """One pass at the clock's time; no document may fail."""
    report = await run_once(
        api.app.state.services.store, clock(), options or scheduler_options(api.settings)
    )
    assert report.errors == 0
    return report

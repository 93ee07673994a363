"""`contracts sla import`: a CSV file streamed in batches through the resolver of
`recordSlaIntervals`, stopping at a bad row with its line and field; the demo's sample file
and the demo's performance data."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from api.app import resolver_limits
from api.cli import main
from api.sla_import import Imported, ImportStopped, Progress, import_rows, rows_of
from domain.party import Role
from domain.sla import INPUT_FIELDS
from seed import dataset
from seed.load import load
from seed.sample import write_sample
from tests.conftest import Api, Clock, command_environment
from tests.ids import gid
from tests.sla_helpers import by_metric, quarter_hours, scorecard, worked_sow


def as_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    names = columns or list(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in names])
    return out.getvalue()


async def imported(api: Api, clock: Clock, sow_id: str, text: str, batch: int) -> Imported:
    store = api.app.state.services.store
    limits = resolver_limits(api.settings)
    return await import_rows(store, limits, sow_id, rows_of(io.StringIO(text)), batch, clock=clock)


async def test_a_file_goes_in_whole_batches_and_again_changes_nothing(
    api: Api, clock: Clock
) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    text = as_csv(quarter_hours(datetime(2026, 11, 2, 13, tzinfo=UTC), 1200))
    first = await imported(api, clock, sow["id"], text, 500)
    assert (first.batches, first.inserted, first.updated, first.unchanged) == (3, 1200, 0, 0)
    again = await imported(api, clock, sow["id"], text, 500)
    assert (again.batches, again.inserted, again.unchanged) == (3, 0, 1200)
    assert again.summary() == "1,200 rows in 3 batches: 0 inserted, 0 updated, 1,200 unchanged"
    assert (await scorecard(api, sow["id"], "2026-11"))["offered"] == 12_000


async def test_a_bad_row_stops_the_import_after_the_whole_batches_before_it(
    api: Api, clock: Clock
) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    rows = quarter_hours(datetime(2026, 11, 2, 13, tzinfo=UTC), 1200)
    rows[1100]["answered"] = 11  # answered + abandoned > offered, on line 1102
    with pytest.raises(ImportStopped) as stopped:
        await imported(api, clock, sow["id"], as_csv(rows), 500)
    assert str(stopped.value) == (
        "line 1102, field offered: answered + abandoned exceeds offered (BAD_USER_INPUT); "
        "stored before it, whole: 1,000 rows in 2 batches: 1,000 inserted, 0 updated, "
        "0 unchanged; nothing of the batch from line 1002 on"
    )
    assert (await scorecard(api, sow["id"], "2026-11"))["offered"] == 10_000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"offered": "ten"}, "line 3, field offered: must be a whole number"),
        ({"channel": "FAX"}, "line 3, field channel: must be one of INBOUND_VOICE"),
        ({"intervalStart": "yesterday"}, "line 3, field intervalStart: must be an ISO 8601"),
    ],
)
async def test_a_cell_that_cannot_be_read_is_named(
    api: Api, clock: Clock, change: dict[str, str], message: str
) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    rows: list[dict[str, Any]] = quarter_hours(datetime(2026, 11, 2, 13, tzinfo=UTC), 3)
    rows[1] = {**rows[1], **change}
    with pytest.raises(ImportStopped) as stopped:
        await imported(api, clock, sow["id"], as_csv(rows), 2)
    assert str(stopped.value).startswith(message), stopped.value
    # The cell is read before its batch is sent: rows 1 and 2 (one batch) never went.
    assert str(stopped.value).endswith("; nothing was stored")


def test_the_header_must_name_the_input_fields() -> None:
    with pytest.raises(
        ImportStopped,
        match=r"^line 1: unknown column calls; missing columns intervalMinutes, offered,",
    ):
        list(rows_of(io.StringIO("channel,intervalStart,calls\n")))
    header = ",".join(name for name in INPUT_FIELDS if name != "agentId")
    assert list(rows_of(io.StringIO(header + "\n"))) == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_on_a_terminal_only() -> None:
    done = Imported()
    done.add(500, 0, 0)
    terminal, pipe = Terminal(), io.StringIO()
    for out in (terminal, pipe):
        progress = Progress(1000, out)
        progress.update(250, done)
        progress.end()
    assert terminal.getvalue().startswith("\r[########----------------------]  25%  500 rows")
    assert pipe.getvalue() == ""


async def test_the_demo_ships_a_month_of_quarter_hours_for_its_first_sow(
    api: Api,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shipped = dataset.SLA_SAMPLE_FILE.read_text()
    written = io.StringIO()
    assert write_sample(written) == 2112  # 22 weekdays of 12 hours, 2 channels
    assert written.getvalue() == shipped, "regenerate it: python -m seed.sample"

    clock.now = datetime.now(UTC)  # the command runs on the real clock
    loaded = await load(api.app.state.services.store, dataset.DEMO, clock())
    assert loaded.sla_sample_sow is not None
    command_environment(api.settings, monkeypatch)
    sow_id = gid("Sow", loaded.sla_sample_sow)
    command = ["sla", "import", "--sow", sow_id, str(dataset.SLA_SAMPLE_FILE)]
    capsys.readouterr()
    await asyncio.to_thread(main, command)
    out = capsys.readouterr().out
    assert "imported 2,112 rows in 1 batch: 2,112 inserted, 0 updated, 0 unchanged" in out
    card = await scorecard(api, loaded.sla_sample_sow, str(dataset.SLA_SAMPLE_MONTH))
    met = {metric: result["met"] for metric, result in by_metric(card).items()}
    assert (met["SERVICE_LEVEL"], met["ABANDONMENT_RATE"]) == (False, True)

    with pytest.raises(SystemExit) as refused:
        await asyncio.to_thread(main, ["sla", "import", "--sow", loaded.sla_sample_sow, "nope.csv"])
    assert refused.value.code == 2
    assert "cannot read nope.csv" in capsys.readouterr().err


async def test_the_demo_holds_scorecards_that_meet_and_miss_their_targets(
    api: Api, clock: Clock
) -> None:
    clock.now = datetime(2026, 12, 4, 15, tzinfo=UTC)
    loaded = await load(api.app.state.services.store, dataset.DEMO, clock())
    assert loaded.interval_rows > 0
    query = """
    { sows(first: 50, filter: {status: [ACTIVE]}) { edges { node { id
        scorecards { period closed results { metric met } } } } } }
    """
    data = await api.ok(query, token=api.token(Role.COMPLIANCE))
    cards = [
        card
        for edge in data["sows"]["edges"]
        for card in edge["node"]["scorecards"]
        if any(result["met"] is not None for result in card["results"])
    ]
    outcomes = {(result["metric"], result["met"]) for card in cards for result in card["results"]}
    assert {("SERVICE_LEVEL", True), ("SERVICE_LEVEL", False)} <= outcomes
    # Months that ended more than 5 days ago are closed; this one is provisional.
    assert {card["period"]: card["closed"] for card in cards} == {
        "2026-09": True,
        "2026-10": True,
        "2026-11": False,
        "2026-12": False,
    }

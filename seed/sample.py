"""Writes seed/sla_sample.csv, the demo's month of interval data: `python -m seed.sample`.

The rows are those `seed.dataset.sample_rows` draws for the demo's first SOW, whose terms
do not depend on the day it is seeded as far as the rows go (zone, hours, channels).
"""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from typing import IO

from domain import sow as sows
from domain.sla import INPUT_FIELDS
from domain.sow import SowStatus
from seed import dataset


def write_sample(out: IO[str]) -> int:
    """The sample as CSV, columns the `SlaIntervalInput` field names; the rows written."""
    today = datetime.now(UTC).date()
    found = dataset.sow_terms(dataset.SLA_SAMPLE_SOW, SowStatus.ACTIVE, today)
    terms = sows.parse_sow_terms(found)
    rows = dataset.sample_rows(terms)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(INPUT_FIELDS)
    for row in rows:
        cells = {**row, "intervalStart": row["intervalStart"].strftime("%Y-%m-%dT%H:%M:%SZ")}
        writer.writerow(["" if cells[name] is None else cells[name] for name in INPUT_FIELDS])
    return len(rows)


if __name__ == "__main__":
    with dataset.SLA_SAMPLE_FILE.open("w", newline="") as file:
        written = write_sample(file)
    print(f"wrote {written} rows to {dataset.SLA_SAMPLE_FILE}", file=sys.stderr)

"""Storage: where documents meet MongoDB and become domain objects (the event log's live
reader apart, in `live`)."""

"""The scheduler: date-driven transitions and notices, safe to run in many processes at once.

`scheduler.run.run_once` is one pass (the `contracts schedule` command, for cron);
`scheduler.loop.run_periodically` repeats it in the service's background. Each document is
decided and written through `Writer.read_decide_commit` (revision-checked, one
transaction), so when two processes pass over it at the same moment, one writes and the
other re-reads and finds nothing due: each transition and event happens exactly once.
"""

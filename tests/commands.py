"""Counting the database commands a request issues, with PyMongo's command monitoring."""

from __future__ import annotations

from pymongo import monitoring

from live.feed import COMMENT as FEED_COMMENT

# Driver housekeeping, not work a request asked for.
IGNORED = frozenset({"endSessions", "hello", "isMaster", "ismaster", "ping", "killCursors"})


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[str] = []
        self.failures: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in IGNORED and event.command.get("comment") != FEED_COMMENT:
            self.commands.append(f"{event.command_name} {event.command.get(event.command_name)}")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.failures.append(f"{event.command_name} {event.failure.get('codeName')}")

    def reset(self) -> None:
        self.commands.clear()

    @property
    def count(self) -> int:
        return len(self.commands)

"""The connection's outbox: one order for every frame, and a fan-out that never waits.

Its socket here is a list behind a gate: closed, a write waits as on a socket whose peer
does not read.
"""

from __future__ import annotations

import asyncio

import pytest

from api.graphql_ws import Outbox


class Socket:
    def __init__(self) -> None:
        self.written: list[str] = []
        self.open = asyncio.Event()
        self.open.set()

    async def write(self, frame: str) -> None:
        await self.open.wait()
        self.written.append(frame)


async def test_a_writable_socket_gets_each_frame_at_once_in_order() -> None:
    socket = Socket()
    outbox = Outbox(socket.write)
    assert outbox.offer("1", "a", room=2)
    await outbox.send("b")
    assert outbox.offer("2", "c", room=2)
    # Written during `offer` itself: no task switch happened in between.
    assert socket.written == ["a", "b", "c"]


async def test_a_stuck_socket_holds_frames_up_to_room_per_operation() -> None:
    socket = Socket()
    socket.open.clear()
    outbox = Outbox(socket.write)
    assert outbox.offer("1", "in flight", room=2)
    assert outbox.offer("1", "a", room=2)
    assert outbox.offer("1", "b", room=2)
    assert not outbox.offer("1", "c", room=2)  # full: the caller ends the subscription
    assert outbox.offer("2", "d", room=2)  # another operation has its own room
    last_word = asyncio.create_task(outbox.send("error of 1"))
    await asyncio.sleep(0)
    assert not last_word.done()
    socket.open.set()
    await last_word
    assert socket.written == ["in flight", "a", "b", "d", "error of 1"]


async def test_a_completed_operation_loses_its_waiting_frames_only() -> None:
    socket = Socket()
    socket.open.clear()
    outbox = Outbox(socket.write)
    for frame in ("in flight", "a", "b"):
        outbox.offer("1", frame, room=5)
    outbox.offer("2", "c", room=5)
    outbox.discard("1")
    assert outbox.offer("1", "after", room=1)  # its room is free again
    socket.open.set()
    await outbox.send("done")
    assert socket.written == ["in flight", "c", "after", "done"]


async def test_a_failed_write_fails_its_sender_and_not_the_next_frames() -> None:
    written: list[str] = []

    async def write(frame: str) -> None:
        if frame == "broken":
            raise ConnectionResetError(frame)
        written.append(frame)

    outbox = Outbox(write)
    assert outbox.offer("1", "broken", room=1)  # a live event: dropped quietly
    with pytest.raises(ConnectionResetError):
        await outbox.send("broken")
    await outbox.send("fine")
    assert written == ["fine"]


async def test_closing_cancels_the_writer_and_the_senders_still_waiting() -> None:
    socket = Socket()
    socket.open.clear()
    outbox = Outbox(socket.write)
    outbox.offer("1", "in flight", room=1)
    waiting = asyncio.create_task(outbox.send("never"))
    await asyncio.sleep(0)
    await outbox.close()
    await asyncio.gather(waiting, return_exceptions=True)
    assert waiting.cancelled()
    assert socket.written == []


async def test_a_completed_operation_loses_the_frames_its_task_sends_too() -> None:
    """Its task's own `next` (catch-up, declined events) waits as a live one does, and is
    never written after the client's `complete`; its sender is not left hanging."""
    socket = Socket()
    socket.open.clear()
    outbox = Outbox(socket.write)
    outbox.offer("1", "in flight", room=5)
    own = asyncio.create_task(outbox.send("next of 1", "1"))
    ack = asyncio.create_task(outbox.send("pong"))
    await asyncio.sleep(0)
    outbox.discard("1")
    await own
    socket.open.set()
    await ack
    assert socket.written == ["in flight", "pong"]

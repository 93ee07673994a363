"""`next` frames: the payload serialized once per shared result, framed per operation."""

from __future__ import annotations

import json

from api.graphql_ws import SharedFrames


def test_a_shared_payload_is_serialized_once_and_framed_with_each_operation_id() -> None:
    frames = SharedFrames(size=1)
    data = {"contractEvents": {"id": "7", "type": "SUBMITTED", "note": 'quote " and é'}}
    first = frames.encode({"id": "1", "type": "next", "payload": {"data": data}})
    data["contractEvents"]["id"] = "changed"  # same object: the text serialized first stays
    second = frames.encode({"id": 'op "2"', "type": "next", "payload": {"data": data}})
    assert json.loads(first) == {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {"contractEvents": {"id": "7", "type": "SUBMITTED", "note": 'quote " and é'}}
        },
    }
    assert json.loads(second)["id"] == 'op "2"'
    assert json.loads(second)["payload"] == json.loads(first)["payload"]
    # Another object (the cache holds one): serialized anew.
    other = {"contractEvents": None}
    assert json.loads(frames.encode({"id": "1", "type": "next", "payload": {"data": other}})) == {
        "id": "1",
        "type": "next",
        "payload": {"data": {"contractEvents": None}},
    }


def test_other_messages_are_plain_json() -> None:
    frames = SharedFrames()
    for message in (
        {"type": "connection_ack"},
        {"id": "1", "type": "next", "payload": {"data": None, "errors": [{"message": "x"}]}},
        {"data": {"viewer": None}},
    ):
        assert json.loads(frames.encode(message)) == message

"""Who sees what (`domain.scope`) and who may do what (`domain.access`), decided once, and
the one translation of a scope into MongoDB filters (`storage.scopes`). No server."""

from __future__ import annotations

import dataclasses

import pytest
from bson import ObjectId

from domain import commands
from domain.access import RULES, Read, authorize, client_of_new_sow, folder_owner
from domain.errors import BadUserInput, Forbidden, Unauthenticated
from domain.events import EntityType, EventType, NewEvent
from domain.party import Actor, Role
from domain.scope import EVERYTHING, Scope, scopes_of
from storage import scopes
from tests.domain_builders import AGENT, AGENT_ID, CLIENT, CLIENT_ID, COMMANDS, NOW, STAFF

SOW_EVENT = NewEvent(
    type=EventType.SUBMITTED,
    entity_type=EntityType.SOW,
    entity_id="65f0000000000000000000f1",
    from_status="DRAFT",
    to_status="SUBMITTED",
    version=1,
    actor=Actor.of(CLIENT),
    at=NOW,
    client_id=CLIENT_ID,
)
# A CSA's events carry its SOW's client too: that client must still not see them.
CSA_EVENT = dataclasses.replace(
    SOW_EVENT, entity_type=EntityType.CSA, type=EventType.SENT, agent_id=AGENT_ID
)


def test_each_role_has_one_scope() -> None:
    assert Scope.of(STAFF) == EVERYTHING
    assert Scope.of(CLIENT) == Scope(client_id=CLIENT_ID)
    assert Scope.of(AGENT) == Scope(agent_id=AGENT_ID)
    with pytest.raises(ValueError, match="not both"):
        Scope(client_id=CLIENT_ID, agent_id=AGENT_ID)


def test_a_scope_sees_one_kind_of_document_or_all() -> None:
    assert [Scope.of(v).entity_type for v in (STAFF, CLIENT, AGENT)] == [
        None,
        EntityType.SOW,
        EntityType.CSA,
    ]
    assert Scope.of(CLIENT).sees(EntityType.SOW)
    assert not Scope.of(CLIENT).sees(EntityType.CSA)
    assert not Scope.of(AGENT).sees(EntityType.SOW)
    assert all(EVERYTHING.sees(kind) for kind in EntityType)


def test_an_event_is_seen_by_everything_and_its_documents_owner_only() -> None:
    assert scopes_of(SOW_EVENT) == (EVERYTHING, Scope(client_id=CLIENT_ID))
    assert scopes_of(CSA_EVENT) == (EVERYTHING, Scope(agent_id=AGENT_ID))
    assert Scope.of(CLIENT).includes(SOW_EVENT)
    assert not Scope.of(CLIENT).includes(CSA_EVENT)
    assert Scope.of(AGENT).includes(CSA_EVENT)
    assert not Scope(client_id="65f0000000000000000000c2").includes(SOW_EVENT)


def test_storage_filters_are_the_scopes() -> None:
    client, agent = ObjectId(CLIENT_ID), ObjectId(AGENT_ID)
    assert scopes.documents(EVERYTHING, EntityType.SOW) == {}
    assert scopes.documents(Scope.of(CLIENT), EntityType.SOW) == {"clientId": client}
    assert scopes.documents(Scope.of(AGENT), EntityType.CSA) == {"agentId": agent}
    assert scopes.documents(Scope.of(AGENT), EntityType.SOW) == {"_id": {"$in": []}}
    assert scopes.events(EVERYTHING) == {}
    assert scopes.events(Scope.of(CLIENT)) == {"entityType": "SOW", "clientId": client}
    assert scopes.events(Scope.of(AGENT)) == {"entityType": "CSA", "agentId": agent}
    # Stored files follow their owner: a client its SOWs' copies, an agent their folder.
    assert scopes.files(EVERYTHING) == {}
    assert scopes.files(Scope.of(CLIENT)) == {"clientId": client}
    assert scopes.files(Scope.of(AGENT)) == {"agentId": agent}


def test_a_callers_filter_narrows_a_scope_and_never_replaces_it() -> None:
    mine, theirs = {"clientId": ObjectId(CLIENT_ID)}, {"clientId": ObjectId()}
    assert scopes.both({"status": "DRAFT"}, mine) == {"status": "DRAFT", **mine}
    assert scopes.both(theirs, mine) == {"$and": [theirs, mine]}


def test_every_command_has_a_rule() -> None:
    assert COMMANDS | set(Read) == set(RULES)


def test_authorize_answers_by_the_rule_table() -> None:
    assert authorize(CLIENT, commands.SubmitSow) is CLIENT
    with pytest.raises(Forbidden, match="a compliance may not use SubmitSow"):
        authorize(STAFF, commands.SubmitSow)
    with pytest.raises(Forbidden, match="a client may not use Csas"):
        authorize(CLIENT, Read.CSAS)
    with pytest.raises(Forbidden, match=r"^an agent may not use Sows$"):
        authorize(AGENT, Read.SOWS)
    with pytest.raises(Unauthenticated):
        authorize(None, Read.VIEWER)
    assert {role for role in Role if role in RULES[commands.SignCsa]} == {Role.AGENT}


def test_a_new_sows_client() -> None:
    assert client_of_new_sow(CLIENT, None) == CLIENT_ID
    assert client_of_new_sow(CLIENT, CLIENT_ID) == CLIENT_ID
    assert client_of_new_sow(STAFF, CLIENT_ID) == CLIENT_ID
    with pytest.raises(Forbidden):
        client_of_new_sow(CLIENT, "65f0000000000000000000c2")
    with pytest.raises(BadUserInput):
        client_of_new_sow(STAFF, None)


def test_whose_folder_is_opened() -> None:
    assert folder_owner(AGENT, None) == AGENT_ID
    assert folder_owner(AGENT, AGENT_ID) == AGENT_ID
    assert folder_owner(STAFF, AGENT_ID) == AGENT_ID
    with pytest.raises(Forbidden):
        folder_owner(AGENT, "65f0000000000000000000a2")
    with pytest.raises(BadUserInput):
        folder_owner(STAFF, None)

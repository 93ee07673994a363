"""Every command the domain declares is handled by the one registry, and every mutation
builds one: no mutation dispatches by its field's name. No server."""

from __future__ import annotations

from api.app import schema_for
from api.settings import Settings
from resolvers.commands import HANDLERS
from schema.access import Allowed
from tests.domain_builders import COMMANDS

SCHEMA = schema_for(Settings.model_construct())


def test_every_command_has_one_handler() -> None:
    assert set(HANDLERS) == COMMANDS


def test_every_mutation_is_guarded_by_the_command_it_builds() -> None:
    mutation = SCHEMA.get_type_by_name("Mutation")
    assert mutation is not None
    guarded = {
        permission.operation
        for field in getattr(mutation, "fields", ())
        for permission in field.permission_classes
        if issubclass(permission, Allowed)
    }
    assert guarded == COMMANDS

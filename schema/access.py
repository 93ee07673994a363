"""Applies `domain.access.RULES` to every guarded field: the one place roles are checked."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from domain.access import authorize
from domain.party import Viewer
from resolvers.context import Context


class Allowed(BasePermission):
    """Looks the field up as `Type.field` in the rule table; unlisted fields are refused."""

    message = "not allowed"

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        if info.context.auth_error is not None:
            raise info.context.auth_error
        authorize(info.context.viewer, f"{info.path.typename}.{info.field_name}")
        return True


GUARDED: list[type[BasePermission]] = [Allowed]


def viewer_of(info: Info[Context, Any]) -> Viewer:
    """The authenticated viewer of a field that `Allowed` already let through."""
    viewer = info.context.viewer
    assert viewer is not None
    return viewer

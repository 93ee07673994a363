"""Guards GraphQL fields with `domain.access`: each field names the operation it runs."""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission
from strawberry.types import Info

from domain.access import Operation, authorize, name
from domain.party import Viewer
from resolvers.context import Context


class Allowed(BasePermission):
    """Lets through the viewers whose role `domain.access.RULES` allows `operation`."""

    operation: ClassVar[Operation]
    message = "not allowed"

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        if info.context.auth_error is not None:
            raise info.context.auth_error
        authorize(info.context.viewer, self.operation)
        return True


def allowed(operation: Operation) -> list[type[BasePermission]]:
    """The `permission_classes` of a field that runs `operation`."""
    return [type(f"Allowed{name(operation)}", (Allowed,), {"operation": operation})]


def viewer_of(info: Info[Context, Any]) -> Viewer:
    """The authenticated viewer of a field that its guard already let through."""
    viewer = info.context.viewer
    assert viewer is not None
    return viewer

"""The errors a caller can act on, each with the `extensions.code` DESIGN.md fixes."""

from __future__ import annotations

from typing import ClassVar


def a_or_an(noun: str) -> str:
    """`noun` after its indefinite article, as messages say it: "an agent", "a Sow"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


class DomainError(Exception):
    """An expected refusal. `code` becomes the GraphQL error's `extensions.code`."""

    code: ClassVar[str] = "BAD_USER_INPUT"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, object] = {
            key: value for key, value in extensions.items() if value is not None
        }


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    """Also the answer for a document outside the viewer's scope: its existence is not told."""

    code = "NOT_FOUND"

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id} not found", kind=kind, id=id)


class BadUserInput(DomainError):
    """Invalid input; `field` is the path of the offending argument, e.g. `terms.pricing.rate`."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, field: str | None = None, **extensions: object) -> None:
        super().__init__(message, field=field, **extensions)
        self.field = field


class Conflict(DomainError):
    """`expectedVersion` is not the document's current version."""

    code = "CONFLICT"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"expectedVersion {expected} is stale: the current version is {actual}",
            expectedVersion=expected,
            currentVersion=actual,
        )


class PeriodClosed(DomainError):
    """Interval data or a close for an SLA period whose statement is already frozen."""

    code = "CONFLICT"

    def __init__(self, period: str, field: str | None = None) -> None:
        where = f"{field}: " if field else ""
        super().__init__(
            f"{where}the period {period} is closed: its statement is frozen",
            field=field,
            period=period,
        )


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"

    def __init__(self, from_status: str, to_status: str, detail: str | None = None) -> None:
        if from_status == to_status:
            message = f"not allowed while {from_status}"
        else:
            message = f"cannot go from {from_status} to {to_status}"
        super().__init__(
            f"{message}: {detail}" if detail else message,
            **{"from": from_status, "to": to_status},
        )


class QueryTooComplex(DomainError):
    """An operation over one of the service's limits (`limit`: "pageSize", "depth", ...)."""

    code = "QUERY_TOO_COMPLEX"

    def __init__(self, message: str, limit: str, maximum: int, **extensions: object) -> None:
        super().__init__(message, limit=limit, maximum=maximum, **extensions)


class ConcurrencyLimited(DomainError):
    """The subject holds as many connections or subscriptions (`limit`) as it may, counted
    across every process of the service; `retry_after`: seconds after which a place still
    counted is one really held (the caller's own, unless it closes one)."""

    code = "CONCURRENCY_LIMITED"

    def __init__(self, limit: str, maximum: int, retry_after: int) -> None:
        super().__init__(
            f"at most {maximum} {limit} open at once per user: close one first",
            limit=limit,
            maximum=maximum,
            retryAfter=retry_after,
        )
        self.retry_after = retry_after


class SubscriberTooSlow(DomainError):
    """A subscription fell a full queue behind; resubscribe with `after` = `cursor`."""

    code = "SUBSCRIBER_TOO_SLOW"

    def __init__(self, cursor: str | None, queue_size: int) -> None:
        super().__init__(
            f"more than {queue_size} events waited for this subscriber; "
            "subscribe again with `after` set to the last cursor received",
            cursor=cursor,
        )

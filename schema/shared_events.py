"""Each live subscription event is executed once per group of alike subscriptions.

Subscribers of one process receive the very same event object from the hub. Subscriptions
with the same document, operation, variables and viewer scope would all compute the same
result for it, so the first one to execute it stores the result and the others reuse it:
per event and group one GraphQL execution, per subscriber a dictionary lookup (and the
transport's own serialization of the frame).
"""

from __future__ import annotations

import inspect
import json
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from typing import Any, cast

from graphql import ExecutionResult, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domain.events import Event

# Results kept: enough for every group of a burst of events; a miss only costs a re-execution.
MAX_RESULTS = 4096


class EventResults:
    """The shared results, each kept with its event so that `id(event)` cannot be reused."""

    def __init__(self, size: int = MAX_RESULTS) -> None:
        self._size = size
        self._results: OrderedDict[Hashable, tuple[Event, ExecutionResult]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, event: Event) -> ExecutionResult | None:
        found = self._results.get(key)
        if found is None or found[0] is not event:
            self.misses += 1
            return None
        self.hits += 1
        return found[1]

    def put(self, key: Hashable, event: Event, result: ExecutionResult) -> None:
        if result.errors:
            return  # errors are per subscriber (and mutated when coded): never shared
        self._results[key] = (event, result)
        if len(self._results) > self._size:
            self._results.popitem(last=False)


RESULTS = EventResults()


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, reusing a subscription event's result within its group."""

    def build_per_event_executor(self, payload: Any) -> Any:
        # graphql-core copies the executor for every event and subscriber; a member of a
        # group whose result is already there needs no copy, only that result.
        key = self._group(payload)
        shared = None if key is None else RESULTS.get(key, cast(Event, payload))
        if shared is not None:
            return _Executed(shared)
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        event = self.root_value
        key = self._group(event)
        if key is None:
            return super().execute_operation(serially)
        # Built by `build_per_event_executor` after a miss: the group's first execution.
        # A subscription event never executes incrementally (no @defer/@stream here).
        result = cast(
            "ExecutionResult | Awaitable[ExecutionResult]", super().execute_operation(serially)
        )
        if inspect.isawaitable(result):
            return _stored(key, event, result)
        RESULTS.put(key, event, result)
        return result

    def _group(self, event: object) -> Hashable | None:
        if not isinstance(event, Event):
            return None
        try:
            alike: Hashable | None = self.__dict__["_alike"]
        except KeyError:
            # Computed once per subscription, on the executor the per-event ones copy.
            alike = self.__dict__["_alike"] = self._alike()
        return None if alike is None else (id(event), alike)

    def _alike(self) -> Hashable | None:
        """What subscriptions computing the same result for an event have in common."""
        if self.operation.operation is not OperationType.SUBSCRIPTION:
            return None
        viewer = getattr(self.context_value, "viewer", None)
        source = self.operation.loc.source.body if self.operation.loc else None
        if viewer is None or source is None:
            return None
        variables = json.dumps(self.variable_values.coerced, sort_keys=True, default=str)
        name = self.operation.name.value if self.operation.name else None
        scope = (viewer.role, viewer.client_id, viewer.agent_id)
        return (source, name, variables, scope)


class _Executed:
    """Stands for a per-event executor whose result is already known."""

    __slots__ = ("_result",)

    def __init__(self, result: ExecutionResult) -> None:
        self._result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self._result


async def _stored(key: Hashable, event: Event, pending: Awaitable[ExecutionResult]) -> Any:
    result = await pending
    RESULTS.put(key, event, result)
    return result

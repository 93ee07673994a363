"""Live subscription events: executed once per group of alike subscriptions, sent directly.

Subscribers of one process receive the very same event object from the hub. Subscriptions
with the same document, operation, variables and viewer scope would all compute the same
result for it, so the first one to render it keeps the result's JSON and the others reuse
it: per event and group one GraphQL execution and one serialization.

The transport runs each operation in its own task and puts a `LiveOperation` in that
task's context (`LIVE`); the subscription's executor registers itself there when graphql-core
builds it, and the field's resolver turns both into the hub's `direct` hand-off. A live
event then goes from the hub to the connection in the hub's own loop, without waking the
subscription's task nor running Strawberry's per-operation result stream, whose
per-event extension hooks (`get_results`, `on_stream_result`) the schema's extensions do
not implement. An event that cannot be rendered so (its result has errors, or its
execution is asynchronous) is declined, and the subscription's task delivers it the
usual way.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domain.events import Event
from domain.scope import Scope
from storage.event_hub import Delivery, DirectDelivery

log = logging.getLogger("contracts.events")

# Renderings kept: enough for every group of a burst of events; a miss only costs a
# re-execution.
MAX_RENDERED = 4096

# Takes the JSON of a `next` payload's `data` and the number of the operation's frames
# that may wait; False when that many already wait.
Offer = Callable[[str, int], bool]


@dataclass(eq=False)
class LiveOperation:
    """What the transport offers the operation running in the current task."""

    offer: Offer
    executor: SharedEventExecution | None = None


LIVE: ContextVar[LiveOperation | None] = ContextVar("live_operation", default=None)


# A declined rendering: no JSON text is empty.
DECLINED = ""


class RenderedEvents:
    """Each group's JSON of an event, kept with the event so that `id(event)` cannot be
    reused while cached."""

    def __init__(self, size: int = MAX_RENDERED) -> None:
        self._size = size
        self._texts: OrderedDict[Hashable, tuple[Event, str]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, event: Event) -> str | None:
        """The JSON (or DECLINED) of the group `key` for `event`; None when not rendered."""
        found = self._texts.get(key)
        if found is None or found[0] is not event:
            self.misses += 1
            return None
        self.hits += 1
        return found[1]

    def put(self, key: Hashable, event: Event, text: str) -> None:
        self._texts[key] = (event, text)
        if len(self._texts) > self._size:
            self._texts.popitem(last=False)


RENDERED = RenderedEvents()
_RUNNING: set[asyncio.Future[Any]] = set()


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor; a subscription's renders its live events for its group."""

    # What subscriptions computing the same result for an event have in common (None:
    # nothing to share with).
    alike: Hashable | None = None

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        built = super().build(*args, **kwargs)
        live = LIVE.get()
        if (
            live is not None
            and isinstance(built, cls)
            and built.operation.operation is OperationType.SUBSCRIPTION
        ):
            # At subscribe time: on the first event, thousands of these at once were a
            # third of its delivery.
            built.alike = built._group()
            live.executor = built
        return built

    def render(self, event: Event) -> str | None:
        """The JSON of this subscription's `data` for `event`; None when declined."""
        if self.alike is None:
            return None
        key = (id(event), self.alike)
        text = RENDERED.get(key, event)
        if text is None:
            try:
                text = self._execute(event)
            except Exception:
                # Once per group, not per member: each member's task delivers it instead.
                log.exception("event %s not rendered for its group", event.id)
                text = DECLINED
            RENDERED.put(key, event, text)
        return text or None

    def _execute(self, event: Event) -> str:
        result = self.build_per_event_executor(event).execute_operation(False)
        if inspect.isawaitable(result):
            # Run to its end all the same (abandoned, its resolvers' coroutines would
            # never be awaited); each subscriber's task executes the event instead.
            running = asyncio.ensure_future(result)
            _RUNNING.add(running)
            running.add_done_callback(_RUNNING.discard)
        elif isinstance(result, ExecutionResult) and not result.errors:
            # Errors are per subscriber (coded and masked for each): never shared.
            return json.dumps(result.data)
        return DECLINED

    def _group(self) -> Hashable | None:
        viewer = getattr(self.context_value, "viewer", None)
        source = self.operation.loc.source.body if self.operation.loc else None
        if viewer is None or source is None:
            return None
        fragments = (details.definition for details in self.fragments.values())
        rendering = _rendering_variables(self.operation, fragments)
        coerced = self.variable_values.coerced
        variables = json.dumps(
            {name: value for name, value in coerced.items() if name in rendering},
            sort_keys=True,
            default=str,
        )
        name = self.operation.name.value if self.operation.name else None
        # What the viewer may see decides what a result holds; nothing else of it does.
        return (source, name, variables, Scope.of(viewer))


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: Counter[str] = Counter()

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.names[node.name.value] += 1


def _variables(*nodes: Node) -> Counter[str]:
    found = _Variables()
    for node in nodes:
        visit(node, found)
    return found.names


def _rendering_variables(
    operation: OperationDefinitionNode, fragments: Iterable[FragmentDefinitionNode]
) -> set[str]:
    """The variables an event's result can depend on: every one the operation uses but
    those used only in its root field's arguments (`entityId`, `after`), which choose the
    events, not how each is rendered. Subscriptions resumed from different cursors stay
    one group."""
    used = _variables(
        operation.selection_set,
        *(operation.directives or ()),
        *(fragment.selection_set for fragment in fragments),
    )
    roots = [node for node in operation.selection_set.selections if isinstance(node, FieldNode)]
    choosing = _variables(*(argument for root in roots for argument in root.arguments or ()))
    return {name for name, uses in used.items() if uses > choosing[name]}


@dataclass(frozen=True, eq=False)
class GroupDelivery:
    """A live event's direct delivery: rendered once for the group, framed and offered to
    the subscriber's connection."""

    render: Callable[[Event], str | None]
    offer: Offer

    def __call__(self, event: Event, room: int) -> Delivery:
        text = self.render(event)
        if text is None:
            return Delivery.DECLINED
        return Delivery.TAKEN if self.offer(text, room) else Delivery.FULL


def direct_delivery() -> DirectDelivery | None:
    """The current operation's direct delivery of live events to its connection, if any."""
    live = LIVE.get()
    if live is None or live.executor is None:
        return None
    return GroupDelivery(live.executor.render, live.offer)

"""Live subscription events: executed once per group of alike subscriptions.

Subscribers of one process receive the very same event object from the hub. Subscriptions
with the same document, operation, variables and viewer scope would all compute the same
result for it, so the first one to render it keeps the result's JSON and the others reuse
it: per event and group one GraphQL execution and one serialization.

The transport runs each operation with a context of its own holding the operation's
`live.delivery.LiveOperation`; a subscription's executor completes it with its `render`
when graphql-core builds it, and the hub's direct delivery then takes a live event from the
hub to the connection in the hub's own loop, without waking the subscription's task nor
running Strawberry's per-operation result stream, whose per-event extension hooks
(`get_results`, `on_stream_result`) the schema's extensions do not implement. An event
that cannot be rendered so (its result has errors, or its execution is asynchronous) is
declined, and the subscription's task delivers it the usual way.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import Counter
from collections.abc import Hashable, Iterable
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

from domain.events import Event
from domain.party import Viewer
from domain.scope import Scope
from live import Live
from live.delivery import DECLINED, LiveOperation, Rendered
from schema.event import ContractEvent
from schema.text_inputs import TextChecked

log = logging.getLogger("contracts.events")


class SharedEventExecution(TextChecked):
    """graphql-core's executor; a subscription's renders its live events for its group."""

    # What subscriptions computing the same result for an event have in common (None:
    # nothing to share with), and where the group's renderings are kept.
    alike: Hashable | None = None
    rendered: Rendered | None = None

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        built = super().build(*args, **kwargs)
        if isinstance(built, cls) and built.operation.operation is OperationType.SUBSCRIPTION:
            built._join(built.context_value)
        return built

    def _join(self, context: object) -> None:
        """Offer this subscription's renderings to the operation the transport runs (a
        `resolvers.context.Context`, read by the attributes used)."""
        operation: LiveOperation | None = getattr(context, "operation", None)
        live: Live | None = getattr(context, "live", None)
        viewer: Viewer | None = getattr(context, "viewer", None)
        if operation is None or live is None or viewer is None:
            return
        # At subscribe time: on the first event, thousands of these at once were a third of
        # its delivery.
        self.alike = self._group(viewer)
        self.rendered = live.rendered
        operation.render = self.render

    def render(self, event: Event) -> str | None:
        """The JSON of this subscription's `data` for `event`; None when declined."""
        if self.alike is None or self.rendered is None:
            return None
        key = (id(event), self.alike)
        text = self.rendered.get(key, event)
        if text is None:
            try:
                text = self._execute(event)
            except Exception:
                # Once per group, not per member: each member's task delivers it instead.
                log.exception("event %s not rendered for its group", event.id)
                text = DECLINED
            self.rendered.put(key, event, text)
        return text or None

    def _execute(self, event: Event) -> str:
        result = self.build_per_event_executor(ContractEvent.from_domain(event)).execute_operation(
            False
        )
        if inspect.isawaitable(result):
            # Run to its end all the same (abandoned, its resolvers' coroutines would
            # never be awaited); each subscriber's task executes the event instead.
            assert self.rendered is not None
            self.rendered.finish(asyncio.ensure_future(result))
        elif isinstance(result, ExecutionResult) and not result.errors:
            # Errors are per subscriber (coded and masked for each): never shared.
            return json.dumps(result.data)
        return DECLINED

    def _group(self, viewer: Viewer) -> Hashable | None:
        source = self.operation.loc.source.body if self.operation.loc else None
        if source is None:
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

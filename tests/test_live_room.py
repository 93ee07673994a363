"""The live room keeps no state of its own: what a process holds of live events is the
`Live` its lifespan makes and hands on. No server."""

from __future__ import annotations

import importlib
import pkgutil
from collections import deque
from contextvars import ContextVar

import live
from live import Live
from live.delivery import LiveOperation, Rendered
from live.hub import EventHub, Subscriber

STATEFUL = (list, dict, set, deque, ContextVar, Live, EventHub, Subscriber, Rendered, LiveOperation)


def test_no_module_of_live_holds_state() -> None:
    modules = [
        live,
        *(importlib.import_module(m.name) for m in pkgutil.iter_modules(live.__path__, "live.")),
    ]
    for module in modules:
        for name, value in vars(module).items():
            if not name.startswith("__"):
                assert not isinstance(value, STATEFUL), f"{module.__name__}.{name}"

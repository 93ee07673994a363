"""Structured logs: one JSON object per line, each with the request id in force."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access_log = logging.getLogger("contracts.access")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Every line to stdout, JSON or text; `pid` tells the workers of `WORKERS > 1` apart.
    Run by each serving process (api/main.py), and by `contracts serve` for its own lines."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{process}{message}{request_id}",
                style="{",
                datefmt="%Y-%m-%dT%H:%M:%S%z",
                rename_fields={
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                    "process": "pid",
                },
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s %(process)d [%(request_id)s] %(message)s"
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = name != "uvicorn.access"


class RequestIdMiddleware:
    """Takes `X-Request-ID` or makes one, returns it, and logs one access line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:128]
        rid = given if given.isprintable() and given else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        # A WebSocket's messages carry no headers: its sends go straight through (thousands
        # of subscribers each get every event; an extra await each is not free).
        wrapped = send if scope["type"] == "websocket" else send_with_id
        try:
            await self.app(scope, receive, wrapped)
        except Exception:
            # Starlette's ServerErrorMiddleware, outside this one, turns it into a 500.
            if status == 0 and scope["type"] == "http":
                status = 500
            raise
        finally:
            access_log.info(
                "%s %s",
                scope.get("method", "WS"),
                scope["path"],
                extra={
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id.reset(token)

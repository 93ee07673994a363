"""The GraphQL endpoint over HTTP and WebSocket (`graphql-transport-ws` only).

Every HTTP answer is GraphQL JSON: a request Strawberry cannot take (not JSON, not UTF-8,
not an object, nested past the parser, a subscription, a multipart body its parser refuses or
whose `map` does not fit `operations`) is a 400 with `BAD_USER_INPUT`, a mutation by GET a
405, not its plain-text reason or a 500. With `Accept:
application/graphql-response+json`, results have that media type and the GraphQL over HTTP
spec's status codes: a request error (no `data`) is a 400, a field error a 200.

Both methods take Apollo's automatic persisted queries (api/persisted_queries.py), and every
answer leaves with its caching headers (api/http_cache.py).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NoReturn

# Strawberry's view raises cross_web's HTTPException for requests it cannot take.
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from pymongo.errors import PyMongoError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.auth import TokenVerifier, bearer_token
from api.graphiql import page
from api.graphql_ws import handler_class
from api.http_cache import cached
from api.http_rate_limit import rate_limited
from api.multipart import map_error
from api.persisted_queries import NOT_FOUND_MESSAGE, PersistedQueries, PersistedQueryNotFound
from api.rate_limit import RateLimiter, exceeded, rate_key
from api.responses import GRAPHQL_RESPONSE, JSON, graphql_error_response, media_type
from domain.errors import ConcurrencyLimited, Unauthenticated
from live import Live
from resolvers.context import Context, Limits, utc_now
from schema.error_codes import ErrorCode
from schema.errors import unselected_operation
from schema.limits import too_complex
from storage.leases import RETRY_AFTER_SECONDS, Held
from storage.store import Store

log = logging.getLogger("contracts")

# Subscriptions are served over WebSocket only: Strawberry would also take them by GET and
# POST (for its multipart and SSE transports, not configured here) and then run the
# subscription's resolver as a query's, which fails internally.
HTTP_OPERATIONS = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}

# The message of Strawberry's refusal of one operation too many on a WebSocket.
SUBSCRIPTION_LIMIT = "Subscription limit reached"

LEGACY_REFUSAL = "graphql-ws is not supported: use the graphql-transport-ws subprotocol"

# A JSON escape of a UTF-16 surrogate, `\ud800` to `\udfff`.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

# graphql-core's " Did you mean 'a', 'b', or 'c'?" in all its forms ("... the enum value
# 'X'?", "... to use an inline fragment on 'T'?", "... 'viewer { ... }'?"), wherever it sits
# in a message: up to the first `?` outside quotes, whatever is quoted, or to the message's
# end. Strawberry offers no switch for it (graphql-core's `hide_suggestions` is not passed
# through).
_SUGGESTION = re.compile(r" ?Did you mean\b(?:'[^']*'|[^?])*?(?:\?|$)")


# The codes of the HTTP refusals that are not bad input.
_HTTP_CODES = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}


class _Malformed(HTTPException):
    """A malformed request's 400 that names the part of the request at fault."""

    def __init__(self, reason: str, field: str) -> None:
        super().__init__(400, reason)
        self.field = field


def _request_error(result: ExecutionResult) -> bool:
    """No data and no error of a field: the document or its variables were refused."""
    errors = result.errors or ()
    return bool(errors) and result.data is None and all(error.path is None for error in errors)


def _hide_suggestions(errors: object) -> None:
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                error["message"] = _SUGGESTION.sub("", error["message"])


class _LegacyProtocolRefused(BaseGraphQLWSHandler[Context, None]):
    """The legacy `graphql-ws` subprotocol (subscriptions-transport-ws), negotiated only to
    be refused with a reason: a browser fails a handshake that selects none of the
    subprotocols it offered, and its client then sees 1006 and no reason at all."""

    async def handle(self) -> None:
        await self.websocket.close(4406, LEGACY_REFUSAL)


class ContractContext(Context):
    """The resolvers' context plus what the WebSocket handshake carries."""

    connection_params: dict[str, Any] | None = None
    # The connection's place among its subject's `connections_per_subject` (its lease).
    lease: str | None = None
    # Why `connection_init` was refused, when not for its token: (close code, reason).
    refusal: tuple[int, str] | None = None


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        store: Store,
        clock: Callable[[], datetime],
        verifier: TokenVerifier,
        limits: Limits,
        graphiql: bool,
        keep_alive_seconds: float,
        live: Live,
        subscriptions_per_connection: int,
        connections_per_subject: int = 50,
        rate_limiter: RateLimiter | None = None,
        suggestions: bool = True,
        persisted_queries: PersistedQueries,
        cache_max_age_seconds: int = 0,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=subscriptions_per_connection,
            # uploadAgentDocument. Safe from cross-site requests: a browser form can post
            # multipart, but not with the bearer token every operation needs.
            multipart_uploads_enabled=True,
        )
        self.graphql_transport_ws_handler_class = handler_class(keep_alive_seconds)
        self.graphql_ws_handler_class = _LegacyProtocolRefused
        self.live = live
        self.store = store
        self.clock = clock
        self.verifier = verifier
        self.limits = limits
        self.rate_limiter = rate_limiter
        # Acknowledged WebSockets per token subject, across every process (leases).
        self.connections_per_subject = connections_per_subject
        # Off with introspection: "Did you mean 'sow'?" would tell the schema piece by piece.
        self.suggestions = suggestions
        self.persisted_queries = persisted_queries
        self.cache_max_age_seconds = cache_max_age_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        request.state.media_type = media_type(request.headers.get("accept"))
        request.state.status = None
        # Set by process_result: a GET query's result with no error.
        request.state.cacheable = False
        await self._authenticate(request)
        response = await rate_limited(self.rate_limiter, request, request.state.viewer)
        if response is None:
            try:
                response = await self.run(request)
            except HTTPException as exc:
                response = self._refusal(request, exc)
            except PersistedQueryNotFound:
                # A 200 even for graphql-response+json: Apollo Client takes a 400 for
                # "persisted queries not supported" and stops sending hashes.
                response = graphql_error_response(
                    200,
                    NOT_FOUND_MESSAGE,
                    ErrorCode.PERSISTED_QUERY_NOT_FOUND,
                    accept=request.headers.get("accept"),
                )
            else:
                self._negotiated(request, response)
            finally:
                # A multipart request's files are spooled to temporary files: gone now.
                await request.close()
        response = cached(
            request,
            response,
            cacheable=request.state.cacheable,
            max_age=self.cache_max_age_seconds,
        )
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET with a persisted query's hash and no query is an operation, not the IDE.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    @staticmethod
    def _refusal(request: Request, exc: HTTPException) -> Response:
        headers = {}
        extensions = {"field": exc.field} if isinstance(exc, _Malformed) else {}
        if exc.status_code == 405:
            # A mutation by GET (GraphQL over HTTP: 405), or another method than GET and POST.
            headers["Allow"] = "POST" if request.method == "GET" else "GET, POST"
        return graphql_error_response(
            exc.status_code,
            exc.reason,
            _HTTP_CODES.get(exc.status_code, ErrorCode.BAD_USER_INPUT),
            accept=request.headers.get("accept"),
            headers=headers,
            **extensions,
        )

    @staticmethod
    def _negotiated(request: Request, response: Response) -> None:
        """A GraphQL result in the media type asked for, with the spec's status for it."""
        if request.state.media_type != GRAPHQL_RESPONSE:
            return  # application/json: 200 for every GraphQL result, as the spec advises
        if response.headers.get("content-type", "").startswith(JSON):
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if request.state.status is not None:
                response.status_code = request.state.status

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        request.state.cacheable = request.method == "GET" and not result.errors
        if request.state.media_type == GRAPHQL_RESPONSE and _request_error(result):
            # The spec's request error: no `data` at all, and a 400.
            body.pop("data", None)
            request.state.status = 400
        return body

    async def pick_websocket_subprotocol(self, request: WebSocket) -> str | None:
        # graphql-transport-ws whenever offered; else the legacy one, to refuse it clearly.
        offered = request.scope.get("subprotocols", [])
        for protocol in (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL):
            if protocol in offered:
                return protocol
        return None

    def decode_json(self, data: str | bytes) -> object:
        # Both transports: what json.loads raises besides JSONDecodeError (bytes that are
        # not UTF-8, nesting past the C parser's recursion limit, an integer past Python's
        # digits) would escape Strawberry's handling as a 500, or end a WebSocket without a
        # close code.
        try:
            # JSON text is UTF-8 (RFC 8259); json.loads would also guess UTF-16 and -32.
            text = data.decode() if isinstance(data, bytes) else data
            value = json.loads(text)
            if _SURROGATE_ESCAPE.search(text):
                # `"\ud800"` alone decodes to a lone surrogate, which no encoder takes
                # (BSON, UTF-8): refused here rather than failing in storage. Escaped
                # pairs (an emoji) encode, and the common body has no such escape at all.
                json.dumps(value, ensure_ascii=False).encode()
        except json.JSONDecodeError:
            raise  # a ValueError too, which the last clause would rename
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"not UTF-8 ({exc.reason})", "", exc.start) from None
        except UnicodeEncodeError:
            raise json.JSONDecodeError("a string holds a lone surrogate", "", 0) from None
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "", 0) from None
        except ValueError:
            # An integer past `sys.get_int_max_str_digits()` (4,300 digits by default).
            raise json.JSONDecodeError("a number has too many digits", "", 0) from None
        return value

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        # Strawberry's, but every malformed body a 400: Starlette's multipart parser refuses
        # with a plain-text HTTPException of its own, and Strawberry follows any `map`.
        try:
            form = (await request.get_form_data()).form
        except StarletteHTTPException as exc:
            raise HTTPException(400, f"Unable to parse the multipart body: {exc.detail}") from None
        operations, files_map = (self._form_json(form, name) for name in ("operations", "map"))
        if not isinstance(operations, dict):
            # A batch too: like a JSON body's, refused.
            reason = "`operations` must be a JSON object: one GraphQL operation"
            raise _Malformed(reason, "operations")
        if problem := map_error(operations, files_map, form):
            raise _Malformed(problem, "map")
        result: dict[str, str] = replace_placeholders_with_files(operations, files_map, form)
        return result

    def _form_json(self, form: Mapping[str, str | UploadFile], name: str) -> Any:
        value = form.get(name, "{}")
        if isinstance(value, UploadFile):
            raise _Malformed(f"`{name}` must be a text part, not a file", name)
        try:
            return self.decode_json(value)
        except json.JSONDecodeError as exc:
            raise _Malformed(f"`{name}` is not JSON: {exc.msg}", name) from None

    def parse_json(self, data: str | bytes) -> Any:
        # HTTP only (bodies, `variables` and `extensions` parameters): each must be an
        # object, or a list for a batch; Strawberry would call `.get` on `42` or `null`.
        value = super().parse_json(data)
        if not isinstance(value, dict | list):
            raise HTTPException(400, "Expected a JSON object: one GraphQL operation")
        return value

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Strawberry's own, but with HTTP_OPERATIONS for the allowed operation types, and
        # persisted queries (api/persisted_queries.py).
        allowed = HTTP_OPERATIONS.get(request_adapter.method, frozenset())
        query, registration = await self.persisted_queries.resolve(
            request_data.query, request_data.extensions
        )
        try:
            result = await self.schema.execute(
                query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError:
            # A request error as a validation error is (400 / 200 by media type), not a
            # refusal before GraphQL runs: the request itself was well-formed.
            error = unselected_operation(request_data.operation_name)
            return ExecutionResult(data=None, errors=[error])
        except InvalidOperationTypeError as exc:
            reason = exc.as_http_error_reason(request_adapter.method)
            if exc.operation_type is OperationType.SUBSCRIPTION:
                reason += ": subscribe over WebSocket (graphql-transport-ws)"
            elif exc.operation_type is OperationType.MUTATION:
                raise HTTPException(405, f"{reason}: send mutations by POST") from None
            raise HTTPException(400, reason) from None
        except MissingQueryError:
            raise HTTPException(400, "No GraphQL query found in the request") from None
        if registration is not None and context.viewer is not None and not _request_error(result):
            await self.persisted_queries.register(registration)
        return result

    def encode_json(self, data: object) -> str | bytes:
        # Every reply of both transports but live events (which carry no such error)
        # passes here: HTTP bodies, and WebSocket `next` and `error` messages.
        if isinstance(data, dict) and data.get("type") == "error":
            self._code_subscription_limit(data.get("payload"))
        if not self.suggestions and isinstance(data, dict):
            _hide_suggestions(data.get("errors"))
            payload = data.get("payload")
            _hide_suggestions(payload)
            if isinstance(payload, dict):
                _hide_suggestions(payload.get("errors"))
        return super().encode_json(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's page loads React and GraphiQL from a CDN; this one from the service.
        return HTMLResponse(page(request.url.path), headers={"Cache-Control": "no-cache"})

    def _code_subscription_limit(self, errors: object) -> None:
        # Strawberry's handler refuses an operation over the connection's limit with an
        # error of its own making, which no schema hook sees.
        for error in errors if isinstance(errors, list) else ():
            if isinstance(error, dict) and error.get("message") == SUBSCRIPTION_LIMIT:
                error["extensions"] = too_complex(
                    "subscriptions", self.max_subscriptions_per_connection or 0
                )

    async def _authenticate(self, request: Request) -> None:
        """Verifies the bearer token once per request, before rate limiting needs the subject."""
        request.state.viewer = None
        request.state.auth_error = None
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                request.state.viewer = await self.verifier.verify(token)
        except Unauthenticated as exc:
            # Answered by the first guarded field, as a GraphQL error with its code.
            request.state.auth_error = exc

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = ContractContext(
            store=self.store, viewer=None, limits=self.limits, clock=self.clock, live=self.live
        )
        if isinstance(request, Request):
            context.viewer = request.state.viewer
            context.auth_error = request.state.auth_error
        return context

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = getattr(context, "connection_params", None) or {}
        token = params.get("token") or params.get("authorization") or params.get("Authorization")
        try:
            if not isinstance(token, str):
                raise Unauthenticated("connection_init needs a token")
            viewer = await self.verifier.verify(token.removeprefix("Bearer ").strip())
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": exc.message}) from None
        # A connection is work done for its subject (a lease taken, kept and released): it
        # draws on the budget of the subject's requests and operations.
        if self.rate_limiter and (
            wait := await self.rate_limiter.acquire(rate_key(viewer.subject))
        ):
            _refuse(context, ErrorCode.RATE_LIMITED.name, wait, exceeded(wait))
        # The handler releases it at its end (api.graphql_ws).
        maximum = self.connections_per_subject
        try:
            lease = await self.store.leases.take(
                viewer.subject, Held.CONNECTION, maximum, utc_now()
            )
        except PyMongoError as error:
            # Open rather than closed, as the rate limiter: the connection's operations
            # meet the database's trouble themselves.
            log.warning("connection of %s not counted: %r", viewer.subject, error)
            context.viewer = viewer
            return None
        if lease is None:
            limited = ConcurrencyLimited("connections", maximum, RETRY_AFTER_SECONDS)
            _refuse(context, limited.code, limited.retry_after, limited.message)
        if isinstance(context, ContractContext):
            context.lease = lease
        context.viewer = viewer
        return None


def _refuse(context: Context, code: str, retry_after: int, message: str) -> NoReturn:
    """Refuses `connection_init` with 4403 and a reason naming the code and the wait: a
    close has no extensions, so they lead the reason in a form read without the message."""
    if isinstance(context, ContractContext):
        context.refusal = (4403, f"{code} retryAfter={retry_after}: {message}")
    raise ConnectionRejectionError({"message": message})

"""The HTTP face of the pool: AWS JSON 1.1 on ``POST /``, the JWKS, health and test controls.

Every answer to ``POST /`` is Cognito-shaped: 200 with JSON, or an error with ``__type`` and
``message`` in the body and ``x-amzn-ErrorType`` (trailing colon), ``x-amzn-ErrorMessage`` and
``x-amzn-RequestId`` headers. Malformed JSON, unknown targets, unsigned admin calls, oversized
bodies and handler bugs all become such errors, never HTML or a bare 500.

Order per request: stall -> target -> body -> signature -> injected faults -> quotas -> handler.
A latency fault naming a domain endpoint delays it before the domain's own bulk limits.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from aiohttp.web_protocol import RequestPayloadError

from loadtest.protocol.errors import (
    CognitoError,
    InternalError,
    InvalidParameter,
    Messages,
    MissingAuthenticationToken,
    ResourceNotFound,
    Serialization,
    ServiceUnavailable,
    TooManyRequests,
    UnknownOperation,
)
from loadtest.protocol.names import CONTENT_TYPE, PUBLIC_OPERATIONS, TARGET_PREFIX, Operation
from loadtest.protocol.wire import encode_body, error_body, error_headers

from . import oauth
from .clock import OffsetClock
from .context import PoolContext
from .faults import FaultKind, FaultPlan, Stall
from .operations import HANDLERS
from .params import Params
from .quotas import Quotas
from .shared import SharedMemory

__all__ = ["InFlight", "Runtime", "build_app"]

log = logging.getLogger("loadtest.pool")

_USER_SCOPED = frozenset(HANDLERS) - {
    Operation.CREATE_USER_POOL,
    Operation.DESCRIBE_USER_POOL,
    Operation.DELETE_USER_POOL,
    Operation.LIST_USER_POOLS,
    Operation.SET_USER_POOL_MFA_CONFIG,
    Operation.GET_USER_POOL_MFA_CONFIG,
    Operation.CREATE_USER_POOL_CLIENT,
    Operation.DESCRIBE_USER_POOL_CLIENT,
    Operation.DELETE_USER_POOL_CLIENT,
    Operation.LIST_USERS,
    Operation.CREATE_USER_POOL_DOMAIN,
    Operation.DESCRIBE_USER_POOL_DOMAIN,
    Operation.DELETE_USER_POOL_DOMAIN,
    Operation.CREATE_RESOURCE_SERVER,
    Operation.DESCRIBE_RESOURCE_SERVER,
    Operation.LIST_RESOURCE_SERVERS,
    Operation.DELETE_RESOURCE_SERVER,
}
_STALL_CHECKS = 1000


class InFlight:
    """A worker's admission control: load beyond what it can serve is shed, not queued.

    Two bounds, each answered at once with ``TooManyRequestsException`` (as Cognito throttles):
    ``limit`` requests being answered at once (``--max-in-flight``; they wait on the SRP
    threads), and ``max_lag`` seconds of event-loop lag (``--max-loop-lag``): CPU-bound work
    on the loop (token signing) never yields, so requests queue in front of it instead; a lagging
    loop sheds until it has caught up. 0 switches a bound off. Figures for ``GET /health``.
    """

    __slots__ = ("current", "lag", "limit", "max_lag", "peak", "shed")

    def __init__(self, limit: int, max_lag: float = 0.0) -> None:
        self.limit, self.max_lag = limit, max_lag
        self.current, self.peak, self.shed, self.lag = 0, 0, 0, 0.0

    def enter(self) -> bool:
        full = self.limit and self.current >= self.limit
        if full or (self.max_lag and self.lag > self.max_lag):
            self.shed += 1
            return False
        self.current += 1
        self.peak = max(self.peak, self.current)
        return True

    def leave(self) -> None:
        self.current -= 1

    def figures(self) -> dict[str, float]:
        return {
            "limit": self.limit,
            "max_loop_lag_s": self.max_lag,
            "current": self.current,
            "peak": self.peak,
            "shed": self.shed,
        }

    async def watch_lag(self, interval: float = 0.05) -> None:
        """Measure how late the loop wakes a timer, for as long as the worker runs."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(interval)
            self.lag = max(0.0, loop.time() - start - interval)


def _lag_watch(rt: Runtime) -> Callable[[web.Application], AsyncIterator[None]]:
    async def watch(_app: web.Application) -> AsyncIterator[None]:
        if not rt.in_flight.max_lag:
            yield
            return
        task = asyncio.create_task(rt.in_flight.watch_lag())
        yield
        task.cancel()

    return watch


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    """One worker's request-processing dependencies."""

    ctx: PoolContext
    quotas: Quotas
    faults: FaultPlan
    stalls: tuple[Stall, ...]
    shared: SharedMemory
    started: float
    test_clock: OffsetClock | None
    workers: int
    max_body: int
    #: What the pool was started with, as JSON (``GET /_pool/settings``); nothing secret.
    settings: Mapping[str, Any] = field(default_factory=dict)
    in_flight: InFlight = field(default_factory=lambda: InFlight(0))


#: CORS, so that browser SDKs (Amplify) on another origin can call the pool: preflights are
#: answered and every answer exposes the headers Amplify reads errors from.
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date",
}
_PREFLIGHT = {
    **_CORS,
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Max-Age": "86400",
}


async def _add_cors(_request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(_CORS)


def build_app(rt: Runtime) -> web.Application:
    """The aiohttp application of one worker."""
    middlewares = [_domain_latency(rt)] if rt.faults else []
    app = web.Application(client_max_size=rt.max_body + 1024, middlewares=middlewares)
    app.on_response_prepare.append(_add_cors)
    app.cleanup_ctx.append(_lag_watch(rt))
    app.router.add_route("OPTIONS", "/{tail:.*}", _preflight)
    app.router.add_post("/", _bind(_api, rt))
    app.router.add_get("/health", _bind(_health, rt))
    app.router.add_get("/{pool_id}/.well-known/jwks.json", _bind(_jwks, rt))
    app.router.add_get("/_pool/clock", _bind(_clock, rt))
    app.router.add_get("/_pool/settings", _bind(_settings, rt))
    app.router.add_get("/_pool/messages", _bind(_messages, rt))
    app.router.add_post("/_pool/clock", _bind(_advance_clock, rt))
    app.router.add_post("/_pool/stall", _bind(_stall_now, rt))
    oauth.add_routes(app, rt.ctx, rt.quotas)
    app.router.add_route("*", "/{tail:.*}", _bind(_not_found, rt))
    return app


Route = Callable[[Runtime, web.Request], Awaitable[web.StreamResponse]]


def _bind(route: Route, rt: Runtime) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await route(rt, request)

    return handler


# -- the API ------------------------------------------------------------------------------------
async def _api(rt: Runtime, request: web.Request) -> web.StreamResponse:
    request_id = str(uuid.uuid4())
    await _wait_out_stalls(rt)
    if not rt.in_flight.enter():
        # Overloaded: answer at once, as Cognito throttles, instead of queueing without bound.
        return _error(TooManyRequests(Messages.RATE_EXCEEDED), request_id)
    try:
        return await _answer(rt, request, request_id)
    finally:
        rt.in_flight.leave()


async def _answer(rt: Runtime, request: web.Request, request_id: str) -> web.StreamResponse:
    try:
        operation = _operation(request)
        body = await _body(request, rt.max_body)
        _authorize(operation, request)
        dropped = await _inject_faults(rt, operation, request)
        if dropped is not None:
            return dropped
        rt.quotas.admit(
            operation,
            _challenge(operation, body),
            _quota_user(rt, operation, body),
            _quota_pool(body),
        )
        result = await HANDLERS[operation](rt.ctx, Params(body))
    except CognitoError as error:
        response = _error(error, request_id)
        if _body_left_unread(request, rt.max_body):
            response.force_close()  # say so (Connection: close) rather than drop the next call
        return response
    except Exception:
        log.exception("unexpected error answering %s", request.headers.get("X-Amz-Target"))
        return _error(InternalError("An internal error occurred."), request_id)
    return web.Response(
        body=encode_body(result),
        headers={"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id},
    )


def _error(error: CognitoError, request_id: str) -> web.Response:
    return web.Response(
        status=error.status, body=error_body(error), headers=error_headers(error, request_id)
    )


def _operation(request: web.Request) -> Operation:
    target = request.headers.get("X-Amz-Target", "")
    prefix, _, name = target.partition(".")
    try:
        operation = Operation(name)
    except ValueError:
        operation = None
    if prefix != TARGET_PREFIX or operation is None or operation not in HANDLERS:
        shown = target[:128] or "(no X-Amz-Target header)"
        raise UnknownOperation(f"Operation {shown} is not supported by the local pool.")
    return operation


async def _body(request: web.Request, limit: int) -> Mapping[str, Any]:
    if request.content_length is not None and request.content_length > limit:
        raise InvalidParameter(f"Request body larger than {limit} bytes.")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise InvalidParameter(f"Request body larger than {limit} bytes.") from exc
    except RequestPayloadError as exc:  # e.g. a Content-Encoding the body does not match
        raise Serialization("Could not read the request body.") from exc
    if len(raw) > limit:
        raise InvalidParameter(f"Request body larger than {limit} bytes.")
    try:
        body = json.loads(raw or b"{}")
        # A lone surrogate (\ud800) parses but cannot be stored in SQLite or echoed in an
        # answer: refuse it here, once, rather than crash wherever the string ends up.
        json.dumps(body, ensure_ascii=False).encode()
    except (ValueError, RecursionError) as exc:  # RecursionError: [[[[... nested too deep
        raise Serialization("Could not parse the request body as JSON.") from exc
    if not isinstance(body, dict):
        raise Serialization(Messages.SERIALIZATION)
    return body


def _body_left_unread(request: web.Request, limit: int) -> bool:
    """Whether the connection cannot carry another request: its body was refused unread."""
    return (request.content_length or 0) > limit or request.content.exception() is not None


def _authorize(operation: Operation, request: web.Request) -> None:
    """Admin operations need a SigV4 signature (any credentials: there is no IAM here)."""
    if operation in PUBLIC_OPERATIONS:
        return
    if not request.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
        raise MissingAuthenticationToken(Messages.MISSING_AUTH_TOKEN)


def _challenge(operation: Operation, body: Mapping[str, Any]) -> str | None:
    name = body.get("ChallengeName")
    return name if isinstance(name, str) else None


def _quota_user(rt: Runtime, operation: Operation, body: Mapping[str, Any]) -> str | None:
    """A key for the per-user quota: pool and user name, from whatever the call carries."""
    if operation not in _USER_SCOPED:
        return None
    name, scope = body.get("Username"), body.get("UserPoolId") or body.get("ClientId")
    if not isinstance(name, str):
        params = body.get("AuthParameters") or body.get("ChallengeResponses")
        name = params.get("USERNAME") if isinstance(params, dict) else None
    if not isinstance(name, str):
        name, scope = _token_user(body.get("AccessToken"))
    if isinstance(name, str) and isinstance(scope, str):
        return f"{scope}/{name.lower()}"
    return None


def _quota_pool(body: Mapping[str, Any]) -> str | None:
    pool = body.get("UserPoolId")
    return pool if isinstance(pool, str) else None


def _token_user(token: object) -> tuple[str | None, str | None]:
    """The username and issuer in an access token, read without verifying (quota key only)."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None, None
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return str(claims["username"]), str(claims["iss"])
    except (ValueError, KeyError, TypeError, RecursionError):
        return None, None


# -- faults and stalls --------------------------------------------------------------------------
async def _inject_faults(
    rt: Runtime, operation: Operation, request: web.Request
) -> web.StreamResponse | None:
    if not rt.faults:
        return None
    decision = rt.faults.decide(str(operation))
    if decision.delay:
        await asyncio.sleep(decision.delay)
    if decision.outcome is FaultKind.THROTTLE:
        raise TooManyRequests(Messages.RATE_EXCEEDED)
    if decision.outcome is FaultKind.ERROR_500:
        raise InternalError("Injected fault.")
    if decision.outcome is FaultKind.ERROR_503:
        raise ServiceUnavailable("Injected fault.")
    if decision.outcome is FaultKind.DROP:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)
    return None


def _stall_remaining(rt: Runtime) -> float:
    now = time.monotonic()
    remaining = float(rt.shared.stall_until.value) - now
    since_start = now - rt.started
    for stall in rt.stalls:
        if stall.start <= since_start < stall.start + stall.duration:
            remaining = max(remaining, stall.start + stall.duration - since_start)
    return remaining


async def _wait_out_stalls(rt: Runtime) -> None:
    for _ in range(_STALL_CHECKS):
        remaining = _stall_remaining(rt)
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, 1.0))


def _domain_latency(rt: Runtime) -> Middleware:
    """Latency faults naming a domain endpoint (``latency:40s/oauth2/token``): a test holds
    managed-login users between two pages, as it holds API users between two calls."""

    @web.middleware
    async def delay(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/domain/"):  # /domain/<prefix>/<endpoint>
            seconds = rt.faults.endpoint_delay(request.path.split("/", 3)[-1])
            if seconds:
                await asyncio.sleep(seconds)
        return await handler(request)

    return delay


# -- the other routes ---------------------------------------------------------------------------
async def _preflight(request: web.Request) -> web.StreamResponse:
    """Allow what the browser asks for (a ``*`` would not cover Authorization)."""
    headers = dict(_PREFLIGHT)
    requested = request.headers.get("Access-Control-Request-Headers")
    if requested:
        headers["Access-Control-Allow-Headers"] = requested[:1024]
    return web.Response(status=200, headers=headers)


def _json(payload: Mapping[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=encode_body(payload), headers={"Content-Type": "application/json"}
    )


async def _health(rt: Runtime, request: web.Request) -> web.StreamResponse:
    return _json(
        {
            "status": "ok",
            "pid": os.getpid(),
            "workers": rt.workers,
            "in_flight": rt.in_flight.figures(),
        }
    )


async def _settings(rt: Runtime, request: web.Request) -> web.StreamResponse:
    """The pool's settings (lockout, quotas, time scale), and with ``?pool_id=`` and
    ``?client_id=`` that pool's MFA and device configuration and that client's flows; for the
    run metadata of a report. Identifiers and switches only: never a secret. (Key names avoid
    the words the report's redactor cuts: session, secret, token, otp.)"""
    found: dict[str, Any] = dict(rt.settings)
    pool = rt.ctx.store.pools.get(request.query.get("pool_id", "")[:128])
    if pool is not None:
        found["pool"] = {
            "pool_id": pool.id,
            "mfa": pool.mfa.value,
            "authenticator_app_mfa": pool.totp_enabled,
            "device_tracking": pool.device_tracking,
            "device_only_remembered_on_prompt": pool.remember_on_prompt,
        }
    client = rt.ctx.store.clients.get(request.query.get("client_id", "")[:128])
    if client is not None and (pool is None or client.pool_id == pool.id):
        found["client"] = {
            "client_id": client.id,
            "confidential": client.secret is not None,  # has a client secret
            "auth_flows": sorted(client.flows),
            "auth_flow_expiry_s": client.session_seconds,
            "prevent_user_existence_errors": client.prevent_user_existence_errors,
        }
    return _json(found)


def _from_loopback(request: web.Request) -> bool:
    """Whether the caller is on this machine (test controls answer nobody else)."""
    try:
        return ipaddress.ip_address((request.remote or "").split("%")[0]).is_loopback
    except ValueError:
        return False


async def _messages(rt: Runtime, request: web.Request) -> web.StreamResponse:
    """The local message sink (:mod:`.messages`): codes the pool would have sent, newest last;
    filtered by ``?username=`` and ``?pool_id=``. Loopback callers only: it holds codes."""
    if not _from_loopback(request):
        return _json({"message": "the message sink answers loopback callers only"}, 403)
    query = request.query
    found = rt.ctx.store.messages.find(
        pool_id=query.get("pool_id", None),
        username=query.get("username", None),
    )
    return _json({"messages": [message.to_json() for message in found]})


async def _jwks(rt: Runtime, request: web.Request) -> web.StreamResponse:
    pool_id = request.match_info["pool_id"]
    if rt.ctx.store.pools.get(pool_id) is None:
        error = ResourceNotFound(Messages.pool_not_found(pool_id[:64]))
        return _json({"message": error.message}, status=404)
    return _json(rt.ctx.tokens.jwks())


async def _clock(rt: Runtime, request: web.Request) -> web.StreamResponse:
    return _json({"now": rt.ctx.now(), "offset": float(rt.shared.clock_offset.value)})


async def _read_number(request: web.Request, name: str) -> float:
    try:
        body = json.loads(await request.read())
        value = float(body[name])
    except (ValueError, KeyError, TypeError) as exc:
        raise web.HTTPBadRequest(text=f'expected {{"{name}": <seconds>}}') from exc
    if not 0 <= value <= 10 * 365 * 86400:
        raise web.HTTPBadRequest(text=f"{name} out of range")
    return value


async def _advance_clock(rt: Runtime, request: web.Request) -> web.StreamResponse:
    if rt.test_clock is None:
        return _json({"message": "start the pool with --test-clock to move its clock"}, 403)
    offset = rt.test_clock.advance(await _read_number(request, "advance"))
    return _json({"now": rt.ctx.now(), "offset": offset})


async def _stall_now(rt: Runtime, request: web.Request) -> web.StreamResponse:
    seconds = await _read_number(request, "seconds")
    rt.shared.stall_until.value = time.monotonic() + seconds
    return _json({"stalled_for": seconds})


async def _not_found(rt: Runtime, request: web.Request) -> web.StreamResponse:
    error = UnknownOperation(f"No route for {request.method} {request.path[:128]}.")
    return _error(error, str(uuid.uuid4()))

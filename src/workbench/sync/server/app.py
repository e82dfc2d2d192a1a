"""The HTTP face of the team server: login, identity, health (FastAPI, served by uvicorn).

Why it looks like this:

- Every route except `POST /sync/v1/login` and `GET /healthz` sits on a router whose dependency
  authenticates the bearer token, so a new route cannot forget authentication
  (tests/sync/server/test_app_routes.py checks the rule). The interactive docs and the OpenAPI
  document are off: they would be unauthenticated routes.
- Request bodies are capped (8 MiB, SYNC.md §1.13) by an ASGI middleware that refuses with 413
  before anything parses the body: at once when Content-Length says too much, and while reading
  when a chunked body grows past the cap.
- Requests and answers are the wire models of `workbench.sync.protocol`, shared with the
  client. Every refusal body is a `protocol.ErrorBody` `{code, message, retry_after, wipe}` with
  the status `protocol.HTTP_STATUS[code]`; the client acts on `code`. Two exceptions keep their
  HTTP status with code `invalid`: framing errors answered before routing (a bad
  Content-Length: 400, a body that is not JSON text: 400) and unknown routes/methods (404/405).
  A failed login says nothing about which part was wrong. Validation errors never echo the
  submitted values back, since one of them may be a password.
- The app holds no state of its own beyond configuration (DESIGN §5 "Scale path"). That
  includes its hybrid logical clock (SYNC.md §1.3): `ServerClock` lives in the process and is
  derived from the wall clock on every request (a tick is `max(last, now)`), so a fresh process,
  or another process behind the same load balancer, needs nothing persisted to answer with a
  sensible `server_hlc`. Within one process the values strictly increase. Once push stores field
  HLCs, its transaction must also `observe` the pushed (and stored) HLCs so that the
  `server_hlc` it answers orders after everything it wrote.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.domain.enums import Role
from workbench.domain.hlc import HybridClock, system_now_ms
from workbench.sync import protocol
from workbench.sync.gc_pause import collector_paused
from workbench.sync.protocol import ErrorBody, ErrorCode, LoginRequest, LoginResponse, MeResponse
from workbench.sync.server import service
from workbench.sync.server.auth import (
    Auth,
    AuthError,
    Device,
    DeviceConflict,
    DeviceRevoked,
    InvalidCredentials,
    InvalidToken,
    RateLimited,
    TokenRevoked,
    User,
)
from workbench.sync.server.db import make_engine

log = logging.getLogger(__name__)

MAX_BODY_BYTES = protocol.MAX_BODY_BYTES
API_PREFIX = "/sync/v1"
# Routes reachable without a token; everything else must depend on `current_principal`.
PUBLIC_PATHS = frozenset({f"{API_PREFIX}/login", "/healthz"})


# -- models and the clock ---------------------------------------------------------------------


class Health(BaseModel):
    """`GET /healthz` (for load balancers, not part of the sync protocol)."""

    status: str


class ServerClock:
    """The server's hybrid logical clock: a `HybridClock` behind a lock (FastAPI runs sync
    routes in a thread pool, and `HybridClock` is not thread-safe).

    Nothing is persisted (see the module docstring): every tick reads the wall clock, so each
    process starts at "now" and stays strictly increasing afterwards.
    """

    def __init__(self, now_ms: Callable[[], int] = system_now_ms) -> None:
        self._clock = HybridClock(now_ms)
        self._lock = threading.Lock()

    def tick(self) -> int:
        """A fresh server HLC for an answer (`server_hlc`)."""
        with self._lock:
            return self._clock.tick()

    def observe(self, remote: int) -> int:
        """Fold in an HLC received from a client; the result orders after it."""
        with self._lock:
            return self._clock.observe(remote)


# -- request body cap -------------------------------------------------------------------------


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413 before the app sees them.

    The body is read here (at most `max_bytes` held) and replayed to the app, so a chunked
    upload without Content-Length is capped too.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_error(send, "invalid", "invalid Content-Length", status=400)
                return
            if int(declared) > self.max_bytes:
                await self._refuse(send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        await _send_error(
            send, "payload_too_large", f"request body over {self.max_bytes} bytes", close=True
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


def error_body(
    code: ErrorCode, message: str, *, retry_after: float | None = None
) -> dict[str, Any]:
    """The JSON of a `protocol.ErrorBody` (validated, so a bad code or message cannot leave)."""
    return ErrorBody(
        code=code, message=message[:2000], retry_after=retry_after, wipe=False
    ).model_dump(mode="json")


def error_response(
    code: ErrorCode,
    message: str,
    *,
    status: int | None = None,
    retry_after: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A refusal: `ErrorBody` with `HTTP_STATUS[code]` unless `status` overrides it; a 401
    carries `WWW-Authenticate: Bearer`, and `retry_after` also goes out as `Retry-After`."""
    out = dict(headers or {})
    status = status if status is not None else protocol.HTTP_STATUS[code]
    if status == 401:
        out["WWW-Authenticate"] = "Bearer"
    if retry_after is not None:
        out["Retry-After"] = str(retry_after)
    body = error_body(
        code, message, retry_after=float(retry_after) if retry_after is not None else None
    )
    return JSONResponse(body, status_code=status, headers=out)


async def _send_error(
    send: Send, code: ErrorCode, message: str, *, status: int | None = None, close: bool = False
) -> None:
    """`error_response` for the raw ASGI middleware (no request object there)."""
    status = status if status is not None else protocol.HTTP_STATUS[code]
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


# -- authentication dependency ----------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user and the device whose token was presented."""

    user: User
    device: Device


_bearer = HTTPBearer(auto_error=False)


def _auth(request: Request) -> Auth:
    auth: Auth = request.app.state.auth
    return auth


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The dependency every non-public route carries; raises `InvalidToken` → 401."""
    if credentials is None:
        raise InvalidToken("a bearer token is required")
    user, device = _auth(request).authenticate(credentials.credentials)
    return Principal(user=user, device=device)


# -- errors -----------------------------------------------------------------------------------

# A revoked device's token is plain `unauthorized` with wipe=False: SYNC.md §1.10's remote-wipe
# flag needs a per-device "wipe" decision that the server does not store yet.
_AUTH_ERRORS: dict[type[AuthError], ErrorCode] = {
    TokenRevoked: "unauthorized",
    InvalidToken: "unauthorized",
    InvalidCredentials: "unauthorized",
    RateLimited: "rate_limited",
    DeviceRevoked: "forbidden",
    DeviceConflict: "forbidden",
}

# Statuses Starlette/FastAPI raise by themselves (routing, body parsing) → protocol codes.
_STATUS_CODES: dict[int, ErrorCode] = {
    401: "unauthorized",
    403: "forbidden",
    413: "payload_too_large",
    429: "rate_limited",
}


def _auth_error(_request: Request, exc: Exception) -> JSONResponse:
    code: ErrorCode = "invalid"
    for kind in type(exc).__mro__:
        if kind in _AUTH_ERRORS:
            code = _AUTH_ERRORS[kind]
            break
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    return error_response(code, str(exc), retry_after=retry_after)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Keep where and what, drop `input`/`ctx`: the rejected input may contain a password.
    parts = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', '')}" if where else str(err.get("msg", "")))
    return error_response("invalid", "; ".join(parts) or "invalid request")


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (unknown route 404, wrong method 405, unparsable body 400)."""
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "invalid")
    message = exc.detail if isinstance(exc.detail, str) else "refused"
    return error_response(code, message, status=exc.status_code, headers=dict(exc.headers or {}))


# -- the app ----------------------------------------------------------------------------------


def _refusal(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, service.Refusal)
    return error_response(exc.code, str(exc))


def _caller(principal: Principal) -> service.Caller:
    return service.Caller(
        user_id=principal.user.id, role=principal.user.role, device_id=principal.device.device_id
    )


def _invalid(exc: ValidationError) -> service.Refusal:
    parts = []
    for err in exc.errors()[:20]:
        where = ".".join(str(part) for part in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', '')}" if where else str(err.get("msg", "")))
    return service.Refusal("invalid", "; ".join(parts)[:2000] or "invalid request")


def create_app(
    db_url: str,
    *,
    auth: Auth | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    clock: ServerClock | None = None,
) -> FastAPI:
    """The server app over the database at `db_url` (schema checked by the caller, see cli)."""
    engine: Engine = auth.engine if auth is not None else make_engine(db_url)
    app = FastAPI(
        title="Workbench sync server",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.auth = auth or Auth(engine)
    app.state.engine = engine
    app.state.clock = clock or ServerClock()
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(service.Refusal, _refusal)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)

    @app.get("/healthz", response_model=Health)
    def healthz() -> Any:
        """Liveness *and* database reachability, so a load balancer drops a cut-off process."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return Health(status="ok")

    @app.post(f"{API_PREFIX}/login", response_model=LoginResponse)
    def login(body: LoginRequest, request: Request) -> LoginResponse:
        client_ip = request.client.host if request.client else "unknown"
        result = _auth(request).login(
            body.user, body.password, body.device_id, body.device_name, client_ip
        )
        clock: ServerClock = request.app.state.clock
        return LoginResponse(
            token=result.token,
            user_id=result.user.id,
            role=Role(result.user.role),
            device_id=result.device.device_id,
            server_hlc=clock.tick(),
        )

    private = APIRouter(prefix=API_PREFIX, dependencies=[Depends(current_principal)])

    @private.get("/me", response_model=MeResponse)
    def me(principal: Annotated[Principal, Depends(current_principal)]) -> MeResponse:
        return MeResponse(
            user_id=principal.user.id,
            user=principal.user.name,
            role=Role(principal.user.role),
            device_id=principal.device.device_id,
            device_name=principal.device.name,
        )

    @private.post("/push", response_model=protocol.PushResponse)
    async def push(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Response:
        body = await request.body()
        caller, clock = _caller(principal), request.app.state.clock

        def parse_and_push() -> bytes:
            # The collector is paused while 10,000 ops are parsed: their ~300,000 objects
            # otherwise set off full collections of the server's heap that find nothing.
            with collector_paused():
                parsed = _parse(protocol.PushRequest, body)
            return service.push(engine, caller, parsed, clock).model_dump_json().encode()

        return _json(await _in_thread(parse_and_push))

    @private.post("/pull", response_model=protocol.PullResponse)
    async def pull(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Response:
        body = await request.body()
        caller, clock = _caller(principal), request.app.state.clock

        def parse_and_pull() -> bytes:
            return service.pull(engine, caller, _parse(protocol.PullRequest, body), clock)

        return _json(await _in_thread(parse_and_pull))

    @private.post("/snapshot", response_model=protocol.BootstrapResponse)
    async def snapshot(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Response:
        """One page of the snapshot of the union of many scopes (a JSON body: the scope list
        may be long; SYNC.md §1.9's GET of one scope is not served)."""
        body = await request.body()
        caller = _caller(principal)

        def parse_and_serve() -> bytes:
            return service.snapshot(engine, caller, _parse(protocol.BootstrapRequest, body))

        return _json(await _in_thread(parse_and_serve))

    app.include_router(private)
    return app


_Message = TypeVar("_Message", bound=BaseModel)


def _parse(model: type[_Message], body: bytes) -> _Message:
    """A request body as its strict protocol model, or the 422 `invalid` refusal. Called on
    the worker thread with the rest of the request's work: a push or a snapshot request of
    thousands of items takes milliseconds to validate, which the event loop must not wait."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


async def _in_thread(func: Callable[..., Any], *args: Any) -> Any:
    """Database work off the event loop (the routes are async only to read the raw body)."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args)

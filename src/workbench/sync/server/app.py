"""The HTTP face of the team server: login, identity, health (FastAPI, served by uvicorn).

Why it looks like this:

- Every route except `POST /sync/v1/login` and `GET /healthz` sits on a router whose dependency
  authenticates the bearer token, so a new route cannot forget authentication
  (tests/sync/server/test_app_routes.py checks the rule). The interactive docs and the OpenAPI
  document are off: they would be unauthenticated routes.
- Request bodies are capped (8 MiB, SYNC.md §1.13) by an ASGI middleware that refuses with 413
  before anything parses the body: at once when Content-Length says too much, and while reading
  when a chunked body grows past the cap.
- Refusals carry a stable machine-readable `code` beside the human `detail`. A failed login says
  nothing about which part was wrong. Validation errors never echo the submitted values back,
  since one of them may be a password.
- The app holds no state of its own beyond configuration (DESIGN §5 "Scale path").

The login and identity models are defined here until the wire module (`workbench.sync.protocol`)
takes them over, so the client can share them.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.sync.server.auth import (
    MAX_NAME_LENGTH,
    MAX_PASSWORD_LENGTH,
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

MAX_BODY_BYTES = 8 * 1024 * 1024
API_PREFIX = "/sync/v1"
# Routes reachable without a token; everything else must depend on `current_principal`.
PUBLIC_PATHS = frozenset({f"{API_PREFIX}/login", "/healthz"})


# -- wire models ------------------------------------------------------------------------------


class LoginRequest(BaseModel):
    user: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    device_id: uuid.UUID
    device_name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)


class LoginResponse(BaseModel):
    token: str
    user_id: str
    role: str
    device_id: str


class MeResponse(BaseModel):
    user_id: str
    user: str
    role: str
    device_id: str
    device_name: str


class Health(BaseModel):
    status: str


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
                await _send_error(send, 400, "bad_request", "invalid Content-Length")
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
            send,
            413,
            "body_too_large",
            f"request body over {self.max_bytes} bytes",
            close=True,
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


async def _send_error(
    send: Send, status: int, code: str, detail: str, *, close: bool = False
) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
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

_AUTH_ERRORS: dict[type[AuthError], tuple[int, str]] = {
    TokenRevoked: (401, "device_revoked"),
    InvalidToken: (401, "invalid_token"),
    InvalidCredentials: (401, "invalid_credentials"),
    RateLimited: (429, "rate_limited"),
    DeviceRevoked: (403, "device_revoked"),
    DeviceConflict: (409, "device_conflict"),
}


def _auth_error(_request: Request, exc: Exception) -> JSONResponse:
    status, code = 400, "refused"
    for kind in type(exc).__mro__:
        if kind in _AUTH_ERRORS:
            status, code = _AUTH_ERRORS[kind]
            break
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse({"detail": str(exc), "code": code}, status_code=status, headers=headers)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Keep where and what, drop `input`/`ctx`: the rejected input may contain a password.
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return JSONResponse({"detail": errors, "code": "invalid_request"}, status_code=422)


# -- the app ----------------------------------------------------------------------------------


def create_app(
    db_url: str, *, auth: Auth | None = None, max_body_bytes: int = MAX_BODY_BYTES
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
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
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
            body.user, body.password, str(body.device_id), body.device_name, client_ip
        )
        return LoginResponse(
            token=result.token,
            user_id=result.user.id,
            role=result.user.role,
            device_id=result.device.device_id,
        )

    private = APIRouter(prefix=API_PREFIX, dependencies=[Depends(current_principal)])

    @private.get("/me", response_model=MeResponse)
    def me(principal: Annotated[Principal, Depends(current_principal)]) -> MeResponse:
        return MeResponse(
            user_id=principal.user.id,
            user=principal.user.name,
            role=principal.user.role,
            device_id=principal.device.device_id,
            device_name=principal.device.name,
        )

    app.include_router(private)
    return app

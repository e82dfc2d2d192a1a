"""The HTTP client of the team sync server (SYNC.md): login, identity, push, pull, snapshot.

Why it looks like this:

- Requests and answers are the `workbench.sync.protocol` models the server uses, so a message
  this client sends is one the server accepts, and an answer that does not parse is a
  `ProtocolError` rather than half-understood data.
- Failures are a small exception hierarchy that callers act on, decided by the `ErrorBody.code`
  (SYNC.md: clients act on the code, not the status):

  - `Refused` (any `ErrorBody` refusal): `Unauthorized` (wrong password, bad or revoked
    token; carries the remote-wipe flag), `RateLimited` (carries `retry_after` seconds), and
    the other codes as plain `Refused` with `code` set;
  - `ServerUnavailable`: no connection, a timeout, a broken connection, or a 5xx; transient
    (SYNC.md §1.13 retries these with backoff);
  - `ProtocolError`: an answer that is not the protocol (a redirect, a web page, a bad body).

- Timeouts follow SYNC.md §1.13: 5 s to connect, 30 s per request by default.
- The password and the token never appear in an exception message or a log line (the wire
  models hide them from `repr`, and validation errors do not echo input).
"""

from __future__ import annotations

from types import TracebackType
from typing import Final

import httpx
from pydantic import ValidationError

from workbench.sync.protocol import (
    BootstrapRequest,
    BootstrapResponse,
    ErrorBody,
    LoginRequest,
    LoginResponse,
    MeResponse,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

API_PREFIX: Final = "/sync/v1"
CONNECT_TIMEOUT: Final = 5.0
DEFAULT_TIMEOUT: Final = 30.0

__all__ = [
    "ProtocolError",
    "RateLimited",
    "Refused",
    "ServerUnavailable",
    "SyncClient",
    "SyncError",
    "Unauthorized",
]


class SyncError(Exception):
    """Base of every failure of a sync request; the message is safe to show to the user."""


class Refused(SyncError):
    """The server answered with a protocol `ErrorBody` (not retried, except `RateLimited`)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message or code)
        self.code = code
        self.status = status


class Unauthorized(Refused):
    """Wrong user name or password, or a missing, unknown or revoked device token.

    ``wipe`` is the server's remote-wipe request for a revoked device (SYNC.md §1.10).
    """

    def __init__(self, message: str, status: int, *, wipe: bool = False) -> None:
        super().__init__("unauthorized", message, status)
        self.wipe = wipe


class RateLimited(Refused):
    """Too many attempts; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, status: int, retry_after: float) -> None:
        super().__init__("rate_limited", message, status)
        self.retry_after = retry_after


class ServerUnavailable(SyncError):
    """The server could not be reached or failed (connection error, timeout, 5xx)."""


class ProtocolError(SyncError):
    """The answer was not what the sync protocol allows (wrong server, proxy page, bad body)."""


def _retry_after_header(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    return float(raw) if raw.isdigit() else None


def _refusal(response: httpx.Response) -> SyncError:
    """The exception for a non-2xx answer."""
    status = response.status_code
    try:
        body: ErrorBody | None = ErrorBody.model_validate_json(response.content)
    except ValidationError:
        body = None
    if status >= 500:
        detail = f": {body.message}" if body is not None and body.message else ""
        return ServerUnavailable(f"the server failed (HTTP {status}){detail}")
    if body is None:
        if status == 429:
            return RateLimited("too many requests", status, _retry_after_header(response) or 1.0)
        if 300 <= status < 400:
            where = response.headers.get("Location", "?")
            return ProtocolError(f"the server redirects (HTTP {status}) to {where}")
        return ProtocolError(f"not a Workbench sync server answer (HTTP {status})")
    if body.code == "unauthorized":
        return Unauthorized(body.message or "unauthorized", status, wipe=body.wipe)
    if body.code == "rate_limited":
        wait = body.retry_after
        if wait is None:
            wait = _retry_after_header(response) or 1.0
        return RateLimited(body.message or "too many requests", status, wait)
    return Refused(body.code, body.message, status)


class SyncClient:
    """One server, optionally with a device token; use as a context manager or `close()`."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
            follow_redirects=False,
            transport=transport,
        )

    def __repr__(self) -> str:  # never the token
        return f"SyncClient({self.base_url!r}, token={'set' if self._token else 'none'})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: bytes | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if json_body is not None:
            headers["Content-Type"] = "application/json"
        if auth:
            if not self._token:
                raise Unauthorized("not signed in (no device token)", 401)
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self._http.request(
                method, f"{API_PREFIX}{path}", content=json_body, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise ServerUnavailable(f"no answer from {self.base_url} (timed out)") from exc
        except httpx.TransportError as exc:
            raise ServerUnavailable(
                f"cannot reach {self.base_url} ({type(exc).__name__}: {exc})"
            ) from exc
        if not response.is_success:
            raise _refusal(response)
        return response

    def login(self, user: str, password: str, device_id: str, device_name: str) -> LoginResponse:
        """Register this device for ``user`` and return the answer, token included; the
        client then uses that token for its own requests.

        A ``ValueError`` (pydantic ``ValidationError``) means the input cannot be sent at all
        (an empty password, a control character in the name); nothing was sent then.
        """
        request = LoginRequest(
            user=user, password=password, device_id=device_id, device_name=device_name
        )
        response = self._request(
            "POST", "/login", json_body=request.model_dump_json().encode(), auth=False
        )
        try:
            answer = LoginResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise ProtocolError("the server's login answer is not valid") from exc
        if answer.device_id != device_id:
            raise ProtocolError("the server registered a different device id")
        self._token = answer.token
        return answer

    def me(self) -> MeResponse:
        """Who the current token belongs to (raises `Unauthorized` for a bad or revoked one)."""
        response = self._request("GET", "/me")
        try:
            return MeResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise ProtocolError("the server's identity answer is not valid") from exc

    def push(self, request: PushRequest) -> PushResponse:
        """Send outbox changes (SYNC.md §1.6); the answer is checked against the request."""
        response = self._request("POST", "/push", json_body=request.model_dump_json().encode())
        try:
            answer = PushResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise ProtocolError("the server's push answer is not valid") from exc
        sent = {c.change_id for c in request.changes}
        if any(r.change_id not in sent for r in answer.results):
            raise ProtocolError("the server answered for changes that were not sent")
        return answer

    def pull(self, request: PullRequest) -> PullResponse:
        """One pull page (SYNC.md §1.8), checked to follow the request's cursor."""
        return self.read_pull(request, self.fetch_pull(request))

    def fetch_pull(self, request: PullRequest) -> bytes:
        """The raw answer to a pull; `read_pull` checks it. Apart so that a page can be
        fetched on a helper thread (`sync.ahead`) while its parsing stays on the caller's,
        which holds the interpreter lock for it anyway."""
        return self._request("POST", "/pull", json_body=request.model_dump_json().encode()).content

    def read_pull(self, request: PullRequest, body: bytes) -> PullResponse:
        try:
            answer = PullResponse.model_validate_json(body)
            answer.check_follows(request)
        except ValueError as exc:  # includes pydantic's ValidationError
            raise ProtocolError(f"the server's pull page is not valid ({exc})") from exc
        return answer

    def snapshot(self, request: BootstrapRequest) -> BootstrapResponse:
        """One snapshot page of the union of the request's scopes (SYNC.md §1.9, as built:
        one stream for many scopes), checked to answer the request."""
        return self.read_snapshot(request, self.fetch_snapshot(request))

    def fetch_snapshot(self, request: BootstrapRequest) -> bytes:
        """The raw answer to a snapshot request (see `fetch_pull`)."""
        body = request.model_dump_json().encode()
        return self._request("POST", "/snapshot", json_body=body).content

    def read_snapshot(self, request: BootstrapRequest, body: bytes) -> BootstrapResponse:
        try:
            answer = BootstrapResponse.model_validate_json(body)
            answer.check_follows(request)
        except ValueError as exc:
            raise ProtocolError(f"the server's snapshot page is not valid ({exc})") from exc
        return answer

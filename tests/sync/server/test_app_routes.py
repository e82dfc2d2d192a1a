"""In-process checks of the app's structure: the authentication rule and the body cap."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from workbench.sync.protocol import ErrorBody, LoginResponse
from workbench.sync.server import db
from workbench.sync.server.app import PUBLIC_PATHS, create_app, current_principal
from workbench.sync.server.auth import Auth

from .conftest import FAST_HASHER


class Client:
    """Requests straight into the ASGI app (no network), one event loop per call."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                return await c.request(method, path, **kwargs)

        return asyncio.run(go())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    engine = db.make_engine(tmp_path / "s.db")
    db.upgrade(engine)
    auth = Auth(engine, hasher=FAST_HASHER)
    auth.create_user("anh", "am", "correct horse battery")
    yield Client(create_app("", auth=auth, max_body_bytes=1024))
    engine.dispose()


def _api_routes(routes: Iterable[object]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (newer FastAPI keeps those lazy)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


def _calls(dependant: Dependant) -> Iterator[object]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def test_every_route_but_login_and_health_requires_a_token(client: Client) -> None:
    routes = list(_api_routes(client.app.routes))
    assert {r.path for r in routes} >= PUBLIC_PATHS | {"/sync/v1/me"}
    for route in routes:
        guarded = current_principal in set(_calls(route.dependant))
        assert guarded == (route.path not in PUBLIC_PATHS), route.path
        if guarded:
            for method in route.methods or ():
                response = client.request(method, route.path)
                assert response.status_code == 401, (method, route.path)
                assert response.headers["www-authenticate"] == "Bearer"


def test_no_unauthenticated_docs_or_schema(client: Client) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_a_chunked_body_over_the_cap_is_refused(client: Client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * 400

    response = client.post("/sync/v1/login", content=chunks())
    assert response.status_code == 413
    assert ErrorBody.model_validate_json(response.content).code == "payload_too_large"


def test_a_body_at_the_cap_is_parsed(client: Client) -> None:
    body = b'{"user": "anh", "password": "x", "device_id": "nope", "device_name": "d"}'
    response = client.post("/sync/v1/login", content=body.ljust(1024))
    assert response.status_code == 422  # reached validation: the cap let it through
    assert ErrorBody.model_validate_json(response.content).code == "invalid"
    assert "nope" not in response.text  # rejected input is not echoed back


def test_an_invalid_content_length_is_refused(client: Client) -> None:
    response = client.post("/sync/v1/login", content=b"{}", headers={"content-length": "x"})
    assert response.status_code == 400
    assert ErrorBody.model_validate_json(response.content).code == "invalid"


def test_every_refusal_is_a_protocol_error_body(client: Client) -> None:
    """Routing and parsing refusals too, with the protocol's codes."""
    device = str(uuid.uuid4())
    login = {"user": "anh", "password": "correct horse battery", "device_name": "d"}
    cases = [
        (client.get("/no/such/route"), 404, "invalid"),
        (client.get("/sync/v1/login"), 405, "invalid"),
        (client.post("/sync/v1/login", content=b"\xff\xfe"), None, "invalid"),
        (client.post("/sync/v1/login", json=login | {"device_id": device.upper()}), 422, "invalid"),
        (
            client.post("/sync/v1/login", json=login | {"password": "x", "device_id": device}),
            401,
            "unauthorized",
        ),
    ]
    for response, status, code in cases:
        if status is not None:
            assert response.status_code == status, response.text
        assert ErrorBody.model_validate_json(response.content).code == code, response.text


def test_login_answers_with_a_protocol_login_response_and_a_rising_server_hlc(
    client: Client,
) -> None:
    login = {"user": "anh", "password": "correct horse battery", "device_name": "d"}
    first = client.post("/sync/v1/login", json=login | {"device_id": str(uuid.uuid4())})
    second = client.post("/sync/v1/login", json=login | {"device_id": str(uuid.uuid4())})
    a = LoginResponse.model_validate_json(first.content)
    b = LoginResponse.model_validate_json(second.content)
    assert b.server_hlc > a.server_hlc


def test_a_device_of_another_user_is_forbidden_at_login(client: Client) -> None:
    auth: Auth = client.app.state.auth
    auth.create_user("binh", "rm", "another long password")
    device = str(uuid.uuid4())
    ok = client.post(
        "/sync/v1/login",
        json={
            "user": "anh",
            "password": "correct horse battery",
            "device_id": device,
            "device_name": "d",
        },
    )
    assert ok.status_code == 200
    taken = client.post(
        "/sync/v1/login",
        json={
            "user": "binh",
            "password": "another long password",
            "device_id": device,
            "device_name": "d",
        },
    )
    assert taken.status_code == 403
    assert ErrorBody.model_validate_json(taken.content).code == "forbidden"
    auth.revoke_device(device)
    revoked = client.post(
        "/sync/v1/login",
        json={
            "user": "anh",
            "password": "correct horse battery",
            "device_id": device,
            "device_name": "d",
        },
    )
    assert revoked.status_code == 403
    assert ErrorBody.model_validate_json(revoked.content).code == "forbidden"

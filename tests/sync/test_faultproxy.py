"""The fault proxy itself, over real loopback sockets: a tiny threaded HTTP/1.1 upstream (and
the real Workbench server once), spoken to with httpx through the proxy."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from .conftest import start_server
from .faultproxy import FaultProxy

BIG = bytes(range(256)) * 64  # 16 KiB
CHUNKS = [b"alpha-" * 50, b"beta-" * 50, b"gamma"]


class Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.posts: Counter[str] = Counter()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    timeout = 5
    server: Upstream

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.posts[self.path] += 1
            count = self.server.posts[self.path]
        self._send(json.dumps({"path": self.path, "echo": payload, "count": count}).encode())

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BIG)))
        self.end_headers()

    def do_GET(self) -> None:
        if self.path == "/big":
            self._send(BIG, "application/octet-stream")
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._send(json.dumps({"path": self.path}).encode())


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", upstream.server_address[1], seed=1234) as running:
        yield running


@pytest.fixture
def client(proxy: FaultProxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy.url, timeout=2.0) as http:
        yield http


def test_pass_through_keep_alive(upstream: Upstream, proxy: FaultProxy, client: httpx.Client):
    assert proxy.url == f"http://127.0.0.1:{proxy.port}"
    for i in range(60):
        response = client.post("/sync/v1/push", json={"i": i})
        assert response.status_code == 200
        assert response.json() == {"path": "/sync/v1/push", "echo": {"i": i}, "count": i + 1}
    assert client.get("/chunked").content == b"".join(CHUNKS)
    assert client.get("/big").content == BIG
    assert client.head("/big").headers["content-length"] == str(len(BIG))
    stats = proxy.stats
    assert stats.connections == 1  # one keep-alive connection carried all 63 requests
    assert stats.passed == {"/sync/v1/push": 60, "/chunked": 1, "/big": 2}
    assert stats.injected == {"pass": 63} and stats.upstream_errors == 0


def test_drop_before_reaches_nothing(upstream: Upstream, proxy: FaultProxy, client: httpx.Client):
    client.post("/sync/v1/push", json={})  # warm a keep-alive connection: faults are per request
    proxy.inject_once("drop_before", "/sync/v1/push")
    with pytest.raises(httpx.TransportError):
        client.post("/sync/v1/push", json={"lost": True})
    assert upstream.posts["/sync/v1/push"] == 1
    assert client.post("/sync/v1/push", json={}).json()["count"] == 2  # reconnects, passes
    assert proxy.stats.injected["drop_before"] == 1
    assert proxy.stats.passed["/sync/v1/push"] == 2


def test_drop_response_after_upstream_commits(upstream: Upstream, proxy: FaultProxy, client):
    proxy.inject_once("drop_response")
    with pytest.raises(httpx.TransportError):
        client.post("/sync/v1/push", json={"committed": True})
    assert upstream.posts["/sync/v1/push"] == 1  # the server did process it
    assert proxy.stats.injected["drop_response"] == 1 and not proxy.stats.passed


@pytest.mark.parametrize("path", ["/big", "/chunked", "/small"])
@pytest.mark.parametrize("truncate_bytes", [None, 10, 10**9])
def test_truncate(proxy: FaultProxy, client: httpx.Client, path: str, truncate_bytes):
    proxy.truncate_bytes = truncate_bytes  # None: a seeded random cut; 10**9: all but 1 byte
    for _ in range(3):
        proxy.inject_once("truncate", path)
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(path)
    assert client.get(path).status_code == 200
    assert proxy.stats.injected["truncate"] == 3


def test_stall_times_the_client_out(upstream: Upstream, proxy: FaultProxy):
    proxy.inject_once("stall")
    with httpx.Client(base_url=proxy.url, timeout=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.post("/sync/v1/push", json={})
        assert http.post("/sync/v1/push", json={}).status_code == 200
    assert upstream.posts["/sync/v1/push"] == 1  # the stalled request never reached it


def test_delay_and_slow_are_slower_but_succeed(proxy: FaultProxy, client: httpx.Client):
    proxy.delay_ms, proxy.slow_bps = 300, 32_000
    proxy.inject_once("delay")
    started = time.monotonic()
    assert client.get("/x").json() == {"path": "/x"}
    assert time.monotonic() - started >= 0.3
    proxy.inject_once("slow")
    started = time.monotonic()
    assert client.get("/big").content == BIG
    assert time.monotonic() - started >= len(BIG) / 32_000  # 0.5 s
    assert proxy.stats.passed == {"/x": 1, "/big": 1}


def test_path_prefix_and_validation(upstream: Upstream, proxy: FaultProxy, client):
    proxy.set_faults({"drop_before": 1.0}, path_prefix="/sync/v1/push")
    assert client.post("/sync/v1/pull?cursor=5", json={}).status_code == 200
    with pytest.raises(httpx.TransportError):
        client.post("/sync/v1/push", json={})
    proxy.set_faults({})
    proxy.inject_once("drop_before", "/sync/v1/push")  # waits for a matching request
    assert client.get("/healthz").status_code == 200
    with pytest.raises(httpx.TransportError):
        client.post("/sync/v1/push", json={})
    assert upstream.posts == {"/sync/v1/pull?cursor=5": 1}
    assert proxy.stats.seen == {"/sync/v1/pull": 1, "/sync/v1/push": 2, "/healthz": 1}
    with pytest.raises(ValueError):
        proxy.set_faults({"explode": 0.1})
    with pytest.raises(ValueError):
        proxy.set_faults({"drop_before": 0.7, "truncate": 0.5})
    with pytest.raises(ValueError):
        proxy.inject_once("explode")


def _run_with_rates(upstream: Upstream, seed: int) -> tuple[list[str], list[str]]:
    before = upstream.posts["/sync/v1/push"]
    with FaultProxy("127.0.0.1", upstream.server_address[1], seed=seed, delay_ms=1) as proxy:
        proxy.set_faults({"drop_before": 0.2, "drop_response": 0.2, "truncate": 0.1, "delay": 0.1})
        outcomes = []
        with httpx.Client(base_url=proxy.url, timeout=2.0) as http:
            for i in range(40):
                try:
                    outcomes.append(str(http.post("/sync/v1/push", json={"i": i}).status_code))
                except httpx.TransportError as exc:
                    outcomes.append(type(exc).__name__)
        stats = proxy.stats
    assert sum(stats.injected.values()) == 40
    assert stats.passed["/sync/v1/push"] == stats.injected["pass"] + stats.injected["delay"]
    # all but drop_before reached the upstream
    assert upstream.posts["/sync/v1/push"] - before == 40 - stats.injected["drop_before"]
    return outcomes, [fault for _, _, fault in stats.history]


def test_rates_are_reproducible_with_a_seed(upstream: Upstream):
    outcomes, faults = _run_with_rates(upstream, seed=7)
    assert set(faults) == {"pass", "delay", "drop_before", "drop_response", "truncate"}
    assert outcomes.count("200") == faults.count("pass") + faults.count("delay")
    assert _run_with_rates(upstream, seed=7) == (outcomes, faults)
    assert _run_with_rates(upstream, seed=8)[1] != faults


def test_stop_is_prompt_with_a_stalled_connection(upstream: Upstream):
    proxy = FaultProxy("127.0.0.1", upstream.server_address[1], seed=0).start()
    proxy.inject_once("stall")
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    try:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
        deadline = time.monotonic() + 2
        while not proxy.stats.injected["stall"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proxy.stats.injected["stall"] == 1
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 1.5
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(100) == b""  # closed, with nothing said
    finally:
        sock.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()


def test_real_workbench_server(tmp_path: Path):
    users = [("anh", "am", "Mật khẩu đủ dài 2026")]
    with start_server(tmp_path, str(tmp_path / "server.db"), users) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with (
            FaultProxy("127.0.0.1", port, seed=3) as proxy,
            httpx.Client(base_url=proxy.url, timeout=5.0) as http,
        ):
            assert http.get("/healthz").json() == {"status": "ok"}
            proxy.inject_once("drop_before", "/healthz")
            with pytest.raises(httpx.TransportError):
                http.get("/healthz")
            assert http.get("/healthz").json() == {"status": "ok"}
            assert proxy.stats.passed == {"/healthz": 2}
            assert proxy.stats.injected == {"pass": 2, "drop_before": 1}

"""A seeded loopback TCP fault proxy for the real-process sync tests (SYNC.md §2.4).

Why: the sync protocol must survive a network that loses, cuts and slows messages, and the only
honest way to test that is real sockets between real processes. A client talks to the server
through a `FaultProxy`; the proxy parses just enough HTTP/1.1 framing (request head + body by
Content-Length or chunked; response head + body by Content-Length, chunked or close) to decide
a fault per request, even on keep-alive connections. Decisions come from a seeded RNG, so a
given sequence of requests gets the same faults on every run.

Faults: pass | delay (`delay_ms`, then pass) | drop_before (reset the client, nothing reaches
the server) | drop_response (the server answered; the client is reset instead) | truncate
(send `truncate_bytes`, or a seeded random k < full length, of the response, then close) |
stall (silence until the client hangs up, `stall_max_s` passes or the proxy stops; nothing
reaches the server) | slow (send the response at `slow_bps` bytes/s).

The proxy runs its own event loop in a daemon thread, binds 127.0.0.1 only, opens a fresh
upstream connection per request (so upstream idle timeouts never look like faults), and every
wait is bounded. Not handled: `Expect: 100-continue` and other 1xx responses, upgrades; a
close-delimited response cut by `truncate` looks complete to the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

FAULTS = ("pass", "delay", "drop_before", "drop_response", "truncate", "stall", "slow")
MAX_BODY = 256 * 1024 * 1024
MAX_REQUESTS_PER_CONNECTION = 100_000


@dataclass
class ProxyStats:
    injected: Counter[str] = field(default_factory=Counter)  # fault -> times chosen
    passed: Counter[str] = field(default_factory=Counter)  # path -> responses delivered whole
    seen: Counter[str] = field(default_factory=Counter)  # path -> requests read
    connections: int = 0  # client connections accepted
    upstream_errors: int = 0  # upstream unreachable or broke mid-response
    history: deque[tuple[str, str, str]] = field(default_factory=lambda: deque(maxlen=100_000))


class _Abort(Exception):
    """End this client connection."""


def _parse_head(head: bytes) -> tuple[list[bytes], dict[bytes, bytes]]:
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    return lines[0].split(b" ", 2), headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[bytes, bytes]) -> bytes | None:
    """The raw body framed by `headers`; None if it is delimited by the connection closing."""
    if b"chunked" in headers.get(b"transfer-encoding", b""):
        parts: list[bytes] = []
        total = 0
        while total <= MAX_BODY:
            line = await reader.readuntil(b"\r\n")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                parts.append(line)
                while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                    parts.append(trailer)
                return b"".join([*parts, b"\r\n"])
            parts += [line, await reader.readexactly(size + 2)]
            total += len(line) + size + 2
        raise _Abort("chunked body too large")
    if b"content-length" not in headers:
        return None
    if (length := int(headers[b"content-length"])) > MAX_BODY:
        raise _Abort("body too large")
    return await reader.readexactly(length)


class FaultProxy:
    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        seed: int,
        delay_ms: int = 200,
        slow_bps: int = 8192,
        truncate_bytes: int | None = None,
        stall_max_s: float = 60.0,
        io_timeout_s: float = 30.0,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay_ms, self.slow_bps, self.truncate_bytes = delay_ms, slow_bps, truncate_bytes
        self.stall_max_s, self.io_timeout_s = stall_max_s, io_timeout_s
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._rates: dict[str, float] = {}
        self._rates_prefix: str | None = None
        self._once: list[tuple[str, str | None]] = []
        self._stats = ProxyStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any] | None] = set()
        self._stopping = False
        self._port = 0

    # --- control, from the test thread ---------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def stats(self) -> ProxyStats:
        """A snapshot of the counters."""
        with self._lock:
            s = self._stats
            return ProxyStats(
                Counter(s.injected), Counter(s.passed), Counter(s.seen), s.connections,
                s.upstream_errors, deque(s.history, maxlen=s.history.maxlen),
            )  # fmt: skip

    def set_faults(self, rates: dict[str, float], path_prefix: str | None = None) -> None:
        """Each request (whose path starts with `path_prefix`) gets fault f with probability
        rates[f]; the rest pass. `{}` turns random faults off."""
        if unknown := set(rates) - set(FAULTS):
            raise ValueError(f"unknown faults {sorted(unknown)}")
        if any(r < 0 for r in rates.values()) or sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError(f"rates must be >= 0 and sum to <= 1: {rates}")
        with self._lock:
            self._rates, self._rates_prefix = dict(rates), path_prefix

    def inject_once(self, fault: str, path_prefix: str | None = None) -> None:
        """The next request whose path starts with `path_prefix` gets `fault` (queued FIFO)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._once.append((fault, path_prefix))

    def start(self) -> FaultProxy:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self._port = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._run, args=(self._loop,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection (stalled ones too); returns within ~1 s."""
        loop, self._loop = self._loop, None
        if loop is None or self._thread is None:
            return
        with contextlib.suppress(Exception):  # a timeout: stop the loop regardless
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=1.0)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=1.0)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the event loop thread -------------------------------------------------------------
    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        self._stopping = True
        self._server.close()  # type: ignore[union-attr]
        tasks = {task for task in self._tasks if task is not None}
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=0.5)

    def _choose(self, method: str, path: str) -> str:
        with self._lock:
            fault = "pass"
            for i, (_fault, prefix) in enumerate(self._once):
                if prefix is None or path.startswith(prefix):
                    fault = self._once.pop(i)[0]
                    break
            else:
                if self._rates and path.startswith(self._rates_prefix or ""):
                    draw = self._rng.random()
                    for name, rate in self._rates.items():
                        if draw < rate:
                            fault = name
                            break
                        draw -= rate
            self._stats.seen[path] += 1
            self._stats.injected[fault] += 1
            self._stats.history.append((method, path, fault))
            return fault

    def _count(self, attr: str, path: str = "") -> None:
        with self._lock:
            if attr == "passed":
                self._stats.passed[path] += 1
            else:
                setattr(self._stats, attr, getattr(self._stats, attr) + 1)

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self._count("connections")
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                if not await self._exchange(creader, cwriter):
                    break
        except (_Abort, OSError, TimeoutError, ValueError, asyncio.IncompleteReadError):
            pass  # ValueError covers LimitOverrunError and malformed framing
        except asyncio.CancelledError:
            pass  # stop(); ending normally spares 3.11's done-callback a CancelledError
        finally:
            self._tasks.discard(task)
            if self._stopping:
                cwriter.transport.abort()
            else:
                cwriter.close()  # flushes what is buffered (a truncated response), then FIN

    async def _exchange(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> bool:
        """Relay one request/response under a fault; False ends the client connection."""
        try:
            head = await asyncio.wait_for(creader.readuntil(b"\r\n\r\n"), self.io_timeout_s)
        except asyncio.IncompleteReadError:
            return False  # the client closed between requests
        (method, target, *version), headers = _parse_head(head)
        body = await asyncio.wait_for(_read_body(creader, headers), self.io_timeout_s) or b""
        path = target.decode("latin-1").split("?", 1)[0]
        fault = self._choose(method.decode("latin-1"), path)
        if fault == "drop_before":
            return _reset(cwriter)
        if fault == "stall":
            async with asyncio.timeout(self.stall_max_s):
                while await creader.read(65536):  # discard until the client hangs up
                    pass
            return False
        if fault == "delay":
            await asyncio.sleep(self.delay_ms / 1000)
        response, close = await self._forward(head + body, method == b"HEAD")
        close |= b"close" in headers.get(b"connection", b"") or version == [b"HTTP/1.0"]
        if fault == "drop_response":
            return _reset(cwriter)
        if fault == "truncate":
            k = self.truncate_bytes
            k = self._rng.randrange(1, len(response)) if k is None else k
            cwriter.write(response[: min(k, len(response) - 1)])
            await cwriter.drain()
            return False
        step = max(1, self.slow_bps // 20) if fault == "slow" else len(response)
        for i in range(0, len(response), step):
            if i + step >= len(response):  # counted first: the client may act on it at once
                self._count("passed", path)
            if fault == "slow":
                await asyncio.sleep(len(response[i : i + step]) / self.slow_bps)
            cwriter.write(response[i : i + step])
            await cwriter.drain()
        return not close

    async def _forward(self, request: bytes, is_head: bool) -> tuple[bytes, bool]:
        """Send `request` on a fresh upstream connection; the raw response and whether the
        client connection must close after it."""
        try:
            ureader, uwriter = await asyncio.wait_for(
                asyncio.open_connection(*self.upstream), self.io_timeout_s
            )
        except (OSError, TimeoutError) as exc:
            self._count("upstream_errors")
            raise _Abort("upstream unreachable") from exc
        try:
            uwriter.write(request)
            await uwriter.drain()
            head = await asyncio.wait_for(ureader.readuntil(b"\r\n\r\n"), self.io_timeout_s)
            (_, status, *_), headers = _parse_head(head)
            close = b"close" in headers.get(b"connection", b"")
            if is_head or int(status) in (204, 304) or status.startswith(b"1"):
                return head, close
            body = await asyncio.wait_for(_read_body(ureader, headers), self.io_timeout_s)
            if body is None:  # delimited by the upstream closing
                body, close = await asyncio.wait_for(ureader.read(-1), self.io_timeout_s), True
            return head + body, close
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            self._count("upstream_errors")
            raise _Abort("upstream broke") from exc
        finally:
            uwriter.close()


def _reset(writer: asyncio.StreamWriter) -> bool:
    """Close with RST (SO_LINGER 0), as a dropped network path or crashed peer would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
    return False

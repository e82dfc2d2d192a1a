"""Team sync over a real server process: push, pull, bootstrap, small edits and a no-op.

What is measured (benchmarks/README.md, "sync.py"), with a real `workbench server serve`
(uvicorn) on 127.0.0.1 and real clients (`Store` files, `SyncClient` over HTTP, `SyncEngine`):

1. 10,000 new contacts inserted on device A in one unit of work (`insert_many`), then
   `A.sync_once()` (push, and the pull that ends the cycle); `B.sync_once()` on a second
   device of the same user that was caught up before the insert (pull); a brand-new device C's
   first `sync_once()` (bootstrap from a snapshot). Target: each under 1.0 s.
2. 100 edits on A (one field, `phone`, of 100 existing contacts, each its own unit of work as
   a user makes them), then `A.sync_once()` + `B.sync_once()`; the median of 15 such rounds
   (`--edit-rounds`). Target: under 50 ms.
3. A no-op: `B.sync_once()` with nothing to do (client wall time), and the round trip of one
   pull request (`client.pull`, median of 50) as an upper bound on the server's time.
   Target: under 10 ms of server time.
4. A 100,000-row portfolio (5,000 accounts, each with 5 contacts, their 5 positions and 9
   activities, all owned by the benchmark user) pushed by a seeding device, then a brand-new
   device D's first `sync_once()`, which also brings the contacts of (1): 110,001 rows.
   Target: under 15 s. Then the no-op pull of (3) again, for a user who now holds 5,000
   accounts.

Each figure is printed as a JSON line when measured (DESIGN §7), with a breakdown of where the
client's wall time went (`http_ms`: request round trips, including pages fetched ahead on a
helper thread while the main thread applied the previous one; `wait_ms`: the main thread
waiting for such a page; `codec_ms`: parsing pull and snapshot pages; `apply_ms`: committing
pull/snapshot pages locally; `validate_ms`: checking outbox changes before a push; `local_ms`:
the rest of the main thread's time, i.e. push requests' encoding and answers, outbox reads, sync
state), and the CPU time the client and the server process used (`client_cpu_ms`,
`server_cpu_ms`, from the kernel's accounting; far less inflated than wall time when other work
shares the machine; a PostgreSQL server's own CPU is not included). A table with the targets and
PASS/MISS follows. Exit code 0 either way.

    .venv/bin/python benchmarks/sync.py [--quick] [--server-db postgresql://postgres@127.0.0.1:5432]

`--server-db` names a PostgreSQL *server*: the benchmark creates a scratch database
`workbench_bench_<hex>` there (connecting to the database the URL names, `postgres` if none, only
to create and drop it) and drops it at the end. Without it, the server uses a SQLite file in a
temporary folder. `--quick`: 1,000 contacts and a 10,000-row portfolio (the smoke test runs it
smaller still). `--profile DIR`: see `Profiler`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from _data import emit, percentile

USER, ROLE, PASSWORD = "bench", "am", "bench-password-1"
STARTUP_TIMEOUT = 30.0


# -- measuring ------------------------------------------------------------------------------------


def server_cpu_seconds() -> float:
    """CPU seconds (user + system) the server process has used so far, from /proc: unlike wall
    time, barely inflated when other work shares the machine. 0.0 where /proc is missing."""
    if not METER.server_pid:
        return 0.0
    try:
        fields = Path(f"/proc/{METER.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Meter:
    """Accumulated seconds per category while `measuring()`; wraps a few library functions."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    server_pid: int = 0
    cpu_start: tuple[float, float] = (0.0, 0.0)

    def add(self, what: str, seconds: float) -> None:
        self.seconds[what] = self.seconds.get(what, 0.0) + seconds
        self.calls[what] = self.calls.get(what, 0) + 1

    def reset(self) -> None:
        self.seconds, self.calls = {}, {}
        self.cpu_start = (time.process_time(), server_cpu_seconds())

    def cpu(self) -> tuple[float, float]:
        """(client, server) CPU seconds since `reset`."""
        return (
            time.process_time() - self.cpu_start[0],
            server_cpu_seconds() - self.cpu_start[1],
        )

    def breakdown(self, wall: float) -> dict[str, Any]:
        s = self.seconds
        client_cpu, server_cpu = self.cpu()
        # Time the main thread spent in each part; requests fetched ahead run on a helper
        # thread while the main thread applies, so `http_ms` may overlap `apply_ms`.
        main = (
            s.get("http_main", 0.0)
            + s.get("wait", 0.0)
            + s.get("codec", 0.0)
            + s.get("apply", 0.0)
            + s.get("validate", 0.0)
        )
        return {
            "http_ms": round((s.get("http_main", 0.0) + s.get("http_ahead", 0.0)) * 1000, 1),
            "wait_ms": round(s.get("wait", 0.0) * 1000, 1),
            "codec_ms": round(s.get("codec", 0.0) * 1000, 1),
            "apply_ms": round(s.get("apply", 0.0) * 1000, 1),
            "validate_ms": round(s.get("validate", 0.0) * 1000, 1),
            "local_ms": round((wall - main) * 1000, 1),
            "requests": self.calls.get("http_main", 0) + self.calls.get("http_ahead", 0),
            "client_cpu_ms": round(client_cpu * 1000, 1),
            "server_cpu_ms": round(server_cpu * 1000, 1),
        }


METER = Meter()


def _wrap(fn: Callable[..., Any], what: str) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            METER.add(what, time.perf_counter() - start)

    timed.__wrapped__ = fn  # type: ignore[attr-defined]
    return timed


def _wrap_request(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Requests on the main thread, and those fetched ahead on the helper thread, apart."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            on_main = threading.current_thread() is threading.main_thread()
            METER.add("http_main" if on_main else "http_ahead", time.perf_counter() - start)

    return timed


def install_meter() -> None:
    """Time the client's requests, parsing, page applies and validation (process-wide)."""
    from workbench.sync import ahead, client, engine

    client.SyncClient._request = _wrap_request(client.SyncClient._request)  # type: ignore[method-assign]
    for name in ("read_pull", "read_snapshot"):
        setattr(client.SyncClient, name, _wrap(getattr(client.SyncClient, name), "codec"))
    ahead.InFlight.result = _wrap(ahead.InFlight.result, "wait")  # type: ignore[method-assign]
    engine.SyncEngine._validate = _wrap(engine.SyncEngine._validate, "validate")  # type: ignore[method-assign]
    engine.apply_pull_page = _wrap(engine.apply_pull_page, "apply")
    engine.apply_snapshot_page = _wrap(engine.apply_snapshot_page, "apply")


def timed(fn: Callable[[], Any], name: str) -> tuple[float, Any, dict[str, Any]]:
    """Wall seconds of one call, its result, and the meter's breakdown of it."""
    with PROFILER.step(name):
        METER.reset()
        start = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - start
    return wall, result, METER.breakdown(wall)


class Profiler:
    """With `--profile DIR`: per measured step, the client under cProfile (`<step>-client.prof`
    and the top functions in `<step>-client.txt`) and the server process under py-spy, if
    installed (collapsed stacks in `<step>-server.txt`, a summary in `<step>-server-top.txt`).
    Profiling slows both sides down: the figures of such a run are not the benchmark's."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.server_pid = 0
        self.spy: str | None = None

    def start(self, folder: Path, server_pid: int) -> None:
        self.folder, self.server_pid = folder, server_pid
        folder.mkdir(parents=True, exist_ok=True)
        beside = Path(sys.executable).with_name("py-spy")
        self.spy = str(beside) if beside.exists() else shutil.which("py-spy")
        if self.spy is None:
            log("  py-spy not found: the server is not profiled (pip install py-spy)")

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.folder is None:
            yield
            return
        spy = None
        raw = self.folder / f"{name}-server.txt"
        if self.spy:
            argv = [self.spy, "record", "--pid", str(self.server_pid), "--format", "raw"]
            argv += ["--rate", "250", "--output", str(raw)]
            spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # attached before the step starts
        prof = cProfile.Profile()
        prof.enable()
        try:
            yield
        finally:
            prof.disable()
            prof.dump_stats(self.folder / f"{name}-client.prof")
            with (self.folder / f"{name}-client.txt").open("w") as out:
                stats = pstats.Stats(prof, stream=out)
                stats.sort_stats("cumulative").print_stats(60)
                stats.sort_stats("tottime").print_stats(30)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
                if raw.exists():
                    (self.folder / f"{name}-server-top.txt").write_text(summarise_stacks(raw))


_IDLE = ("Condition.wait ", "EpollSelector.select ", "Queue.get ", "Event.wait ")


def summarise_stacks(path: Path, top: int = 40) -> str:
    """Inclusive and self shares of each function in py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        n = int(samples)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        if frames[-1].startswith(_IDLE):
            continue  # a thread waiting for work or for the network
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    lines = [f"{total} samples (waiting threads left out)", "-- inclusive"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines += ["-- self"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


PROFILER = Profiler()


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: float | None = None  # "under target" passes
    note: str = ""
    cpu: str = ""  # client / server CPU time, when measured

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "PASS" if self.value < self.target else "MISS"


FIGURES: list[Figure] = []


def report(
    name: str,
    value: float,
    unit: str,
    n: int,
    *,
    target: float | None = None,
    note: str = "",
    **extra: Any,
) -> None:
    cpu = ""
    if "client_cpu_ms" in extra:
        cpu = f"{extra['client_cpu_ms']:,.0f} / {extra['server_cpu_ms']:,.0f} ms"
        if unit == "ms":  # per-run figures: keep the decimals
            cpu = f"{extra['client_cpu_ms']:,.1f} / {extra['server_cpu_ms']:,.1f} ms"
    fig = Figure(name, value, unit, target, note, cpu)
    FIGURES.append(fig)
    if target is not None:
        extra = {"target": target, "verdict": fig.verdict, **extra}
    emit(name, value, unit, n, **extra)


def print_table(backend: str) -> None:
    rows = [("Figure", "Value", "Target", "", "CPU client / server", "What")]
    for f in FIGURES:
        target = f"< {f.target:g} {f.unit}" if f.target is not None else ""
        rows.append((f.name, f"{f.value:,.1f} {f.unit}", target, f.verdict, f.cpu, f.note))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"\nsync benchmark, server database: {backend}")
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *argv: str, stdin: str = "") -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "server", *argv],
        input=stdin.encode(),
        env=env,
        capture_output=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise SystemExit(f"workbench server {argv[0]} failed:\n{done.stderr.decode()}")


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A new database `workbench_bench_<hex>` on the PostgreSQL server of `server_url`,
    dropped on exit; yields its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    admin_url = url.set(drivername="postgresql", database=url.database or "postgres")
    name = f"workbench_bench_{secrets.token_hex(4)}"
    admin = psycopg.connect(
        admin_url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def running_server(workdir: Path, db_url: str) -> Iterator[tuple[str, int]]:
    """`workbench server init`, `adduser`, then `serve` on a free port; yields (url, pid)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
    _cli(env, "init", "--db", db_url)
    _cli(
        env,
        "adduser",
        USER,
        "--role",
        ROLE,
        "--password-stdin",
        "--db",
        db_url,
        stdin=PASSWORD + "\n",
    )
    port = free_port()
    logs = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "server",
            "serve",
            "--db",
            db_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=logs,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited:\n{(workdir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not start in {STARTUP_TIMEOUT} s")
            time.sleep(0.05)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        logs.close()


# -- devices --------------------------------------------------------------------------------------


@dataclass
class Device:
    name: str
    store: Any
    engine: Any
    user_id: str

    def sync(self) -> Any:
        report = self.engine.sync_once()
        if report.error or report.offline:
            raise SystemExit(f"{self.name}: sync failed: {report.error}")
        return report

    def close(self) -> None:
        self.engine.close()
        self.store.close()


def sign_in(workdir: Path, url: str, name: str) -> Device:
    """A new local database signed in as the benchmark user over HTTP."""
    from workbench.services.sync_setup import adopt_server_user
    from workbench.storage.store import Store
    from workbench.sync.client import SyncClient
    from workbench.sync.engine import SyncEngine

    store = Store(workdir / f"{name}.db")
    client = SyncClient(url)
    answer = client.login(USER, PASSWORD, store.device_id(), f"bench {name}")
    store.observe_hlc(answer.server_hlc)
    adopt_server_user(store, answer.user_id, USER, answer.role.value)
    return Device(name, store, SyncEngine(store, client), answer.user_id)


def count(device: Device, table: str) -> int:
    with device.store.unit(remote=True) as uow:
        result = uow.session.connection().exec_driver_sql(f"SELECT count(*) FROM {table}")
        return int(result.scalar_one())


# -- data -----------------------------------------------------------------------------------------


class Names:
    """Vietnamese people and companies, from the demo vocabulary (deterministic per seed)."""

    def __init__(self, seed: int) -> None:
        from workbench.demo import vocab

        self.v = vocab
        self.r = random.Random(seed)
        self.families = [n for n, _ in vocab.FAMILY_NAMES]
        self.family_weights = [w for _, w in vocab.FAMILY_NAMES]
        self.serial = 0

    def mobile(self) -> str:
        return f"09{self.r.randint(0, 99_999_999):08d}"

    def contact(self) -> dict[str, Any]:
        from workbench.domain.text import fold

        r, v = self.r, self.v
        female = r.random() < 0.5
        family = r.choices(self.families, self.family_weights)[0]
        middle = r.choice(v.MIDDLE_FEMALE if female else v.MIDDLE_MALE)
        given = r.choice(v.GIVEN_FEMALE if female else v.GIVEN_MALE)
        self.serial += 1
        local = fold(f"{given}.{family}").replace(" ", "")
        return {
            "family_name": family,
            "middle_name": middle,
            "given_name": given,
            "email": f"{local}{self.serial}@example.vn",
            "mobile": self.mobile(),
            "phone": f"028{r.randint(0, 9_999_999):07d}",
            "birthday": date(1960, 1, 1) + timedelta(days=r.randint(0, 14_000)),
            "notes": "Gặp tại hội thảo khách hàng" if r.random() < 0.2 else "",
        }

    def account(self, owner_id: str) -> dict[str, Any]:
        r, v = self.r, self.v
        form = r.choices([f for f, _ in v.LEGAL_FORMS], [w for _, w in v.LEGAL_FORMS])[0]
        trade = r.choice(v.TRADES)
        return {
            "name": f"{form} {trade[0]} {r.choice(v.BRANDS)}",
            "owner_id": owner_id,
            "tax_code": f"{r.randint(100_000_000, 999_999_999):010d}",
            "tax_code_kind": "mst10",
            "industry": trade[1][:80],
            "city": r.choice(v.CITIES).name,
            "phone": f"024{r.randint(0, 9_999_999):07d}",
        }

    def activity(self, account_id: str, owner_id: str) -> dict[str, Any]:
        r = self.r
        kind = r.choice(["call", "meeting", "email", "note"])
        return {
            "account_id": account_id,
            "owner_id": owner_id,
            "kind": kind,
            "subject": r.choice(
                [
                    "Gọi điện trao đổi về gia hạn hợp đồng",
                    "Họp giới thiệu sản phẩm mới",
                    "Gửi báo giá dịch vụ",
                    "Ghi chú sau buổi gặp kế toán trưởng",
                ]
            ),
            "occurred_at": datetime(2026, 1, 1) + timedelta(minutes=r.randint(0, 500_000)),
            "notes": "Khách hàng quan tâm, hẹn gặp lại tuần sau",
        }


# -- the measurements -----------------------------------------------------------------------------


def bench_contacts(workdir: Path, url: str, contacts: int) -> tuple[Device, Device]:
    a = sign_in(workdir, url, "a")
    b = sign_in(workdir, url, "b")
    a.sync()
    b.sync()  # both caught up (and the server warmed up) before anything is measured
    names = Names(seed=1)
    rows = [names.contact() for _ in range(contacts)]
    start = time.perf_counter()
    with a.store.unit() as uow:
        uow.insert_many("contacts", rows)
        uow.commit()
    report("sync_local_insert_contacts", round(time.perf_counter() - start, 3), "s", contacts)

    wall, rep, parts = timed(a.sync, "push_contacts")
    report(
        "sync_push_contacts",
        round(wall, 3),
        "s",
        contacts,
        target=1.0,
        note=f"A.sync_once(): push {contacts:,} new contacts (+ the cycle's pull)",
        rows_per_s=round(contacts / wall),
        pushed=rep.pushed,
        pulled=rep.pulled,
        **parts,
    )
    wall, rep, parts = timed(b.sync, "pull_contacts")
    assert count(b, "contacts") == contacts, "B did not receive every contact"
    report(
        "sync_pull_contacts",
        round(wall, 3),
        "s",
        contacts,
        target=1.0,
        note=f"B.sync_once(): pull {contacts:,} contacts into a caught-up device",
        rows_per_s=round(contacts / wall),
        pulled=rep.pulled,
        **parts,
    )
    c = sign_in(workdir, url, "c")
    wall, rep, parts = timed(c.sync, "bootstrap_contacts")
    assert count(c, "contacts") == contacts, "C did not receive every contact"
    report(
        "sync_bootstrap_contacts",
        round(wall, 3),
        "s",
        contacts,
        target=1.0,
        note=f"C.sync_once(): a new device bootstraps {contacts:,} contacts",
        rows_per_s=round(contacts / wall),
        pulled=rep.pulled,
        **parts,
    )
    c.close()
    return a, b


def bench_edits(a: Device, b: Device, edits: int, rounds: int) -> None:
    names = Names(seed=2)
    with a.store.unit(remote=True) as uow:
        result = uow.session.connection().exec_driver_sql(
            "SELECT id FROM contacts ORDER BY id LIMIT ?", (edits * rounds,)
        )
        ids = [r[0] for r in result]
    walls: list[float] = []
    parts_all: list[dict[str, Any]] = []
    for i in range(rounds):
        for row_id in ids[i * edits : (i + 1) * edits]:
            with a.store.unit() as uow:
                uow.update("contacts", row_id, {"phone": names.mobile()})
                uow.commit()
        with PROFILER.step(f"edits_round{i}"):
            METER.reset()
            start = time.perf_counter()
            pushed = a.sync().pushed
            pulled = b.sync().pulled
            wall = time.perf_counter() - start
        assert pushed == edits and pulled >= edits, (pushed, pulled)
        walls.append(wall * 1000)
        parts_all.append(METER.breakdown(wall))
    median = statistics.median(walls)
    middle = parts_all[walls.index(sorted(walls)[len(walls) // 2])]
    report(
        "sync_edits_round_trip",
        round(median, 1),
        "ms",
        edits,
        target=50,
        note=f"{edits} edits: A.sync_once() + B.sync_once(), median of {rounds}",
        max_ms=round(max(walls), 1),
        rounds=rounds,
        **middle,
    )


def bench_noop(b: Device, runs: int) -> None:
    assert b.sync().caught_up
    walls = []
    with PROFILER.step("noop_client"):
        METER.reset()
        for _ in range(runs):
            start = time.perf_counter()
            rep = b.sync()
            walls.append((time.perf_counter() - start) * 1000)
            assert rep.caught_up and rep.pulled == 0
        client_cpu, server_cpu = METER.cpu()
    report(
        "sync_noop_client",
        round(statistics.median(walls), 1),
        "ms",
        runs,
        note="B.sync_once() with nothing to do (client wall time), median",
        p95_ms=round(percentile(walls, 95), 1),
        client_cpu_ms=round(client_cpu * 1000 / runs, 2),
        server_cpu_ms=round(server_cpu * 1000 / runs, 2),
    )
    noop_pull(b, runs, "sync_noop_pull_round_trip", "no accounts yet")


def noop_pull(device: Device, runs: int, figure: str, holds: str) -> None:
    """Median round trip of one pull request that finds nothing (bounds the server's time)."""
    from workbench.storage import outbox
    from workbench.sync.apply import CURSOR_KEY
    from workbench.sync.engine import SCOPE_SET_VERSION_KEY
    from workbench.sync.protocol import PullRequest

    store = device.store
    request = PullRequest(
        device_id=store.device_id(),
        schema_version=outbox.SYNC_SCHEMA_VERSION,
        cursor=int(store.sync_state(CURSOR_KEY) or 0),
        scope_set_version=int(store.sync_state(SCOPE_SET_VERSION_KEY) or 0),
        limit=device.engine.page_limit,
        hlc=int(store.sync_state("hlc") or 0),
    )
    client = device.engine.client
    client.pull(request)  # warm
    trips = []
    with PROFILER.step(figure.removeprefix("sync_")):
        METER.reset()
        for _ in range(runs):
            start = time.perf_counter()
            page = client.pull(request)
            trips.append((time.perf_counter() - start) * 1000)
            assert not page.ops and not page.scope_events
        client_cpu, server_cpu = METER.cpu()
    report(
        figure,
        round(statistics.median(trips), 2),
        "ms",
        runs,
        target=10,
        note=f"one no-op pull round trip, median (bounds the server's time; {holds})",
        p95_ms=round(percentile(trips, 95), 2),
        min_ms=round(min(trips), 2),
        client_cpu_ms=round(client_cpu * 1000 / runs, 2),
        server_cpu_ms=round(server_cpu * 1000 / runs, 2),
    )


def bench_portfolio(workdir: Path, url: str, accounts: int, runs: int) -> None:
    """Per account: 5 contacts, a position each, 9 activities: 20 rows per account."""
    seeder = sign_in(workdir, url, "seed")
    owner = seeder.user_id
    names = Names(seed=3)
    from workbench.domain.ids import new_id

    rows = 0
    start = time.perf_counter()
    batch = 500  # accounts per unit of work (10,000 rows)
    for first in range(0, accounts, batch):
        tables: dict[str, list[dict[str, Any]]] = {
            "accounts": [],
            "contacts": [],
            "positions": [],
            "activities": [],
        }
        for _ in range(min(batch, accounts - first)):
            account = names.account(owner) | {"id": new_id()}
            tables["accounts"].append(account)
            for seat in range(5):
                contact = names.contact() | {"id": new_id()}
                tables["contacts"].append(contact)
                tables["positions"].append(
                    {
                        "contact_id": contact["id"],
                        "account_id": account["id"],
                        "title": ("Giám đốc", "Kế toán trưởng", "Trưởng phòng IT")[seat % 3],
                        "colleague_id": owner,
                    }
                )
            tables["activities"] += [names.activity(account["id"], owner) for _ in range(9)]
        with seeder.store.unit() as uow:
            for table, values in tables.items():
                uow.insert_many(table, values)
                rows += len(values)
            uow.commit()
    log(f"  portfolio: {rows:,} rows written locally in {time.perf_counter() - start:.1f} s")
    wall, rep, parts = timed(seeder.sync, "portfolio_seed_push")
    report(
        "sync_portfolio_seed_push",
        round(wall, 2),
        "s",
        rows,
        note=f"seeding device pushes the {rows:,}-row portfolio (+ the cycle's pull and bootstrap)",
        rows_per_s=round(rows / wall),
        pushed=rep.pushed,
        **parts,
    )
    seeder.close()
    d = sign_in(workdir, url, "d")
    wall, rep, parts = timed(d.sync, "bootstrap_portfolio")
    got = sum(count(d, t) for t in ("accounts", "contacts", "positions", "activities"))
    assert got >= rows, f"D holds {got} of {rows} rows"
    assert rep.caught_up, "D is not caught up after its first cycle"
    report(
        "sync_bootstrap_portfolio",
        round(wall, 2),
        "s",
        got,
        target=15,
        note=f"D.sync_once(): a new device bootstraps {got:,} rows ({accounts:,} accounts)",
        rows_per_s=round(got / wall),
        portfolio=rows,  # D also holds the contacts of part 1: the same user's
        pulled=rep.pulled,
        **parts,
    )
    noop_pull(d, runs, "sync_noop_pull_round_trip_portfolio", f"holds {accounts:,} accounts")
    d.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server-db",
        metavar="URL",
        help="a PostgreSQL server, postgresql://USER@HOST:PORT[/DB]: a scratch database is "
        "created there and dropped at the end (default: a temporary SQLite file)",
    )
    parser.add_argument("--quick", action="store_true", help="1k contacts, 10k-row portfolio")
    parser.add_argument(
        "--no-fetch-ahead",
        action="store_true",
        help="fetch each page only after the previous one is applied (SyncEngine.fetch_ahead)",
    )
    parser.add_argument("--contacts", type=int, help="new contacts pushed (default 10,000)")
    parser.add_argument("--accounts", type=int, help="portfolio accounts, 20 rows each (5,000)")
    parser.add_argument(
        "--edit-rounds",
        type=int,
        default=15,
        help="rounds of 100 edits; the figure is their median (15: on a small VM single "
        "rounds vary by ±30 %%, and the median of 5 moved by as much between runs)",
    )
    parser.add_argument("--noop-runs", type=int, default=50)
    parser.add_argument(
        "--profile", metavar="DIR", type=Path, help="profile client and server per step into DIR"
    )
    args = parser.parse_args()
    if args.no_fetch_ahead:
        from workbench.sync.engine import SyncEngine

        SyncEngine.fetch_ahead = False
    contacts = args.contacts or (1_000 if args.quick else 10_000)
    accounts = args.accounts or (500 if args.quick else 5_000)
    rounds = 3 if args.quick else args.edit_rounds

    install_meter()
    # A plain `kill` runs the clean-up below (server stopped, scratch database dropped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="workbench-sync-bench-") as tmp:
        workdir = Path(tmp)
        with contextlib_db(args.server_db, workdir) as (db_url, backend):
            log(f"server database: {backend}")
            with running_server(workdir, db_url) as (url, pid):
                log(f"server: {url} (pid {pid})")
                METER.server_pid = pid
                if args.profile:
                    PROFILER.start(args.profile.resolve(), pid)
                a, b = bench_contacts(workdir, url, contacts)
                bench_edits(a, b, 100, rounds)
                bench_noop(b, args.noop_runs)
                a.close()
                b.close()
                bench_portfolio(workdir, url, accounts, args.noop_runs)
    print_table(backend)
    return 0


@contextmanager
def contextlib_db(server_db: str | None, workdir: Path) -> Iterator[tuple[str, str]]:
    """(database URL for the server, a description of the backend)."""
    if not server_db:
        yield str(workdir / "server.db"), "SQLite (temporary file)"
        return
    if not server_db.startswith(("postgresql://", "postgres://")):
        raise SystemExit("--server-db takes a postgresql:// URL (SQLite is the default)")
    with scratch_postgres(server_db) as url:
        yield url, f"PostgreSQL (scratch database {url.rsplit('/', 1)[1]})"


if __name__ == "__main__":
    sys.exit(main())

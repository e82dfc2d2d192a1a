"""The benchmark database: generated once, cached outside the repository, reused after.

`big_db()` returns the path of a demo database with `accounts` accounts (20,000 gives about
100,000 contacts). It lives in `~/.cache/workbench-bench/` (or `$WORKBENCH_BENCH_DIR`) so that
no benchmark writes into the working tree. A marker file is written only after generation
finished, so a run that was interrupted half-way is noticed and the file regenerated.

Run it directly to build (or just locate) the database: `.venv/bin/python benchmarks/_data.py`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

DEFAULT_ACCOUNTS = 20_000
SEED = 1


def bench_dir() -> Path:
    base = os.environ.get("WORKBENCH_BENCH_DIR")
    path = Path(base).expanduser() if base else Path.home() / ".cache" / "workbench-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _generator_digest() -> str:
    """A short hash of the generator's source, recorded so a stale cache can be noticed."""
    import workbench.demo.generator as gen

    return hashlib.sha256(Path(gen.__file__).read_bytes()).hexdigest()[:12]


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _progress(done: int, total: int, what: str) -> bool:
    print(f"\r  {what}: {done}/{total}        ", end="", file=sys.stderr, flush=True)
    return True


def big_db(accounts: int = DEFAULT_ACCOUNTS) -> Path:
    """The cached benchmark database with `accounts` accounts, generated on first use."""
    folder = bench_dir()
    path = folder / f"bench-{accounts}.db"
    marker = folder / f"bench-{accounts}.db.complete"
    with open(folder / f"bench-{accounts}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two benchmarks started together generate once
        if path.exists() and marker.exists():
            info = json.loads(marker.read_text())
            if info.get("generator") != _generator_digest():
                print(
                    f"note: {path} was made by an older generator; delete it (and its "
                    ".complete marker) to regenerate",
                    file=sys.stderr,
                )
            return path
        _remove(path)
        marker.unlink(missing_ok=True)
        from workbench.demo.generator import generate

        print(f"generating {path} (accounts={accounts}, seed={SEED}); done once", file=sys.stderr)
        start = time.perf_counter()
        summary = generate(path, seed=SEED, accounts=accounts, progress=_progress)
        seconds = time.perf_counter() - start
        print(file=sys.stderr)
        with sqlite3.connect(path) as con:  # fold the WAL into the file: one file to reuse
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        marker.write_text(
            json.dumps(
                {
                    "accounts": accounts,
                    "seed": SEED,
                    "summary": summary,
                    "generator": _generator_digest(),
                    "seconds": round(seconds, 1),
                },
                indent=2,
                default=str,
            )
        )
        print(f"generated in {seconds:.0f} s: {summary}", file=sys.stderr)
        return path


def contact_count(path: Path) -> int:
    """Live contacts in the database (read with plain sqlite3, no SQLAlchemy import)."""
    with sqlite3.connect(path) as con:
        row = con.execute("SELECT count(*) FROM contacts WHERE deleted_at IS NULL").fetchone()
    return int(row[0])


def emit(figure: str, value: float, unit: str, n: int, **extra: object) -> None:
    """Print one figure as one JSON line (DESIGN §7), with the 1-minute load average."""
    record: dict[str, object] = {"figure": figure, "value": value, "unit": unit, "n": n}
    record.update(extra)
    record["load1"] = round(os.getloadavg()[0], 2)  # other work on the machine skews figures
    print(json.dumps(record, ensure_ascii=False), flush=True)


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile (0–100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


if __name__ == "__main__":
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ACCOUNTS
    db = big_db(accounts)
    print(db)
    print(f"{contact_count(db)} contacts", file=sys.stderr)

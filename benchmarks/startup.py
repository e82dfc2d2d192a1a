"""Start-up: from spawning `python -m workbench --db BIG` to a painted main window.

What is measured: the wall time from just before the process is spawned until (a) the main
window's first paint event and (b) the first paint of the Accounts list after its first page of
rows arrived. The times come from a probe in `workbench/ui/launch.py` that only runs when
`WORKBENCH_BENCH_STARTUP` is set: it prints `BENCH <what> <time.time()> <sqlalchemy imported>`
and closes the window once the accounts are painted. Each run uses a fresh, empty settings
folder (`XDG_CONFIG_HOME`), so the default layout is measured and the user's is never touched.
One unmeasured warm-up run comes first, then `--runs` measured runs (Qt offscreen platform).

Also measured, each in a fresh interpreter: the bare interpreter start, the import of the GUI
side (`workbench.ui.launch`, which brings Qt), of `sqlalchemy.orm` and of `workbench.storage.store`
(what the worker imports to open the database).

Target: first paint under 1.0 s on the 100,000-contact database.

    .venv/bin/python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _data import big_db, contact_count, emit

TIMEOUT = 120  # seconds for one start-up; far above anything expected


def child_env(config_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        WORKBENCH_BENCH_STARTUP="1",
        XDG_CONFIG_HOME=config_dir,
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def one_start(db: Path) -> dict[str, float | bool]:
    """Seconds from spawn to each BENCH event (and whether SQLAlchemy was loaded by then)."""
    with tempfile.TemporaryDirectory(prefix="workbench-bench-cfg-") as config:
        cmd = [sys.executable, "-m", "workbench", "--db", str(db), "--lang", "en"]
        start = time.time()
        proc = subprocess.run(
            cmd, env=child_env(config), capture_output=True, text=True, timeout=TIMEOUT
        )
        ended = time.time()
    out: dict[str, float | bool] = {"exit": ended - start}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "BENCH":
            out[parts[1]] = float(parts[2]) - start
            out[f"{parts[1]}_sqlalchemy"] = parts[3] == "True"
    if proc.returncode != 0 or "first_paint" not in out or "accounts_painted" not in out:
        raise RuntimeError(
            f"start-up run failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return out


def import_seconds(statement: str, runs: int = 5) -> float:
    """Median seconds `statement` takes in a fresh interpreter (after its own start-up)."""
    code = "import time; t = time.perf_counter(); " + statement + "; print(time.perf_counter() - t)"
    times = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def interpreter_seconds(runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=20_000)
    args = parser.parse_args()

    db = big_db(args.accounts)
    contacts = contact_count(db)
    one_start(db)  # warm-up: file cache, compiled bytecode, fontconfig cache
    runs = [one_start(db) for _ in range(args.runs)]
    for what, figure in (
        ("first_paint", "startup_first_paint"),
        ("accounts_painted", "startup_accounts_painted"),
    ):
        values = [float(r[what]) for r in runs]
        emit(
            f"{figure}_median", round(statistics.median(values), 3), "s", contacts, runs=len(values)
        )
        emit(f"{figure}_max", round(max(values), 3), "s", contacts, runs=len(values))
    emit(
        "startup_sqlalchemy_before_first_paint",
        sum(bool(r["first_paint_sqlalchemy"]) for r in runs),
        "runs",
        contacts,
        of=len(runs),
        note="SQLAlchemy in sys.modules (import begun) at the first paint",
    )

    emit("startup_python_interpreter", round(interpreter_seconds(), 3), "s", contacts)
    for statement, figure in (
        ("import workbench.ui.launch", "import_workbench_ui_launch"),
        ("import sqlalchemy.orm", "import_sqlalchemy_orm"),
        ("import workbench.storage.store", "import_workbench_storage_store"),
    ):
        emit(figure, round(import_seconds(statement), 3), "s", contacts)
    for r in runs:
        print(
            "run: "
            + ", ".join(
                f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()
            ),
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

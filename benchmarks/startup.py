"""Start-up: from spawning `python -m workbench --db BIG` to a painted main window.

What is measured: the wall time from just before the process is spawned until (a) the main
window's first paint event and (b) the first paint of the Accounts list after its first page of
rows arrived. The times come from a probe in `workbench/ui/launch.py` that only runs when
`WORKBENCH_BENCH_STARTUP` is set: it prints `BENCH <what> <time.time()> <sqlalchemy imported>`
and closes the window once the accounts are painted. Each run uses a fresh, empty settings
folder (`XDG_CONFIG_HOME`), so the default layout is measured and the user's is never touched.
One unmeasured warm-up run comes first, then `--runs` measured runs (Qt offscreen platform).
The child keeps compiled bytecode in the benchmark folder (`PYTHONPYCACHEPREFIX`), as an installed
application has it next to its sources.

Also measured, each in a fresh interpreter: the bare interpreter start, the import of the GUI
side (`workbench.ui.launch`, which brings Qt), of `sqlalchemy.orm` and of `workbench.storage.store`
(what the worker imports to open the database).

Target: first paint under 1.0 s on the 100,000-contact database.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--compare-deferred]
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

from _data import bench_dir, big_db, contact_count, emit

TIMEOUT = 120  # seconds for one start-up; far above anything expected


def child_env(config_dir: str) -> dict[str, str]:
    """The child's environment: offscreen Qt, the probe on, empty settings, and a bytecode cache
    (outside the repository) as an installed application has; without one every start would
    compile the sources again."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        WORKBENCH_BENCH_STARTUP="1",
        XDG_CONFIG_HOME=config_dir,
        PYTHONPYCACHEPREFIX=str(bench_dir() / "pycache"),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


# Runs the application with the database opened only after the window's first paint, to see
# what the worker's import of SQLAlchemy (running beside the first paint) costs the paint.
DEFERRED_OPEN = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from workbench.ui import launch

real_open = launch.open_database

class AfterFirstPaint(QObject):
    def __init__(self, window, go):
        super().__init__(window)
        self.go = go
        window.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self.go)
        return False

def deferred_open(window, *args, **kwargs):
    AfterFirstPaint(window, lambda: real_open(window, *args, **kwargs))

launch.open_database = deferred_open
from workbench.app import main
sys.exit(main(sys.argv[1:]))
"""


def one_start(db: Path, deferred: bool = False) -> dict[str, float | bool]:
    """Seconds from spawn to each BENCH event (and whether SQLAlchemy was loaded by then)."""
    with tempfile.TemporaryDirectory(prefix="workbench-bench-cfg-") as config:
        how = ["-c", DEFERRED_OPEN] if deferred else ["-m", "workbench"]
        cmd = [sys.executable, *how, "--db", str(db), "--lang", "en"]
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
            env=child_env(tempfile.gettempdir()),
        )
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def interpreter_seconds(runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "pass"], check=True, env=child_env(tempfile.gettempdir())
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(prefix: str, runs: list[dict[str, float | bool]], contacts: int) -> None:
    for what in ("first_paint", "accounts_painted"):
        values = [float(r[what]) for r in runs]
        n = len(values)
        emit(f"{prefix}_{what}_median", round(statistics.median(values), 3), "s", contacts, runs=n)
        emit(f"{prefix}_{what}_max", round(max(values), 3), "s", contacts, runs=n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument(
        "--compare-deferred",
        action="store_true",
        help="also start with the database opened only after the first paint (interleaved)",
    )
    args = parser.parse_args()

    db = big_db(args.accounts)
    contacts = contact_count(db)
    one_start(db)  # warm-up: file cache, bytecode cache, fontconfig cache
    runs: list[dict[str, float | bool]] = []
    deferred: list[dict[str, float | bool]] = []
    for _ in range(args.runs):
        runs.append(one_start(db))
        if args.compare_deferred:
            deferred.append(one_start(db, deferred=True))
    report("startup", runs, contacts)
    emit(
        "startup_sqlalchemy_before_first_paint",
        sum(bool(r["first_paint_sqlalchemy"]) for r in runs),
        "runs",
        contacts,
        of=len(runs),
        note="SQLAlchemy in sys.modules (its import begun on the worker) at the first paint",
    )
    if deferred:
        report("startup_deferred_open", deferred, contacts)

    emit("startup_python_interpreter", round(interpreter_seconds(), 3), "s", contacts)
    for statement, figure in (
        ("import workbench.ui.launch", "import_workbench_ui_launch"),
        ("import sqlalchemy.orm", "import_sqlalchemy_orm"),
        ("import workbench.storage.store", "import_workbench_storage_store"),
    ):
        emit(figure, round(import_seconds(statement), 3), "s", contacts)
    for label, group in (("run", runs), ("deferred-open run", deferred)):
        for r in group:
            values = (f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items())
            print(f"{label}: " + ", ".join(values), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

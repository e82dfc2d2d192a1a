"""Smoke test of benchmarks/sync.py: it runs end to end against a real server and prints every
figure (JSON lines and the PASS/MISS table). The timings are not checked: benchmarks report,
they are not tests, and this machine's load decides them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {
    "sync_local_insert_contacts",
    "sync_push_contacts",
    "sync_pull_contacts",
    "sync_bootstrap_contacts",
    "sync_edits_round_trip",
    "sync_noop_client",
    "sync_noop_pull_round_trip",
    "sync_portfolio_seed_push",
    "sync_bootstrap_portfolio",
    "sync_noop_pull_round_trip_portfolio",
}
TARGETED = {
    "sync_push_contacts",
    "sync_pull_contacts",
    "sync_bootstrap_contacts",
    "sync_edits_round_trip",
    "sync_noop_pull_round_trip",
    "sync_bootstrap_portfolio",
    "sync_noop_pull_round_trip_portfolio",
}


def test_sync_benchmark_quick_prints_every_figure(tmp_path: Path) -> None:
    # --quick, made smaller still so the smoke test stays short (20 accounts: 400 rows).
    argv = ["--quick", "--contacts", "300", "--accounts", "20", "--noop-runs", "5"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sync.py"), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    by_name = {r["figure"]: r for r in records}
    assert set(by_name) == FIGURES, done.stdout
    for name, record in by_name.items():
        assert record["value"] >= 0 and record["unit"] in ("s", "ms"), record
        if name in TARGETED:
            assert record["verdict"] in ("PASS", "MISS") and record["target"] > 0, record
    assert by_name["sync_push_contacts"]["n"] == 300
    assert by_name["sync_bootstrap_portfolio"]["n"] == 700  # 400 + the 300 contacts
    # 20 accounts, ref and the user's own scope: one snapshot stream (a page), not 22.
    assert by_name["sync_bootstrap_portfolio"]["requests"] <= 4
    table = done.stdout[done.stdout.index("sync benchmark, server database: SQLite") :]
    for name in FIGURES:
        assert name in table
    assert table.count("PASS") + table.count("MISS") == len(TARGETED)

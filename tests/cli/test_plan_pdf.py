"""`workbench plan pdf ACCOUNT [--client-safe] --out FILE.pdf`, run as a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.domain.drafts import AccountDraft
from workbench.domain.plans import ObjectiveDraft
from workbench.services import accounts, plans
from workbench.storage.store import Store

RISK = "Rủi ro: ngân sách năm sau bị cắt giảm"
NOTE = "Ghi chú nội bộ: giữ giá"


@pytest.fixture
def planned(tmp_path: Path) -> Path:
    db = tmp_path / "plans.db"
    store = Store(db)
    try:
        dang = accounts.create_account(store, AccountDraft(name="Công ty Cổ phần Đặng Gia")).id
        accounts.create_account(store, AccountDraft(name="Công ty TNHH Đặng Minh"))
        accounts.create_account(store, AccountDraft(name="Mekong Logistics"))
        pid = plans.create_plan(
            store,
            dang,
            "2026",
            values={
                "desired_outcome": "Đối tác chiến lược về chuyển đổi số",
                "risks": RISK,
                "internal_notes": NOTE,
                "threats": "Đối thủ giảm giá",
            },
        ).id
        plans.add_objective(store, pid, ObjectiveDraft("Mức hài lòng", "manual", 80, 64))
    finally:
        store.close()
    return db


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "workbench", "plan", "pdf", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _text(path: Path) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(path).pages))


def test_the_command_writes_both_versions(planned: Path, tmp_path: Path) -> None:
    internal, safe = tmp_path / "internal.pdf", tmp_path / "out" / "client.pdf"
    done = _run("cong ty co phan dang gia", "--db", str(planned), "--out", str(internal))
    assert done.returncode == 0, done.stderr
    assert "Công ty Cổ phần Đặng Gia" in done.stdout
    done = _run("MEKONG", "--db", str(planned), "--out", str(safe), "--client-safe")
    assert done.returncode == 2 and "has no account plan yet" in done.stderr
    done = _run("Công ty Cổ", "--db", str(planned), "--client-safe", "--out", str(safe))
    assert done.returncode == 0, done.stderr
    inside, outside = _text(internal), _text(safe)
    assert "Đối tác chiến lược về chuyển đổi số" in inside
    assert "Đối tác chiến lược về chuyển đổi số" in outside
    assert "Mức hài lòng" in outside
    for secret in (RISK, NOTE, "Đối thủ giảm giá"):
        assert secret in inside
        assert secret not in outside


def test_no_match_and_ambiguous_names_are_explained(planned: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    done = _run("Vinamilk", "--db", str(planned), "--out", str(out))
    assert done.returncode == 2 and "no account matches 'Vinamilk'" in done.stderr
    done = _run("cong ty", "--db", str(planned), "--out", str(out))
    assert done.returncode == 2 and "matches several accounts" in done.stderr
    assert "Đặng Minh" in done.stderr and "Đặng Gia" in done.stderr
    assert not out.exists()
    done = _run("x", "--db", str(tmp_path / "missing.db"), "--out", str(out))
    assert done.returncode == 2 and "no database" in done.stderr


def test_by_id_through_main(planned: Path, tmp_path: Path) -> None:
    from workbench.app import main

    store = Store(planned)
    try:
        account_id, _ = plans.find_account(store, "Mekong")
        dang, _ = plans.find_account(store, "Công ty Cổ phần Đặng Gia")
    finally:
        store.close()
    assert account_id != dang
    out = tmp_path / "by-id.pdf"
    assert main(["plan", "pdf", dang, "--db", str(planned), "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")


def test_an_unwritable_output_is_refused_with_the_reason(planned: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    for out in (blocker / "plan.pdf", tmp_path):  # under a file; a folder
        done = _run("Công ty Cổ phần Đặng Gia", "--db", str(planned), "--out", str(out))
        assert done.returncode == 2
        assert f"cannot write {out}" in done.stderr
    assert blocker.read_text() == "keep me"
    assert not list(tmp_path.glob(".*.part"))

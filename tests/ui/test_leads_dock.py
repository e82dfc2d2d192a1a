"""The Leads dock on demo data: list, a bad input kept, archive with undo, and conversion."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from workbench.demo.generator import generate
from workbench.domain.leads import tax_key
from workbench.ui.dialogs.lead_convert import ConvertDialog
from workbench.ui.dialogs.lead_dialog import LeadDialog
from workbench.ui.docks.leads import LeadsPanel

SHOTS = os.environ.get("WORKBENCH_SHOTS")  # a folder: save screenshots there when set


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("leads_demo") / "template.db"
    generate(path, seed=1, accounts=60)
    return path


@pytest.fixture
def db(tmp_path: Path, demo_file: Path) -> Path:
    copy = tmp_path / "demo.db"
    with sqlite3.connect(demo_file) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return copy


@pytest.fixture
def app(qtbot: Any, tmp_path: Path, db: Path) -> Iterator[tuple[Any, Any, LeadsPanel]]:
    from workbench.ui.launch import build, open_database

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window, ctx = build(settings, "sales")
    window.resize(1500, 950)
    window.show()
    open_database(window, ctx, db)
    qtbot.waitUntil(lambda: ctx.store_ready and ctx.tasks.idle, timeout=15000)
    window.show_dock("dock.leads")
    panel = window.panels["dock.leads"]
    assert isinstance(panel, LeadsPanel)
    qtbot.waitUntil(lambda: bool(panel.rows), timeout=10000)
    yield window, ctx, panel
    window.close()
    ctx.tasks.shutdown()


def _settle(qtbot: Any, ctx: Any) -> None:
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=15000)


def _query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def _show_all(qtbot: Any, ctx: Any, panel: LeadsPanel) -> None:
    panel.status_combo.setCurrentIndex(panel.status_combo.findData(""))
    _settle(qtbot, ctx)


def test_the_dock_lists_the_demo_leads(
    qtbot: Any, app: tuple[Any, Any, LeadsPanel], db: Path
) -> None:
    window, ctx, panel = app
    open_leads = _query(
        db, "SELECT count(*) FROM leads WHERE status IN ('new', 'working', 'qualified')"
    )[0][0]
    assert panel.model.rowCount() == open_leads > 0
    assert "leads" in panel.count_label.text()
    _show_all(qtbot, ctx, panel)
    assert panel.model.rowCount() == _query(db, "SELECT count(*) FROM leads")[0][0]
    statuses = {r.status for r in panel.rows}
    assert statuses == {"new", "working", "qualified", "disqualified", "converted"}
    everyone, target = len(panel.rows), panel.rows[0]
    panel.filter_edit.setText(target.company.upper())  # case and accents don't matter
    qtbot.waitUntil(lambda: len(panel.rows) < everyone, timeout=5000)
    assert target.id in {r.id for r in panel.rows}
    if SHOTS:
        panel.filter_edit.clear()
        panel.status_combo.setCurrentIndex(0)
        _settle(qtbot, ctx)
        qtbot.wait(50)
        window.grab().save(str(Path(SHOTS) / "leads_window.png"))
        panel.grab().save(str(Path(SHOTS) / "leads_dock.png"))


def test_a_bad_email_is_shown_and_nothing_typed_is_lost(
    qtbot: Any, app: tuple[Any, Any, LeadsPanel], db: Path
) -> None:
    _window, ctx, panel = app
    before = _query(db, "SELECT count(*) FROM leads")[0][0]
    panel.new_item()
    dialog = panel.findChild(LeadDialog)
    assert dialog is not None
    dialog.company_edit.setText("Công ty TNHH Hải Âu Xanh")
    dialog.given_edit.setText("Văn Bình")
    dialog.family_edit.setText("Lê")
    dialog.email_edit.setText("binh@")
    dialog.estimate_edit.setText("120000000")
    dialog.save()
    qtbot.waitUntil(lambda: bool(dialog.form.error_of("email")), timeout=5000)
    assert "binh@" in dialog.form.error_of("email")
    assert dialog.isVisible()
    assert dialog.company_edit.text() == "Công ty TNHH Hải Âu Xanh"
    assert dialog.email_edit.text() == "binh@"
    assert dialog.given_edit.text() == "Văn Bình"
    assert _query(db, "SELECT count(*) FROM leads")[0][0] == before
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "lead_dialog_error.png"))

    dialog.email_edit.setText("binh.le@haiau.vn")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save()
    _settle(qtbot, ctx)
    rows = _query(
        db, "SELECT email, estimate_minor FROM leads WHERE company = ?", "Công ty TNHH Hải Âu Xanh"
    )
    assert rows == [("binh.le@haiau.vn", 120_000_000)]
    qtbot.waitUntil(lambda: any(r.company == "Công ty TNHH Hải Âu Xanh" for r in panel.rows))


def test_archive_with_undo(qtbot: Any, app: tuple[Any, Any, LeadsPanel]) -> None:
    _window, ctx, panel = app
    first = panel.rows[0]
    panel.select_lead(first.id)
    assert panel.selected() == first
    panel.archive_item()
    qtbot.waitUntil(lambda: all(r.id != first.id for r in panel.rows), timeout=5000)
    ctx.undo.undo()
    qtbot.waitUntil(lambda: any(r.id == first.id for r in panel.rows), timeout=5000)


def test_convert_a_lead_that_matches_an_existing_account(
    qtbot: Any, app: tuple[Any, Any, LeadsPanel], db: Path
) -> None:
    _window, ctx, panel = app
    accounts = {
        tax_key(code): (aid, name)
        for aid, code, name in _query(db, "SELECT id, tax_code, name FROM accounts")
    }
    candidates = [
        (lid, code)
        for lid, code in _query(
            db,
            "SELECT id, tax_code FROM leads WHERE status IN ('new', 'working', 'qualified') "
            "AND tax_code != '' ORDER BY id",
        )
        if tax_key(code) in accounts
    ]
    assert candidates, "the demo has open leads of existing clients"
    lead_id, code = candidates[0]
    account_id, account_name = accounts[tax_key(code)]
    n_accounts = _query(db, "SELECT count(*) FROM accounts")[0][0]

    panel.select_lead(lead_id)
    assert panel.convert_button.isEnabled()
    panel.convert_item()
    dialog = panel.findChild(ConvertDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.convert_button.isEnabled(), timeout=5000)
    assert account_name in dialog.account_label.text()
    assert "same tax code" in dialog.account_label.text()
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "lead_convert.png"))
    with qtbot.waitSignal(dialog.converted, timeout=5000):
        dialog.convert_button.click()
    _settle(qtbot, ctx)

    assert _query(db, "SELECT count(*) FROM accounts")[0][0] == n_accounts
    opp = _query(db, "SELECT account_id, kind, stage FROM opportunities WHERE lead_id = ?", lead_id)
    assert opp == [(account_id, "new", "qualify")]
    status = _query(db, "SELECT status, account_id FROM leads WHERE id = ?", lead_id)
    assert status == [("converted", account_id)]
    assert ctx.hub.current_account == account_id
    # Converted leads leave the "Open leads" list.
    qtbot.waitUntil(lambda: all(r.id != lead_id for r in panel.rows), timeout=5000)

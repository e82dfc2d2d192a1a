"""The Leads dock on demo data: list, a bad input kept, archive with undo, and conversion."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from workbench.demo.generator import generate
from workbench.domain.leads import LeadRow, tax_key
from workbench.ui import fmt
from workbench.ui.dialogs.lead_convert import ConvertDialog
from workbench.ui.dialogs.lead_dialog import LeadDialog
from workbench.ui.docks.leads import LeadsPanel, count_text

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


def _open_converter(qtbot: Any, panel: LeadsPanel, lead_id: str) -> ConvertDialog:
    panel.select_lead(lead_id)
    assert panel.selected() is not None and panel.selected().id == lead_id  # type: ignore[union-attr]
    panel.convert_item()
    dialog = panel.findChild(ConvertDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.convert_button.isEnabled(), timeout=5000)
    return dialog


def _add_lead(qtbot: Any, ctx: Any, panel: LeadsPanel, draft: Any) -> str:
    """A lead written through the service on the worker, as the dialog would."""
    from workbench.services.leads import create_lead

    out: list[Any] = []
    ctx.tasks.run("add lead", lambda store, _c: create_lead(store, draft), out.append)
    qtbot.waitUntil(lambda: bool(out), timeout=5000)
    ctx.hub.publish(out[0].changes)
    lead_id = str(out[0].id)
    qtbot.waitUntil(lambda: any(r.id == lead_id for r in panel.rows), timeout=5000)
    return lead_id


def test_closing_the_dialog_while_converting_keeps_undo_and_refresh(
    qtbot: Any, app: tuple[Any, Any, LeadsPanel], db: Path
) -> None:
    _window, ctx, panel = app
    row = next(r for r in panel.rows if r.status in ("new", "working", "qualified"))
    dialog = _open_converter(qtbot, panel, row.id)
    dialog.convert_button.click()
    assert dialog.busy
    assert dialog.convert_button.text() == "Converting…"
    assert not dialog.cancel_button.isEnabled()
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "lead_convert_busy.png"))
    dialog.reject()  # Esc, Cancel or the window's close button while the worker writes
    dialog.close()
    assert dialog.isVisible()
    _settle(qtbot, ctx)
    qtbot.waitUntil(lambda: all(r.id != row.id for r in panel.rows), timeout=5000)
    assert ctx.undo.undo_label() == f"convert {row.display_name}"
    (account_id,) = _query(db, "SELECT account_id FROM leads WHERE id = ?", row.id)[0]
    assert account_id and ctx.hub.current_account == account_id
    assert _query(db, "SELECT status FROM leads WHERE id = ?", row.id) == [("converted",)]
    qtbot.waitUntil(lambda: panel.findChild(ConvertDialog) is None, timeout=5000)


def test_the_count_line_totals_each_currency_apart() -> None:
    base = LeadRow(**{f.name: None for f in dataclasses.fields(LeadRow)})  # type: ignore[arg-type]
    rows = [
        dataclasses.replace(base, estimate_minor=m, currency=c)
        for m, c in ((250_000_000, "VND"), (150_000_000, "VND"), (4_000_000, "USD"), (0, "EUR"))
    ]
    text = count_text(rows)
    assert text.startswith("4 leads · ")
    assert fmt.money(400_000_000, "VND") in text
    assert fmt.money(4_000_000, "USD") in text
    assert "EUR" not in text and "€" not in text
    assert count_text(rows[3:]) == "1 leads"


def test_a_refused_status_move_shows_labels_not_stored_values(
    qtbot: Any, app: tuple[Any, Any, LeadsPanel]
) -> None:
    _window, ctx, panel = app
    _show_all(qtbot, ctx, panel)
    row = next(r for r in panel.rows if r.status == "disqualified")
    dialog = LeadDialog(ctx, row, panel)
    dialog.show()
    dialog.status_combo.setCurrentIndex(dialog.status_combo.findData("qualified"))
    dialog.save()
    qtbot.waitUntil(lambda: bool(dialog.form.error_of("status")), timeout=5000)
    text = dialog.form.error_of("status")
    assert text == "A lead cannot go from Disqualified to Qualified", text
    dialog.close()


def test_a_known_person_can_be_made_a_new_contact_anyway(
    qtbot: Any, app: tuple[Any, Any, LeadsPanel], db: Path
) -> None:
    from workbench.domain.leads import LeadDraft

    _window, ctx, panel = app
    name, code, family, given, email = _query(
        db,
        "SELECT a.name, a.tax_code, c.family_name, c.given_name, c.email FROM contacts c "
        "JOIN positions p ON p.contact_id = c.id AND p.end_date IS NULL "
        "JOIN accounts a ON a.id = p.account_id "
        "WHERE c.email != '' AND a.tax_code != '' AND a.kind = 'company' ORDER BY c.id LIMIT 1",
    )[0]
    lead_id = _add_lead(
        qtbot,
        ctx,
        panel,
        LeadDraft(
            company=name,
            tax_code=code,
            person_family=family,
            person_given=given,
            email=email,
            interest="Security",
            estimate_minor=1_250_000,
            currency="USD",
        ),
    )
    assert fmt.money(1_250_000, "USD") in panel.count_label.text()  # beside the đồng
    if SHOTS:
        panel.grab().save(str(Path(SHOTS) / "leads_dock_currencies.png"))
    n_contacts = _query(db, "SELECT count(*) FROM contacts")[0][0]
    dialog = _open_converter(qtbot, panel, lead_id)
    assert "same tax code" in dialog.account_label.text()
    assert "same e-mail" in dialog.contact_label.text()
    assert dialog.new_contact_check.isVisible()
    dialog.new_contact_check.setChecked(True)
    qtbot.waitUntil(lambda: "Create the contact" in dialog.contact_label.text(), timeout=5000)
    qtbot.waitUntil(lambda: dialog.convert_button.isEnabled(), timeout=5000)
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "lead_convert_new_contact.png"))
    with qtbot.waitSignal(dialog.converted, timeout=5000):
        dialog.convert_button.click()
    _settle(qtbot, ctx)
    assert _query(db, "SELECT count(*) FROM contacts")[0][0] == n_contacts + 1


def test_a_same_named_company_with_another_tax_code_is_flagged(
    qtbot: Any, app: tuple[Any, Any, LeadsPanel], db: Path
) -> None:
    from workbench.domain.leads import LeadDraft
    from workbench.domain.taxcode import validate_tax_code

    _window, ctx, panel = app
    name, code = _query(
        db, "SELECT name, tax_code FROM accounts WHERE tax_code != '' ORDER BY id LIMIT 1"
    )[0]
    taken = {tax_key(c) for (c,) in _query(db, "SELECT tax_code FROM accounts")}
    other = next(c for c in _valid_codes(validate_tax_code) if c not in taken)
    lead_id = _add_lead(
        qtbot,
        ctx,
        panel,
        LeadDraft(
            company=name,
            tax_code=other,
            person_family="Đỗ",
            person_given="Minh Quân",
            interest="Cloud",
        ),
    )
    dialog = _open_converter(qtbot, panel, lead_id)
    assert dialog.account_label.text().startswith("Create a new account")
    assert dialog.account_note.isVisible()
    assert name in dialog.account_note.text() and code in dialog.account_note.text()
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "lead_convert_conflict.png"))
    dialog.reject()


def _valid_codes(validate: Any) -> Iterator[str]:
    from workbench.domain.errors import ValidationError

    for n in range(310_123_450, 310_124_450):
        for digit in range(10):
            code = f"{n}{digit}"
            try:
                validate(code)
            except ValidationError:
                continue
            yield code

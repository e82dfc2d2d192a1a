"""The Account dock and the account dialog, on a real database through the real worker.

The seeding and window helpers at the top are plain functions wrapped by thin fixtures, so they
can move to a shared conftest unchanged (the Timeline tests import them from here for now).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt

from workbench.domain.changes import ChangeSet, Op, RowChange
from workbench.domain.drafts import AccountDraft, ActivityDraft, ContactDraft, PositionDraft
from workbench.services.accounts import create_account
from workbench.services.contacts import create_contact
from workbench.services.timeline import log_activity
from workbench.storage.store import Store

# -- helpers (movable to a conftest) -----------------------------------------------------------


@dataclass
class Portfolio:
    path: Path
    am: str
    rm: str
    dang: str  # Công ty Cổ phần Đặng Gia: stakeholders, holdings, opportunities, history
    acb: str  # Ngân hàng TMCP Á Châu: a second account, for "another account changed"
    lan: str  # Đặng Thị Lan, decision maker at Đặng Gia
    hung: str  # Võ Văn Hùng, finance contact at Đặng Gia, reports to Lan


def seed_portfolio(path: Path, today: date | None = None) -> Portfolio:
    """Two accounts; the first with two stakeholders, two holdings, two deals and a call."""
    today = today or date.today()
    store = Store(path)
    with store.unit() as u:
        am = u.insert("users", {"name": "Trần Minh Anh", "email": "a@x.vn", "role": "am"})
        rm = u.insert("users", {"name": "Lê Hoàng Nam", "email": "nam@x.vn", "role": "rm"})
        u.commit()
    store.set_setting("current_user_id", am)
    dang = create_account(
        store,
        AccountDraft(
            name="Công ty Cổ phần Đặng Gia",
            tier="key",
            owner_id=am,
            city="Đà Nẵng",
            tax_code="0100109106",
            industry="Thép",
            payment_terms_days=45,
            email="ketoan@danggia.vn",
            notes="Khách hàng thân thiết từ 2019.",
        ),
    ).id
    acb = create_account(
        store,
        AccountDraft(
            name="Ngân hàng TMCP Á Châu",
            tier="strategic",
            owner_id=rm,
            kind="bank_client",
            city="TP. Hồ Chí Minh",
        ),
    ).id
    lan = create_contact(
        store,
        ContactDraft(
            family_name="Đặng",
            middle_name="Thị",
            given_name="Lan",
            email="lan@danggia.vn",
            position=PositionDraft(
                account_id=dang,
                title="Kế toán trưởng",
                influence=5,
                stakeholder_role="decision_maker",
                stance="supporter",
                strength=4,
                colleague_id=am,
            ),
        ),
    ).id
    hung = create_contact(
        store,
        ContactDraft(
            family_name="Võ",
            middle_name="Văn",
            given_name="Hùng",
            position=PositionDraft(
                account_id=dang,
                title="Chuyên viên tài chính",
                stakeholder_role="finance_contact",
                influence=2,
                stance="skeptic",
                strength=1,
                reports_to_id=lan,
            ),
        ),
    ).id
    with store.unit() as u:
        erp = u.insert("products", {"code": "ERP-CORE", "name": "ERP lõi", "product_line": "ERP"})
        cloud = u.insert(
            "products", {"code": "CLOUD-1", "name": "Private Cloud", "product_line": "Cloud"}
        )
        u.insert(
            "holdings",
            {
                "account_id": dang,
                "product_id": erp,
                "end_date": today + timedelta(days=30),
                "annual_value_minor": 480_000_000,
                "usage_level": "high",
            },
        )
        u.insert(
            "holdings",
            {
                "account_id": dang,
                "product_id": cloud,
                "end_date": today + timedelta(days=400),
                "annual_value_minor": 120_000_000,
                "usage_level": "low",
            },
        )
        u.insert(
            "opportunities",
            {
                "account_id": dang,
                "name": "Gia hạn ERP 2027",
                "kind": "renewal",
                "stage": "won",
                "amount_minor": 500_000_000,
                "close_date": today - timedelta(days=10),
            },
        )
        u.insert(
            "opportunities",
            {
                "account_id": dang,
                "name": "Mở rộng Cloud",
                "kind": "upsell",
                "stage": "propose",
                "amount_minor": 250_000_000,
                "close_date": today + timedelta(days=60),
            },
        )
        u.commit()
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=12)
    log_activity(
        store,
        ActivityDraft(
            account_id=dang,
            kind="meeting",
            subject="Họp rà soát hợp đồng",
            owner_id=am,
            occurred_at=long_ago,
            contact_ids=(lan,),
            notes="Chị Lan muốn giảm phí.\nChi tiết...",
        ),
    )
    store.close()
    return Portfolio(path, am, rm, dang, acb, lan, hung)


def open_app(qtbot: Any, tmp_path: Path, db: Path) -> tuple[Any, Any]:
    """The real main window on `db`, every dock loaded; close with `close_app`."""
    from workbench.ui.launch import build, open_database

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window, ctx = build(settings, "am")
    window.resize(1600, 1000)
    window.show()
    # These tests are about the Account and Timeline docks: bring them to the front of their
    # tab groups (the perspective opens on the Account plan and the Stakeholder map).
    window.docks["dock.account"].raise_()
    window.docks["dock.timeline"].raise_()
    open_database(window, ctx, db)
    qtbot.waitUntil(lambda: ctx.store_ready and ctx.tasks.idle, timeout=15000)
    return window, ctx


def close_app(window: Any, ctx: Any) -> None:
    window.close()
    ctx.tasks.shutdown()


def settle(qtbot: Any, ctx: Any) -> None:
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=15000)


def show_account(qtbot: Any, window: Any, ctx: Any, account_id: str) -> None:
    """Select the account in the Accounts dock, as a user would, and wait for the docks."""
    accounts = window.panels["dock.accounts"]
    qtbot.waitUntil(lambda: accounts.model.row_of_id(account_id) >= 0, timeout=5000)
    accounts.select_account(account_id)
    assert ctx.hub.current_account == account_id
    settle(qtbot, ctx)


def read_store(path: Path) -> Store:
    return Store(path)


@pytest.fixture
def portfolio(tmp_path: Path) -> Portfolio:
    return seed_portfolio(tmp_path / "workbench.db")


@pytest.fixture
def app(qtbot: Any, tmp_path: Path, portfolio: Portfolio) -> Iterator[tuple[Any, Any]]:
    window, ctx = open_app(qtbot, tmp_path, portfolio.path)
    yield window, ctx
    close_app(window, ctx)


# -- the dock ----------------------------------------------------------------------------------


def test_selecting_an_account_shows_it_in_account_and_timeline_docks(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    account = window.panels["dock.account"]
    timeline = window.panels["dock.timeline"]

    show_account(qtbot, window, ctx, portfolio.acb)
    assert account.name_label.text() == "Ngân hàng TMCP Á Châu"
    show_account(qtbot, window, ctx, portfolio.dang)

    assert account.stack.currentIndex() == 1
    assert account.name_label.text() == "Công ty Cổ phần Đặng Gia"
    assert account.tier_badge.text() == "Key"
    assert "0100109106" in account.tax_label.text() and "MST10" in account.tax_label.text()
    assert account.city_label.text() == "Đà Nẵng"
    assert account.owner_label.text() == "Trần Minh Anh"
    assert account.last_contact_label.text() == "12 days ago"
    assert [s.name for s in account.stakeholders.rows] == ["Đặng Thị Lan", "Võ Văn Hùng"]
    assert account.tabs.tabText(0) == "Stakeholders (2)"
    assert account.detail_labels["terms"].text() == "45 days"
    assert timeline._account_id == portfolio.dang
    assert [i.subject for i in timeline.items] == ["Họp rà soát hợp đồng"]


def test_without_a_current_account_the_dock_says_how_to_pick_one(
    app: tuple[Any, Any], qtbot: Any
) -> None:
    window, ctx = app
    account = window.panels["dock.account"]
    ctx.hub.set_current_account("")
    settle(qtbot, ctx)
    assert account.stack.currentIndex() == 0
    assert "Ctrl+K" in account.empty_label.text()
    assert not account.edit_button.isEnabled()
    assert window.panels["dock.timeline"].stack.currentIndex() == 1


def test_stakeholders_show_influence_relationship_and_reporting_line(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    show_account(qtbot, window, ctx, portfolio.dang)
    model = window.panels["dock.account"].stakeholders
    lan, hung = 0, 1
    assert model.index(lan, 0).data() == "Đặng Thị Lan\nKế toán trưởng"
    assert model.index(lan, 1).data() == "Decision maker"
    assert model.index(lan, 2).data() == "●●●●●\nSupporter"
    assert model.index(lan, 3).data() == "Strong\nTrần Minh Anh"
    assert model.index(lan, 3).data(Qt.ItemDataRole.DecorationRole) is not None
    assert "Reports to Đặng Thị Lan" in model.index(hung, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(hung, 2).data() == "●●○○○\nSkeptic"


def test_renewals_within_90_days_stand_out_and_open_deals_come_first(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    show_account(qtbot, window, ctx, portfolio.dang)
    panel = window.panels["dock.account"]
    holdings = panel.holdings
    soon = next(i for i, h in enumerate(holdings.rows) if h.product_code == "ERP-CORE")
    later = 1 - soon
    assert holdings.index(soon, 1).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "in 30 days" in holdings.index(soon, 1).data()
    assert holdings.index(later, 1).data(Qt.ItemDataRole.BackgroundRole) is None
    assert [o.name for o in panel.opportunities.rows] == ["Mở rộng Cloud", "Gia hạn ERP 2027"]
    assert panel.tabs.tabText(2) == "Opportunities (1)"


def test_every_account_model_passes_the_model_tester(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any, qtmodeltester: Any
) -> None:
    window, ctx = app
    show_account(qtbot, window, ctx, portfolio.dang)
    panel = window.panels["dock.account"]
    for model in (panel.stakeholders, panel.holdings, panel.opportunities, panel.team):
        assert model.rowCount() > 0
        qtmodeltester.check(model)


def test_the_dock_skips_changes_to_other_accounts(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    show_account(qtbot, window, ctx, portfolio.dang)
    panel = window.panels["dock.account"]
    before = panel.loads

    other = ChangeSet(
        (RowChange("accounts", portfolio.acb, Op.UPDATE, {"city": "Hà Nội"}, {"city": "Cần Thơ"}),),
        frozenset({portfolio.acb}),
    )
    ctx.hub.publish(other)
    settle(qtbot, ctx)
    assert panel.loads == before

    mine = ChangeSet(
        (RowChange("accounts", portfolio.dang, Op.UPDATE, {"city": "Đà Nẵng"}, {"city": "Huế"}),),
        frozenset({portfolio.dang}),
    )
    ctx.hub.publish(mine)
    settle(qtbot, ctx)
    assert panel.loads == before + 1


def test_a_renamed_stakeholder_reloads_the_dock(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    show_account(qtbot, window, ctx, portfolio.dang)
    panel = window.panels["dock.account"]
    before = panel.loads
    renamed = ChangeSet(
        (
            RowChange(
                "contacts",
                portfolio.hung,
                Op.UPDATE,
                {"given_name": "Hùng"},
                {"given_name": "Hưng"},
            ),
        )
    )
    ctx.hub.publish(renamed)
    settle(qtbot, ctx)
    assert panel.loads == before + 1


# -- the dialog --------------------------------------------------------------------------------


def open_dialog(qtbot: Any, panel: Any, new: bool = True) -> Any:
    from workbench.ui.dialogs.account_dialog import AccountDialog

    if new:
        panel.new_item()
    else:
        panel.edit_item()
    dialog = panel.findChildren(AccountDialog)[-1]
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=5000)
    return dialog


def account_names(path: Path) -> list[str]:
    store = read_store(path)
    try:
        with store.read() as q:
            return [name for _id, name in q.account_choices()]
    finally:
        store.close()


def test_account_dialog_rejects_a_bad_tax_code_writes_nothing_then_saves(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    panel = window.panels["dock.account"]
    dialog = open_dialog(qtbot, panel)
    assert dialog.windowTitle() == "New account"
    dialog.name_edit.setText("Công ty TNHH Thủy sản Minh Phú")
    dialog.tax_edit.setText("0312345670")  # the check digit should be 3
    dialog.city_edit.setText("Cà Mau")

    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog._saving, timeout=5000)

    assert "wrong check digit" in dialog.form.error_of("tax_code")
    assert dialog.form.error_of("name") == ""
    assert dialog.isVisible()
    assert dialog.name_edit.text() == "Công ty TNHH Thủy sản Minh Phú"
    assert dialog.city_edit.text() == "Cà Mau"
    assert "Công ty TNHH Thủy sản Minh Phú" not in account_names(portfolio.path)

    dialog.tax_edit.setText("0312345673")
    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        dialog.save_button.click()
    new_id = saved.args[0]
    assert "Công ty TNHH Thủy sản Minh Phú" in account_names(portfolio.path)
    assert ctx.undo.undo_label() == "add Công ty TNHH Thủy sản Minh Phú"
    settle(qtbot, ctx)
    assert ctx.hub.current_account == new_id
    assert panel.name_label.text() == "Công ty TNHH Thủy sản Minh Phú"


def test_account_dialog_shows_every_error_at_once(app: tuple[Any, Any], qtbot: Any) -> None:
    window, _ctx = app
    dialog = open_dialog(qtbot, window.panels["dock.account"])
    dialog.email_edit.setText("ketoan@@danggia")
    dialog.parent_combo.setEditText("Tập đoàn không tồn tại")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog._saving, timeout=5000)
    assert dialog.form.error_of("name") == "An account needs a name"
    assert "not a valid e-mail" in dialog.form.error_of("email")
    assert "pick one from the list" in dialog.form.error_of("parent_id")
    dialog.reject()


def test_editing_the_account_updates_the_dock_and_can_be_undone(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    show_account(qtbot, window, ctx, portfolio.dang)
    panel = window.panels["dock.account"]
    dialog = open_dialog(qtbot, panel, new=False)
    assert dialog.windowTitle() == "Edit Công ty Cổ phần Đặng Gia"
    assert dialog.tax_edit.text() == "0100109106"
    assert dialog.terms_spin.value() == 45
    dialog.city_edit.setText("Huế")
    dialog.parent_combo.setEditText("Ngân hàng TMCP Á Châu")

    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: panel.city_label.text() == "Huế", timeout=5000)
    assert "part of Ngân hàng TMCP Á Châu" in panel.kind_label.text()

    ctx.undo.undo()
    qtbot.waitUntil(lambda: panel.city_label.text() == "Đà Nẵng", timeout=5000)


def test_parent_picker_finds_names_typed_without_diacritics(
    app: tuple[Any, Any], qtbot: Any
) -> None:
    window, _ctx = app
    dialog = open_dialog(qtbot, window.panels["dock.account"])
    completer = dialog.parent_combo.completer()
    completer.setCompletionPrefix("a chau")
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "Ngân hàng TMCP Á Châu"
    dialog.reject()


def test_ctrl_enter_saves_and_escape_cancels(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, _ctx = app
    panel = window.panels["dock.account"]
    dialog = open_dialog(qtbot, panel)
    dialog.activateWindow()
    dialog.name_edit.setText("Hộ kinh doanh Bảy Tươi")
    # A plain Enter in a line edit never saves a half-filled form.
    with qtbot.assertNotEmitted(dialog.saved, wait=300):
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.isVisible()
    dialog.notes_edit.setFocus()
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.keyClick(dialog.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "Hộ kinh doanh Bảy Tươi" in account_names(portfolio.path)

    dialog = open_dialog(qtbot, panel)
    with qtbot.waitSignal(dialog.rejected, timeout=5000):
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Escape)

"""Accounts dock: the portfolio, filtered by owner, tier and text; selecting one makes it
the current account everywhere."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.records import AccountListRow
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.models.columns import RIGHT, Column
from workbench.ui.models.paged import PagedTableModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.list_parts import count_line, debounced, filter_line
from workbench.ui.widgets.table import enable_column_menu, fill_with_first_column, make_table

COLUMNS = [
    Column("name", "Account", lambda r: r.name, "name", tooltip=lambda r: r.name, width=240),
    Column("tier", "Tier", lambda r: fmt.label(r.tier), "tier", width=78),
    Column("owner", "Owner", lambda r: r.owner_name, "owner", width=118),
    Column(
        "last_contact",
        "Last contact",
        lambda r: fmt.days_ago(r.last_contact),
        "last_contact",
        tooltip=lambda r: fmt.day(r.last_contact),
        width=100,
    ),
    Column(
        "open",
        "Open opps",
        lambda r: str(r.open_opportunities) if r.open_opportunities else "",
        "open_opportunities",
        align=RIGHT,
        tooltip=lambda r: fmt.money(r.open_pipeline_minor, r.currency),
        width=70,
    ),
    Column("city", "City", lambda r: r.city, "city", width=120),
]


def _count(store: Any, f: Any) -> int:
    with store.read() as q:
        return int(q.account_count(f))


def _page(store: Any, f: Any, sort: str, desc: bool, offset: int, limit: int) -> list[Any]:
    with store.read() as q:
        return list(q.account_page(f, sort, desc, offset, limit))


class AccountsPanel(Panel):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.model = PagedTableModel(ctx.tasks, COLUMNS, _count, _page, "name")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        bar = QHBoxLayout()
        self.filter_edit = filter_line(
            "accounts.filter", tr("Filter by name, tax code, city… (Ctrl+F)")
        )
        self.owner_combo = QComboBox()
        self.owner_combo.setObjectName("accounts.owner")
        self.tier_combo = QComboBox()
        self.tier_combo.setObjectName("accounts.tier")
        self.tier_combo.addItem(tr("All tiers"), "")
        for tier in ("strategic", "key", "core", "small"):
            self.tier_combo.addItem(fmt.label(tier), tier)
        self.new_button = QPushButton(tr("New account"))
        self.new_button.setObjectName("accounts.new")
        bar.addWidget(self.filter_edit, 3)
        bar.addWidget(self.owner_combo, 1)
        bar.addWidget(self.tier_combo, 1)
        bar.addWidget(self.new_button)
        layout.addLayout(bar)
        self.view = make_table(self)
        self.view.setObjectName("accounts.table")
        self.view.setModel(self.model)
        header = self.view.horizontalHeader()
        for i, col in enumerate(COLUMNS):
            self.view.setColumnWidth(i, col.width)
        header.setMinimumSectionSize(48)
        enable_column_menu(
            self.view,
            [tr(c.title) for c in COLUMNS],
            ctx.settings,
            "accounts",
            default_hidden=(len(COLUMNS) - 1,),  # City: in the tooltip and the Account dock
        )
        fill_with_first_column(self.view, minimum=200)
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        layout.addWidget(self.view)
        self.count_label = count_line("accounts.count")
        layout.addWidget(self.count_label)

        self._debounce = debounced(self, self.filter_edit, self._apply_filter)
        self.owner_combo.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.tier_combo.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.new_button.clicked.connect(self.new_item)
        self.view.selectionModel().selectionChanged.connect(self._selected)
        self.view.doubleClicked.connect(lambda _i: self.edit_item())
        self.model.loaded.connect(self._loaded)
        ctx.hub.current_account_changed.connect(self._follow_current)
        self._select_after_load: str | None = None
        self._owners_loaded = False

    # -- loading -----------------------------------------------------------------------------
    def _filter(self) -> Any:
        from workbench.storage.queries import AccountFilter

        return AccountFilter(
            text=self.filter_edit.text(),
            owner_id=self.owner_combo.currentData() or None,
            tier=self.tier_combo.currentData() or None,
        )

    def _fill_owners(self) -> None:
        if self._owners_loaded or not self.ctx.users:
            return
        self._owners_loaded = True
        self.owner_combo.blockSignals(True)
        self.owner_combo.addItem(tr("All owners"), "")
        self.owner_combo.addItem(tr("My accounts"), self.ctx.current_user_id)
        for user in self.ctx.users:
            if user.role in ("am", "rm", "sales"):
                self.owner_combo.addItem(user.name, user.id)
        self.owner_combo.blockSignals(False)

    def reload(self) -> None:
        self._fill_owners()
        if self.model.filter is None:
            self.model.set_filter(self._filter())
        else:
            self.model.reload(keep_pages=True)

    def _apply_filter(self) -> None:
        if self.ctx.store_ready:
            self.model.set_filter(self._filter())

    def _loaded(self) -> None:
        n = self.model.total
        f = self.model.filter
        if n == 0 and f is not None and not (f.text or f.owner_id or f.tier):
            self.count_label.setText(
                tr(
                    "No accounts yet: add one with Ctrl+Shift+A, or import a CSV file "
                    "(workbench import accounts FILE.csv)."
                )
            )
        else:
            self.count_label.setText(tr("{n} accounts", n=f"{n:,}".replace(",", " ")))
        if self._select_after_load:
            self.select_account(self._select_after_load)
            self._select_after_load = None
        elif not self.ctx.hub.current_account and n:
            self.view.selectRow(0)

    def affected_by(self, changes: ChangeSet) -> bool:
        return changes.touches("accounts", "activities", "opportunities", "users", "account_team")

    # -- selection ---------------------------------------------------------------------------
    def _selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = selected.indexes()
        if rows:
            row = self.model.row_at(rows[0].row())
            if isinstance(row, AccountListRow):
                self.ctx.hub.set_current_account(row.id)

    def _follow_current(self, account_id: str) -> None:
        """Made current elsewhere (quick search, another dock): show it here too, if loaded."""
        current = self.current_row()
        if account_id and (current is None or current.id != account_id):
            self.select_account(account_id)

    def select_account(self, account_id: str) -> None:
        row = self.model.row_of_id(account_id)
        if row >= 0:
            self.view.selectRow(row)
            self.view.scrollTo(self.model.index(row, 0))

    def current_row(self) -> AccountListRow | None:
        index: QModelIndex = self.view.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        return row if isinstance(row, AccountListRow) else None

    # -- commands ----------------------------------------------------------------------------
    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def new_item(self) -> None:
        from workbench.ui.dialogs.account_dialog import AccountDialog

        dialog = AccountDialog(self.ctx, None, self)
        dialog.saved.connect(self._created)
        dialog.open()

    def _created(self, account_id: str) -> None:
        self._select_after_load = account_id
        self.ctx.hub.set_current_account(account_id)

    def edit_item(self) -> None:
        from workbench.ui.dialogs.account_dialog import AccountDialog

        row = self.current_row()
        if row is None:
            return
        AccountDialog(self.ctx, row.id, self).open()

    def archive_item(self) -> None:
        row = self.current_row()
        if row is None:
            return
        from workbench.services.accounts import archive_account

        name = row.name

        def done(changes: ChangeSet) -> None:
            self.ctx.undo.push(tr("archive {name}", name=name), changes)
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(tr("Archived {name}. Undo with Ctrl+Z.", name=name))

        self.run("archive", lambda store, _c: archive_account(store, row.id), done)

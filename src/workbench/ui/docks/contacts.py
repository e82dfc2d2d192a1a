"""Contacts dock: everyone we know, found by any part of a name, e-mail, phone or tax code.

The list can follow the current account ("At current account"), and selecting a person whose
main position is at an account makes that account current everywhere, so the account's docks
show where this person works. The list is paged from SQL because a bank's contact book runs to
six figures; sorting and text filtering happen in the query (the filter uses the folded search
index, so "nguyen" finds "Nguyễn" and "dang" finds "Đặng").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.names import NameOrder, PersonName
from workbench.domain.phone import format_phone
from workbench.domain.records import ContactListRow
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.models.columns import Column
from workbench.ui.models.paged import PagedTableModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.list_parts import count_line, debounced, filter_line
from workbench.ui.widgets.table import make_table


def display_name(row: Any) -> str:
    """A contact row's full name as its owner writes it (family first for Vietnamese)."""
    try:
        order = NameOrder(row.name_order)
    except ValueError:  # stored by a newer version or another device: show it anyway
        order = NameOrder.FAMILY_FIRST
    return PersonName(row.family_name, row.middle_name, row.given_name, order).display()


def _phone(row: ContactListRow) -> str:
    """The number to call: the mobile when there is one, as people answer those."""
    number = row.mobile or row.phone
    return format_phone(number) if number else ""


def _phone_tip(row: ContactListRow) -> str:
    lines = []
    if row.mobile:
        lines.append(tr("Mobile: {number}", number=format_phone(row.mobile)))
    if row.phone:
        lines.append(tr("Phone: {number}", number=format_phone(row.phone)))
    return "\n".join(lines)


COLUMNS = [
    Column("name", "Name", display_name, "name", width=170),
    Column("title", "Title", lambda r: r.title, width=170),
    Column("account", "Account", lambda r: r.account_name, "account", width=200),
    Column("email", "Email", lambda r: r.email, "email", width=210),
    Column("phone", "Mobile / phone", _phone, tooltip=_phone_tip, width=120),
]


def _count(store: Any, f: Any) -> int:
    with store.read() as q:
        return int(q.contact_count(f))


def _page(store: Any, f: Any, sort: str, desc: bool, offset: int, limit: int) -> list[Any]:
    with store.read() as q:
        return list(q.contact_page(f, sort, desc, offset, limit))


def _grouped(n: int) -> str:
    return f"{n:,}".replace(",", " ")


class ContactsPanel(Panel):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.model = PagedTableModel(ctx.tasks, COLUMNS, _count, _page, "name")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        bar = QHBoxLayout()
        self.filter_edit = filter_line(
            "contacts.filter", tr("Filter by name, email, phone, tax code… (Ctrl+F)")
        )
        self.at_account = QPushButton(tr("At current account"))
        self.at_account.setObjectName("contacts.at_account")
        self.at_account.setCheckable(True)
        self.at_account.setToolTip(tr("Show only people working at the current account"))
        self.new_button = QPushButton(tr("New contact"))
        self.new_button.setObjectName("contacts.new")
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.at_account)
        bar.addWidget(self.new_button)
        layout.addLayout(bar)

        self.view = make_table(self)
        self.view.setObjectName("contacts.table")
        # Before setModel: setting the indicator on a live model would query before a store.
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.view.setModel(self.model)
        for i, col in enumerate(COLUMNS):
            self.view.setColumnWidth(i, col.width)
        layout.addWidget(self.view)
        self.count_label = count_line("contacts.count")
        layout.addWidget(self.count_label)

        self._debounce = debounced(self, self.filter_edit, self.request_reload)
        self.at_account.toggled.connect(lambda _on: self.request_reload())
        self.new_button.clicked.connect(self.new_item)
        self.view.selectionModel().selectionChanged.connect(self._selected)
        self.view.activated.connect(lambda _i: self.edit_item())  # double-click or Enter
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._sort_changed)
        self.model.loaded.connect(self._loaded)
        ctx.hub.current_account_changed.connect(self._account_changed)
        ctx.hub.open_contact.connect(self.show_contact)
        self._sorted_by = (0, Qt.SortOrder.AscendingOrder)
        self._select_after_load: str | None = None
        self._select_row_after_load = -1
        self._quiet_selection = False  # a selection made by the program, not the user
        self.dialog: QDialog | None = None  # the last one opened (closed ones delete themselves)

    # -- loading -----------------------------------------------------------------------------
    def _filter(self) -> Any:
        from workbench.storage.queries import ContactFilter

        account = self.ctx.hub.current_account if self.at_account.isChecked() else ""
        return ContactFilter(text=self.filter_edit.text(), account_id=account or None)

    def reload(self) -> None:
        f = self._filter()
        if f != self.model.filter:
            self.model.set_filter(f)
        else:
            self.model.reload(keep_pages=True)

    def affected_by(self, changes: ChangeSet) -> bool:
        return changes.touches("contacts", "positions", "accounts")

    def _account_changed(self, _account_id: str) -> None:
        if self.at_account.isChecked():
            self.request_reload()

    def _count_text(self, n: int) -> str:
        text = self.filter_edit.text().strip()
        if n == 0 and text:
            return tr("No contacts match “{text}”", text=text)
        if not self.at_account.isChecked():
            return tr("1 contact") if n == 1 else tr("{n} contacts", n=_grouped(n))
        if not self.ctx.hub.current_account:
            return tr("{n} contacts (no account is selected)", n=_grouped(n))
        if n == 1:
            return tr("1 contact at the current account")
        return tr("{n} contacts at the current account", n=_grouped(n))

    def _loaded(self) -> None:
        n = self.model.total
        self.count_label.setText(self._count_text(n))
        if self._select_after_load:
            self.select_contact(self._select_after_load)
            self._select_after_load = None
        elif self._select_row_after_load >= 0 and n:
            self._quiet_selection = True
            self.view.selectRow(min(self._select_row_after_load, n - 1))
            self._quiet_selection = False
        self._select_row_after_load = -1

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        """Keep the arrow on the column the list is really sorted by.

        Title and phone are not sortable in SQL (a contact may hold several), so a click on
        them puts the indicator back instead of showing a sort that did not happen.
        """
        if COLUMNS[column].sort_key:
            self._sorted_by = (column, order)
            return
        header = self.view.horizontalHeader()
        with QSignalBlocker(header):
            header.setSortIndicator(*self._sorted_by)

    # -- selection ---------------------------------------------------------------------------
    def _selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        """A person picked by the user makes their account current, unless the list is
        limited to the current account: then it would jump to wherever else they work."""
        if self._quiet_selection or self.at_account.isChecked():
            return
        rows = selected.indexes()
        if rows:
            row = self.model.row_at(rows[0].row())
            if isinstance(row, ContactListRow) and row.account_id:
                self.ctx.hub.set_current_account(row.account_id)

    def select_contact(self, contact_id: str) -> bool:
        row = self.model.row_of_id(contact_id)
        if row < 0:
            return False
        self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0))
        return True

    def current_row(self) -> ContactListRow | None:
        index: QModelIndex = self.view.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        return row if isinstance(row, ContactListRow) else None

    def show_contact(self, contact_id: str) -> None:
        """Bring one person into view (quick search, "open existing" on a duplicate).

        When they are not among the loaded rows, the list is filtered to their name: that
        is what the user would type, and it leaves the filter visible and easy to clear.
        """
        if self.select_contact(contact_id):
            self.view.setFocus()
            return

        def work(store: Any, _ctx: Any) -> Any:
            with store.read() as q:
                return q.contact_detail(contact_id)

        def done(detail: Any) -> None:
            if detail is None or detail.archived:
                self.ctx.hub.status.emit(tr("That contact has been archived."))
                return
            self._select_after_load = contact_id
            with QSignalBlocker(self.at_account), QSignalBlocker(self.filter_edit):
                self.at_account.setChecked(False)
                self.filter_edit.setText(display_name(detail))
            self._debounce.stop()
            self.request_reload()
            self.view.setFocus()

        self.run("contact", work, done)

    # -- commands ----------------------------------------------------------------------------
    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def _open_dialog(self, contact_id: str | None, account_id: str | None = None) -> None:
        from workbench.ui.dialogs.contact_dialog import ContactDialog

        dialog = ContactDialog(self.ctx, contact_id, self, account_id=account_id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()

    def new_item(self) -> None:
        """A new person; with the list at an account, they are placed at that account."""
        account = self.ctx.hub.current_account if self.at_account.isChecked() else ""
        self._open_dialog(None, account or None)

    def edit_item(self) -> None:
        row = self.current_row()
        if row is not None:
            self._open_dialog(row.id)

    def _saved(self, contact_id: str) -> None:
        self._select_after_load = contact_id

    def archive_item(self) -> None:
        row = self.current_row()
        if row is None:
            return
        from workbench.services.contacts import archive_contact

        name = display_name(row)
        position = self.view.currentIndex().row()

        def done(changes: ChangeSet) -> None:
            self.ctx.undo.push(tr("archive {name}", name=name), changes)
            self._select_row_after_load = position
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(tr("Archived {name}. Undo with Ctrl+Z.", name=name))

        self.run("archive", lambda store, _c: archive_contact(store, row.id), done)

"""Leads dock: a salesperson's prospects, from first contact to conversion.

Why one table with the status in colour: a hunter's morning is "which new leads have I not
called, which qualified ones can I convert"; the status filter and colour answer that at a
glance, and Convert… turns the selected lead into an account, a contact and a first
opportunity after saying exactly what it will link or create.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.enums import LeadStatus
from workbench.domain.leads import CONVERTIBLE, LeadRow, estimate_totals
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.models.columns import RIGHT, ROW_ROLE, Column
from workbench.ui.models.styled import Look, StyledRowsModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.badges import dot_icon
from workbench.ui.widgets.colours import AMBER, BLUE, GREEN, GREY
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.list_parts import count_line, debounced, filter_line
from workbench.ui.widgets.two_line import sorted_view, two

PURPLE = "#8e24aa"
STATUS_COLOUR = {
    LeadStatus.NEW: BLUE,
    LeadStatus.WORKING: AMBER,
    LeadStatus.QUALIFIED: GREEN,
    LeadStatus.DISQUALIFIED: GREY,
    LeadStatus.CONVERTED: PURPLE,
}
OPEN = "open"  # the status filter's "new, working or qualified"


def age_days(row: LeadRow, today: date | None = None) -> int:
    return max(0, ((today or date.today()) - fmt.local(row.created_at).date()).days)


def _age(row: LeadRow) -> str:
    n = age_days(row)
    return tr("today") if n == 0 else tr("{n} d", n=n)


# Vietnamese legal forms as people write them in short: the distinctive part of a company
# name comes last, and a narrow column would otherwise show only "Công ty Cổ phần…".
SHORT_FORMS = (
    ("Công ty Cổ phần ", "CTCP "),
    ("Công ty TNHH MTV ", "TNHH MTV "),
    ("Công ty TNHH ", "TNHH "),
    ("Tổng Công ty ", "TCT "),
)


def short_company(name: str) -> str:
    for long, short in SHORT_FORMS:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def _who(row: LeadRow) -> str:
    person = " · ".join(p for p in (row.person, row.title) if p)
    if row.company:
        return two(short_company(row.company), person)
    return two(row.person, row.title) if row.person else row.email


def _tooltip(row: LeadRow) -> str:
    parts = [row.company, " · ".join(p for p in (row.person, row.title) if p)]
    parts += [p for p in (row.email, row.phone) if p]
    if row.tax_code:
        parts.append(tr("Tax code {code}", code=row.tax_code))
    if row.account_name:
        parts.append(tr("Converted into {name}", name=row.account_name))
    if row.notes:
        parts += ["", row.notes]
    return "\n".join(p for p in parts if p is not None).strip()


def count_text(rows: list[LeadRow]) -> str:
    """ "12 leads · 3.450.000.000 ₫, US$85,000.00 estimated": one total per currency, since
    đồng and dollars do not add up."""
    text = tr("{n} leads", n=len(rows))
    totals = estimate_totals(rows)
    if totals:
        amounts = ", ".join(fmt.money(minor, currency) for currency, minor in totals)
        text = tr("{n} leads · {amount} estimated", n=len(rows), amount=amounts)
    return text


def _status(row: LeadRow) -> str:
    return fmt.label(row.status, "lead_status")


COLUMNS = [
    Column("lead", "Lead", _who, tooltip=_tooltip),
    Column(
        "status",
        "Status",
        lambda r: two(_status(r), fmt.label(r.source)),
        tooltip=lambda r: r.notes,
    ),
    Column("interest", "Interest", lambda r: r.interest),
    Column(
        "estimate",
        "Estimate",
        lambda r: fmt.money(r.estimate_minor, r.currency) if r.estimate_minor else "",
        align=RIGHT,
    ),
    Column("owner", "Owner", lambda r: r.owner_name),
    Column("age", "Age", _age, align=RIGHT, tooltip=lambda r: fmt.day(r.created_at)),
]
WIDTHS = [128, 120, 112, 112, 62]  # status (over source) .. age
LOOKS = {
    "lead": Look(sort=lambda r: (r.company or r.person).casefold()),
    "status": Look(
        foreground=lambda r: STATUS_COLOUR.get(r.status),
        icon=lambda r: dot_icon(STATUS_COLOUR.get(r.status, GREY)),
        sort=lambda r: list(LeadStatus).index(LeadStatus(r.status)),
    ),
    "estimate": Look(sort=lambda r: r.estimate_minor),
    "age": Look(sort=lambda r: age_days(r), foreground=lambda r: None),
}


def _load(f: Any) -> Any:
    def work(store: Any, _ctx: Any) -> list[LeadRow]:
        from workbench.services.leads import list_leads

        return list_leads(store, f)

    return work


class LeadsPanel(Panel):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.rows: list[LeadRow] = []
        self._generation = 0
        self._select_after_load = ""
        self._owners_loaded = False
        self.model = StyledRowsModel(COLUMNS, LOOKS)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        bar = QHBoxLayout()
        self.filter_edit = filter_line(
            "leads.filter", tr("Filter by company, person, e-mail, notes… (Ctrl+F)")
        )
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("leads.status")
        self.status_combo.addItem(tr("Open leads"), OPEN)
        self.status_combo.addItem(tr("All statuses"), "")
        for status in LeadStatus:
            self.status_combo.addItem(
                dot_icon(STATUS_COLOUR[status]),
                fmt.label(status.value, "lead_status"),
                status.value,
            )
        self.owner_combo = QComboBox()
        self.owner_combo.setObjectName("leads.owner")
        self.owner_combo.addItem(tr("All owners"), "")
        bar.addWidget(self.filter_edit, 3)
        bar.addWidget(self.status_combo, 1)
        bar.addWidget(self.owner_combo, 1)
        layout.addLayout(bar)

        actions = QHBoxLayout()
        self.new_button = QPushButton(tr("New lead"))
        self.new_button.setObjectName("leads.new")
        self.new_button.setToolTip(tr("Add a lead (Ctrl+N)"))
        self.edit_button = QPushButton(tr("Edit…"))
        self.edit_button.setObjectName("leads.edit")
        self.edit_button.setToolTip(tr("Edit the selected lead (F2)"))
        self.convert_button = QPushButton(tr("Convert…"))
        self.convert_button.setObjectName("leads.convert")
        self.convert_button.setToolTip(
            tr("Turn the selected lead into an account, a contact and a first opportunity")
        )
        for button in (self.new_button, self.edit_button, self.convert_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.count_label = count_line("leads.count")
        actions.addWidget(self.count_label)
        layout.addLayout(actions)

        self.stack = QStackedWidget()
        self.view = sorted_view(self.model, WIDTHS)
        self.view.setObjectName("leads.table")
        self.empty_label = empty_label("leads.empty")
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty_label)
        layout.addWidget(self.stack, 1)

        self._debounce = debounced(self, self.filter_edit, self.request_reload)
        self.status_combo.currentIndexChanged.connect(lambda _i: self.request_reload())
        self.owner_combo.currentIndexChanged.connect(lambda _i: self.request_reload())
        self.new_button.clicked.connect(self.new_item)
        self.edit_button.clicked.connect(self.edit_item)
        self.convert_button.clicked.connect(self.convert_item)
        self.view.doubleClicked.connect(lambda _i: self.edit_item())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    # -- loading -----------------------------------------------------------------------------
    def _fill_owners(self) -> None:
        if self._owners_loaded or not self.ctx.users:
            return
        self._owners_loaded = True
        self.owner_combo.blockSignals(True)
        self.owner_combo.addItem(tr("My leads"), self.ctx.current_user_id)
        for user in self.ctx.users:
            if user.role in ("sales", "am", "rm"):
                self.owner_combo.addItem(user.name, user.id)
        self.owner_combo.blockSignals(False)

    def _filter(self) -> Any:
        from workbench.services.leads import LeadFilter

        status = str(self.status_combo.currentData() or "")
        return LeadFilter(
            status=status if status and status != OPEN else None,
            owner_id=self.owner_combo.currentData() or None,
            text=self.filter_edit.text(),
        )

    def reload(self) -> None:
        self._fill_owners()
        self._generation += 1
        generation = self._generation
        self.run("leads", _load(self._filter()), lambda rows: self._loaded(generation, rows))

    def _loaded(self, generation: int, rows: list[LeadRow]) -> None:
        if generation != self._generation:
            return
        if self.status_combo.currentData() == OPEN:
            rows = [r for r in rows if r.status in CONVERTIBLE]
        self.rows = rows
        self.model.set_rows(rows)
        self._show_state()
        if self._select_after_load:
            self.select_lead(self._select_after_load)
            self._select_after_load = ""

    def _show_state(self) -> None:
        n = len(self.rows)
        self.count_label.setText(count_text(self.rows))
        filtered = bool(self.filter_edit.text().strip()) or self.owner_combo.currentData()
        if n == 0 and not filtered and self.status_combo.currentData() in (OPEN, ""):
            self.empty_label.setText(
                tr("No open leads. Add one with Ctrl+N when a prospect calls or fills in a form.")
            )
        else:
            self.empty_label.setText(tr("No leads match this filter"))
        self.stack.setCurrentIndex(0 if n else 1)
        self._update_buttons()

    def affected_by(self, changes: ChangeSet) -> bool:
        return changes.touches("leads", "users", "accounts")

    # -- selection ---------------------------------------------------------------------------
    def selected(self) -> LeadRow | None:
        index: QModelIndex = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().isSelected(index):
            rows = self.view.selectionModel().selectedRows()
            if not rows:
                return None
            index = rows[0]
        row = index.data(ROW_ROLE)
        return row if isinstance(row, LeadRow) else None

    def select_lead(self, lead_id: str) -> None:
        source_row = self.model.row_of_id(lead_id)
        if source_row < 0:
            return
        proxy = self.view.model()
        assert isinstance(proxy, QSortFilterProxyModel)
        index = proxy.mapFromSource(self.model.index(source_row, 0))
        self.view.selectRow(index.row())
        self.view.scrollTo(index)

    def _update_buttons(self) -> None:
        row = self.selected()
        self.edit_button.setEnabled(row is not None)
        self.convert_button.setEnabled(row is not None and row.status in CONVERTIBLE)

    # -- commands ----------------------------------------------------------------------------
    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def new_item(self) -> None:
        from workbench.ui.dialogs.lead_dialog import LeadDialog

        dialog = LeadDialog(self.ctx, None, self)
        dialog.saved.connect(self._saved)
        dialog.open()

    def edit_item(self) -> None:
        from workbench.ui.dialogs.lead_dialog import LeadDialog

        row = self.selected()
        if row is None:
            return
        dialog = LeadDialog(self.ctx, row, self)
        dialog.saved.connect(self._saved)
        dialog.open()

    def _saved(self, lead_id: str) -> None:
        self._select_after_load = lead_id

    def convert_item(self) -> None:
        from workbench.ui.dialogs.lead_convert import ConvertDialog

        row = self.selected()
        if row is None or row.status not in CONVERTIBLE:
            return
        dialog = ConvertDialog(self.ctx, row, self)
        dialog.open()

    def archive_item(self) -> None:
        row = self.selected()
        if row is None:
            return
        name = row.display_name
        lead_id = row.id

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.leads import archive_lead

            return archive_lead(store, lead_id)

        def done(changes: ChangeSet) -> None:
            self.ctx.undo.push(tr("archive {name}", name=name), changes)
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(tr("Archived {name}. Undo with Ctrl+Z.", name=name))

        self.run("archive lead", work, done)

"""Account plan dock: the current account's lean plan on one screen.

Why edit in place: a plan gets kept when updating it costs seconds. The five texts are edited
where they are shown and saved when the cursor leaves them (F2 opens all of it in a dialog);
objectives show their progress as current / target with a bar, computed from data where a
measure fits and "no data" where there is nothing to compute from; overdue actions are red.
A weekly update is one line and Enter. SWOT and competitors are there, but folded away.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QCursor,
    QFont,
    QKeySequence,
    QPainter,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.enums import Measure, PlanStatus
from workbench.domain.plans import AccountPlans, ActionRow, ObjectiveRow, PlanView, UpdateRow
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.failures import not_saved
from workbench.ui.i18n import tr
from workbench.ui.models.columns import ROW_ROLE, Column
from workbench.ui.models.rows import RowsModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.colours import AMBER, GREEN, GREY, RED
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.table import make_table
from workbench.ui.widgets.two_line import TwoLineDelegate, two

TEXT_FIELDS = (
    ("desired_outcome", "Desired outcome", "Where the account should be at the end of the period"),
    ("growth", "Growth opportunities", "Upsell, cross-sell, new units to reach"),
    ("risks", "Risks and blockers", "What could stop it (internal: left out of the client PDF)"),
    ("next_steps", "Next steps", "The next two or three moves"),
    ("key_players", "Key players", "Who decides, who helps, who blocks"),
)
SWOT_FIELDS = (
    ("strengths", "Strengths"),
    ("weaknesses", "Weaknesses"),
    ("opportunities", "Opportunities"),
    ("threats", "Threats"),
    ("competitors", "Competitors"),
    ("internal_notes", "Internal notes"),
)


def compact_money(minor: int, currency: str) -> str:
    """ "₫1.2B" / "1,2 T ₫": short enough for a table cell (the tooltip has the full amount)."""
    from decimal import Decimal

    from babel.numbers import format_compact_currency

    from workbench.domain.money import currency_exponent
    from workbench.ui.i18n import locale_name

    amount = Decimal(minor).scaleb(-currency_exponent(currency))
    return str(format_compact_currency(amount, currency, locale=locale_name(), fraction_digits=1))


def current_text(o: ObjectiveRow, currency: str, *, full: bool = False) -> str:
    """ "64 / 80", "₫1.2B / ₫5B"; "no data / 80" when the measure has nothing to count."""
    if o.measure == Measure.REVENUE_WON:
        money = fmt.money if full else compact_money
        current = tr("no data") if o.current is None else money(o.current, currency)
        return f"{current} / {money(o.target, currency)}"
    current = tr("no data") if o.current is None else str(o.current)
    return f"{current} / {o.target}"


def progress_text(o: ObjectiveRow) -> str:
    return tr("no data") if o.progress is None else f"{round(o.progress * 100)}%"


def action_link(a: ActionRow) -> str:
    parts = []
    if a.opportunity_name:
        name = a.opportunity_name
        parts.append(tr("{name} (archived)", name=name) if a.opportunity_archived else name)
    if a.contact_name:
        parts.append(a.contact_name)
    return " · ".join(parts)


def action_line(a: ActionRow) -> str:
    """The action's second line: who does it and what it is for."""
    return " · ".join(p for p in (a.owner_name, action_link(a)) if p)


def action_status(a: ActionRow, today: date | None = None) -> str:
    if a.overdue and a.due_date is not None:
        days = ((today or date.today()) - a.due_date).days
        return tr("Overdue {n} days", n=days) if days > 1 else tr("Overdue")
    return fmt.label(a.status)


class _Currency:
    """The plan's currency, read by the objective columns (set on every load)."""

    code = "VND"


def objective_line(o: ObjectiveRow) -> str:
    """The objective's second line: how it is measured and when it is due."""
    parts = [fmt.label(o.measure)]
    if o.due_date:
        parts.append(tr("due {day}", day=fmt.day(o.due_date)))
    return " · ".join(parts)


OBJECTIVE_COLUMNS = [
    Column(
        "title",
        "Objective",
        lambda o: two(o.title, objective_line(o)),
        tooltip=lambda o: f"{o.title}\n{objective_line(o)}",
    ),
    Column(
        "current",
        "Current / target",
        lambda o: current_text(o, _Currency.code),
        align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        tooltip=lambda o: current_text(o, _Currency.code, full=True),
        width=132,
    ),
    # Centred: the header then keeps clear of the right-aligned one before it (the bar is
    # painted by ProgressDelegate, which ignores the alignment).
    Column("progress", "Progress", progress_text, align=Qt.AlignmentFlag.AlignCenter, width=110),
]
ACTION_COLUMNS = [
    Column(
        "title",
        "Action",
        lambda a: two(a.title, action_line(a)),
        tooltip=lambda a: "\n".join(p for p in (a.title, action_line(a)) if p),
    ),
    Column("due", "Due", lambda a: fmt.day(a.due_date), width=112),
    Column("status", "Status", action_status, width=115),
]


class ObjectivesModel(RowsModel):
    """The header of a right-aligned column (current / target) sits over its numbers."""

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.TextAlignmentRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section].align
        return super().headerData(section, orientation, role)


def update_line(u: UpdateRow) -> str:
    """The update's second line: when and who."""
    return " · ".join(p for p in (fmt.day(u.written_on), u.author_name) if p)


UPDATE_COLUMNS = [
    Column(
        "text",
        "Update",
        lambda u: two(u.text, update_line(u)),
        tooltip=lambda u: f"{u.text}\n{update_line(u)}",
    ),
]
UPDATES_SHOWN = 5  # rows of the update log on screen; older ones scroll


class ActionsModel(RowsModel):
    """Overdue actions in red and bold, finished ones greyed."""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if isinstance(row, ActionRow):
            if role == Qt.ItemDataRole.ForegroundRole:
                if row.overdue:
                    return QColor(RED)
                if row.status in ("done", "dropped"):
                    return QColor(GREY)
            if role == Qt.ItemDataRole.FontRole and row.overdue:
                font = QFont()
                font.setBold(True)
                return font
        return super().data(index, role)


class ProgressDelegate(QStyledItemDelegate):
    """A bar for current / target: green when reached, amber on the way; "no data" in grey."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(ROW_ROLE)
        if not isinstance(row, ObjectiveRow):
            super().paint(painter, option, index)
            return
        painter.save()
        rect: QRect = option.rect
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, option.palette.color(QPalette.ColorRole.Highlight))
        text = progress_text(row)
        metrics = painter.fontMetrics()
        label_w = metrics.horizontalAdvance("100%") + 8
        if row.progress is None:
            painter.setPen(QColor(GREY))
            painter.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, text)
            painter.restore()
            return
        bar = QRect(rect.left() + 6, rect.center().y() - 4, rect.width() - label_w - 14, 8)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QColor(GREY)
        track.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(bar, 4, 4)
        share = max(0.0, min(1.0, row.progress))
        if share > 0:
            filled = QRect(bar.left(), bar.top(), max(8, int(bar.width() * share)), bar.height())
            painter.setBrush(QColor(GREEN if row.progress >= 1 else AMBER))
            painter.drawRoundedRect(filled, 4, 4)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            QRect(bar.right() + 6, rect.top(), label_w, rect.height()),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            text,
        )
        painter.restore()


class PlanText(QPlainTextEdit):
    """A plan text edited in place: `committed` when the cursor leaves it changed."""

    committed = Signal(str, str)  # field, text

    def __init__(self, field: str, placeholder: str) -> None:
        super().__init__()
        self.field = field
        self.loaded = ""
        self.setObjectName(f"plan.{field}")
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)

    def load(self, text: str) -> None:
        if self.hasFocus() and self.toPlainText() != self.loaded:
            return  # the user is typing here: keep what they typed
        self.loaded = text
        if self.toPlainText() != text:
            self.setPlainText(text)

    def focusOutEvent(self, event: Any) -> None:
        super().focusOutEvent(event)
        self.commit()

    def commit(self) -> None:
        text = self.toPlainText()
        if text.strip() != self.loaded.strip():
            self.loaded = text
            self.committed.emit(self.field, text)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: 600; padding-top: 4px;")
    return label


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {GREY}; padding: 2px 0 6px 2px;")
    label.hide()
    return label


def _fit_rows(view: QTableView, rows: int, minimum: int = 2) -> None:
    """Size a short table to its rows so the dock scrolls as one page, not table by table."""
    height = view.horizontalHeader().sizeHint().height()
    height += view.verticalHeader().defaultSectionSize() * max(minimum, rows) + 4
    view.setFixedHeight(height)


def _load(account_id: str, plan_id: str | None) -> Callable[[Any, Any], AccountPlans]:
    def work(store: Any, _ctx: Any) -> AccountPlans:
        from workbench.services.plans import account_plan

        return account_plan(store, account_id, plan_id)

    return work


class PlanPanel(Panel):
    follows_current_account = True

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.data: AccountPlans | None = None
        self._account_id = ""
        self._plan_id: str | None = None
        self._generation = 0
        self._filling = False
        self._last_table: QTableView | None = None
        self._keep_selected: tuple[QTableView, str] | None = None  # reselect after a move
        self._menu: QMenu | None = None
        self.export_error: QMessageBox | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)  # Panel.exposed() also counts the children
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)

        # page 0: a message (no account / loading)
        self.message = empty_label("plan.message")
        self.stack.addWidget(self.message)

        # page 1: no plan yet
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("plan.empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(f"color: {GREY}; font-size: 13px;")
        self.start_button = QPushButton()
        self.start_button.setObjectName("plan.start")
        self.start_button.clicked.connect(self.start_plan)
        empty_layout.addWidget(self.empty_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        row.addStretch(1)
        empty_layout.addLayout(row)
        empty_layout.addStretch(2)
        self.stack.addWidget(empty)

        # page 2: the plan
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page = QWidget()
        self.page = page
        scroll.setWidget(page)
        self.stack.addWidget(scroll)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(self._build_header())
        layout.addLayout(self._build_texts())
        layout.addLayout(self._build_objectives())
        layout.addLayout(self._build_actions())
        layout.addLayout(self._build_updates())
        layout.addWidget(self._build_swot())
        layout.addStretch(1)
        self._show_message(tr("Select an account to see its plan"))

    # -- building ----------------------------------------------------------------------------
    def _build_header(self) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(4)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("plan.title")
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.title, 1)
        self.export_button = QPushButton(tr("Export PDF…"))
        self.export_button.setObjectName("plan.export")
        menu = QMenu(self.export_button)
        menu.addAction(tr("Internal (everything)"), lambda: self.export_pdf(client_safe=False))
        menu.addAction(
            tr("Client-safe (no internal notes, risks or scores)"),
            lambda: self.export_pdf(client_safe=True),
        )
        self.export_button.setMenu(menu)
        top.addWidget(self.export_button)
        box.addLayout(top)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.period_combo = QComboBox()
        self.period_combo.setObjectName("plan.period")
        self.period_combo.setToolTip(
            tr("Plan period: pick another plan of the account, or start one")
        )
        self.period_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.period_combo.activated.connect(self._period_picked)
        bar.addWidget(self.period_combo)
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("plan.status")
        self.status_combo.setToolTip(tr("Plan status"))
        for s in PlanStatus:
            self.status_combo.addItem(fmt.label(s), str(s))
        self.status_combo.activated.connect(
            lambda _i: self.save_fields({"status": self.status_combo.currentData()})
        )
        bar.addWidget(self.status_combo)
        bar.addStretch(1)
        box.addLayout(bar)
        second = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.header_second = second
        self.reviewed = QLabel()
        self.reviewed.setObjectName("plan.reviewed")
        second.addWidget(self.reviewed)
        second.addStretch(1)
        self.client_knows = QCheckBox(tr("Client knows the plan"))
        self.client_knows.setObjectName("plan.client_knows")
        self.client_knows.clicked.connect(lambda on: self.save_fields({"client_knows": bool(on)}))
        second.addWidget(self.client_knows)
        box.addLayout(second)
        return box

    def _build_texts(self) -> QGridLayout:
        self.text_grid = QGridLayout()
        self.text_grid.setHorizontalSpacing(10)
        self.text_grid.setVerticalSpacing(2)
        self.texts: dict[str, PlanText] = {}
        self._text_cells: list[tuple[QLabel, PlanText]] = []
        for key, label, hint in TEXT_FIELDS:
            edit = PlanText(key, tr(hint))
            edit.setToolTip(tr(hint))
            edit.committed.connect(lambda field, text: self.save_fields({field: text}))
            self.texts[key] = edit
            self._text_cells.append((_heading(tr(label)), edit))
        self._text_columns = 0
        self._lay_out_texts(2)
        return self.text_grid

    def _lay_out_texts(self, columns: int) -> None:
        """Two columns of texts in a wide dock, one in a narrow one."""
        if columns == self._text_columns:
            return
        self._text_columns = columns
        for heading, edit in self._text_cells:
            self.text_grid.removeWidget(heading)
            self.text_grid.removeWidget(edit)
        for i, (heading, edit) in enumerate(self._text_cells):
            r, c = divmod(i, columns)
            self.text_grid.addWidget(heading, 2 * r, c)
            self.text_grid.addWidget(edit, 2 * r + 1, c)
        for c in range(2):
            self.text_grid.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        width = event.size().width()
        self._lay_out_texts(2 if width >= 560 else 1)
        narrow = width < 460
        self.header_second.setDirection(
            QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        )
        self.objectives_view.setColumnHidden(2, narrow)
        self.actions_view.setColumnHidden(1, narrow)

    def _table_bar(self, title: str, buttons: list[QPushButton]) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addWidget(_heading(title))
        bar.addStretch(1)
        for b in buttons:
            bar.addWidget(b)
        return bar

    def _table(self, model: RowsModel, name: str, *, editable: bool = True) -> QTableView:
        view = make_table(sortable=False)
        view.setObjectName(name)
        view.setModel(model)
        view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setItemDelegateForColumn(0, TwoLineDelegate(view))
        view.verticalHeader().setDefaultSectionSize(40)
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        metrics = header.fontMetrics()
        for i, col in enumerate(model.columns):
            if i:
                title = tr(col.title)
                header.resizeSection(i, max(col.width, metrics.horizontalAdvance(title) + 18))
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if editable:
            view.doubleClicked.connect(lambda _i: self.edit_item())
        view.installEventFilter(self)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda pos, v=view: self._table_menu(v, pos))
        _fit_rows(view, 0)
        return view

    def _view_action(
        self, view: QTableView, text: str, keys: str | QKeySequence.StandardKey, slot: Any
    ) -> QAction:
        """A command of one table: its key works while the table has the focus, and it is in
        the table's context menu."""
        action = QAction(text, view)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        view.addAction(action)
        return action

    def _table_menu(self, view: QTableView, pos: Any) -> None:
        index = view.indexAt(pos)
        if not index.isValid():
            return
        view.setFocus()
        view.selectRow(index.row())
        menu = QMenu(view)
        for action in view.actions():
            menu.addAction(action)
        if view is self.objectives_view:
            self.move_up_action.setEnabled(index.row() > 0)
            self.move_down_action.setEnabled(index.row() < self.objectives_model.rowCount() - 1)
        self._menu = menu  # tests read it; exec blocks
        menu.popup(view.viewport().mapToGlobal(pos))

    def _build_objectives(self) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        add = QPushButton(tr("Add…"))
        add.setToolTip(tr("Add objective"))
        add.setObjectName("plan.add_objective")
        add.clicked.connect(self.new_objective)
        box.addLayout(self._table_bar(tr("Objectives"), [add]))
        self.objectives_model = ObjectivesModel(OBJECTIVE_COLUMNS)
        self.objectives_view = self._table(self.objectives_model, "plan.objectives")
        self.objectives_view.setItemDelegateForColumn(2, ProgressDelegate(self.objectives_view))
        view = self.objectives_view
        self._view_action(view, tr("Edit…"), "F2", self.edit_item)
        self.move_up_action = self._view_action(
            view, tr("Move up"), "Alt+Up", lambda: self.move_objective(-1)
        )
        self.move_down_action = self._view_action(
            view, tr("Move down"), "Alt+Down", lambda: self.move_objective(1)
        )
        self._view_action(view, tr("Archive"), QKeySequence.StandardKey.Delete, self.archive_item)
        box.addWidget(self.objectives_view)
        self.objectives_empty = _hint(
            tr(
                "No objectives yet. Add one with a target: revenue won, product lines held, "
                "stakeholder coverage, meetings with decision makers, or your own measure."
            )
        )
        box.addWidget(self.objectives_empty)
        return box

    def _build_actions(self) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        self.done_button = QPushButton(tr("Mark done"))
        self.done_button.setObjectName("plan.action_done")
        self.done_button.clicked.connect(self.mark_action_done)
        add = QPushButton(tr("Add…"))
        add.setToolTip(tr("Add action"))
        add.setObjectName("plan.add_action")
        add.clicked.connect(self.new_action)
        self.actions_heading = self._table_bar(tr("Actions"), [self.done_button, add])
        box.addLayout(self.actions_heading)
        self.actions_model = ActionsModel(ACTION_COLUMNS)
        self.actions_view = self._table(self.actions_model, "plan.actions")
        view = self.actions_view
        self._view_action(view, tr("Edit…"), "F2", self.edit_item)
        self._view_action(view, tr("Mark done"), "Ctrl+Return", self.mark_action_done)
        self._view_action(view, tr("Archive"), QKeySequence.StandardKey.Delete, self.archive_item)
        box.addWidget(self.actions_view)
        self.actions_empty = _hint(tr("No actions yet. Who does what by when?"))
        box.addWidget(self.actions_empty)
        return box

    def _build_updates(self) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(_heading(tr("Update log")))
        self.update_edit = QLineEdit()
        self.update_edit.setObjectName("plan.update_text")
        self.update_edit.setPlaceholderText(tr("This week: what moved? Type it and press Enter"))
        self.update_edit.setClearButtonEnabled(True)
        self.update_edit.returnPressed.connect(self.add_update)
        box.addWidget(self.update_edit)
        self.updates_model = RowsModel(UPDATE_COLUMNS)
        # Not edited in place: a wrong entry is archived and written again.
        view = self._table(self.updates_model, "plan.updates", editable=False)
        self.updates_view = view
        view.horizontalHeader().hide()
        view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._view_action(
            view, tr("Archive entry"), QKeySequence.StandardKey.Delete, self.archive_update
        )
        box.addWidget(view)
        self.updates_empty = _hint(tr("No updates yet. One line a week keeps the plan alive."))
        box.addWidget(self.updates_empty)
        return box

    def _build_swot(self) -> QWidget:
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 4, 0, 0)
        self.swot_toggle = QToolButton()
        self.swot_toggle.setObjectName("plan.swot_toggle")
        self.swot_toggle.setText(tr("SWOT, competitors and internal notes"))
        self.swot_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.swot_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.swot_toggle.setCheckable(True)
        self.swot_toggle.setAutoRaise(True)
        self.swot_toggle.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.swot_toggle)
        self.swot = QWidget()
        self.swot.setObjectName("plan.swot")
        grid = QGridLayout(self.swot)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for i, (key, label) in enumerate(SWOT_FIELDS):
            hint = (
                tr("For the team only: never in the client PDF")
                if key == "internal_notes"
                else tr("One item per line")
            )
            edit = PlanText(key, hint)
            edit.committed.connect(lambda field, text: self.save_fields({field: text}))
            self.texts[key] = edit
            r, c = divmod(i, 2)
            grid.addWidget(_heading(tr(label)), 2 * r, c)
            grid.addWidget(edit, 2 * r + 1, c)
        self.swot.hide()
        layout.addWidget(self.swot)

        def toggled(on: bool) -> None:
            self.swot.setVisible(on)
            self.swot_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

        self.swot_toggle.toggled.connect(toggled)
        return holder

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QTableView):
            self._last_table = watched
        return super().eventFilter(watched, event)

    # -- loading -----------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentIndex(0)

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        account_id = self.ctx.hub.current_account
        if account_id != self._account_id:
            self._account_id = account_id
            self._plan_id = None
            self.data = None
            self._show_message("" if account_id else tr("Select an account to see its plan"))
        if not account_id:
            return
        self.run(
            "plan",
            _load(account_id, self._plan_id),
            lambda data: self._loaded(generation, data),
            lambda exc: self._show_message(str(exc)) if generation == self._generation else None,
        )

    def affected_by(self, changes: ChangeSet) -> bool:
        from workbench.services.plans import SOURCE_TABLES, touches_plan

        if not self._account_id:
            return False
        plan_id = self._plan_id or ""
        if touches_plan(changes, self._account_id, plan_id):
            return True
        # A deal of a child account counts towards revenue won; it is routed to the child.
        return changes.touches("opportunities", *SOURCE_TABLES)

    def _loaded(self, generation: int, data: AccountPlans) -> None:
        if generation != self._generation:
            return
        self.data = data
        plan = data.plan
        if plan is None:
            self._plan_id = None
            self.empty_label.setText(
                tr("{account} has no account plan yet.", account=data.account_name)
            )
            self.start_button.setText(tr("Start a plan for {period}", period=data.suggested_period))
            self.stack.setCurrentIndex(1)
            return
        self._plan_id = plan.id
        self._fill(data, plan)
        self.stack.setCurrentIndex(2)

    def _fill(self, data: AccountPlans, plan: PlanView) -> None:
        self._filling = True
        try:
            _Currency.code = plan.currency
            self.title.setText(tr("{account}: account plan", account=data.account_name))
            self.period_combo.clear()
            for ref in data.plans:
                self.period_combo.addItem(ref.period, ref.id)
            self.period_combo.addItem(tr("New plan…"), "")
            self.period_combo.setCurrentIndex(max(0, self.period_combo.findData(plan.id)))
            self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(plan.status)))
            self.client_knows.setChecked(plan.client_knows)
            if plan.last_reviewed is None:
                reviewed = tr("Never reviewed")
            else:
                reviewed = tr("Reviewed {day}", day=fmt.day(plan.last_reviewed))
            self.reviewed.setText(reviewed)
            colour = AMBER if plan.stale else GREY
            self.reviewed.setStyleSheet(f"color: {colour};")
            self.reviewed.setToolTip(
                tr("Not reviewed for over a month: add this week's update") if plan.stale else ""
            )
            for key, edit in self.texts.items():
                edit.load(getattr(plan, key))
            self.objectives_model.set_rows(list(plan.objectives))
            self.actions_model.set_rows(list(plan.actions))
            _fit_rows(self.objectives_view, len(plan.objectives), 1)
            _fit_rows(self.actions_view, len(plan.actions), 1)
            self.objectives_view.setVisible(bool(plan.objectives))
            self.objectives_empty.setVisible(not plan.objectives)
            self.actions_view.setVisible(bool(plan.actions))
            self.actions_empty.setVisible(not plan.actions)
            self.objectives_view.viewport().update()
            if self._keep_selected is not None:
                view, row_id = self._keep_selected
                self._keep_selected = None
                model = view.model()
                if isinstance(model, RowsModel) and model.row_of_id(row_id) >= 0:
                    view.selectRow(model.row_of_id(row_id))
            self._fill_updates(plan)
        finally:
            self._filling = False

    def _fill_updates(self, plan: PlanView) -> None:
        self.updates_model.set_rows(list(plan.updates))
        view = self.updates_view
        rows = min(len(plan.updates), UPDATES_SHOWN)
        view.setFixedHeight(view.verticalHeader().defaultSectionSize() * max(1, rows) + 4)
        view.setVisible(bool(plan.updates))
        self.updates_empty.setVisible(not plan.updates)

    # -- selection helpers -------------------------------------------------------------------
    def selected_objective(self) -> ObjectiveRow | None:
        rows = self.objectives_view.selectionModel().selectedRows()
        row = self.objectives_model.row_at(rows[0].row()) if rows else None
        return row if isinstance(row, ObjectiveRow) else None

    def selected_action(self) -> ActionRow | None:
        rows = self.actions_view.selectionModel().selectedRows()
        row = self.actions_model.row_at(rows[0].row()) if rows else None
        return row if isinstance(row, ActionRow) else None

    def selected_update(self) -> UpdateRow | None:
        rows = self.updates_view.selectionModel().selectedRows()
        row = self.updates_model.row_at(rows[0].row()) if rows else None
        return row if isinstance(row, UpdateRow) else None

    def _focused_table(self) -> QTableView | None:
        for view in (self.objectives_view, self.actions_view, self.updates_view):
            if view.hasFocus():
                return view
        return self._last_table

    # -- writing -----------------------------------------------------------------------------
    def _write(
        self,
        label: str,
        work: Callable[[Any, Any], Any],
        after: Callable[[Any], None] | None = None,
    ) -> None:
        def done(result: Any) -> None:
            changes = result.changes if hasattr(result, "changes") else result
            self.ctx.undo.push(label, changes)
            self.ctx.hub.publish(changes)
            if after is not None:
                after(result)

        def failed(exc: BaseException) -> None:
            not_saved(self.ctx)(exc)
            self.request_reload()

        self.run("plan-write", work, done, failed)

    def save_fields(self, values: dict[str, Any]) -> None:
        if self._filling or not self._plan_id:
            return
        plan_id = self._plan_id

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.plans import update_plan

            return update_plan(store, plan_id, values)

        period = self.data.plan.period if self.data and self.data.plan else ""
        self._write(tr("edit plan {period}", period=period), work)

    def start_plan(self, period: str = "") -> None:
        if not self._account_id or self.data is None:
            return
        account_id = self._account_id
        period = period or self.data.suggested_period
        owner = self.ctx.current_user_id or None

        def work(store: Any, _ctx: Any) -> Any:
            from workbench.services.plans import create_plan

            return create_plan(store, account_id, period, owner_id=owner)

        def after(saved: Any) -> None:
            self._plan_id = saved.id
            self.ctx.hub.status.emit(tr("Started the plan for {period}", period=period))

        self._write(tr("start plan {period}", period=period), work, after)

    def _period_picked(self, index: int) -> None:
        plan_id = self.period_combo.itemData(index)
        if plan_id:
            if plan_id != self._plan_id:
                self._plan_id = plan_id
                self.request_reload()
            return
        self._ask_new_period()

    def _ask_new_period(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        from workbench.domain.plans import suggested_periods

        taken = {ref.period for ref in self.data.plans} if self.data else set()
        offered = [p for p in suggested_periods(date.today()) if p not in taken]
        period, ok = QInputDialog.getItem(
            self,
            tr("New plan"),
            tr("Period (a year, 2026-H1 or 2026-Q3):"),
            offered,
            0,
            True,
        )
        if self.data and self.data.plan:  # put the combo back on the plan shown
            self.period_combo.setCurrentIndex(max(0, self.period_combo.findData(self._plan_id)))
        if ok and period.strip():
            self.start_plan(period.strip())

    def add_update(self) -> None:
        text = self.update_edit.text().strip()
        if not text or not self._plan_id:
            return
        plan_id, author = self._plan_id, self.ctx.current_user_id or None
        self.update_edit.clear()

        def work(store: Any, _ctx: Any) -> Any:
            from workbench.services.plans import add_update

            return add_update(store, plan_id, text, author)

        self._write(tr("plan update"), work)

    def new_objective(self) -> None:
        from workbench.ui.dialogs.plan_dialogs import ObjectiveDialog

        if self.data is None or self.data.plan is None:
            return
        ObjectiveDialog(self.ctx, self.data.plan, None, self).open()

    def new_action(self) -> None:
        from workbench.ui.dialogs.plan_dialogs import ActionDialog

        if self.data is None or self.data.plan is None:
            return
        ActionDialog(self.ctx, self.data, None, self).open()

    def mark_action_done(self) -> None:
        action = self.selected_action()
        if action is None or action.status == "done":
            return

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.plans import set_action_status

            return set_action_status(store, action.id, "done")

        self._write(tr("mark {subject} done", subject=action.title), work)

    # -- keyboard (Panel) --------------------------------------------------------------------
    def new_item(self) -> None:
        """Ctrl+N: a new objective or action (by the table last used); starts a plan if none."""
        if self.data is None:
            return
        if self.data.plan is None:
            self.start_plan()
        elif self._focused_table() is self.objectives_view:
            self.new_objective()
        else:
            self.new_action()

    def edit_item(self) -> None:
        """F2: the selected objective or action, else the whole plan."""
        from workbench.ui.dialogs.plan_dialogs import ActionDialog, ObjectiveDialog, PlanDialog

        if self.data is None or self.data.plan is None:
            return
        table = self._focused_table()
        objective = self.selected_objective() if table is self.objectives_view else None
        action = self.selected_action() if table is self.actions_view else None
        if objective is not None:
            ObjectiveDialog(self.ctx, self.data.plan, objective, self).open()
        elif action is not None:
            ActionDialog(self.ctx, self.data, action, self).open()
        else:
            PlanDialog(self.ctx, self.data.plan, self).open()

    def archive_item(self) -> None:
        """Delete: archive the selected objective, action or update (Ctrl+Z brings it back)."""
        table = self._focused_table()
        if table is self.updates_view:
            self.archive_update()
            return
        objective = self.selected_objective() if table is self.objectives_view else None
        action = self.selected_action() if table is self.actions_view else None
        if objective is None and action is None:
            return
        name = objective.title if objective else action.title  # type: ignore[union-attr]

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services import plans

            if objective is not None:
                return plans.archive_objective(store, objective.id)
            assert action is not None
            return plans.archive_action(store, action.id)

        def after(_changes: Any) -> None:
            self.ctx.hub.status.emit(tr("Archived {name}. Undo with Ctrl+Z.", name=name))

        self._write(tr("archive {name}", name=name), work, after)

    def archive_update(self) -> None:
        """Archive the selected entry of the update log (a typo, a wrong plan); Ctrl+Z."""
        update = self.selected_update()
        if update is None:
            return
        short = update.text if len(update.text) <= 40 else update.text[:39] + "…"

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.plans import archive_update

            return archive_update(store, update.id)

        def after(_changes: Any) -> None:
            self.ctx.hub.status.emit(tr("Archived {name}. Undo with Ctrl+Z.", name=short))

        self._write(tr("archive {name}", name=short), work, after)

    def move_objective(self, step: int) -> None:
        """Alt+Up / Alt+Down: move the selected objective up or down the list (Ctrl+Z)."""
        objective = self.selected_objective()
        if objective is None:
            return
        row = self.objectives_model.row_of_id(objective.id)
        if not 0 <= row + step < self.objectives_model.rowCount():
            return
        view = self.objectives_view

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.plans import move_objective

            return move_objective(store, objective.id, step)

        def after(_changes: Any) -> None:
            self._keep_selected = (view, objective.id)

        self._write(tr("move {name}", name=objective.title), work, after)

    def focus_filter(self) -> None:
        """Ctrl+F: the plan has no list to filter; jump to the update line instead."""
        self.update_edit.setFocus()

    # -- export --------------------------------------------------------------------------------
    def export_pdf(self, *, client_safe: bool, path: Path | None = None) -> None:
        """Write the plan shown as a PDF; asks where unless `path` is given (tests)."""
        if self.data is None or self.data.plan is None:
            return
        if path is None:
            suffix = "client" if client_safe else "internal"
            default = f"{self.data.account_name} {self.data.plan.period} {suffix}.pdf"
            chosen, _ = QFileDialog.getSaveFileName(
                self, tr("Export PDF…"), str(Path.home() / default), "PDF (*.pdf)"
            )
            if not chosen:
                return
            path = Path(chosen)
        from workbench.reports.plan_pdf import write_plan_pdf

        # Rendering runs here, on the GUI thread (Qt painting); a big plan takes a few tenths
        # of a second, so the cursor says so rather than the window seeming stuck.
        self.ctx.hub.status.emit(tr("Exporting {path}…", path=str(path)))
        QApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
        try:
            write_plan_pdf(self.data, path, client_safe=client_safe)
        except OSError as exc:
            QApplication.restoreOverrideCursor()
            reason = exc.strerror or str(exc)
            self.ctx.hub.status.emit(tr("PDF not saved: {reason}", reason=reason))
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                tr("PDF not saved"),
                tr(
                    "Could not write {path}: {reason}.\n\nThe plan itself is safe; choose "
                    "another folder or file name and export again.",
                    path=str(path),
                    reason=reason,
                ),
                QMessageBox.StandardButton.Ok,
                self,
            )
            self.export_error = box
            box.open()
            return
        QApplication.restoreOverrideCursor()
        self.ctx.hub.status.emit(tr("Saved {path}", path=str(path)))

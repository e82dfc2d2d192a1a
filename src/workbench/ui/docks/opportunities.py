"""Opportunities dock: the farming pipeline as a table or as a board of stages.

Why both views: the table answers "what is in my pipeline, how much, weighted, closing when"
and sorts by any of it; the board is how a pipeline review is run (walk the stages, drag a deal
forward). Renewals sit above both as a strip, because a renewal nobody opened a deal for is
the most expensive thing an account manager can forget.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QColor,
    QDropEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.pipeline import BOARD_COLUMNS, KINDS, RenewalSuggestion
from workbench.services.opportunities import OpportunityFilter, OpportunityItem
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.failures import not_saved
from workbench.ui.i18n import tr
from workbench.ui.models.columns import ROW_ROLE
from workbench.ui.models.opportunities import (
    KIND_COLOURS,
    RIGHT,
    STAGE_COLOURS,
    WIDTHS,
    is_late,
    opportunity_model,
)
from workbench.ui.panel import Panel
from workbench.ui.widgets.colours import AMBER, GREY, RED
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.two_line import sorted_view

Index = QModelIndex | QPersistentModelIndex
ID_DATA = Qt.ItemDataRole.UserRole + 20

CHIP_STYLE = (
    "QToolButton { border: 1px solid palette(mid); border-radius: 10px; padding: 2px 10px; }"
    "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
    " border-color: palette(highlight); }"
)


def totals_text(items: list[OpportunityItem]) -> str:
    """The footer: the open pipeline (and its weighted value) on its own; won and lost apart,
    never added to it (they show only when "Open only" is off)."""
    open_items = [o for o in items if o.is_open]
    parts = [
        tr(
            "{n} opportunities · open pipeline {amount} · weighted {weighted}",
            n=len(items),
            amount=fmt.money_by_currency(
                ((o.currency, o.amount_minor) for o in open_items), fmt.money(0, "VND")
            ),
            weighted=fmt.money_by_currency(
                ((o.currency, o.weighted_minor) for o in open_items), fmt.money(0, "VND")
            ),
        )
    ]
    for stage in ("won", "lost"):
        closed = [(o.currency, o.amount_minor) for o in items if o.stage == stage]
        if closed:
            parts.append(f"{fmt.label(stage)} {fmt.money_by_currency(closed)}")
    return " · ".join(parts)


@dataclass(frozen=True)
class Loaded:
    items: list[OpportunityItem]
    renewals: list[RenewalSuggestion]
    window: int


def _load(f: OpportunityFilter, user_id: str) -> Callable[[Any, Any], Loaded]:
    def work(store: Any, _ctx: Any) -> Loaded:
        from workbench.services.opportunities import (
            list_opportunities,
            renewal_window,
            suggested_renewals,
        )

        return Loaded(
            list_opportunities(store, f),
            suggested_renewals(store, user_id or None),
            renewal_window(store),
        )

    return work


# -- the board ---------------------------------------------------------------------------------
class CardDelegate(QStyledItemDelegate):
    """A deal as a card: kind stripe, name, account, amount (late close dates in red)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(150, metrics.height() * 3 + 20)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = index.data(ROW_ROLE)
        if not isinstance(item, OpportunityItem):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette: QPalette = option.palette
        rect: QRect = option.rect.adjusted(4, 3, -4, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(
            QColor(palette.color(QPalette.ColorRole.Highlight)) if selected else QColor("#d0d7de")
        )
        # The list is transparent (its column shows through), so its own Base is too.
        painter.setBrush(QApplication.palette().color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 5, 5)
        painter.fillRect(
            QRect(rect.left() + 1, rect.top() + 5, 3, rect.height() - 10),
            QColor(KIND_COLOURS.get(item.kind, GREY)),
        )
        inner = rect.adjusted(10, 5, -8, -5)
        base = QFont(option.font)
        bold = QFont(base)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(max(6.0, base.pointSizeF() * 0.88))
        text = QColor(palette.color(QPalette.ColorRole.Text))
        muted = QColor(text)
        muted.setAlpha(150)
        bm, sm = QFontMetrics(bold), QFontMetrics(small)
        painter.setFont(bold)
        painter.setPen(text)
        painter.drawText(
            QRect(inner.left(), inner.top(), inner.width(), bm.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            bm.elidedText(item.name, Qt.TextElideMode.ElideRight, inner.width()),
        )
        y = inner.top() + bm.height() + 1
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(
            QRect(inner.left(), y, inner.width(), sm.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            sm.elidedText(item.account_name, Qt.TextElideMode.ElideRight, inner.width()),
        )
        y += sm.height() + 2
        painter.setPen(text)
        amount = fmt.money(item.amount_minor, item.currency)
        painter.drawText(
            QRect(inner.left(), y, inner.width(), sm.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            amount,
        )
        painter.setPen(QColor(RED) if is_late(item) else muted)
        painter.drawText(
            QRect(inner.left(), y, inner.width(), sm.height()),
            RIGHT,
            fmt.day(item.close_date),
        )
        painter.restore()


def see_through(view: QListWidget) -> None:
    """Let what is behind a list show through its empty parts. By palette, not by style
    sheet: a style sheet on the list cascades to its scroll bar, which then loses its native
    look and draws a black trough."""
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, Qt.GlobalColor.transparent)
    view.setPalette(palette)


class StageList(QListWidget):
    """One column of the board; cards dropped here from another column move to its stage."""

    def __init__(self, stage: str, panel: OpportunitiesPanel) -> None:
        super().__init__()
        self.stage = stage
        # A weak reference: the panel holds its columns, and a cycle of widgets left for the
        # garbage collector to free at a random moment has crashed PySide (see `ui.tasks`).
        self._panel = weakref.ref(panel)
        self.setObjectName(f"opportunities.board.{stage}")
        self.setItemDelegate(CardDelegate(self))
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        see_through(self)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemDoubleClicked.connect(self._edit)
        self.currentItemChanged.connect(self._current)

    @property
    def panel(self) -> OpportunitiesPanel:
        panel = self._panel()
        if panel is None:
            raise RuntimeError("the board outlived its panel")
        return panel

    def _edit(self, _item: QListWidgetItem) -> None:
        self.panel.edit_item()

    def _current(self, item: QListWidgetItem | None, _old: Any) -> None:
        if item is not None:
            self.panel.board_selected = str(item.data(ID_DATA))

    def dropEvent(self, event: QDropEvent) -> None:
        source = event.source()
        if isinstance(source, StageList) and source is not self:
            current = source.currentItem()
            if current is not None:
                self.panel.move_to(str(current.data(ID_DATA)), self.stage)
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the reload redraws the board
        event.accept()

    def _menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        self.setCurrentItem(item)
        self.panel.show_card_menu(self.viewport().mapToGlobal(pos))


class StageColumn(QFrame):
    def __init__(self, stage: str, panel: OpportunitiesPanel) -> None:
        super().__init__()
        self.stage = stage
        self.setObjectName("stageColumn")
        self.setStyleSheet(
            "QFrame#stageColumn { background: palette(alternate-base); border-radius: 6px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.setSpacing(2)
        self.title = QLabel()
        colour = STAGE_COLOURS.get(stage, GREY)
        self.title.setStyleSheet(
            f"font-weight: 600; color: {colour}; padding: 0 6px; border-bottom: 2px solid {colour};"
        )
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet(f"color: {GREY}; font-size: 11px; padding: 0 6px;")
        self.list = StageList(stage, panel)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.list, 1)
        self.setMinimumWidth(180)

    def fill(self, items: list[OpportunityItem]) -> None:
        self.title.setText(f"{fmt.label(self.stage)}  ·  {len(items)}")
        self.subtitle.setText(fmt.money_by_currency((o.currency, o.amount_minor) for o in items))
        self.list.clear()
        for o in items:
            entry = QListWidgetItem()
            entry.setData(ID_DATA, o.id)
            entry.setData(ROW_ROLE, o)
            entry.setToolTip(
                "\n".join(
                    p
                    for p in (
                        o.name,
                        o.account_name,
                        fmt.label(o.kind),
                        fmt.money(o.amount_minor, o.currency),
                        tr("Probability {n} %", n=o.probability),
                        o.owner_name,
                    )
                    if p
                )
            )
            self.list.addItem(entry)


# -- the panel ---------------------------------------------------------------------------------
class OpportunitiesPanel(Panel):
    """Every opportunity the filters let through, as a table or a board, with renewals due."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.items: list[OpportunityItem] = []
        self.renewals: list[RenewalSuggestion] = []
        self.window_days = 120
        self.board_selected = ""
        self._generation = 0
        self._select_after_load = ""
        self.dialog: Any = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(self._build_filters())
        layout.addWidget(self._build_renewals())
        self.stack = QStackedWidget()
        self.model = opportunity_model()
        self.table = sorted_view(self.model, WIDTHS, two_line=False)
        self.table.setObjectName("opportunities.table")
        self.table.doubleClicked.connect(lambda _i: self.edit_item())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(
            lambda pos: self.show_card_menu(self.table.viewport().mapToGlobal(pos))
        )
        self.board = QWidget()
        board_layout = QHBoxLayout(self.board)
        board_layout.setContentsMargins(0, 0, 0, 0)
        board_layout.setSpacing(6)
        self.columns: dict[str, StageColumn] = {}
        for stage in BOARD_COLUMNS:
            column = StageColumn(stage, self)
            column.list.installEventFilter(self)
            self.columns[stage] = column
            board_layout.addWidget(column, 1)
        board_scroll = QScrollArea()
        board_scroll.setObjectName("opportunities.board")
        board_scroll.setWidgetResizable(True)
        board_scroll.setFrameShape(QFrame.Shape.NoFrame)
        board_scroll.setWidget(self.board)
        self.empty = empty_label("opportunities.empty")
        self.stack.addWidget(self.table)
        self.stack.addWidget(board_scroll)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        self.totals = QLabel()
        self.totals.setObjectName("opportunities.totals")
        self.totals.setStyleSheet("padding: 2px 4px;")
        layout.addWidget(self.totals)
        self._show()

    # -- building ------------------------------------------------------------------------------
    def _build_filters(self) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(4)
        first = QHBoxLayout()
        first.setSpacing(4)
        self.view_group = QButtonGroup(self)
        self.view_chips: dict[str, QToolButton] = {}
        for key, title in (("table", "Table"), ("board", "Board")):
            chip = QToolButton()
            chip.setObjectName(f"opportunities.view.{key}")
            chip.setText(tr(title))
            chip.setCheckable(True)
            chip.setStyleSheet(CHIP_STYLE)
            self.view_group.addButton(chip)
            self.view_chips[key] = chip
            first.addWidget(chip)
        self.view_chips["table"].setChecked(True)
        self.view_group.buttonToggled.connect(self._view_toggled)
        first.addSpacing(8)
        self.owner_combo = QComboBox()
        self.owner_combo.setObjectName("opportunities.owner")
        self.owner_combo.addItem(tr("All owners"), "")
        self.owner_combo.addItem(tr("Mine"), "me")
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("opportunities.kind")
        self.kind_combo.addItem(tr("All kinds"), "")
        for kind in KINDS:
            self.kind_combo.addItem(fmt.label(kind), kind)
        self.account_edit = QLineEdit()
        self.account_edit.setObjectName("opportunities.account")
        self.account_edit.setPlaceholderText(tr("Filter by account (Ctrl+F)"))
        self.account_edit.setClearButtonEnabled(True)
        self.open_check = QCheckBox(tr("Open only"))
        self.open_check.setObjectName("opportunities.open_only")
        self.open_check.setChecked(True)
        # The filters get a row of their own, so the dock fits a narrow column.
        second = QHBoxLayout()
        second.setSpacing(4)
        second.addWidget(self.owner_combo)
        second.addWidget(self.kind_combo)
        second.addWidget(self.account_edit, 1)
        second.addWidget(self.open_check)
        first.addStretch(1)
        self.renewals_button = QToolButton()
        self.renewals_button.setObjectName("opportunities.renewals_button")
        self.renewals_button.setCheckable(True)
        self.renewals_button.setStyleSheet(CHIP_STYLE)
        self.renewals_button.toggled.connect(lambda on: self.renewal_strip.setVisible(on))
        first.addWidget(self.renewals_button)
        self.new_button = QPushButton(tr("New…"))
        self.new_button.setObjectName("opportunities.new")
        self.new_button.setToolTip(tr("New opportunity (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_item)
        first.addWidget(self.new_button)
        box.addLayout(first)
        box.addLayout(second)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.request_reload)
        self.account_edit.textChanged.connect(lambda _t: self._debounce.start())
        self.owner_combo.currentIndexChanged.connect(lambda _i: self.request_reload())
        self.kind_combo.currentIndexChanged.connect(lambda _i: self.request_reload())
        self.open_check.toggled.connect(lambda _on: self.request_reload())
        return box

    def _build_renewals(self) -> QFrame:
        strip = QFrame()
        strip.setObjectName("opportunities.renewals")
        strip.setStyleSheet(
            "QFrame#opportunities\\.renewals { background: #fff8e1; border: 1px solid #ffe0a3;"
            " border-radius: 6px; }"
        )
        layout = QVBoxLayout(strip)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        top = QHBoxLayout()
        self.renewal_title = QLabel()
        self.renewal_title.setStyleSheet(f"font-weight: 600; color: {AMBER};")
        top.addWidget(self.renewal_title, 1)
        top.addWidget(QLabel(tr("Window")))
        self.window_spin = QSpinBox()
        self.window_spin.setObjectName("opportunities.window")
        self.window_spin.setRange(1, 730)
        self.window_spin.setValue(120)
        self.window_spin.setSuffix(tr(" days"))
        self.window_spin.editingFinished.connect(self._window_changed)
        top.addWidget(self.window_spin)
        self.create_renewals_button = QPushButton(tr("Create renewals"))
        self.create_renewals_button.setObjectName("opportunities.create_renewals")
        self.create_renewals_button.setToolTip(
            tr("Open a renewal opportunity for every holding listed here")
        )
        self.create_renewals_button.clicked.connect(self.create_renewals)
        top.addWidget(self.create_renewals_button)
        layout.addLayout(top)
        self.renewal_list = QListWidget()
        self.renewal_list.setObjectName("opportunities.renewal_list")
        self.renewal_list.setFrameShape(QFrame.Shape.NoFrame)
        see_through(self.renewal_list)
        layout.addWidget(self.renewal_list)
        strip.hide()
        self.renewal_strip = strip
        return strip

    # -- loading -------------------------------------------------------------------------------
    def current_filter(self) -> OpportunityFilter:
        owner = str(self.owner_combo.currentData() or "")
        if owner == "me":
            owner = self.ctx.current_user_id
        return OpportunityFilter(
            owner_id=owner or None,
            kind=str(self.kind_combo.currentData() or "") or None,
            account_text=self.account_edit.text(),
            open_only=self.open_check.isChecked(),
        )

    def reload(self) -> None:
        if self.owner_combo.count() == 2 and self.ctx.users:
            for user in self.ctx.users:
                self.owner_combo.addItem(user.name, user.id)
        self._generation += 1
        generation = self._generation
        self.run(
            "opportunities",
            _load(self.current_filter(), self.ctx.current_user_id),
            lambda loaded: self._loaded(generation, loaded),
        )

    def _loaded(self, generation: int, loaded: Loaded) -> None:
        if generation != self._generation:
            return
        self.items = loaded.items
        self.renewals = loaded.renewals
        self.window_days = loaded.window
        self.model.set_rows(self.items)
        by_stage: dict[str, list[OpportunityItem]] = {s: [] for s in BOARD_COLUMNS}
        for o in self.items:
            by_stage.setdefault(o.stage, []).append(o)
        for stage, column in self.columns.items():
            column.fill(by_stage.get(stage, []))
            column.setVisible(not (self.open_check.isChecked() and stage in ("won", "lost")))
        self._fill_renewals()
        self._show()
        if self._select_after_load:
            self.select(self._select_after_load)
            self._select_after_load = ""

    def _fill_renewals(self) -> None:
        n = len(self.renewals)
        self.renewals_button.setText(tr("Renewals due ({n})", n=n) if n else tr("Renewals due"))
        self.renewal_title.setText(
            tr(
                "{n} holdings of your accounts end within {days} days with no renewal deal yet",
                n=n,
                days=self.window_days,
            )
            if n
            else tr("No renewals due within {days} days without a deal", days=self.window_days)
        )
        self.window_spin.blockSignals(True)
        self.window_spin.setValue(self.window_days)
        self.window_spin.blockSignals(False)
        self.create_renewals_button.setEnabled(n > 0)
        self.renewal_list.clear()
        today = date.today()
        for s in self.renewals:
            days = (s.due_date - today).days
            text = "  ·  ".join(
                (
                    fmt.day(s.due_date),
                    tr("in {n} days", n=days) if days else tr("today"),
                    s.account_name,
                    s.product_name,
                    fmt.money(s.amount_minor, s.currency),
                )
            )
            entry = QListWidgetItem(text)
            if days <= 30:
                entry.setForeground(QColor(RED))
            self.renewal_list.addItem(entry)
        rows = min(6, max(1, n))
        self.renewal_list.setFixedHeight(rows * self.renewal_list.fontMetrics().height() + 8)
        self.renewal_list.setVisible(n > 0)

    def affected_by(self, changes: ChangeSet) -> bool:
        tables = {"opportunities", "holdings", "accounts", "account_team", "users", "products"}
        return any(r.table in tables for r in changes.rows)

    def _show(self) -> None:
        board = self.view_chips["board"].isChecked()
        if not self.items:
            filtered = (
                self.account_edit.text().strip()
                or self.owner_combo.currentIndex() > 0
                or self.kind_combo.currentIndex() > 0
            )
            self.empty.setText(
                tr("No opportunity matches these filters")
                if filtered
                else tr("No opportunities yet. Press Ctrl+N to add one, or open a renewal above.")
            )
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentIndex(1 if board else 0)
        self.totals.setText(totals_text(self.items))

    def _view_toggled(self, _button: Any, on: bool) -> None:
        if on:
            self._show()

    def set_view(self, key: str) -> None:
        self.view_chips[key].setChecked(True)

    @property
    def board_shown(self) -> bool:
        return self.view_chips["board"].isChecked()

    # -- selection -----------------------------------------------------------------------------
    def selected(self) -> OpportunityItem | None:
        if self.board_shown:
            return next((o for o in self.items if o.id == self.board_selected), None)
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].data(ROW_ROLE)
        return row if isinstance(row, OpportunityItem) else None

    def select(self, opportunity_id: str) -> None:
        self.board_selected = opportunity_id
        proxy = self.table.model()
        for r in range(proxy.rowCount()):
            index = proxy.index(r, 0)
            row = index.data(ROW_ROLE)
            if isinstance(row, OpportunityItem) and row.id == opportunity_id:
                self.table.setCurrentIndex(index)
                self.table.scrollTo(index)
                break
        for column in self.columns.values():
            for i in range(column.list.count()):
                entry = column.list.item(i)
                if entry.data(ID_DATA) == opportunity_id:
                    column.list.setCurrentItem(entry)

    # -- commands ------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """On the board, Ctrl+Left / Ctrl+Right move the selected card one stage."""
        if (
            isinstance(watched, StageList)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
            and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right)
        ):
            self.step_selected(-1 if event.key() == Qt.Key.Key_Left else 1)
            return True
        return super().eventFilter(watched, event)

    def step_selected(self, step: int) -> None:
        item = self.selected()
        if item is None or item.stage not in BOARD_COLUMNS:
            return
        position = BOARD_COLUMNS.index(item.stage) + step
        if 0 <= position < len(BOARD_COLUMNS):
            self.move_to(item.id, BOARD_COLUMNS[position])

    def show_card_menu(self, where: QPoint) -> None:
        item = self.selected()
        if item is None:
            return
        menu = QMenu(self)
        menu.addAction(tr("Edit…"), self.edit_item)
        move = menu.addMenu(tr("Move to"))
        for stage in BOARD_COLUMNS:
            action = move.addAction(fmt.label(stage), self._mover(item.id, stage))
            action.setEnabled(stage != item.stage)
        menu.addSeparator()
        menu.addAction(tr("Archive"), self.archive_item)
        menu.exec(where)

    def _mover(self, opportunity_id: str, stage: str) -> Callable[[], None]:
        return lambda: self.move_to(opportunity_id, stage)

    def move_to(self, opportunity_id: str, stage: str) -> None:
        item = next((o for o in self.items if o.id == opportunity_id), None)
        if item is None or item.stage == stage:
            return

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.opportunities import move_stage

            return move_stage(store, opportunity_id, stage)

        def done(changes: ChangeSet) -> None:
            self._select_after_load = opportunity_id
            self.ctx.undo.push(
                tr("move {name} to {stage}", name=item.name, stage=fmt.label(stage)), changes
            )
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(
                tr("Moved {name} to {stage}", name=item.name, stage=fmt.label(stage))
            )

        self.run("move stage", work, done, not_saved(self.ctx))

    def new_item(self) -> None:
        from workbench.ui.dialogs.opportunity_dialog import OpportunityDialog

        dialog = OpportunityDialog(
            self.ctx, None, self, account_id=self.ctx.hub.current_account or None
        )
        dialog.saved.connect(self._saved_in_dialog)
        self.dialog = dialog
        dialog.open()

    def edit_item(self) -> None:
        from workbench.ui.dialogs.opportunity_dialog import OpportunityDialog

        item = self.selected()
        if item is None:
            return
        dialog = OpportunityDialog(self.ctx, item.id, self)
        dialog.saved.connect(self._saved_in_dialog)
        self.dialog = dialog
        dialog.open()

    def _saved_in_dialog(self, opportunity_id: str) -> None:
        self._select_after_load = opportunity_id

    def archive_item(self) -> None:
        item = self.selected()
        if item is None:
            return

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.opportunities import archive_opportunity

            return archive_opportunity(store, item.id)

        def done(changes: ChangeSet) -> None:
            self.ctx.undo.push(tr("archive {name}", name=item.name), changes)
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(tr("Archived {name}. Undo with Ctrl+Z.", name=item.name))

        self.run("archive opportunity", work, done, not_saved(self.ctx))

    def focus_filter(self) -> None:
        self.account_edit.setFocus()
        self.account_edit.selectAll()

    def _window_changed(self) -> None:
        days = self.window_spin.value()
        if days == self.window_days:
            return

        def work(store: Any, _ctx: Any) -> int:
            from workbench.services.opportunities import set_renewal_window

            return set_renewal_window(store, days)

        self.run("renewal window", work, lambda _d: self.request_reload(), not_saved(self.ctx))

    def create_renewals(self) -> None:
        user_id = self.ctx.current_user_id

        def work(store: Any, _ctx: Any) -> Any:
            from workbench.services.opportunities import create_renewals

            return create_renewals(store, user_id or None)

        def done(created: Any) -> None:
            n = len(created.ids)
            self.ctx.undo.push(tr("create {n} renewals", n=n), created.changes)
            self.ctx.hub.publish(created.changes)
            self.ctx.hub.status.emit(tr("{n} renewal opportunities created", n=n))

        self.run("create renewals", work, done, not_saved(self.ctx))

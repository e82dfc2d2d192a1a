"""Whitespace dock: the current account's business units × our product lines.

Why a grid of coloured cells: an account manager preparing a meeting wants to see at one
glance what the client already holds (green, with its value and renewal date), what is being
worked on (blue, with stage and amount), what was lost or ruled out (red, grey) and where the
untouched space is (white, with a "+"). Clicking a "+" starts a cross-sell there, because the
moment the gap is seen is the moment to act on it. The cells are computed in
`domain.whitespace`; this dock only draws them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.whitespace import (
    HELD,
    LOST,
    NOT_RELEVANT,
    OPEN,
    PIPELINE,
    Amounts,
    Cell,
    Totals,
    renewal_days,
    split_amounts,
)
from workbench.services.whitespace import WhitespaceView
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.failures import not_saved
from workbench.ui.i18n import tr
from workbench.ui.panel import Panel
from workbench.ui.widgets.colours import AMBER, GREY, RED
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.fields import button_box, save_cancel, style_form

Index = QModelIndex | QPersistentModelIndex

#: state -> (background, accent/text colour)
LOOK: dict[str, tuple[str, str]] = {
    HELD: ("#e6f4ea", "#1b5e20"),
    PIPELINE: ("#e3effc", "#0d47a1"),
    LOST: ("#fdeaea", "#b71c1c"),
    NOT_RELEVANT: ("#efefef", "#6b6b6b"),
    OPEN: ("#ffffff", "#5f7d95"),
    "total": ("#f5f5f5", "#222222"),
}

CELL_ROLE = Qt.ItemDataRole.UserRole + 10


@dataclass(frozen=True)
class Shown:
    """What a grid position shows: a cell, a unit's name, or a total."""

    kind: str  # "cell" | "unit" | "total" | "corner" | "line_total"
    cell: Cell | None = None
    title: str = ""
    totals: Totals | None = None


def cell_money(amounts: Amounts, currency: str) -> str:
    """A cell's amount: in the account's currency, else (a unit buying in another currency)
    the first other one; "+" when more currencies are hidden (the tooltip lists them all)."""
    main, others = split_amounts(amounts, currency)
    if main or not others:
        text = fmt.money(main, currency)
        return text + (" +" if others else "")
    return fmt.money(others[0][1], others[0][0]) + (" +" if len(others) > 1 else "")


def total_money(amounts: Amounts, currency: str) -> str:
    """A total: the account's currency only, as the footer says ("–" when there is none).
    Other currencies are never added in: the footer lists them apart."""
    main, _ = split_amounts(amounts, currency)
    return fmt.money(main, currency) if main else "–"


#: How a held cell's renewal is flagged: within the renewal window (amber), or past (red).
DUE = "due"
ENDED = "ended"
ALERT_INK = {DUE: AMBER, ENDED: RED}


def renewal_alert(cell: Cell, today: date, window_days: int) -> tuple[str, str] | None:
    """(DUE or ENDED, the text) for a held cell renewing within the window or already past;
    None when there is nothing to flag."""
    if cell.state != HELD:
        return None
    days = renewal_days(cell.renewal, today, window_days)
    if days is None:
        return None
    if days < 0:
        return ENDED, tr("ended {n} days ago", n=-days)
    if days == 0:
        return DUE, tr("renews today")
    if days == 1:
        return DUE, tr("renews tomorrow")
    return DUE, tr("renews in {n} days", n=days)


def cell_lines(
    cell: Cell, currency: str, today: date | None = None, window_days: int = 0
) -> tuple[str, str]:
    """The two lines a cell shows (also what tests read)."""
    if cell.state == HELD:
        alert = renewal_alert(cell, today, window_days) if today else None
        if alert is not None:
            renewal = alert[1]
        elif cell.renewal:
            renewal = tr("renews {day}", day=fmt.day(cell.renewal))
        else:
            renewal = tr("no end date")
        return cell_money(cell.held, currency), renewal
    if cell.state == PIPELINE:
        return fmt.label(cell.stage or ""), cell_money(cell.pipeline, currency)
    if cell.state == LOST:
        return fmt.label(LOST), cell.competitor or cell.note
    if cell.state == NOT_RELEVANT:
        return fmt.label(NOT_RELEVANT), cell.note
    return "+", ""


def cell_tooltip(cell: Cell, unit: str) -> str:
    lines = [f"{cell.product_line} · {unit}"]
    if cell.state == HELD:
        lines.append(tr("Held: {products}", products=", ".join(cell.products)))
        lines.append(tr("Annual value: {amount}", amount=fmt.money_by_currency(cell.held)))
        if cell.renewal:
            lines.append(tr("Next renewal: {day}", day=fmt.day(cell.renewal)))
    if cell.deals:
        lines.append(
            tr(
                "Open deals: {names} ({stage})",
                names=", ".join(cell.deals),
                stage=fmt.label(cell.stage or ""),
            )
        )
        lines.append(tr("Pipeline: {amount}", amount=fmt.money_by_currency(cell.pipeline)))
    if cell.state == LOST:
        lines.append(tr("Lost to {competitor}", competitor=cell.competitor or tr("a competitor")))
    elif cell.state == NOT_RELEVANT:
        lines.append(fmt.label(NOT_RELEVANT))
    if cell.state in (LOST, NOT_RELEVANT) and cell.note:
        lines.append(cell.note)
    if cell.state == OPEN:
        lines.append(tr("Untapped. Click (or press Enter) to create a cross-sell opportunity."))
    elif cell.mark_status and cell.state in (HELD, PIPELINE):
        lines.append(tr("(An earlier mark is kept but not shown.)"))
    return "\n".join(lines)


def totals_lines(totals: Totals, currency: str) -> tuple[str, str]:
    return (
        tr("Held {amount}", amount=total_money(totals.held, currency)),
        tr("Pipeline {amount}", amount=total_money(totals.pipeline, currency)),
    )


class WhitespaceModel(QAbstractTableModel):
    """Column 0: the unit; then one column per product line; last column and row: totals."""

    def __init__(self) -> None:
        super().__init__()
        self.view: WhitespaceView | None = None

    def set_view(self, view: WhitespaceView | None) -> None:
        self.beginResetModel()
        self.view = view
        self.endResetModel()

    @property
    def lines(self) -> tuple[str, ...]:
        return self.view.grid.lines if self.view else ()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self.view is None:
            return 0
        return len(self.view.grid.units) + 1

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self.view is None:
            return 0
        return len(self.view.grid.lines) + 2

    def shown(self, row: int, column: int) -> Shown:
        assert self.view is not None
        grid = self.view.grid
        units = grid.units
        last_col = len(grid.lines) + 1
        if row == len(units):
            if column == 0:
                return Shown("corner", title=tr("Total held / pipeline"))
            if column == last_col:
                return Shown("total", totals=grid.total)
            return Shown("total", totals=grid.columns[grid.lines[column - 1]])
        unit = units[row]
        if column == 0:
            return Shown("unit", title=unit.name)
        if column == last_col:
            return Shown("total", totals=grid.rows[unit.id])
        return Shown("cell", cell=grid.cell(unit.id, grid.lines[column - 1]))

    def cell_at(self, index: Index) -> Cell | None:
        if not index.isValid() or self.view is None:
            return None
        return self.shown(index.row(), index.column()).cell

    def index_of(self, unit_id: str, line: str) -> QModelIndex:
        if self.view is None:
            return QModelIndex()
        rows = [i for i, u in enumerate(self.view.grid.units) if u.id == unit_id]
        if not rows or line not in self.view.grid.lines:
            return QModelIndex()
        return self.index(rows[0], self.view.grid.lines.index(line) + 1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.view is None:
            return None
        shown = self.shown(index.row(), index.column())
        currency = self.view.currency
        if role == CELL_ROLE:
            return shown
        if role == Qt.ItemDataRole.DisplayRole:
            if shown.cell is not None:
                lines = cell_lines(shown.cell, currency, self.view.today, self.view.renewal_window)
                return "\n".join(p for p in lines if p)
            if shown.totals is not None:
                return "\n".join(totals_lines(shown.totals, currency))
            return shown.title
        if role == Qt.ItemDataRole.ToolTipRole:
            if shown.cell is not None:
                unit = self.view.unit_name(shown.cell.unit_id)
                return cell_tooltip(shown.cell, unit)
            if shown.totals is not None:
                totals = shown.totals
                return "\n".join(
                    (
                        tr("Held: {amount}", amount=fmt.money_by_currency(totals.held)),
                        tr("Pipeline: {amount}", amount=fmt.money_by_currency(totals.pipeline)),
                    )
                )
            return shown.title
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if self.view is None or orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section == 0:
                return tr("Business unit")
            if section == len(self.view.grid.lines) + 1:
                return tr("Total")
            return self.view.grid.lines[section - 1]
        if role == Qt.ItemDataRole.ToolTipRole and 0 < section <= len(self.view.grid.lines):
            return self.view.grid.lines[section - 1]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class CellDelegate(QStyledItemDelegate):
    """Draws a cell as a tinted tile: a bold first line over a small second one."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(140, metrics.height() * 2 + 16)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        shown = index.data(CELL_ROLE)
        model = index.model()
        if not isinstance(shown, Shown) or not isinstance(model, WhitespaceModel):
            super().paint(painter, option, index)
            return
        view = model.view
        currency = view.currency if view else "VND"
        rect: QRect = option.rect
        palette: QPalette = option.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        base = QFont(option.font)
        bold = QFont(base)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(max(6.0, base.pointSizeF() * 0.88))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)

        if shown.kind == "unit":
            painter.setFont(bold)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            inner = rect.adjusted(8, 2, -6, -2)
            text = QFontMetrics(bold).elidedText(
                shown.title, Qt.TextElideMode.ElideRight, inner.width() * 2 - 20
            )
            painter.drawText(
                inner,
                Qt.AlignmentFlag.AlignLeft
                | Qt.AlignmentFlag.AlignVCenter
                | Qt.TextFlag.TextWordWrap,
                text,
            )
            painter.restore()
            return

        if shown.kind in ("total", "corner"):
            fill, ink = LOOK["total"]
            painter.fillRect(rect, QColor(fill))
            inner = rect.adjusted(8, 0, -8, 0)
            if shown.kind == "corner":
                self._two_lines(
                    painter,
                    inner,
                    shown.title,
                    "",
                    bold,
                    small,
                    QColor(ink),
                    QColor(ink),
                    Qt.AlignmentFlag.AlignLeft,
                )
            else:
                assert shown.totals is not None
                held = total_money(shown.totals.held, currency)
                pipe = total_money(shown.totals.pipeline, currency)
                self._two_lines(
                    painter,
                    inner,
                    held,
                    pipe,
                    bold,
                    small,
                    QColor(LOOK[HELD][1]),
                    QColor(LOOK[PIPELINE][1]),
                    Qt.AlignmentFlag.AlignRight,
                )
            painter.restore()
            return

        cell = shown.cell
        assert cell is not None
        fill, ink = LOOK[cell.state]
        tile = rect.adjusted(3, 3, -3, -3)
        colour = QColor(fill)
        if cell.state == OPEN and (hover or selected):
            colour = QColor("#eef4fa")
        painter.setPen(QColor("#d0d7de") if cell.state == OPEN else Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(tile, 5, 5)
        if selected:
            pen_colour = QColor(palette.color(QPalette.ColorRole.Highlight))
            painter.setPen(pen_colour)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(tile, 5, 5)
        if cell.state == OPEN:
            plus = QFont(bold)
            plus.setPointSizeF(bold.pointSizeF() * 1.5)
            painter.setFont(plus)
            painter.setPen(QColor(ink))
            painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, "+")
        else:
            today = view.today if view else None
            window = view.renewal_window if view else 0
            first, second = cell_lines(cell, currency, today, window)
            alert = renewal_alert(cell, today, window) if today else None
            muted = QColor(ink).lighter(130)
            stripe_ink = QColor(ink)
            if alert is not None:
                muted = stripe_ink = QColor(ALERT_INK[alert[0]])
            stripe = QRect(tile.left(), tile.top() + 4, 3, tile.height() - 8)
            painter.fillRect(stripe, stripe_ink)
            if alert is not None:
                small = QFont(small)
                small.setWeight(QFont.Weight.DemiBold)
            self._two_lines(
                painter,
                tile.adjusted(10, 0, -6, 0),
                first,
                second,
                bold,
                small,
                QColor(ink),
                muted,
                Qt.AlignmentFlag.AlignLeft,
            )
        painter.restore()

    @staticmethod
    def _two_lines(
        painter: QPainter,
        rect: QRect,
        first: str,
        second: str,
        bold: QFont,
        small: QFont,
        ink: QColor,
        muted: QColor,
        align: Qt.AlignmentFlag,
    ) -> None:
        top_metrics = QFontMetrics(bold)
        small_metrics = QFontMetrics(small)
        height = top_metrics.height() + (small_metrics.height() + 2 if second else 0)
        y = rect.top() + (rect.height() - height) // 2
        painter.setFont(bold)
        painter.setPen(ink)
        text = top_metrics.elidedText(first, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(
            QRect(rect.left(), y, rect.width(), top_metrics.height()),
            align | Qt.AlignmentFlag.AlignVCenter,
            text,
        )
        if second:
            painter.setFont(small)
            painter.setPen(muted)
            text = small_metrics.elidedText(second, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(
                QRect(
                    rect.left(), y + top_metrics.height() + 2, rect.width(), small_metrics.height()
                ),
                align | Qt.AlignmentFlag.AlignVCenter,
                text,
            )


class MarkDialog(QDialog):
    """Mark a cell lost to a competitor (who, and a note) or not relevant (a note)."""

    def __init__(
        self, status: str, line: str, unit: str, cell: Cell, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.status = status
        self.setObjectName("whitespace.mark")
        self.setWindowTitle(
            tr("Lost to a competitor") if status == LOST else fmt.label(NOT_RELEVANT)
        )
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{line}</b> · {unit}"))
        form = QFormLayout()
        style_form(form)
        self.competitor = QLineEdit(cell.competitor)
        self.competitor.setObjectName("whitespace.mark.competitor")
        self.competitor.setPlaceholderText(tr("Who won it"))
        if status == LOST:
            form.addRow(tr("Competitor"), self.competitor)
        self.note = QPlainTextEdit(cell.note)
        self.note.setObjectName("whitespace.mark.note")
        self.note.setPlaceholderText(tr("Why, and when to look again"))
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(90)
        form.addRow(tr("Note"), self.note)
        layout.addLayout(form)
        save, cancel = save_cancel(self, "whitespace.mark", self.accept)
        layout.addWidget(button_box(save, cancel))
        self.resize(420, 220)


def _load(account_id: str) -> Callable[[Any, Any], WhitespaceView | None]:
    def work(store: Any, _ctx: Any) -> WhitespaceView | None:
        from workbench.services.whitespace import whitespace

        return whitespace(store, account_id)

    return work


LEGEND = (
    (HELD, "Held"),
    (PIPELINE, "In pipeline"),
    (LOST, "Lost"),
    (NOT_RELEVANT, "Not relevant"),
    (OPEN, "Untapped"),
)


class WhitespacePanel(Panel):
    """The current account's business units × product lines, with totals."""

    follows_current_account = True

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self._account_id = ""
        self._unit_ids: set[str] = set()
        self._generation = 0
        self._creating: set[tuple[str, str]] = set()  # cells whose cross-sell is being made
        self._created: set[tuple[str, str]] = set()  # made, not yet redrawn
        self.confirm_box: QMessageBox | None = None
        self.mark_dialog: MarkDialog | None = None
        self.model = WhitespaceModel()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("whitespace.title")
        self.title.setStyleSheet("font-weight: 600; font-size: 14px;")
        top.addWidget(self.title)
        top.addStretch(1)
        for state, text in LEGEND:
            fill, ink = LOOK[state]
            chip = QLabel(tr(text))
            border = "#d0d7de" if state == OPEN else fill
            chip.setStyleSheet(
                f"background: {fill}; color: {ink}; border: 1px solid {border};"
                " border-radius: 8px; padding: 1px 8px; font-size: 11px;"
            )
            top.addWidget(chip)
        layout.addLayout(top)
        self.summary = QLabel()
        self.summary.setObjectName("whitespace.summary")
        self.summary.setStyleSheet(f"color: {GREY};")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        self.stack = QStackedWidget()
        self.table = QTableView()
        self.table.setObjectName("whitespace.grid")
        self.table.setModel(self.model)
        self.table.setItemDelegate(CellDelegate(self.table))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setMouseTracking(True)
        self.table.setFrameShape(QFrame.Shape.NoFrame)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(
            QFontMetrics(self.font()).height() * 2 + 22
        )
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.clicked.connect(self._clicked)
        self.table.installEventFilter(self)
        self.empty = empty_label("whitespace.empty")
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        self.others = QLabel()
        self.others.setObjectName("whitespace.others")
        self.others.setStyleSheet(f"color: {GREY};")
        self.others.setWordWrap(True)
        layout.addWidget(self.others)
        self._show()

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        account_id = self.ctx.hub.current_account
        if account_id != self._account_id:
            self._account_id = account_id
            self.model.set_view(None)
            self._show()
        if not account_id:
            return
        self.run("whitespace", _load(account_id), lambda v: self._loaded(generation, v))

    def _loaded(self, generation: int, view: WhitespaceView | None) -> None:
        if generation != self._generation:
            return
        self.model.set_view(view)
        self._creating -= self._created
        self._created.clear()
        self._unit_ids = {u.id for u in view.grid.units} if view else set()
        self._show()

    def affected_by(self, changes: ChangeSet) -> bool:
        if not self._account_id:
            return False
        if self._account_id in changes.accounts or self._unit_ids & changes.accounts:
            return True
        # An archived mark's change names no account (storage cannot tell it): reload anyway.
        return any(r.table in ("products", "accounts", "whitespace_marks") for r in changes.rows)

    def _show(self) -> None:
        view = self.model.view
        if not self._account_id:
            self.title.setText(tr("Whitespace"))
            self.summary.setText("")
            self.others.setText("")
            self.empty.setText(tr("Select an account to see what it holds and where to grow"))
            self.stack.setCurrentIndex(1)
            return
        if view is None:
            self.stack.setCurrentIndex(1)
            self.empty.setText("")
            return
        self.title.setText(tr("Whitespace: {name}", name=view.account_name))
        grid = view.grid
        if not grid.lines:
            self.empty.setText(tr("No product lines in the catalogue yet"))
            self.stack.setCurrentIndex(1)
            return
        cells = len(grid.cells)
        self.summary.setText(
            tr(
                "{held} of {cells} cells held · {pipeline} in pipeline · {open} untapped"
                " (click a + to start a cross-sell)",
                held=grid.count(HELD),
                cells=cells,
                pipeline=grid.count(PIPELINE),
                open=grid.count(OPEN),
            )
        )
        _, held_others = split_amounts(grid.total.held, view.currency)
        _, pipe_others = split_amounts(grid.total.pipeline, view.currency)
        parts = []
        if held_others:
            parts.append(tr("held {amounts}", amounts=fmt.money_by_currency(held_others)))
        if pipe_others:
            parts.append(tr("pipeline {amounts}", amounts=fmt.money_by_currency(pipe_others)))
        self.others.setText(
            tr("Not in the totals (other currencies): {parts}", parts="; ".join(parts))
            if parts
            else ""
        )
        self.others.setVisible(bool(parts))
        self.stack.setCurrentIndex(0)
        self._size_columns()

    def _size_columns(self) -> None:
        metrics = QFontMetrics(self.font())
        header = self.table.horizontalHeader()
        units = self.model.view.grid.units if self.model.view else ()
        longest = max((metrics.horizontalAdvance(u.name) for u in units), default=100)
        header.resizeSection(0, max(150, min(240, longest // 2 + 40)))
        for column in range(1, self.model.columnCount()):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            width = max(150, metrics.horizontalAdvance(title) + 28)
            if column == self.model.columnCount() - 1:
                width = max(width, 170)
            header.resizeSection(column, width)

    # -- commands ------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._clicked(self.table.currentIndex())
            return True
        return super().eventFilter(watched, event)

    def _clicked(self, index: QModelIndex) -> None:
        cell = self.model.cell_at(index)
        if cell is not None and cell.state == OPEN:
            self.ask_cross_sell(cell)

    def creating(self, unit_id: str, line: str) -> bool:
        """A cross-sell for this cell is being made (or made and not yet redrawn)."""
        return (unit_id, line) in self._creating

    def _unit_name(self, unit_id: str) -> str:
        return self.model.view.unit_name(unit_id) if self.model.view else ""

    def ask_cross_sell(self, cell: Cell) -> None:
        """Ask, then create a cross-sell opportunity pre-filled for the cell. A cell whose
        cross-sell is still being made ignores further clicks (and asks nothing)."""
        if self.creating(cell.unit_id, cell.product_line):
            return
        unit = self._unit_name(cell.unit_id)
        box = QMessageBox(self)
        box.setObjectName("whitespace.confirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(tr("New cross-sell"))
        box.setText(
            tr(
                "Create a cross-sell opportunity for {line} at {unit}?",
                line=cell.product_line,
                unit=unit,
            )
        )
        box.setInformativeText(
            tr("It starts in Qualify at 10 %, closing in 90 days, owned by you.")
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.accepted.connect(lambda: self.create_cross_sell(cell.unit_id, cell.product_line))
        self.confirm_box = box
        box.open()

    def create_cross_sell(self, unit_id: str, line: str) -> None:
        key = (unit_id, line)
        if key in self._creating:
            return
        self._creating.add(key)
        owner = self.ctx.current_user_id or None
        unit = self._unit_name(unit_id)

        def work(store: Any, _ctx: Any) -> Any:
            from workbench.services.whitespace import create_cross_sell

            return create_cross_sell(store, unit_id, line, owner)

        def done(saved: Any) -> None:
            self._created.add(key)  # the cell stays busy until the grid shows the new deal
            self.ctx.undo.push(tr("create cross-sell {line}", line=line), saved.changes)
            self.ctx.hub.publish(saved.changes)
            self.ctx.hub.status.emit(
                tr("Cross-sell opportunity created: {line} at {unit}", line=line, unit=unit)
            )

        report = not_saved(self.ctx)

        def failed(exc: BaseException) -> None:
            self._creating.discard(key)
            report(exc)

        self.run("cross-sell", work, done, failed)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        cell = self.model.cell_at(index)
        if cell is None:
            return
        self.table.setCurrentIndex(index)
        menu = QMenu(self)
        if cell.state == OPEN:
            menu.addAction(tr("Create cross-sell opportunity…"), lambda: self.ask_cross_sell(cell))
            menu.addSeparator()
        menu.addAction(tr("Mark lost to a competitor…"), lambda: self.open_mark_dialog(cell, LOST))
        menu.addAction(tr("Mark not relevant…"), lambda: self.open_mark_dialog(cell, NOT_RELEVANT))
        clear = menu.addAction(tr("Clear the mark"), lambda: self.clear_mark(cell))
        clear.setEnabled(cell.mark_id is not None)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def open_mark_dialog(self, cell: Cell, status: str) -> MarkDialog:
        dialog = MarkDialog(status, cell.product_line, self._unit_name(cell.unit_id), cell, self)
        dialog.accepted.connect(
            lambda: self.mark(
                cell.unit_id,
                cell.product_line,
                status,
                dialog.competitor.text(),
                dialog.note.toPlainText(),
            )
        )
        self.mark_dialog = dialog
        dialog.open()
        return dialog

    def mark(self, unit_id: str, line: str, status: str, competitor: str, note: str) -> None:
        def work(store: Any, _ctx: Any) -> Any:
            from workbench.services.whitespace import set_mark

            return set_mark(store, unit_id, line, status, competitor, note)

        def done(saved: Any) -> None:
            label = fmt.label(status, "whitespace")
            self.ctx.undo.push(tr("mark {line} {state}", line=line, state=label), saved.changes)
            self.ctx.hub.publish(saved.changes)
            self.ctx.hub.status.emit(tr("Marked {line}: {state}", line=line, state=label))

        self.run("mark", work, done, not_saved(self.ctx))

    def clear_mark(self, cell: Cell) -> None:
        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.whitespace import clear_mark

            return clear_mark(store, cell.unit_id, cell.product_line)

        def done(changes: ChangeSet) -> None:
            self.ctx.undo.push(tr("clear the mark on {line}", line=cell.product_line), changes)
            self.ctx.hub.publish(changes)

        self.run("clear-mark", work, done, not_saved(self.ctx))

    def new_item(self) -> None:
        """Ctrl+N: a cross-sell for the selected cell, if it is untapped."""
        cell = self.model.cell_at(self.table.currentIndex())
        if cell is not None and cell.state == OPEN:
            self.ask_cross_sell(cell)

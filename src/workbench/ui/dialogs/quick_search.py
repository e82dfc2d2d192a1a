"""Quick search (Ctrl+K): jump to any account or person by typing part of what you know.

Each keystroke asks the search index on the database worker; the previous question is cancelled
if it has not started yet, and an answer that arrives after a newer question is dropped (by a
generation counter), so the list never shows results for text that is no longer in the field.
The field keeps the focus the whole time: Up/Down move through the results and Enter opens one.
"""

from __future__ import annotations

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
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.records import SearchHit
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.models.columns import ROW_ROLE, Column
from workbench.ui.models.rows import RowsModel
from workbench.ui.tasks import Task

LIMIT = 20
ROW_HEIGHT = 44
WIDTH = 620

KINDS = {"account": "Account", "contact": "Contact"}
BADGE_COLORS = {"account": QColor(52, 120, 220), "contact": QColor(46, 150, 90)}

# The text a screen reader announces; the delegate paints the same parts with more care.
COLUMNS = [
    Column("hit", "Result", lambda h: f"{h.title} — {h.subtitle}" if h.subtitle else h.title)
]

Index = QModelIndex | QPersistentModelIndex


class HitDelegate(QStyledItemDelegate):
    """Paints a hit as its title (bold) over its subtitle, with a kind badge on the right."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(0, ROW_HEIGHT)  # as wide as the list; never a horizontal scrollbar

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        hit = index.data(ROW_ROLE)
        if not isinstance(hit, SearchHit):
            super().paint(painter, option, index)
            return
        painter.save()
        rect: QRect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = QColor(text_color)
        muted.setAlphaF(0.68)

        badge_text = tr(KINDS.get(hit.kind, hit.kind))
        badge_font = QFont(option.font)
        badge_font.setPointSizeF(badge_font.pointSizeF() * 0.85)
        badge_metrics = QFontMetrics(badge_font)
        badge_w = badge_metrics.horizontalAdvance(badge_text) + 14
        badge_h = badge_metrics.height() + 4
        badge = QRect(
            rect.right() - 12 - badge_w, rect.center().y() - badge_h // 2 + 1, badge_w, badge_h
        )
        color = BADGE_COLORS.get(hit.kind, QColor(128, 128, 128))
        fill = QColor(color)
        fill.setAlphaF(0.9 if selected else 0.14)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(badge, badge_h / 2, badge_h / 2)
        painter.setFont(badge_font)
        painter.setPen(QColor("white") if selected else color.darker(125))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, badge_text)

        text_rect = QRect(
            rect.left() + 12, rect.top() + 4, badge.left() - rect.left() - 24, rect.height() - 8
        )
        title_font = QFont(option.font)
        title_font.setWeight(QFont.Weight.DemiBold)
        title_metrics = QFontMetrics(title_font)
        sub_font = QFont(option.font)
        sub_font.setPointSizeF(sub_font.pointSizeF() * 0.92)
        sub_metrics = QFontMetrics(sub_font)
        top = (
            text_rect.top()
            + (
                text_rect.height()
                - title_metrics.height()
                - (sub_metrics.height() if hit.subtitle else 0)
            )
            // 2
        )
        painter.setFont(title_font)
        painter.setPen(text_color)
        title = title_metrics.elidedText(hit.title, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(QPoint(text_rect.left(), top + title_metrics.ascent()), title)
        if hit.subtitle:
            painter.setFont(sub_font)
            painter.setPen(muted)
            sub = sub_metrics.elidedText(
                hit.subtitle, Qt.TextElideMode.ElideRight, text_rect.width()
            )
            painter.drawText(
                QPoint(text_rect.left(), top + title_metrics.height() + sub_metrics.ascent()),
                sub,
            )
        painter.restore()


class QuickSearch(QDialog):
    open_account = Signal(str)
    open_contact = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        # A frameless dialog rather than a Qt.Popup: a popup grabs the keyboard, which fights
        # with the input methods Vietnamese users type with (Telex/VNI through IBus or Fcitx).
        super().__init__(parent, Qt.WindowType.Dialog | Qt.WindowType.FramelessWindowHint)
        self.ctx = ctx
        self.setObjectName("dialog.quick_search")
        self.setWindowTitle(tr("Quick search"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._generation = 0
        self._answered = 0  # the generation the list currently shows
        self._task: Task | None = None
        self._open_when_answered = False

        self.frame = frame = QFrame(self)
        frame.setObjectName("quick_search.frame")
        frame.setStyleSheet(
            "#quick_search\\.frame { background: palette(window); border: 1px solid palette(mid); }"
        )
        self.outer = outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        self.inner = layout = QVBoxLayout(frame)
        layout.setContentsMargins(10, 10, 10, 8)
        layout.setSpacing(6)

        self.edit = QLineEdit()
        self.edit.setObjectName("quick_search.text")
        self.edit.setPlaceholderText(
            tr("Find an account or a person: name, email, phone, tax code")
        )
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumHeight(34)
        big = self.edit.font()
        big.setPointSizeF(big.pointSizeF() * 1.15)
        self.edit.setFont(big)
        self.edit.installEventFilter(self)
        layout.addWidget(self.edit)

        self.model = RowsModel(COLUMNS, id_attr="ref_id")
        self.results = QListView()
        self.results.setObjectName("quick_search.results")
        self.results.setModel(self.model)
        self.results.setItemDelegate(HitDelegate(self.results))
        self.results.setUniformItemSizes(True)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing always goes to the field
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.setFrameShape(QFrame.Shape.NoFrame)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setStyleSheet("QListView { background: transparent; }")
        self.results.clicked.connect(self._open_index)
        layout.addWidget(self.results)

        self.hint = QLabel()
        self.hint.setObjectName("quick_search.hint")
        self.hint.setStyleSheet("color: palette(mid); padding: 2px 4px;")
        layout.addWidget(self.hint)

        self.edit.textChanged.connect(self._search)
        self._search("")
        self.resize(WIDTH, 96)

    # -- placement ---------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        self._place()
        super().showEvent(event)
        self.activateWindow()
        self.edit.setFocus()

    def _place(self) -> None:
        """Centred over the parent window, near its top, where the eye already is."""
        parent = self.parentWidget()
        if parent is None:
            return
        frame = parent.window().frameGeometry()
        width = min(WIDTH, max(360, frame.width() - 80))
        self.resize(width, self.height())
        top_left = QPoint(
            frame.center().x() - width // 2, frame.top() + max(60, frame.height() // 8)
        )
        self.move(top_left)

    def _fit(self) -> None:
        """Grow with the results (up to ten rows), so a short answer is a short popup."""
        rows = min(self.model.rowCount(), 10)
        self.results.setVisible(rows > 0)
        self.results.setFixedHeight(rows * ROW_HEIGHT if rows else 0)
        for layout in (self.inner, self.outer):  # inner first: size hints travel outwards
            layout.activate()
        self.resize(self.width(), self.outer.totalSizeHint().height())

    # -- searching ---------------------------------------------------------------------------
    def _search(self, text: str) -> None:
        self._generation += 1
        gen = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()  # not started yet: skip it; running: its answer is dropped
        if not text.strip():
            self._task = None
            self._show([], gen, hint=tr("Type a name, email, phone number or tax code."))
            return

        def work(store: Any, _ctx: Any) -> tuple[list[SearchHit], int]:
            with store.read() as q:
                return list(q.search(text, LIMIT)), gen

        # Bound methods, not lambdas: Qt drops them if the popup is gone when the answer comes.
        self._task = self.ctx.tasks.run("quick search", work, self._answer, self._failed)

    def _answer(self, result: tuple[list[SearchHit], int]) -> None:
        self._show(*result)

    def _show(self, hits: list[SearchHit], gen: int, hint: str = "") -> None:
        if gen != self._generation:
            return  # a newer question is on its way
        self._answered = gen
        self.model.set_rows(hits)
        if hits:
            self.results.setCurrentIndex(self.model.index(0, 0))
            more = tr("Showing the first {n}; type more to narrow down.", n=LIMIT)
            keys = tr("↑↓ to move · Enter to open · Esc to close")
            self.hint.setText(f"{keys}    {more}" if len(hits) >= LIMIT else keys)
        else:
            self.hint.setText(hint or tr("No matches"))
        self._fit()
        if self._open_when_answered:
            self._open_when_answered = False
            self.open_current()

    def _failed(self, exc: BaseException) -> None:
        self.hint.setText(tr("Search failed: {error}", error=str(exc)))

    # -- keys and opening --------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if self._key(event.key()):
                return True
        return super().eventFilter(watched, event)

    def _key(self, key: int) -> bool:
        moves = {
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_PageDown: 5,
            Qt.Key.Key_PageUp: -5,
        }
        if key in moves:
            self._move(moves[Qt.Key(key)])
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._answered != self._generation:
                self._open_when_answered = True  # typed fast and hit Enter: open on arrival
            else:
                self.open_current()
            return True
        return False

    def _move(self, step: int) -> None:
        n = self.model.rowCount()
        if not n:
            return
        row = self.results.currentIndex().row()
        row = max(0, min(n - 1, (row if row >= 0 else -1) + step))
        self.results.setCurrentIndex(self.model.index(row, 0))

    def open_current(self) -> None:
        self._open_index(self.results.currentIndex())

    def _open_index(self, index: QModelIndex) -> None:
        hit = self.model.row_at(index.row()) if index.isValid() else None
        if not isinstance(hit, SearchHit):
            return
        if hit.kind == "account":
            self.open_account.emit(hit.ref_id)
        else:
            self.open_contact.emit(hit.ref_id)
        self.accept()

    def done(self, result: int) -> None:
        """Closing drops the question in flight: nobody is left to read its answer."""
        if self._task is not None:
            self._task.cancel()
        super().done(result)

    def changeEvent(self, event: QEvent) -> None:
        """Close when the user clicks elsewhere, as a palette should."""
        super().changeEvent(event)
        if (
            event.type() == QEvent.Type.ActivationChange
            and self.isVisible()
            and not self.isActiveWindow()
        ):
            self.reject()

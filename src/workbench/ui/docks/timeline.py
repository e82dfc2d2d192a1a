"""Timeline dock: what happened with the current account and what we still owe it.

Why a quick-log bar on top: an AM logs most calls seconds after hanging up; choosing a kind,
typing a subject and pressing Enter must be enough, or the call never gets logged. The full
dialog (attendees, outcome, a promise made) is one click or Ctrl+N away. Open promises and
planned meetings sit in the same newest-first list, coloured by what needs doing (overdue in
red), because the history is where people look before they call the client again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.drafts import ActivityDraft
from workbench.domain.errors import ValidationError
from workbench.domain.records import TimelineItem
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.models.columns import ROW_ROLE, Column
from workbench.ui.models.rows import RowsModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.colours import AMBER, BLUE, GREEN, GREY, RED
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.form import error_text

QUICK_KINDS = ("call", "meeting", "note", "email", "visit")
FILTERS = ("all", "activities", "commitments", "open")

KIND_LOOK = {  # glyph (present in DejaVu Sans and common UI fonts) and colour
    "call": ("☎", "#43a047"),
    "meeting": ("◉", "#1e88e5"),
    "email": ("✉", "#00897b"),
    "visit": ("⌂", "#8e24aa"),
    "note": ("✎", "#757575"),
    "task": ("✓", "#f4511e"),
    "commitment": ("⚑", "#ef8f00"),
}


# -- what an item means --------------------------------------------------------------------------
def state(item: TimelineItem, now: datetime | None = None) -> str:
    """One word for how an item should look: overdue, open, planned, late, done or cancelled.

    "late" is a planned activity whose time has passed without anyone marking it done.
    """
    now = now or datetime.now()
    if item.item == "commitment":
        if item.status == "open":
            overdue = item.due_date is not None and item.due_date < now.date()
            return "overdue" if overdue else "open"
        return item.status
    if item.status == "planned":
        return "late" if fmt.local(item.when) < now else "planned"
    return item.status


def is_actionable(item: TimelineItem) -> bool:
    """Can be marked done: an open promise or a planned activity."""
    return state(item) in ("overdue", "open", "planned", "late")


def matches(item: TimelineItem, which: str) -> bool:
    if which == "activities":
        return item.item == "activity"
    if which == "commitments":
        return item.item == "commitment"
    if which == "open":
        return is_actionable(item)
    return True


def when_text(when: datetime, today: date | None = None) -> str:
    """ "today 14:30", "yesterday 09:05", "12 thg 3, 2026 16:00"; midnight shows no time."""
    moment = fmt.local(when)
    today = today or date.today()
    days = (moment.date() - today).days
    words = {0: tr("today"), -1: tr("yesterday"), 1: tr("tomorrow")}
    text = words.get(days) or fmt.day(moment)
    if moment.hour or moment.minute:
        text = f"{text} {moment:%H:%M}"
    return text


@dataclass(frozen=True)
class Lines:
    """The text of one timeline entry, line by line, as the delegate draws it."""

    title: str
    meta: str
    people: str
    notes: str
    result: str
    badge: str
    colour: str  # the accent: left stripe and badge
    muted: bool
    struck: bool


def lines_of(item: TimelineItem, now: datetime | None = None) -> Lines:
    """What to draw for `item`; kept apart from painting so tests can read it as text."""
    now = now or datetime.now()
    st = state(item, now)
    glyph_colour = KIND_LOOK.get(item.kind, KIND_LOOK["note"])[1]
    if item.item == "commitment":
        parts = [tr("Promise")]
        if item.due_date:
            parts.append(tr("due {day}", day=fmt.day(item.due_date)))
        if item.attendees:
            parts.append(tr("to {name}", name=", ".join(item.attendees)))
        if item.owner_name:
            parts.append(tr("by {name}", name=item.owner_name))
        people = ""
    else:
        parts = [fmt.label(item.kind), when_text(item.when, now.date())]
        if item.owner_name:
            parts.append(item.owner_name)
        others = [a for a in item.attendees if a and a != item.owner_name]
        people = tr("With {names}", names=", ".join(others)) if others else ""
    first_note = next((ln.strip() for ln in item.notes.splitlines() if ln.strip()), "")
    result = " · ".join(
        p
        for p in (
            tr("Outcome: {text}", text=item.outcome) if item.outcome else "",
            tr("Next: {text}", text=item.next_step) if item.next_step else "",
        )
        if p
    )
    badge, colour = "", glyph_colour
    if st == "overdue":
        days = (now.date() - item.due_date).days if item.due_date else 0
        badge, colour = tr("Overdue {n} days", n=days) if days > 1 else tr("Overdue"), RED
    elif st == "open":
        badge, colour = tr("Open"), AMBER
    elif st == "planned":
        badge, colour = tr("Planned"), BLUE
    elif st == "late":
        badge, colour = tr("Planned, not done yet"), AMBER
    elif st == "done" and item.item == "commitment":
        badge, colour = tr("Kept"), GREEN
    elif st == "cancelled":
        badge, colour = tr("Cancelled"), GREY
    muted = st == "cancelled" or (item.item == "commitment" and st == "done")
    return Lines(
        item.subject,
        " · ".join(parts),
        people,
        first_note,
        result,
        badge,
        colour,
        muted,
        st == "cancelled",
    )


def _tooltip(item: TimelineItem) -> str:
    parts = [item.subject]
    if item.attendees:
        parts.append(", ".join(item.attendees))
    for text in (item.notes, item.outcome, item.next_step):
        if text:
            parts.append(text)
    return "\n\n".join(parts)


COLUMNS = [Column("item", "Item", lambda i: i.subject, tooltip=_tooltip)]


# -- drawing -----------------------------------------------------------------------------------
class TimelineDelegate(QStyledItemDelegate):
    """Draws an entry as a card: kind glyph, subject, when and who, first line of notes."""

    PAD = 8
    ICON = 28

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        base = QFont(option.font)
        bold = QFont(base)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(max(6.0, base.pointSizeF() * 0.9))
        return bold, small

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        item = index.data(ROW_ROLE)
        if not isinstance(item, TimelineItem):
            return QSize(0, 0)
        lines = lines_of(item)
        bold, small = self._fonts(option)
        extra = sum(1 for t in (lines.people, lines.notes, lines.result) if t)
        height = QFontMetrics(bold).height() + (1 + extra) * (QFontMetrics(small).height() + 2)
        return QSize(0, max(self.ICON, height) + 2 * self.PAD)  # width: the view's

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        item = index.data(ROW_ROLE)
        if not isinstance(item, TimelineItem):
            return
        lines = lines_of(item)
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state_flags = option.state
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if state_flags & QStyle.StateFlag.State_Selected:
            fill = QColor(palette.color(QPalette.ColorRole.Highlight))
            fill.setAlpha(70)
            painter.fillRect(rect, fill)
        elif state_flags & QStyle.StateFlag.State_MouseOver:
            fill = QColor(palette.color(QPalette.ColorRole.Highlight))
            fill.setAlpha(22)
            painter.fillRect(rect, fill)
        accent = QColor(lines.colour)
        if lines.badge:
            painter.fillRect(QRect(rect.left(), rect.top() + 1, 3, rect.height() - 2), accent)
        line_colour = QColor(palette.color(QPalette.ColorRole.Mid))
        line_colour.setAlpha(90)
        painter.setPen(line_colour)
        painter.drawLine(rect.left() + 8, rect.bottom(), rect.right() - 8, rect.bottom())

        glyph, glyph_colour = KIND_LOOK.get(item.kind, KIND_LOOK["note"])
        circle = QRect(rect.left() + 12, rect.top() + self.PAD, self.ICON, self.ICON)
        tint = QColor(glyph_colour)
        tint.setAlpha(45 if not lines.muted else 25)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawEllipse(circle)
        bold, small = self._fonts(option)
        glyph_font = QFont(bold)
        glyph_font.setPointSizeF(bold.pointSizeF() * 1.1)
        painter.setFont(glyph_font)
        painter.setPen(QColor(glyph_colour))
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, glyph)

        text_colour = QColor(palette.color(QPalette.ColorRole.Text))
        muted_colour = QColor(text_colour)
        muted_colour.setAlpha(150)
        left = circle.right() + 10
        right = rect.right() - 10
        top = rect.top() + self.PAD

        if lines.badge:
            painter.setFont(small)
            metrics = QFontMetrics(small)
            width = metrics.horizontalAdvance(lines.badge) + 14
            pill = QRect(right - width, top + 1, width, metrics.height() + 2)
            fill = QColor(lines.colour)
            fill.setAlpha(40)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setPen(QColor(lines.colour))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, lines.badge)
            title_right = pill.left() - 8
        else:
            title_right = right

        title_font = QFont(bold)
        title_font.setStrikeOut(lines.struck)
        painter.setFont(title_font)
        painter.setPen(muted_colour if lines.muted else text_colour)
        metrics = QFontMetrics(title_font)
        title = metrics.elidedText(lines.title, Qt.TextElideMode.ElideRight, title_right - left)
        painter.drawText(
            QRect(left, top, title_right - left, metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        y = top + metrics.height() + 2

        painter.setFont(small)
        small_metrics = QFontMetrics(small)
        for text, colour in (
            (lines.meta, muted_colour),
            (lines.people, text_colour),
            (lines.notes, muted_colour),
            (lines.result, text_colour),
        ):
            if not text:
                continue
            painter.setPen(muted_colour if lines.muted else colour)
            shown = small_metrics.elidedText(text, Qt.TextElideMode.ElideRight, right - left)
            painter.drawText(
                QRect(left, y, right - left, small_metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                shown,
            )
            y += small_metrics.height() + 2
        painter.restore()


# -- the panel ---------------------------------------------------------------------------------
def _load(account_id: str) -> Callable[[Any, Any], list[TimelineItem]]:
    def work(store: Any, _ctx: Any) -> list[TimelineItem]:
        with store.read() as q:
            return list(q.timeline(account_id))

    return work


CHIP_STYLE = (
    "QToolButton { border: 1px solid palette(mid); border-radius: 10px; padding: 2px 10px; }"
    "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
    " border-color: palette(highlight); }"
)


class TimelinePanel(Panel):
    """The current account's activities and commitments, newest first, with a quick-log bar."""

    follows_current_account = True

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.items: list[TimelineItem] = []
        self._account_id = ""
        self._generation = 0
        self._select_after_load = ""
        self._loading = False
        self.model = RowsModel(COLUMNS)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(self._build_quick_bar())
        layout.addLayout(self._build_filter_bar())
        self.stack = QStackedWidget()
        self.view = QListView()
        self.view.setObjectName("timeline.list")
        self.view.setModel(self.model)
        self.view.setItemDelegate(TimelineDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setMouseTracking(True)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setUniformItemSizes(False)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.empty_label = empty_label("timeline.empty")
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty_label)
        layout.addWidget(self.stack, 1)

        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self.model.dataChanged.connect(lambda *_: self._update_buttons())
        self.view.installEventFilter(self)  # Space marks done (the list would only select)
        self._show_state()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Space
            and not event.modifiers()
        ):
            self.mark_done()
            return True
        return super().eventFilter(watched, event)

    # -- building ----------------------------------------------------------------------------
    def _build_quick_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(4)
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("timeline.kind")
        for kind in QUICK_KINDS:
            self.kind_combo.addItem(fmt.label(kind), kind)
        self.subject_edit = QLineEdit()
        self.subject_edit.setObjectName("timeline.subject")
        self.subject_edit.setClearButtonEnabled(True)
        self.details_button = QPushButton(tr("Details…"))
        self.details_button.setObjectName("timeline.details")
        self.details_button.setToolTip(
            tr("Log with attendees, notes, outcome and a follow-up promise (Ctrl+N)")
        )
        bar.addWidget(self.kind_combo)
        bar.addWidget(self.subject_edit, 1)
        bar.addWidget(self.details_button)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._update_placeholder())
        self.subject_edit.returnPressed.connect(self.quick_log)
        self.details_button.clicked.connect(self.new_item)
        self._update_placeholder()
        return bar

    def _build_filter_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(4)
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.chips: dict[str, QToolButton] = {}
        titles = {
            "all": "All",
            "activities": "Activities",
            "commitments": "Promises",
            "open": "Open",
        }
        for key in FILTERS:
            chip = QToolButton()
            chip.setObjectName(f"timeline.filter.{key}")
            chip.setText(tr(titles[key]))
            chip.setCheckable(True)
            chip.setStyleSheet(CHIP_STYLE)
            chip.setAutoRaise(True)
            self.filter_group.addButton(chip)
            self.chips[key] = chip
            bar.addWidget(chip)
        self.chips["all"].setChecked(True)
        for chip in self.chips.values():
            chip.toggled.connect(self._chip_toggled)
        bar.addStretch(1)
        self.done_button = QPushButton(tr("Mark done"))
        self.done_button.setObjectName("timeline.mark_done")
        self.done_button.setToolTip(
            tr("Mark the selected promise or planned activity done (Space)")
        )
        self.done_button.clicked.connect(self.mark_done)
        bar.addWidget(self.done_button)
        return bar

    def _chip_toggled(self, on: bool) -> None:
        if on:
            self._apply_filter()

    def _update_placeholder(self) -> None:
        kind = fmt.label(str(self.kind_combo.currentData())).lower()
        self.subject_edit.setPlaceholderText(
            tr("Log a {kind}: type the subject, press Enter", kind=kind)
        )

    # -- loading -----------------------------------------------------------------------------
    @property
    def filter_key(self) -> str:
        return next((k for k, chip in self.chips.items() if chip.isChecked()), "all")

    def set_filter(self, key: str) -> None:
        self.chips[key].setChecked(True)

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        account_id = self.ctx.hub.current_account
        if account_id != self._account_id:
            self._account_id = account_id
            self.items = []
            self._loading = bool(account_id)  # no "nothing logged yet" before we know
            self._apply_filter()
        if not account_id:
            return
        self.run("timeline", _load(account_id), lambda items: self._loaded(generation, items))

    def _loaded(self, generation: int, items: list[TimelineItem]) -> None:
        if generation != self._generation:
            return  # a newer request (another account) is on its way
        self.items = items
        self._loading = False
        self._apply_filter()
        if self._select_after_load:
            self.select_item(self._select_after_load)
            self._select_after_load = ""

    def affected_by(self, changes: ChangeSet) -> bool:
        return bool(self._account_id) and self._account_id in changes.accounts

    def _apply_filter(self) -> None:
        which = self.filter_key
        self.model.set_rows([i for i in self.items if matches(i, which)])
        n_open = sum(1 for i in self.items if is_actionable(i))
        self.chips["open"].setText(tr("Open ({n})", n=n_open) if n_open else tr("Open"))
        self._show_state()

    def _show_state(self) -> None:
        has_account = bool(self._account_id)
        for widget in (self.kind_combo, self.subject_edit, self.details_button):
            widget.setEnabled(has_account)
        if not has_account:
            self.empty_label.setText(tr("Select an account to see its timeline"))
        elif self._loading:
            self.empty_label.setText("")
        elif not self.items:
            self.empty_label.setText(
                tr("Nothing logged yet. Type a subject above and press Enter to log a call.")
            )
        elif not self.model.rowCount():
            self.empty_label.setText(tr("Nothing here with this filter"))
        self.stack.setCurrentIndex(0 if self.model.rowCount() else 1)
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.selected_item()
        self.done_button.setEnabled(item is not None and is_actionable(item))

    # -- selection ---------------------------------------------------------------------------
    def selected_item(self) -> TimelineItem | None:
        rows = self.view.selectionModel().selectedRows()
        item = self.model.row_at(rows[0].row()) if rows else None
        return item if isinstance(item, TimelineItem) else None

    def select_item(self, item_id: str) -> None:
        row = self.model.row_of_id(item_id)
        if row >= 0:
            index = self.model.index(row, 0)
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)

    # -- commands ----------------------------------------------------------------------------
    def quick_log(self) -> None:
        """Log what the subject line says, now, by the current user; the line is cleared."""
        subject = self.subject_edit.text().strip()
        if not self._account_id or not subject:
            return
        kind = str(self.kind_combo.currentData())
        draft = ActivityDraft(
            account_id=self._account_id,
            kind=kind,
            subject=subject,
            owner_id=self.ctx.current_user_id or None,
        )
        self.subject_edit.clear()

        def work(store: Any, _ctx: Any) -> Any:
            from workbench.services.timeline import log_activity

            return log_activity(store, draft)

        def done(saved: Any) -> None:
            if not matches_kind_filter(self.filter_key):
                self.set_filter("all")
            self._select_after_load = saved.id
            self.ctx.undo.push(tr("log {subject}", subject=subject), saved.changes)
            self.ctx.hub.publish(saved.changes)
            self.ctx.hub.status.emit(
                tr("Logged {kind}: {subject}", kind=fmt.label(kind).lower(), subject=subject)
            )

        def failed(exc: BaseException) -> None:
            if not self.subject_edit.text():
                self.subject_edit.setText(subject)
            if isinstance(exc, ValidationError):
                message = "; ".join(error_text(e) for e in exc.errors)
            else:
                message = str(exc)
            self.ctx.hub.status.emit(tr("Not logged: {reason}", reason=message))

        self.run("log", work, done, failed)

    def new_item(self) -> None:
        """Ctrl+N / Details…: the full activity dialog, starting from what the bar holds."""
        from workbench.ui.dialogs.activity_dialog import ActivityDialog

        if not self._account_id:
            return
        dialog = ActivityDialog(
            self.ctx,
            self._account_id,
            self,
            kind=str(self.kind_combo.currentData()),
            subject=self.subject_edit.text().strip(),
        )
        dialog.saved.connect(self._saved_in_dialog)
        dialog.open()

    def _saved_in_dialog(self, activity_id: str) -> None:
        self.subject_edit.clear()
        self._select_after_load = activity_id
        if not matches_kind_filter(self.filter_key):
            self.set_filter("all")

    def mark_done(self) -> None:
        item = self.selected_item()
        if item is None or not is_actionable(item):
            return

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.timeline import complete_activity, complete_commitment

            if item.item == "commitment":
                return complete_commitment(store, item.id)
            return complete_activity(store, item.id)

        def done(changes: ChangeSet) -> None:
            self._select_after_load = item.id
            self.ctx.undo.push(tr("mark {subject} done", subject=item.subject), changes)
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(tr("Marked done: {subject}", subject=item.subject))

        self.run("complete", work, done)

    def archive_item(self) -> None:
        item = self.selected_item()
        if item is None:
            return
        table = "commitments" if item.item == "commitment" else "activities"

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.timeline import archive_item

            return archive_item(store, table, item.id)

        def done(changes: ChangeSet) -> None:
            self.ctx.undo.push(tr("archive {name}", name=item.subject), changes)
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(tr("Archived {name}. Undo with Ctrl+Z.", name=item.subject))

        self.run("archive", work, done)

    def focus_filter(self) -> None:
        """Ctrl+F: the timeline has no text to filter, so it steps through the filter chips."""
        keys = list(FILTERS)
        self.set_filter(keys[(keys.index(self.filter_key) + 1) % len(keys)])


def matches_kind_filter(which: str) -> bool:
    """Whether a just-logged, done activity shows under filter `which`."""
    return which in ("all", "activities")

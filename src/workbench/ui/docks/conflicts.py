"""Conflicts dock: edits that met a concurrent edit (or a delete) during sync (SYNC.md §1.14).

Why a dock and not a dialog: conflicts arrive in the background and wait for the user; nothing
is lost meanwhile (the later edit holds the record, the other value is kept here). Each row
shows the record and field, the value the record holds now and the overwritten one, each with
who wrote it and when (the HLC's wall time, in local time), and the buttons for that kind:
Keep current / Use mine / Edit… for two edits of one field; Restore / Discard my edit when one
side deleted the record. Every decision is an ordinary local edit plus the conflict's new
status, written in one unit of work on the database worker.

The text helpers at the top (field and table names, values, who and when) are shared with the
"Needs attention" dock, so both lists speak of records the same way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from babel.dates import format_date
from PySide6.QtCore import QEvent, QModelIndex, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.errors import ValidationError
from workbench.domain.formatting import format_number
from workbench.services.sync_inbox import (
    CONCURRENT_UPDATE,
    DELETE_ON_UPDATED,
    ConflictItem,
    NotOpen,
    record_ids,
    short_label,
    touches_inbox,
    without_inbox,
)
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import language, locale_name, tr
from workbench.ui.models.columns import Column
from workbench.ui.models.styled import Look, StyledRowsModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.colours import AMBER, RED
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.fields import button_box, error_banner, save_cancel
from workbench.ui.widgets.form import error_text
from workbench.ui.widgets.list_parts import count_line
from workbench.ui.widgets.two_line import sorted_view, two

# -- how records, fields and values read ---------------------------------------------------------
# Fields whose stored value is a vocabulary word (tier "key", stage "propose", ...).
VOCAB_FIELDS = frozenset(
    {"tier", "kind", "stage", "stance", "stakeholder_role", "role", "status", "usage_level"}
)
# Fields people write several lines in: edited in a text box, not a line.
LONG_FIELDS = frozenset({"notes", "address", "outcome", "next_step", "description"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@cache
def _field_labels(_lang: str) -> dict[str, str]:
    return {
        "name": tr("Name"),
        "kind": tr("Kind"),
        "tier": tr("Tier"),
        "owner_id": tr("Owner"),
        "parent_id": tr("Parent account"),
        "tax_code": tr("Tax code"),
        "tax_code_kind": tr("Tax code"),
        "industry": tr("Industry"),
        "city": tr("City"),
        "country": tr("Country"),
        "address": tr("Address"),
        "website": tr("Website"),
        "phone": tr("Phone"),
        "email": tr("Email"),
        "currency": tr("Currency"),
        "payment_terms_days": tr("Payment terms"),
        "credit_limit_minor": tr("Credit limit"),
        "notes": tr("Notes"),
        "family_name": tr("Family name"),
        "middle_name": tr("Middle name"),
        "given_name": tr("Given name"),
        "name_order": tr("Name order"),
        "mobile": tr("Mobile"),
        "birthday": tr("Birthday"),
        "language": tr("Language"),
        "title": tr("Title"),
        "department": tr("Department"),
        "reports_to_id": tr("Reports to"),
        "stakeholder_role": tr("Role"),
        "influence": tr("Influence"),
        "stance": tr("Stance"),
        "strength": tr("Relationship"),
        "colleague_id": tr("Our colleague"),
        "start_date": tr("Start date"),
        "end_date": tr("End date"),
        "account_id": tr("Account"),
        "contact_id": tr("Contact"),
        "to_contact_id": tr("To"),
        "user_id": tr("User"),
        "role": tr("Role"),
        "product_id": tr("Product"),
        "annual_value_minor": tr("Annual value"),
        "usage_level": tr("Usage"),
        "stage": tr("Stage"),
        "amount_minor": tr("Amount"),
        "probability": tr("Probability"),
        "close_date": tr("Close date"),
        "status": tr("Status"),
        "subject": tr("Subject"),
        "occurred_at": tr("When"),
        "due_date": tr("Due date"),
        "outcome": tr("Outcome"),
        "next_step": tr("Next step"),
        "description": tr("What"),
        "activity_id": tr("Activity"),
        "done_at": tr("Done"),
        "_deleted": tr("Deleted"),
    }


@cache
def _table_labels(_lang: str) -> dict[str, str]:
    return {
        "accounts": tr("Account"),
        "contacts": tr("Contact"),
        "positions": tr("Stakeholder"),
        "users": tr("User"),
        "account_team": tr("Team member"),
        "products": tr("Product"),
        "holdings": tr("Holding"),
        "opportunities": tr("Opportunity"),
        "activities": tr("Activity"),
        "activity_attendees": tr("Attendee"),
        "commitments": tr("Promise"),
        "leads": tr("Lead"),
        "account_plans": tr("Account plan"),
        "plan_updates": tr("Plan update"),
        "plan_objectives": tr("Objective"),
        "plan_actions": tr("Plan action"),
        "whitespace_marks": tr("Whitespace cell"),
    }


def field_label(name: str) -> str:
    """A column's name as people say it ("Payment terms", not payment_terms_days)."""
    return _field_labels(language()).get(name) or name.replace("_", " ").strip().capitalize()


def table_label(table: str) -> str:
    return _table_labels(language()).get(table) or table.replace("_", " ").capitalize()


def value_text(value: Any, name: str, refs: Mapping[str, str] | None = None) -> str:
    """A stored value as a person reads it: names for ids, labels for vocabulary, local dates."""
    if value is None or value == "":
        return tr("(empty)")
    if isinstance(value, bool):
        if name == "_deleted":
            return tr("Deleted") if value else tr("Not deleted")
        return tr("Yes") if value else tr("No")
    if isinstance(value, int | float):
        if name.endswith("_minor") or abs(value) >= 10_000:
            return format_number(int(value), locale_name())
        return str(value)
    if isinstance(value, str):
        if refs and value in refs:
            return refs[value]
        if name in VOCAB_FIELDS:
            return fmt.label(value)
        if _ISO_DATE.match(value):
            try:
                return fmt.day(date.fromisoformat(value))
            except ValueError:
                return value
        if _ISO_DATETIME.match(value):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
            return f"{fmt.day(moment)} {fmt.local(moment):%H:%M}"
        return " ⏎ ".join(line for line in value.splitlines() if line.strip()) or value
    return str(value)


def full_text(value: Any, name: str, refs: Mapping[str, str] | None = None) -> str:
    """Like value_text, but several lines stay several lines (for tooltips)."""
    if isinstance(value, str) and "\n" in value:
        return value
    return value_text(value, name, refs)


def edit_text(value: Any, name: str) -> str:
    """A value as text to start editing from (dates as dd/mm/yyyy, as the app types them)."""
    if value is None:
        return ""
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return f"{date.fromisoformat(value):%d/%m/%Y}"
        except ValueError:
            return value
    return str(value)


def when_text(moment: datetime | None, today: date | None = None) -> str:
    """Short local time: "14:05" today, "yesterday 09:30", "12 Mar 16:00" this year, else
    the date: conflict lists are read at a glance, the year rarely matters."""
    if moment is None:
        return ""
    local = fmt.local(moment)
    today = today or date.today()
    days = (today - local.date()).days
    if days == 0:
        return f"{local:%H:%M}"
    if days == 1:
        return f"{tr('yesterday')} {local:%H:%M}"
    if local.year == today.year:
        return f"{format_date(local.date(), 'd MMM', locale=locale_name())} {local:%H:%M}"
    return fmt.day(moment)


def user_text(name: str, user_id: str | None, me: str) -> str:
    """A user's name; "(you)" for the current user; a short id for a user unknown here."""
    if name and name == user_id and len(name) > 12:
        name = "#" + name[-6:]
    return tr("{name} (you)", name=name) if name and user_id and user_id == me else name


def who_when(name: str, user_id: str | None, moment: datetime | None, me: str) -> str:
    return " · ".join(p for p in (user_text(name, user_id, me), when_text(moment)) if p)


def record_text(table: str, row_id: str, record: str) -> str:
    """The record's label; a record known only by its id reads "Contact #00beef"."""
    if record == short_label(table, row_id):
        return f"{table_label(table)} #{row_id[-6:]}"
    return record


# -- the list ----------------------------------------------------------------------------------
def kind_text(kind: str) -> str:
    """A short name for what happened (the row's tooltip says it in a sentence)."""
    if kind == CONCURRENT_UPDATE:
        return tr("Both edited")
    if kind == DELETE_ON_UPDATED:
        return tr("Delete over edit")
    return tr("Edit on deleted")


def current_text(item: ConflictItem) -> str:
    if item.on_deleted_record:
        return tr("Deleted")
    return value_text(item.winner_value, item.field, item.refs)


def mine_text(item: ConflictItem) -> str:
    return value_text(item.loser_value, item.field, item.refs)


def explain(item: ConflictItem) -> str:
    """The row's tooltip: what happened, in a sentence, and both values in full."""
    winner = item.winner_user or tr("someone")
    loser = item.loser_user or tr("someone")
    what = field_label(item.field)
    if item.on_deleted_record:
        text = tr(
            "{winner} deleted this record while {loser} changed {field}. Restore it with that "
            "change, or let the change go.",
            winner=winner,
            loser=loser,
            field=what,
        )
    else:
        text = tr(
            "{winner} and {loser} changed {field} at about the same time. The later edit was "
            "kept; the other value waits here until you decide.",
            winner=winner,
            loser=loser,
            field=what,
        )
    if not item.exists:
        text += "\n" + tr("That record is no longer on this device.")
    current = (
        current_text(item)
        if item.on_deleted_record
        else full_text(item.winner_value, item.field, item.refs)
    )
    values = [
        tr("Current: {value}", value=current),
        tr("Overwritten: {value}", value=full_text(item.loser_value, item.field, item.refs)),
    ]
    return "\n\n".join([text, *values])


def columns(ctx: AppContext) -> list[Column]:
    me = lambda: ctx.current_user_id  # noqa: E731 (read when drawn: the user may change)
    return [
        Column(
            "record",
            "Record",
            lambda r: two(
                record_text(r.table, r.row_id, r.record),
                f"{table_label(r.table)} · {field_label(r.field)}",
            ),
            tooltip=explain,
        ),
        Column(
            "current",
            "Current value",
            lambda r: two(
                current_text(r), who_when(r.winner_user, r.winner_user_id, r.winner_at, me())
            ),
            tooltip=explain,
            width=170,
        ),
        Column(
            "mine",
            "Overwritten value",
            lambda r: two(mine_text(r), who_when(r.loser_user, r.loser_user_id, r.loser_at, me())),
            tooltip=explain,
            width=170,
        ),
        Column("kind", "What happened", lambda r: kind_text(r.kind), tooltip=explain, width=130),
    ]


LOOKS = {
    "current": Look(foreground=lambda r: RED if r.on_deleted_record else None),
    "kind": Look(foreground=lambda r: RED if r.on_deleted_record else AMBER),
}


def set_empty_text(label: QLabel, text: str) -> None:
    """An empty state reads as a headline and its reason: "No conflicts" over "every edit
    merged cleanly" (split at the dash), never a sentence wrapped at a random word."""
    head, dash, rest = text.partition(" — ")
    if not dash:
        label.setText(html.escape(text))
        return
    label.setText(
        f"<div style='font-size: 15px; font-weight: 600;'>{html.escape(head)}</div>"
        f"<div>{html.escape(rest[:1].upper() + rest[1:])}</div>"
    )


class _WideOnly(QObject):
    """Shows some columns only while the table is at least so wide."""

    def __init__(self, view: QTableView, columns: Mapping[int, int]) -> None:
        super().__init__(view)
        self.view = view
        self.columns = dict(columns)
        view.viewport().installEventFilter(self)
        self.fit()

    def fit(self) -> None:
        width = self.view.viewport().width()
        header = self.view.horizontalHeader()
        for column, minimum in self.columns.items():
            header.setSectionHidden(column, width < minimum)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def fit_columns(
    view: QTableView,
    stretch: tuple[int, ...],
    fixed: Mapping[int, int],
    wide_only: Mapping[int, int] | None = None,
) -> None:
    """Columns `stretch` share the width the `fixed` ones leave: nothing scrolls sideways in
    a narrow dock, and a wide dock gives the values the room. Columns in `wide_only` (column:
    minimum table width) show only when there is room for them; what they say must also be
    said elsewhere (colour, tooltip)."""
    header = view.horizontalHeader()
    metrics = header.fontMetrics()
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    for column, width in fixed.items():
        title = str(view.model().headerData(column, Qt.Orientation.Horizontal) or "")
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        view.setColumnWidth(column, max(width, metrics.horizontalAdvance(title) + 16))
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    if wide_only:
        _WideOnly(view, wide_only)


def hint_label(name: str, text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(mid);")
    return label


def button(text: str, name: str, tip: str, slot: Callable[[], None]) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setToolTip(tip)
    b.clicked.connect(slot)
    return b


def selected_row(view: QTableView) -> Any | None:
    """The model row behind the selected line of a `sorted_view` table."""
    rows = view.selectionModel().selectedRows()
    if not rows:
        return None
    proxy = view.model()
    index: QModelIndex = rows[0]
    if isinstance(proxy, QSortFilterProxyModel):
        index = proxy.mapToSource(index)
        source = proxy.sourceModel()
    else:
        source = proxy
    return source.row_at(index.row()) if isinstance(source, StyledRowsModel) else None


def select_row(view: QTableView, row: int) -> None:
    """Select line `row` of the view (clamped), or nothing when the list is empty."""
    n = view.model().rowCount()
    if n:
        view.selectRow(max(0, min(row, n - 1)))


def select_id(view: QTableView, model: StyledRowsModel, row_id: str) -> bool:
    row = model.row_of_id(row_id)
    if row < 0:
        return False
    proxy = view.model()
    index = model.index(row, 0)
    if isinstance(proxy, QSortFilterProxyModel):
        index = proxy.mapFromSource(index)
    view.selectRow(index.row())
    view.scrollTo(index)
    return True


class KeyActions(QObject):
    """Single keys on a list (K, U, E, ...) that press the dock's buttons."""

    def __init__(self, view: QWidget, keys: Mapping[Qt.Key, QPushButton]) -> None:
        super().__init__(view)
        self.keys = dict(keys)
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            target = self.keys.get(Qt.Key(event.key()))
            if target is not None:
                if target.isEnabled() and target.isVisible():
                    target.click()
                return True
        return False


def failure_text(exc: BaseException, what: str) -> str:
    if isinstance(exc, NotOpen):
        return tr("Already dealt with, perhaps on another device.")
    if isinstance(exc, ValidationError):
        return "; ".join(error_text(e) for e in exc.errors)
    if isinstance(exc, LookupError):
        return tr("That record is no longer on this device.")
    return tr("{what} failed: {error}", what=what, error=str(exc))


class ConflictsPanel(Panel):
    """Open conflicts, newest first, with the decisions SYNC.md §1.14 offers."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.items: list[ConflictItem] = []
        self._record_ids: frozenset[str] = frozenset()
        self._generation = 0
        self._acting = False
        self._loaded_once = False
        self._select_row_after_load = -1
        self.dialog: EditValueDialog | None = None
        self.model = StyledRowsModel(columns(ctx), LOOKS)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        self.hint = hint_label(
            "conflicts.hint",
            tr("The later edit was kept. Choose what happens to the other value."),
        )
        layout.addWidget(self.hint)
        self.stack = QStackedWidget()
        self.view = sorted_view(self.model, [170, 170, 110])
        self.view.setObjectName("conflicts.table")
        # "What happened" needs room the values need more; narrow, red "Deleted" and the
        # tooltip say it.
        fit_columns(self.view, (0, 1, 2), {3: 110}, wide_only={3: 620})
        self.empty = empty_label("conflicts.empty", rich=True)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        self.keep_button = button(
            tr("Keep current"),
            "conflicts.keep",
            tr("Keep the value the record holds now (K)"),
            self.keep_current,
        )
        self.mine_button = button(
            tr("Use mine"),
            "conflicts.use_mine",
            tr("Write the overwritten value back as a new edit (U)"),
            self.use_mine,
        )
        self.edit_button = button(
            tr("Edit…"),
            "conflicts.edit",
            tr("Type the value the record should hold, e.g. both merged (E or F2)"),
            self.edit_item,
        )
        self.restore_button = button(
            tr("Restore"),
            "conflicts.restore",
            tr("Bring the deleted record back, with the edit made to it (R)"),
            self.restore,
        )
        self.discard_button = button(
            tr("Discard my edit"),
            "conflicts.discard",
            tr("Leave the record deleted and let the edit go (D)"),
            self.discard,
        )
        self.buttons = QStackedWidget()
        self.buttons.setObjectName("conflicts.buttons")
        for group in (
            (self.keep_button, self.mine_button, self.edit_button),
            (self.restore_button, self.discard_button),
        ):
            page = QWidget()
            row = QHBoxLayout(page)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(6)
            for b in group:
                row.addWidget(b)
            row.addStretch(1)
            self.buttons.addWidget(page)
        layout.addWidget(self.buttons)
        self.count_label = count_line("conflicts.count")
        layout.addWidget(self.count_label)

        KeyActions(
            self.view,
            {
                Qt.Key.Key_K: self.keep_button,
                Qt.Key.Key_U: self.mine_button,
                Qt.Key.Key_E: self.edit_button,
                Qt.Key.Key_R: self.restore_button,
                Qt.Key.Key_D: self.discard_button,
            },
        )
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.view.doubleClicked.connect(lambda _i: self.edit_item())
        ctx.hub.sync_finished.connect(lambda _report: self.request_reload())
        self._show_state()

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        from workbench.services.sync_inbox import open_conflicts

        self._generation += 1
        generation = self._generation
        self.run(
            "conflicts",
            lambda store, _c: open_conflicts(store),
            lambda items: self._loaded(generation, items),
        )

    def _loaded(self, generation: int, items: list[ConflictItem]) -> None:
        if generation != self._generation:
            return
        keep = self.selected()
        self.items = items
        self._record_ids = record_ids(items)
        self._loaded_once = True
        self.model.set_rows(items)
        if self._select_row_after_load >= 0:
            select_row(self.view, self._select_row_after_load)
            self._select_row_after_load = -1
        elif keep is not None and select_id(self.view, self.model, keep.id):
            pass
        elif items and not self.view.selectionModel().hasSelection():
            select_row(self.view, 0)
        self._show_state()

    def affected_by(self, changes: ChangeSet) -> bool:
        if touches_inbox(changes) or changes.touches("users"):
            return True
        return any(r.row_id in self._record_ids for r in changes.rows)

    def _show_state(self) -> None:
        n = len(self.items)
        set_empty_text(
            self.empty, tr("No conflicts — every edit merged cleanly") if self._loaded_once else ""
        )
        self.stack.setCurrentIndex(0 if n else 1)
        self.hint.setVisible(bool(n))
        self.buttons.setVisible(bool(n))
        self.count_label.setText(
            "" if not n else tr("1 conflict") if n == 1 else tr("{n} conflicts", n=n)
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.selected()
        deleted_kind = item is not None and item.on_deleted_record
        self.buttons.setCurrentIndex(1 if deleted_kind else 0)
        idle = item is not None and not self._acting
        here = idle and item is not None and item.exists
        self.keep_button.setEnabled(idle)
        self.discard_button.setEnabled(idle)
        self.mine_button.setEnabled(here)
        self.restore_button.setEnabled(here)
        self.edit_button.setEnabled(here and item is not None and editable(item))

    # -- selection ---------------------------------------------------------------------------
    def selected(self) -> ConflictItem | None:
        row = selected_row(self.view)
        return row if isinstance(row, ConflictItem) else None

    def select_conflict(self, conflict_id: str) -> bool:
        return select_id(self.view, self.model, conflict_id)

    # -- commands ----------------------------------------------------------------------------
    def _act(
        self,
        name: str,
        fn: Callable[[Any, str], ChangeSet],
        message: Callable[[ConflictItem], str],
        undo_label: Callable[[ConflictItem], str] | None = None,
    ) -> None:
        item = self.selected()
        if item is None or self._acting:
            return
        position = self.view.currentIndex().row()
        self._acting = True
        self._update_buttons()

        def done(changes: ChangeSet) -> None:
            self._acting = False
            self._finish(item, changes, message(item), undo_label, position)

        def failed(exc: BaseException) -> None:
            self._acting = False
            self._update_buttons()
            self.ctx.hub.status.emit(failure_text(exc, tr("Resolving the conflict")))
            self.request_reload()

        self.run(name, lambda store, _c: fn(store, item.id), done, failed)

    def _finish(
        self,
        item: ConflictItem,
        changes: ChangeSet,
        message: str,
        undo_label: Callable[[ConflictItem], str] | None,
        position: int,
    ) -> None:
        undoable = without_inbox(changes)
        if undo_label is not None and not undoable.empty:
            self.ctx.undo.push(undo_label(item), undoable)
        self._select_row_after_load = max(position, 0)
        self.ctx.hub.publish(changes)
        self.ctx.hub.status.emit(message)
        self._update_buttons()

    def keep_current(self) -> None:
        from workbench.services.sync_inbox import keep_current

        self._act(
            "keep current",
            keep_current,
            lambda i: tr(
                "Kept the current {field} of {record}.",
                field=field_label(i.field).lower(),
                record=i.record,
            ),
        )

    def use_mine(self) -> None:
        from workbench.services.sync_inbox import use_mine

        self._act(
            "use mine",
            use_mine,
            lambda i: tr("Wrote {value} back to {record}.", value=mine_text(i), record=i.record),
            lambda i: tr("edit {name}", name=i.record),
        )

    def restore(self) -> None:
        from workbench.services.sync_inbox import restore_record

        self._act(
            "restore",
            restore_record,
            lambda i: tr("Restored {name}.", name=i.record),
            lambda i: tr("restore {name}", name=i.record),
        )

    def discard(self) -> None:
        from workbench.services.sync_inbox import discard_mine

        self._act(
            "discard",
            discard_mine,
            lambda i: tr("Let the edit of {record} go.", record=i.record),
        )

    def edit_item(self) -> None:
        """F2 / Edit…: type the value the record should hold."""
        item = self.selected()
        if item is None or self._acting or not item.exists or not editable(item):
            return
        dialog = EditValueDialog(self.ctx, item, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        position = self.view.currentIndex().row()
        dialog.saved.connect(
            lambda changes: self._finish(
                item,
                changes,
                tr(
                    "Saved the new {field} of {record}.",
                    field=field_label(item.field).lower(),
                    record=item.record,
                ),
                lambda i: tr("edit {name}", name=i.record),
                position,
            )
        )
        self.dialog = dialog
        dialog.open()


def editable(item: ConflictItem) -> bool:
    """A value one can type: not a reference (pick one of the two values instead), not a
    yes/no, and a field this version has."""
    if item.on_deleted_record or not item.field_is_column or item.field.endswith("_id"):
        return False
    return not isinstance(item.winner_value, bool) and not isinstance(item.loser_value, bool)


class EditValueDialog(QDialog):
    """Type the value a conflicted field should hold, with both values at hand to copy from."""

    saved = Signal(object)  # the ChangeSet

    def __init__(self, ctx: AppContext, item: ConflictItem, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.item = item
        self._saving = False
        self.setObjectName("conflict_edit")
        self.setWindowTitle(tr("Edit {name}", name=field_label(item.field)))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        title = QLabel(
            f"{record_text(item.table, item.row_id, item.record)} · {field_label(item.field)}"
        )
        title.setStyleSheet("font-weight: 600;")
        title.setWordWrap(True)
        layout.addWidget(title)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.long = item.field in LONG_FIELDS
        self.editor: QLineEdit | QPlainTextEdit
        if self.long:
            self.editor = QPlainTextEdit()
            self.editor.setTabChangesFocus(True)
            self.editor.setMinimumHeight(90)
        else:
            self.editor = QLineEdit()
            self.editor.setClearButtonEnabled(True)
        self.editor.setObjectName("conflict_edit.value")
        me = ctx.current_user_id
        for label, value, who, name in (
            (
                tr("Current value"),
                item.winner_value,
                who_when(item.winner_user, item.winner_user_id, item.winner_at, me),
                "current",
            ),
            (
                tr("Overwritten value"),
                item.loser_value,
                who_when(item.loser_user, item.loser_user_id, item.loser_at, me),
                "mine",
            ),
        ):
            form.addRow(label, self._reference(value, who, name))
        form.addRow(tr("New value"), self.editor)
        layout.addLayout(form)
        self.set_text(edit_text(item.winner_value, item.field))
        if _ISO_DATE.match(str(item.winner_value or item.loser_value or "")):
            placeholder = "dd/mm/yyyy"
            if isinstance(self.editor, QLineEdit):
                self.editor.setPlaceholderText(placeholder)
        self.error = error_banner("conflict_edit")
        layout.addWidget(self.error)
        self.save_button, cancel = save_cancel(self, "conflict_edit", self.save)
        layout.addWidget(button_box(self.save_button, cancel))
        self.editor.setFocus()

    def _reference(self, value: Any, who: str, name: str) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        lines = QVBoxLayout()
        lines.setSpacing(0)
        shown = QLabel(full_text(value, self.item.field, self.item.refs))
        shown.setObjectName(f"conflict_edit.{name}")
        shown.setTextFormat(Qt.TextFormat.PlainText)
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        shown.setWordWrap(True)
        lines.addWidget(shown)
        if who:
            by = QLabel(who)
            by.setStyleSheet("color: palette(mid); font-size: 11px;")
            lines.addWidget(by)
        copy = QPushButton(tr("Use this"))
        copy.setObjectName(f"conflict_edit.use_{name}")
        copy.setAutoDefault(False)
        copy.clicked.connect(lambda: self.set_text(edit_text(value, self.item.field)))
        row.addLayout(lines, 1)
        row.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
        return box

    def text(self) -> str:
        if isinstance(self.editor, QPlainTextEdit):
            return self.editor.toPlainText()
        return self.editor.text()

    def set_text(self, text: str) -> None:
        if isinstance(self.editor, QPlainTextEdit):
            self.editor.setPlainText(text)
        else:
            self.editor.setText(text)
            self.editor.selectAll()

    def save(self) -> None:
        if self._saving:
            return
        from workbench.services.sync_inbox import edit_value

        self._saving = True
        self.save_button.setEnabled(False)
        self.error.hide()
        value, conflict_id = self.text(), self.item.id
        self.ctx.tasks.run(
            "edit conflict",
            lambda store, _c: edit_value(store, conflict_id, value),
            self._saved,
            self._failed,
        )

    def _saved(self, changes: ChangeSet) -> None:
        self._saving = False
        self.saved.emit(changes)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(not isinstance(exc, LookupError))
        self.error.setText(failure_text(exc, tr("Saving")))
        self.error.show()

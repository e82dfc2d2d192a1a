"""Log an activity in full: who was there, what was said, what came of it, what we promised.

Why the promise lives in the same dialog: commitments are made in meetings, and one typed
while the meeting is fresh gets kept; a separate "new commitment" screen later does not get
opened. Activity and promise are saved as one unit of work (one undo takes both back), and
nothing is written until both are valid.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.drafts import ActivityDraft, CommitmentDraft
from workbench.domain.enums import ActivityKind
from workbench.domain.errors import ValidationError
from workbench.domain.names import NameOrder, PersonName
from workbench.domain.records import ContactListRow
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import language, tr
from workbench.ui.widgets.fields import (
    button_box,
    combo,
    error_banner,
    save_cancel,
    select,
    style_form,
)
from workbench.ui.widgets.form import Form

PROMISE_DAYS = 7  # a follow-up is due in a week unless the user says otherwise
FILTER_FROM = 8  # show a filter over the attendee list once it is longer than this


def contact_name(row: ContactListRow) -> str:
    order = row.name_order if row.name_order in NameOrder._value2member_map_ else "family_first"
    return PersonName(row.family_name, row.middle_name, row.given_name, NameOrder(order)).display()


def to_utc(moment: datetime) -> datetime:
    """A local wall-clock time as the naive UTC the store keeps."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _qt_locale() -> QLocale:
    """Month names in the UI language, whatever the machine's locale is."""
    if language() == "vi":
        return QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam)
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


def _load_work(account_id: str) -> Callable[[Any, Any], list[ContactListRow]]:
    def work(store: Any, _ctx: Any) -> list[ContactListRow]:
        with store.read() as q:
            return list(q.contacts_at(account_id))

    return work


def _save_work(draft: ActivityDraft, promise: CommitmentDraft | None) -> Callable[[Any, Any], Any]:
    def work(store: Any, _ctx: Any) -> Any:
        from workbench.services.timeline import log_activity_with_commitment

        return log_activity_with_commitment(store, draft, promise)

    return work


class ActivityDialog(QDialog):
    saved = Signal(str)  # the activity's id, once written

    def __init__(
        self,
        ctx: AppContext,
        account_id: str,
        parent: QWidget | None = None,
        *,
        kind: str = ActivityKind.MEETING.value,
        subject: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account_id = account_id
        self._saving = False
        self._planned_touched = False
        self._to_touched = False
        self._ticked: list[str] = []  # attendees in the order they were ticked
        self.setObjectName("dialog.activity")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(tr("Log an activity"))

        root = QVBoxLayout(self)
        layout = QFormLayout()
        style_form(layout)
        self.form = Form(layout)
        self._build_fields(kind, subject)
        root.addLayout(layout)
        root.addWidget(self._build_promise())
        self.error_banner = error_banner("activity")
        root.addWidget(self.error_banner)
        self.save_button, cancel = save_cancel(self, "activity", self.save)
        root.addWidget(button_box(self.save_button, cancel))
        self.resize(560, 780)
        self.subject_edit.setFocus()
        ctx.tasks.run("attendees", _load_work(account_id), self._loaded, self._load_failed)

    # -- building ----------------------------------------------------------------------------
    def _build_fields(self, kind: str, subject: str) -> None:
        f = self.form
        self.kind_combo = combo([(fmt.label(k.value), k.value) for k in ActivityKind])
        select(self.kind_combo, kind)  # the first kind when this one is unknown
        f.add("Kind", "kind", self.kind_combo)
        self.subject_edit = QLineEdit(subject)
        self.subject_edit.setPlaceholderText(tr("What it was about"))
        f.add("Subject", "subject", self.subject_edit)
        self.when_edit = QDateTimeEdit(QDateTime.currentDateTime())
        self.when_edit.setLocale(_qt_locale())
        self.when_edit.setCalendarPopup(True)
        self.when_edit.setDisplayFormat("d MMM yyyy  HH:mm")
        f.add("When", "occurred_at", self.when_edit)
        self.planned_check = QCheckBox(tr("Planned: it has not happened yet"))
        self.planned_check.setObjectName("field.status")
        self.form.layout.addRow("", self.planned_check)
        self.when_edit.dateTimeChanged.connect(self._when_changed)
        self.planned_check.toggled.connect(self._planned_toggled)

        self.attendee_filter = QLineEdit()
        self.attendee_filter.setObjectName("activity.attendee_filter")
        self.attendee_filter.setPlaceholderText(tr("Find a person"))
        self.attendee_filter.setClearButtonEnabled(True)
        self.attendee_filter.hide()
        self.attendee_filter.textChanged.connect(self._filter_attendees)
        self.attendees = QListWidget()
        self.attendees.setObjectName("field.contact_ids")
        self.attendees.setMaximumHeight(150)
        self.attendees.itemChanged.connect(self._attendee_toggled)
        box = QWidget()
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(3)
        box_layout.addWidget(self.attendee_filter)
        box_layout.addWidget(self.attendees)
        self.attendees_hint = QLabel(tr("Loading the people at this account…"))
        self.attendees_hint.setStyleSheet("color: #8a8a8a;")
        box_layout.addWidget(self.attendees_hint)
        self.form.layout.addRow(tr("Who was there"), box)

        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setPlaceholderText(
            tr("What was said; the first line shows in the timeline")
        )
        self.notes_edit.setMinimumHeight(90)
        f.add("Notes", "notes", self.notes_edit)
        self.outcome_edit = QLineEdit()
        self.outcome_edit.setPlaceholderText(tr("e.g. agreed to a pilot in Q3"))
        f.add("Outcome", "outcome", self.outcome_edit)
        self.next_edit = QLineEdit()
        self.next_edit.setPlaceholderText(tr("e.g. send the revised quote"))
        f.add("Next step", "next_step", self.next_edit)

    def _build_promise(self) -> QGroupBox:
        self.promise_box = QGroupBox(tr("Did we promise something? (optional)"))
        self.promise_box.setObjectName("activity.promise")
        layout = QFormLayout(self.promise_box)
        style_form(layout)
        self.promise_form = Form(layout)
        self.promise_edit = QLineEdit()
        self.promise_edit.setPlaceholderText(tr("We promised to… e.g. send the new price list"))
        self.promise_form.add("What", "description", self.promise_edit)
        self.due_edit = QDateEdit(QDate.currentDate().addDays(PROMISE_DAYS))
        self.due_edit.setLocale(_qt_locale())
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("d MMM yyyy")
        self.promise_form.add("By", "due_date", self.due_edit)
        self.to_combo = QComboBox()
        self.to_combo.addItem(tr("The account"), "")
        self.to_combo.activated.connect(self._to_picked)
        self.promise_form.add("To", "to_contact_id", self.to_combo)
        return self.promise_box

    # -- loading -----------------------------------------------------------------------------
    def _loaded(self, contacts: list[ContactListRow]) -> None:
        self.attendees_hint.setVisible(not contacts)
        self.attendees_hint.setText(tr("No people at this account yet."))
        self.attendee_filter.setVisible(len(contacts) > FILTER_FROM)
        self.attendees.setVisible(bool(contacts))
        for row in contacts:
            name = contact_name(row)
            text = f"{name} · {row.title}" if row.title else name
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.attendees.addItem(item)
            self.to_combo.addItem(name, row.id)

    def _load_failed(self, exc: BaseException) -> None:
        self.attendees_hint.setText(tr("Could not load the people: {error}", error=str(exc)))

    # -- reacting ----------------------------------------------------------------------------
    def _when_changed(self, moment: QDateTime) -> None:
        if not self._planned_touched:
            future = moment > QDateTime.currentDateTime().addSecs(300)
            self.planned_check.blockSignals(True)
            self.planned_check.setChecked(future)
            self.planned_check.blockSignals(False)

    def _planned_toggled(self, _on: bool) -> None:
        self._planned_touched = True

    def _to_picked(self, _index: int) -> None:
        self._to_touched = True

    def _attendee_toggled(self, item: QListWidgetItem) -> None:
        """Until the user picks whom the promise is to, it is to the first person ticked."""
        contact_id = str(item.data(Qt.ItemDataRole.UserRole))
        checked = item.checkState() == Qt.CheckState.Checked
        if checked and contact_id not in self._ticked:
            self._ticked.append(contact_id)
        elif not checked and contact_id in self._ticked:
            self._ticked.remove(contact_id)
        if not self._to_touched:
            index = self.to_combo.findData(self._ticked[0]) if self._ticked else 0
            self.to_combo.setCurrentIndex(max(0, index))

    def _filter_attendees(self, text: str) -> None:
        needle = text.strip().casefold()
        for i in range(self.attendees.count()):
            item = self.attendees.item(i)
            item.setHidden(bool(needle) and needle not in item.text().casefold())

    def set_checked(self, contact_ids: list[str]) -> None:
        """Tick exactly these people; the others are unticked."""
        for i in range(self.attendees.count()):
            item = self.attendees.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in contact_ids
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    # -- reading the form --------------------------------------------------------------------
    def contact_ids(self) -> list[str]:
        """Who was there, in the order they were ticked."""
        return list(self._ticked)

    def draft(self) -> tuple[ActivityDraft, CommitmentDraft | None]:
        moment = self.when_edit.dateTime().toPython()
        assert isinstance(moment, datetime)
        planned = self.planned_check.isChecked()
        activity = ActivityDraft(
            account_id=self.account_id,
            kind=str(self.kind_combo.currentData()),
            subject=self.subject_edit.text(),
            occurred_at=to_utc(moment),
            status="planned" if planned else "done",
            notes=self.notes_edit.toPlainText(),
            outcome=self.outcome_edit.text(),
            next_step=self.next_edit.text(),
            owner_id=self.ctx.current_user_id or None,
            contact_ids=tuple(self.contact_ids()),
        )
        promise = None
        if self.promise_edit.text().strip():  # a promise is made by saying what it is
            due = self.due_edit.date().toPython()
            assert isinstance(due, date)
            promise = CommitmentDraft(
                account_id=self.account_id,
                description=self.promise_edit.text(),
                due_date=due,
                to_contact_id=self.to_combo.currentData() or None,
                owner_id=self.ctx.current_user_id or None,
            )
        return activity, promise

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> None:
        if self._saving:
            return
        activity, promise = self.draft()
        self._saving = True
        self.save_button.setEnabled(False)
        self.error_banner.hide()
        self.ctx.tasks.run("log activity", _save_work(activity, promise), self._saved, self._failed)

    def _saved(self, saved: Any) -> None:
        self._saving = False
        subject = " ".join(self.subject_edit.text().split())
        self.ctx.undo.push(tr("log {subject}", subject=subject), saved.changes)
        self.ctx.hub.publish(saved.changes)
        self.ctx.hub.status.emit(
            tr(
                "Logged {kind}: {subject}",
                kind=self.kind_combo.currentText().lower(),
                subject=subject,
            )
        )
        self.saved.emit(saved.id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if not isinstance(exc, ValidationError):
            self._show_banner(tr("Could not save: {error}", error=str(exc)))
            return
        self.promise_form.show_errors(exc)
        self.form.show_errors(exc)  # second, so focus lands on the first field from the top
        known = set(self.form.rows) | set(self.promise_form.rows)
        stray = [e for e in exc.errors if e.field not in known]
        if stray:
            self._show_banner("\n".join(tr(e.message, **e.params) for e in stray))

    def _show_banner(self, text: str) -> None:
        self.error_banner.setText(text)
        self.error_banner.show()

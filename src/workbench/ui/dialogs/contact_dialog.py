"""Add or edit a person and their current position, with duplicate warnings before saving.

Why check for duplicates in the dialog: the same person is entered by several colleagues
("Đặng Thị Lan" by one, "Lan Dang" with the same e-mail by another), and merging afterwards is
far costlier than a warning while the user is still typing. The check and the save run on the
database worker in one task, so nothing can slip in between; bad input keeps every typed value
and shows each message under its field, and nothing is written until all of it is right.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.drafts import ContactDraft, PositionDraft
from workbench.domain.enums import StakeholderRole, Stance
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.names import NameOrder, PersonName
from workbench.domain.phone import format_phone
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.widgets.account_picker import AccountPicker, Choice, searchable
from workbench.ui.widgets.fields import (
    add_field,
    combo,
    error_banner,
    save_cancel,
    select,
    style_form,
)
from workbench.ui.widgets.form import FieldRow, Form

MAX_DUPLICATES_SHOWN = 5

# The name validator reports parts by their short names; storage columns use the long ones.
FIELD_ALIASES = {"family_name": "family", "middle_name": "middle", "given_name": "given"}

REASONS = {
    "email": "same email",
    "phone": "same phone number",
    "name": "similar name at the same account",
}

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def parse_day(text: str) -> date | None:
    """A date typed as dd/mm/yyyy (how Vietnamese write it; also with - or .) or ISO.

    Raises ValueError for anything else, including impossible days such as 31/02.
    """
    text = text.strip()
    if not text:
        return None
    if m := _ISO.fullmatch(text):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.fullmatch(text):
        return date(int(m[3]), int(m[2]), int(m[1]))
    raise ValueError(text)


def show_day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


class ContactDialog(QDialog):
    saved = Signal(str)  # the contact's id, once written

    def __init__(
        self,
        ctx: AppContext,
        contact_id: str | None,
        parent: QWidget | None = None,
        account_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contact_id = contact_id
        self._initial_account = account_id
        self._position_base: PositionDraft | None = None  # keeps start date, reports-to
        self._allow_duplicates = False
        self._saving = False
        self._ready = False
        self.existing_dialog: ContactDialog | None = None
        self.setObjectName("dialog.contact")
        self.setWindowTitle(tr("New contact") if contact_id is None else tr("Edit contact"))
        self._build()
        self._set_ready(False)
        self._load()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.root = root = QVBoxLayout(self)
        root.setContentsMargins(16, 16, 16, 12)
        root.setSpacing(12)
        self.body = QWidget()
        columns = QHBoxLayout(self.body)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(16)
        person, self.form = self._group(tr("Person"))
        position, position_form = self._group(tr("Position at an account"))
        self._build_person(self.form, person)
        self._build_position(position_form)
        right = QVBoxLayout()
        right.setSpacing(12)
        right.addWidget(position)
        right.addWidget(self._build_notes(), 1)
        columns.addWidget(person, 1)
        columns.addLayout(right, 1)
        root.addWidget(self.body)
        # One Form over all fields, so errors map to any of them and focus goes to the first.
        self.form.rows.update(position_form.rows)
        self.form.rows["notes"] = self._notes_row

        self.duplicates = self._build_duplicates()
        root.addWidget(self.duplicates)
        self.error_banner = error_banner("contact")
        root.addWidget(self.error_banner)

        # Not a QDialogButtonBox: it would make Save the default button, pressed by any Enter.
        buttons = QHBoxLayout()
        hint = QLabel(tr("Ctrl+Enter saves · Esc cancels"))
        hint.setStyleSheet("color: palette(mid);")
        self.save_button, cancel = save_cancel(self, "contact", self.save)
        self.save_button.setMinimumWidth(96)
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        root.addLayout(buttons)
        self.setMinimumWidth(820)

    def _group(self, title: str) -> tuple[QGroupBox, Form]:
        box = QGroupBox(title)
        layout = QFormLayout(box)
        style_form(layout)
        layout.setContentsMargins(12, 10, 12, 10)
        return box, Form(layout)

    def _build_person(self, form: Form, box: QGroupBox) -> None:
        self.family_edit = add_field(form, "Family name", "family", QLineEdit())
        self.middle_edit = add_field(form, "Middle name", "middle", QLineEdit())
        self.given_edit = add_field(form, "Given name", "given", QLineEdit())
        self.order_combo = add_field(
            form,
            "Name order",
            "name_order",
            combo(
                [
                    (tr("Family name first (Vietnamese)"), NameOrder.FAMILY_FIRST.value),
                    (tr("Given name first"), NameOrder.GIVEN_FIRST.value),
                ]
            ),
        )
        self.preview = QLabel()
        self.preview.setObjectName("contact.preview")
        self.preview.setStyleSheet("color: palette(mid);")
        form.layout.addRow(tr("Shown as"), self.preview)
        self.email_edit = add_field(form, "Email", "email", QLineEdit())
        self.mobile_edit = add_field(form, "Mobile", "mobile", QLineEdit())
        self.phone_edit = add_field(form, "Phone", "phone", QLineEdit())
        self.birthday_edit = add_field(form, "Birthday", "birthday", QLineEdit())
        self.birthday_edit.setPlaceholderText(tr("dd/mm/yyyy (optional)"))
        self.language_combo = add_field(
            form,
            "Language",
            "language",
            combo(
                [
                    (tr("Vietnamese"), "vi"),
                    (tr("English"), "en"),
                ]
            ),
        )
        self.tax_edit = add_field(form, "Personal tax code", "tax_code", QLineEdit())
        self.tax_edit.setPlaceholderText(tr("12-digit citizen id or MST (optional)"))
        self.mobile_edit.setPlaceholderText("0912 345 678")
        self.email_edit.setPlaceholderText("lan.dang@example.vn")
        for edit in (self.family_edit, self.middle_edit, self.given_edit):
            edit.textChanged.connect(self._update_preview)
        self.order_combo.currentIndexChanged.connect(self._update_preview)
        self._update_preview()
        box.setObjectName("contact.person")

    def _build_position(self, form: Form) -> None:
        self.account_combo = add_field(
            form, "Account", "account_id", AccountPicker(tr("Type to find an account…"))
        )
        self.account_combo.setMaxVisibleItems(15)
        self.account_combo.setMinimumContentsLength(20)
        self.title_edit = add_field(form, "Title", "title", QLineEdit())
        self.department_edit = add_field(form, "Department", "department", QLineEdit())
        self.role_combo = add_field(
            form,
            "Role",
            "stakeholder_role",
            combo([(fmt.label(r.value), r.value) for r in StakeholderRole]),
        )
        select(self.role_combo, StakeholderRole.USER.value)
        self.influence_spin = add_field(form, "Influence", "influence", QSpinBox())
        self.influence_spin.setRange(1, 5)
        self.influence_spin.setValue(3)
        self.influence_spin.setSuffix(tr(" of 5"))
        self.influence_spin.setMaximumWidth(90)
        self.stance_combo = add_field(
            form, "Stance", "stance", combo([(fmt.label(s.value), s.value) for s in Stance])
        )
        select(self.stance_combo, Stance.NEUTRAL.value)
        self.strength_combo = add_field(
            form, "Relationship", "strength", combo([(fmt.strength(n), n) for n in range(5)])
        )
        select(self.strength_combo, 2)
        self.colleague_combo = add_field(
            form,
            "Our colleague",
            "colleague_id",
            combo([(tr("— nobody —"), ""), *((u.name, u.id) for u in self.ctx.users)]),
        )
        if self.contact_id is None:
            select(self.colleague_combo, self.ctx.current_user_id)

    def _build_notes(self) -> QGroupBox:
        box = QGroupBox(tr("Notes"))
        layout = QVBoxLayout(box)
        layout.setContentsMargins(12, 10, 12, 10)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setObjectName("field.notes")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setPlaceholderText(tr("How we know them, what they care about…"))
        # Fill whatever height the person column leaves, instead of its tall default size.
        self.notes_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.notes_edit.setMinimumHeight(56)
        self._notes_row = FieldRow(self.notes_edit, "notes")
        layout.addWidget(self._notes_row)
        return box

    def _build_duplicates(self) -> QFrame:
        frame = QFrame()
        frame.setObjectName("contact.duplicates")
        frame.setStyleSheet(
            "#contact\\.duplicates { background: rgba(245, 166, 35, 0.14);"
            " border: 1px solid rgba(215, 140, 20, 0.75); border-radius: 4px; }"
        )
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        heading = QLabel(tr("This person may already be in Workbench:"))
        heading.setStyleSheet("font-weight: 600;")
        layout.addWidget(heading)
        self.duplicate_rows = QVBoxLayout()
        self.duplicate_rows.setSpacing(2)
        layout.addLayout(self.duplicate_rows)
        actions = QHBoxLayout()
        actions.addWidget(QLabel(tr("Open the existing person to update them, or save a new one.")))
        actions.addStretch(1)
        self.save_anyway = QPushButton(tr("Save anyway"))
        self.save_anyway.setObjectName("contact.save_anyway")
        self.save_anyway.setAutoDefault(False)
        self.save_anyway.clicked.connect(self._save_anyway)
        actions.addWidget(self.save_anyway)
        layout.addLayout(actions)
        frame.hide()
        return frame

    def _update_preview(self) -> None:
        name = self._person_name().display()
        self.preview.setText(name or "—")

    def _person_name(self) -> PersonName:
        order = NameOrder(self.order_combo.currentData() or NameOrder.FAMILY_FIRST)
        family, middle, given = (
            " ".join(e.text().split())
            for e in (self.family_edit, self.middle_edit, self.given_edit)
        )
        return PersonName(family, middle, given, order)

    # -- loading -----------------------------------------------------------------------------
    def _set_ready(self, ready: bool) -> None:
        self._ready = ready
        self.save_button.setEnabled(ready and not self._saving)
        if self.contact_id is not None:  # don't let typing race the loaded values
            self.body.setEnabled(ready)

    def _load(self) -> None:
        contact_id = self.contact_id

        def work(store: Any, _ctx: Any) -> tuple[list[Choice], Any]:
            from workbench.services.contacts import draft_from_contact

            with store.read() as q:
                choices = searchable(q.account_choices())
            draft = draft_from_contact(store, contact_id) if contact_id else None
            return choices, draft

        self.ctx.tasks.run("contact form", work, self._loaded, self._load_failed)

    def _loaded(self, result: tuple[list[Choice], ContactDraft | None]) -> None:
        choices, draft = result
        self.account_combo.set_choices(choices)
        if draft is not None:
            self._show_draft(draft)
        elif self._initial_account:
            self.account_combo.set_account_id(self._initial_account)
        self._set_ready(True)

    def _load_failed(self, exc: BaseException) -> None:
        if isinstance(exc, LookupError):
            self._show_banner(tr("This contact no longer exists."))
        else:
            self._show_banner(tr("Could not load the contact: {error}", error=str(exc)))

    def _show_draft(self, d: ContactDraft) -> None:
        self.family_edit.setText(d.family_name)
        self.middle_edit.setText(d.middle_name)
        self.given_edit.setText(d.given_name)
        select(self.order_combo, d.name_order)
        self.email_edit.setText(d.email)
        self.mobile_edit.setText(format_phone(d.mobile) if d.mobile else "")
        self.phone_edit.setText(format_phone(d.phone) if d.phone else "")
        self.birthday_edit.setText(show_day(d.birthday))
        select(self.language_combo, d.language)
        self.tax_edit.setText(d.tax_code)
        self.notes_edit.setPlainText(d.notes)
        p = d.position
        self._position_base = p
        if p is not None:
            self.account_combo.set_account_id(p.account_id)
            self.title_edit.setText(p.title)
            self.department_edit.setText(p.department)
            select(self.role_combo, p.stakeholder_role)
            self.influence_spin.setValue(p.influence)
            select(self.stance_combo, p.stance)
            select(self.strength_combo, p.strength)
            select(self.colleague_combo, p.colleague_id or "")
        self.setWindowTitle(tr("Edit {name}", name=self._person_name().display()))

    # -- reading the form --------------------------------------------------------------------
    def draft(self) -> tuple[ContactDraft, list[FieldError]]:
        """What was typed, and the errors only the form can see (unreadable date, unknown
        account); the domain finds the rest."""
        errors: list[FieldError] = []
        try:
            birthday = parse_day(self.birthday_edit.text())
        except ValueError:
            birthday = None
            errors.append(
                FieldError(
                    "birthday",
                    "date.format",
                    "Type a date as dd/mm/yyyy, for example {example}",
                    {"example": "27/11/1985"},
                )
            )
        account_id = self.account_combo.account_id()
        typed_account = self.account_combo.typed_name()
        if unknown := self.account_combo.unknown_name_error(
            "account_id", "position.account_unknown"
        ):
            errors.append(unknown)
        position = None
        described = self.title_edit.text().strip() or self.department_edit.text().strip()
        if account_id or (described and not typed_account):
            base = self._position_base
            if base is None or base.account_id != account_id:
                base = PositionDraft(account_id=account_id or "")
            position = replace(
                base,
                title=self.title_edit.text(),
                department=self.department_edit.text(),
                stakeholder_role=str(self.role_combo.currentData()),
                influence=self.influence_spin.value(),
                stance=str(self.stance_combo.currentData()),
                strength=int(self.strength_combo.currentData()),
                colleague_id=self.colleague_combo.currentData() or None,
            )
        draft = ContactDraft(
            family_name=self.family_edit.text(),
            middle_name=self.middle_edit.text(),
            given_name=self.given_edit.text(),
            name_order=str(self.order_combo.currentData()),
            email=self.email_edit.text(),
            phone=self.phone_edit.text(),
            mobile=self.mobile_edit.text(),
            birthday=birthday,
            language=str(self.language_combo.currentData()),
            tax_code=self.tax_edit.text(),
            notes=self.notes_edit.toPlainText(),
            position=position,
        )
        return draft, errors

    # -- saving ------------------------------------------------------------------------------
    @property
    def saving(self) -> bool:
        return self._saving

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(self._ready and not saving)
        self.save_anyway.setEnabled(not saving)
        self.save_button.setText(tr("Saving…") if saving else tr("Save"))

    def save(self) -> None:
        """Validate and look for duplicates on the worker; write only when both pass."""
        if self._saving or not self._ready:
            return
        draft, local_errors = self.draft()
        contact_id = self.contact_id
        allow_duplicates = self._allow_duplicates
        self._allow_duplicates = False  # "save anyway" answers one warning, not later ones

        def work(store: Any, _ctx: Any) -> tuple[str, Any]:
            from workbench.services.contacts import create_contact, find_duplicates, update_contact

            try:
                duplicates = find_duplicates(store, draft, exclude_id=contact_id)
            except ValidationError as exc:
                raise ValidationError([*exc.errors, *local_errors]) from None
            if local_errors:
                raise ValidationError(local_errors)
            if duplicates and not allow_duplicates:
                return "duplicates", duplicates
            if contact_id is None:
                return "saved", create_contact(store, draft)
            return "saved", update_contact(store, contact_id, draft)

        self._set_saving(True)
        self.error_banner.hide()
        self.ctx.tasks.run("save contact", work, self._save_done, self._save_failed)

    def _save_done(self, result: tuple[str, Any]) -> None:
        self._set_saving(False)
        kind, payload = result
        self.form.clear_errors()
        if kind == "duplicates":
            self._show_duplicates(payload)
            return
        name = self._person_name().display()
        label = (
            tr("add {name}", name=name) if self.contact_id is None else tr("edit {name}", name=name)
        )
        self.ctx.undo.push(label, payload.changes)
        self.ctx.hub.publish(payload.changes)
        self.ctx.hub.status.emit(tr("Saved {name}.", name=name))
        self.saved.emit(payload.id)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self._set_saving(False)
        if isinstance(exc, ValidationError):
            self.show_errors(exc)
        else:
            self._show_banner(tr("Could not save: {error}", error=str(exc)))

    def show_errors(self, exc: ValidationError) -> None:
        """Each message under its field, in the order of the fields on screen."""
        order = list(self.form.rows)
        errors = [replace(e, field=FIELD_ALIASES.get(e.field, e.field)) for e in exc.errors]
        errors.sort(key=lambda e: order.index(e.field) if e.field in order else len(order))
        self.duplicates.hide()
        stray = self.form.show_errors(ValidationError(errors))
        if stray:
            self._show_banner("\n".join(stray))
        else:
            self.error_banner.hide()
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow to fit messages that just appeared.

        A top-level window does not follow its content's height-for-width, so a wrapped
        two-line error would otherwise be squeezed into one line's height.
        """
        layout = self.root
        layout.activate()
        needed = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        if needed > self.height():
            self.resize(self.width(), needed)

    def _show_banner(self, text: str) -> None:
        self.error_banner.setText(text)
        self.error_banner.show()
        self._fit_height()

    # -- duplicates --------------------------------------------------------------------------
    def _show_duplicates(self, duplicates: list[Any]) -> None:
        while self.duplicate_rows.count():
            item = self.duplicate_rows.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.deleteLater()
        for dup in duplicates[:MAX_DUPLICATES_SHOWN]:
            self.duplicate_rows.addWidget(self._duplicate_row(dup))
        hidden = len(duplicates) - MAX_DUPLICATES_SHOWN
        if hidden > 0:
            self.duplicate_rows.addWidget(QLabel(tr("…and {n} more", n=hidden)))
        self.duplicates.show()
        self._fit_height()
        self.save_anyway.setFocus()

    def _duplicate_row(self, dup: Any) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        text = tr(
            "Possible duplicate: {name} ({reason})",
            name=dup.name,
            reason=tr(REASONS.get(dup.reason, dup.reason)),
        )
        label = QLabel(text)
        label.setObjectName("contact.duplicate")
        button = QPushButton(tr("Open existing"))
        button.setObjectName(f"contact.open.{dup.contact_id}")
        button.setAutoDefault(False)
        button.clicked.connect(lambda _=False, cid=dup.contact_id: self.open_existing(cid))
        layout.addWidget(label, 1)
        layout.addWidget(button)
        return row

    def _save_anyway(self) -> None:
        self._allow_duplicates = True
        self.duplicates.hide()
        self.save()

    def open_existing(self, contact_id: str) -> None:
        """Leave this draft unsaved and edit the person who already exists instead."""
        self.ctx.hub.open_contact.emit(contact_id)
        other = ContactDialog(self.ctx, contact_id, self.parentWidget())
        other.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.existing_dialog = other
        other.open()
        self.reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter moves to the next field, as in the accounting software our users know;
        Ctrl+Enter saves. A half-filled form is never submitted by a reflex Enter."""
        plain_enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        )
        if not plain_enter:
            super().keyPressEvent(event)
            return
        focused = self.focusWidget()
        if isinstance(focused, QPushButton):
            focused.click()
        else:
            self.focusNextChild()
        event.accept()

    def reject(self) -> None:
        """Esc and Cancel close, except while a save is on its way to the database."""
        if not self._saving:
            super().reject()

"""Edit one person's stakeholder fields at an account: role, stance, influence, our relationship,
whom they report to, and the day they left the position.

Why reports-to is here too: dragging a card is quick with a mouse, but the keyboard and a long
chart need a list; both go through the same checked service call, so a loop is refused the same
way (the message shows under the field).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.enums import StakeholderRole, Stance
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.stakeholders import StakeholderEdit
from workbench.services.stakeholders import StakeholderCard
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.widgets.account_picker import AccountPicker, Choice, searchable
from workbench.ui.widgets.fields import (
    button_box,
    combo,
    error_banner,
    save_cancel,
    select,
    style_form,
)
from workbench.ui.widgets.form import Form


def _save_work(
    position_id: str, edit: StakeholderEdit, before: StakeholderEdit
) -> Callable[[Any, Any], Any]:
    def work(store: Any, _ctx: Any) -> Any:
        from workbench.services.stakeholders import update_stakeholder

        return update_stakeholder(store, position_id, edit, before=before)

    return work


class StakeholderDialog(QDialog):
    saved = Signal(str)  # the position id

    def __init__(
        self,
        ctx: AppContext,
        card: StakeholderCard,
        people: Sequence[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        """`people`: (contact id, name) of the account's current stakeholders, for reports-to."""
        super().__init__(parent)
        self.ctx = ctx
        self.card = card
        self._saving = False
        self.setObjectName("dialog.stakeholder")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(tr("Edit {name}", name=card.name))

        root = QVBoxLayout(self)
        layout = QFormLayout()
        style_form(layout)
        self.form = f = Form(layout)
        self.title_edit = QLineEdit(card.title)
        f.add("Title", "title", self.title_edit)
        self.department_edit = QLineEdit(card.department)
        f.add("Department", "department", self.department_edit)
        self.role_combo = combo([(fmt.label(r.value), r.value) for r in StakeholderRole])
        select(self.role_combo, card.role)
        f.add("Role", "stakeholder_role", self.role_combo)
        self.stance_combo = combo([(fmt.label(s.value), s.value) for s in Stance])
        select(self.stance_combo, card.stance)
        f.add("Stance", "stance", self.stance_combo)
        self.influence_spin = QSpinBox()
        self.influence_spin.setRange(1, 5)
        self.influence_spin.setValue(max(1, min(5, card.influence)))
        self.influence_spin.setSuffix(tr(" of 5"))
        f.add("Influence", "influence", self.influence_spin)
        self.strength_combo = combo([(fmt.strength(i), i) for i in range(5)])
        select(self.strength_combo, card.strength)
        f.add("Relationship", "strength", self.strength_combo)
        self.colleague_combo = combo(
            [(tr("— nobody —"), None), *((u.name, u.id) for u in ctx.users)]
        )
        select(self.colleague_combo, card.colleague_id)
        f.add("Our colleague", "colleague_id", self.colleague_combo)
        self.boss_combo = combo([(tr("— nobody —"), None)])
        for cid, name in people:
            if cid != card.contact_id:
                self.boss_combo.addItem(name, cid)
        if card.reports_to_id and self.boss_combo.findData(card.reports_to_id) < 0:
            # The stored boss is no current stakeholder here (they left): show them as they
            # are, so that opening and saving does not quietly clear the link.
            self.boss_combo.addItem(
                tr(
                    "{name} (no longer here)",
                    name=card.reports_to_name or tr("someone who left"),
                ),
                card.reports_to_id,
            )
        select(self.boss_combo, card.reports_to_id)
        f.add("Reports to", "reports_to_id", self.boss_combo)

        ended = QWidget()
        row = QHBoxLayout(ended)
        row.setContentsMargins(0, 0, 0, 0)
        self.ended_check = QCheckBox(tr("Left this position on"))
        self.ended_check.setObjectName("stakeholder.ended")
        self.end_edit = QDateEdit()
        self.end_edit.setCalendarPopup(True)
        self.end_edit.setDisplayFormat("dd/MM/yyyy")
        end = card.end_date or date.today()
        self.end_edit.setDate(QDate(end.year, end.month, end.day))
        self.ended_check.setChecked(card.end_date is not None)
        self.end_edit.setEnabled(card.end_date is not None)
        self.ended_check.toggled.connect(self.end_edit.setEnabled)
        row.addWidget(self.ended_check)
        row.addWidget(self.end_edit, 1)
        f.add("Ended on", "end_date", ended)
        root.addLayout(layout)
        self.error_banner = error_banner("stakeholder")
        root.addWidget(self.error_banner)
        self.save_button, cancel = save_cancel(self, "stakeholder", self.save)
        root.addWidget(button_box(self.save_button, cancel))
        self.resize(460, 0)
        self.title_edit.setFocus()
        # What the form showed when it opened: only fields that differ from it are saved.
        self.loaded = self.edit()

    def edit(self) -> StakeholderEdit:
        end: date | None = None
        if self.ended_check.isChecked():
            d = self.end_edit.date()
            end = date(d.year(), d.month(), d.day())
        return StakeholderEdit(
            title=self.title_edit.text(),
            department=self.department_edit.text(),
            stakeholder_role=str(self.role_combo.currentData()),
            influence=self.influence_spin.value(),
            stance=str(self.stance_combo.currentData()),
            strength=int(self.strength_combo.currentData()),
            colleague_id=self.colleague_combo.currentData() or None,
            reports_to_id=self.boss_combo.currentData() or None,
            end_date=end,
        )

    def save(self) -> None:
        if self._saving:
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self.error_banner.hide()
        self.ctx.tasks.run(
            "edit stakeholder",
            _save_work(self.card.position_id, self.edit(), self.loaded),
            self._saved,
            self._failed,
        )

    def _saved(self, saved: Any) -> None:
        self._saving = False
        self.ctx.undo.push(tr("edit {name}", name=self.card.name), saved.changes)
        self.ctx.hub.publish(saved.changes)
        self.saved.emit(saved.id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if not isinstance(exc, ValidationError):
            self.error_banner.setText(tr("Could not save: {error}", error=str(exc)))
            self.error_banner.show()
            return
        stray = self.form.show_errors(exc)
        if stray:
            self.error_banner.setText("\n".join(stray))
            self.error_banner.show()


def _choices_work(account_id: str) -> Callable[[Any, Any], list[Choice]]:
    def work(store: Any, _ctx: Any) -> list[Choice]:
        with store.read() as q:
            return searchable((i, n) for i, n in q.account_choices() if i != account_id)

    return work


def _move_work(
    card: StakeholderCard, account_id: str, title: str, end_here: bool
) -> Callable[[Any, Any], Any]:
    def work(store: Any, _ctx: Any) -> Any:
        from workbench.services.stakeholders import NewPosition, move_to_account

        return move_to_account(
            store,
            card.contact_id,
            NewPosition(account_id, title=title),
            end_position_id=card.position_id if end_here else None,
        )

    return work


class MoveDialog(QDialog):
    """The person took a position at another account: pick it, their new title, and whether
    their seat here ends today (it usually does; a second job elsewhere is the exception).

    Their history here stays; at the new account they start with no boss and default stakeholder
    fields, edited there on that account's map.
    """

    moved = Signal(str)  # the new position's id

    def __init__(
        self,
        ctx: AppContext,
        card: StakeholderCard,
        account_id: str,
        parent: QWidget | None = None,
    ) -> None:
        """`account_id`: the account of `card` (not offered as the new one)."""
        super().__init__(parent)
        self.ctx = ctx
        self.card = card
        self._saving = False
        self._ready = False
        self.setObjectName("dialog.stakeholder_move")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(tr("{name} moved to another account", name=card.name))
        root = QVBoxLayout(self)
        layout = QFormLayout()
        style_form(layout)
        self.form = f = Form(layout)
        self.account = AccountPicker(tr("Type to find the account"))
        self.account.setMinimumContentsLength(24)
        f.add("Moved to", "account_id", self.account)
        self.account.editTextChanged.connect(lambda _text: self.form.clear_errors())
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(card.title or tr("e.g. Chief Financial Officer"))
        f.add("New title", "title", self.title_edit)
        self.end_check = QCheckBox(tr("Ends the position here today"))
        self.end_check.setObjectName("stakeholder_move.end_here")
        self.end_check.setChecked(True)
        self.end_check.setToolTip(
            tr("Untick when they keep this seat too; the history here stays either way")
        )
        f.add("At this account", "end_position", self.end_check)
        root.addLayout(layout)
        self.error_banner = error_banner("stakeholder_move")
        root.addWidget(self.error_banner)
        self.save_button, cancel = save_cancel(self, "stakeholder_move", self.save)
        root.addWidget(button_box(self.save_button, cancel))
        self.save_button.setEnabled(False)
        self.resize(480, 0)
        self.account.setFocus()
        ctx.tasks.run("account choices", _choices_work(account_id), self._loaded, self._load_failed)

    def _loaded(self, choices: list[Choice]) -> None:
        self.account.set_choices(choices)
        self._ready = True
        self.save_button.setEnabled(not self._saving)

    def _load_failed(self, exc: BaseException) -> None:
        self.error_banner.setText(tr("Could not load the accounts: {error}", error=str(exc)))
        self.error_banner.show()

    def save(self) -> None:
        if self._saving or not self._ready:
            return
        self.error_banner.hide()
        self.form.clear_errors()
        account_id = self.account.account_id()
        if account_id is None:
            error = self.account.unknown_name_error("account_id", "stakeholder.account_unknown")
            self.form.show_errors(
                ValidationError(
                    [
                        error
                        or FieldError("account_id", "stakeholder.account_needed", "Pick an account")
                    ]
                )
            )
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self._account_name = self.account.typed_name()
        self.ctx.tasks.run(
            "move stakeholder",
            _move_work(self.card, account_id, self.title_edit.text(), self.end_check.isChecked()),
            self._saved,
            self._failed,
        )

    def _saved(self, saved: Any) -> None:
        self._saving = False
        label = tr("{person} moved to {account}", person=self.card.name, account=self._account_name)
        self.ctx.undo.push(label, saved.changes)
        self.ctx.hub.publish(saved.changes)
        self.ctx.hub.status.emit(label)
        self.moved.emit(saved.id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if not isinstance(exc, ValidationError):
            self.error_banner.setText(tr("Could not save: {error}", error=str(exc)))
            self.error_banner.show()
            return
        stray = self.form.show_errors(exc)
        if stray:
            self.error_banner.setText("\n".join(stray))
            self.error_banner.show()

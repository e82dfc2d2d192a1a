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
from workbench.domain.errors import ValidationError
from workbench.domain.stakeholders import StakeholderEdit
from workbench.services.stakeholders import StakeholderCard
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.widgets.fields import (
    button_box,
    combo,
    error_banner,
    save_cancel,
    select,
    style_form,
)
from workbench.ui.widgets.form import Form


def _save_work(position_id: str, edit: StakeholderEdit) -> Callable[[Any, Any], Any]:
    def work(store: Any, _ctx: Any) -> Any:
        from workbench.services.stakeholders import update_stakeholder

        return update_stakeholder(store, position_id, edit)

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
            _save_work(self.card.position_id, self.edit()),
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

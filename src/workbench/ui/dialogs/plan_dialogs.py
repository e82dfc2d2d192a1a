"""Dialogs of the account plan dock: the whole plan (F2), an objective, an action.

Each saves through the plans service on the worker; a rejected field is shown under itself
and nothing typed is lost. A saved edit goes on the undo stack like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.enums import ActionStatus, Measure, PlanStatus
from workbench.domain.errors import ValidationError
from workbench.domain.money import currency_exponent as exponent
from workbench.domain.money import parse_money
from workbench.domain.plans import (
    AccountPlans,
    ActionDraft,
    ActionRow,
    ObjectiveDraft,
    ObjectiveRow,
    PlanView,
)
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import locale_name, tr
from workbench.ui.widgets.fields import (
    add_field,
    button_box,
    combo,
    error_banner,
    save_cancel,
    select,
    style_form,
)
from workbench.ui.widgets.form import Form

NO_DATE = QDate(2000, 1, 1)  # the date edit's "no date" value, shown as blank

TEXTS = (
    ("desired_outcome", "Desired outcome"),
    ("growth", "Growth opportunities"),
    ("risks", "Risks and blockers"),
    ("next_steps", "Next steps"),
    ("key_players", "Key players"),
)


def date_edit(value: date | None) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText(tr("no date"))
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(QDate(value.year, value.month, value.day) if value else NO_DATE)
    return edit


def date_of(edit: QDateEdit) -> date | None:
    d = edit.date()
    return None if d == NO_DATE else date(d.year(), d.month(), d.day())


def text_box(text: str, rows: int = 3) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * rows + 14)
    return box


class _Dialog(QDialog):
    """Common frame: a form, an error line, Save / Cancel, saving on the worker."""

    saved = Signal(object)  # the ChangeSet

    def __init__(self, ctx: AppContext, name: str, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.outer = QVBoxLayout(self)
        self.layout_ = QFormLayout()
        style_form(self.layout_)
        self.form = Form(self.layout_)
        self.outer.addLayout(self.layout_)
        self.error = error_banner(name)
        save, cancel = save_cancel(self, name, self.save)
        self.save_button = save
        self.outer.addWidget(self.error)
        self.outer.addWidget(button_box(save, cancel))

    def save(self) -> None:
        raise NotImplementedError

    def _submit(self, label: str, work: Callable[[Any], ChangeSet]) -> None:
        self.save_button.setEnabled(False)
        self.form.clear_errors()
        self.error.hide()

        def done(changes: ChangeSet) -> None:
            self.save_button.setEnabled(True)
            self.ctx.undo.push(label, changes)
            self.ctx.hub.publish(changes)
            self.saved.emit(changes)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            if isinstance(exc, ValidationError):
                stray = self.form.show_errors(exc)
                if stray:
                    self.error.setText("\n".join(stray))
                    self.error.show()
            else:
                self.error.setText(str(exc))
                self.error.show()

        self.ctx.tasks.run("plan-save", lambda store, _c: work(store), done, failed)


class PlanDialog(_Dialog):
    """F2 on the plan: every text of it, period, status, target and internal notes."""

    def __init__(self, ctx: AppContext, plan: PlanView, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "plan_dialog", tr("Edit account plan"), parent)
        self.setMinimumWidth(640)
        self.plan = plan
        f = self.form
        self.period = add_field(f, "Period", "period", QLineEdit(plan.period))
        self.period.setPlaceholderText("2026, 2026-H1, 2026-Q3")
        self.status = add_field(
            f, "Status", "status", combo([(fmt.label(s), str(s)) for s in PlanStatus])
        )
        select(self.status, plan.status)
        self.client_knows = add_field(
            f, "Client knows the plan", "client_knows", QCheckBox(tr("shared with the client"))
        )
        self.client_knows.setChecked(plan.client_knows)
        self.boxes: dict[str, QPlainTextEdit] = {}
        for key, label in TEXTS:
            self.boxes[key] = add_field(f, label, key, text_box(getattr(plan, key)))
        self.target = add_field(
            f,
            "Revenue target",
            "revenue_target_minor",
            QLineEdit(
                ""
                if plan.revenue_target_minor is None
                else fmt.money(plan.revenue_target_minor, plan.currency)
            ),
        )
        self.target.setPlaceholderText(
            tr("amount in {currency}; blank for none", currency=plan.currency)
        )
        self.boxes["internal_notes"] = add_field(
            f, "Internal notes", "internal_notes", text_box(plan.internal_notes)
        )

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: b.toPlainText() for k, b in self.boxes.items()}
        out["period"] = self.period.text()
        out["status"] = self.status.currentData()
        out["client_knows"] = self.client_knows.isChecked()
        raw = self.target.text().strip()
        out["revenue_target_minor"] = (
            parse_money(raw, self.plan.currency, locale_name(), "revenue_target_minor").minor
            if raw
            else None
        )
        return out

    def save(self) -> None:
        try:
            values = self.values()
        except ValidationError as exc:
            self.form.show_errors(exc)
            return
        plan_id = self.plan.id

        def work(store: Any) -> ChangeSet:
            from workbench.services.plans import update_plan

            return update_plan(store, plan_id, values)

        self._submit(tr("edit plan {period}", period=self.plan.period), work)


class ObjectiveDialog(_Dialog):
    def __init__(
        self,
        ctx: AppContext,
        plan: PlanView,
        objective: ObjectiveRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = tr("Edit objective") if objective else tr("New objective")
        super().__init__(ctx, "objective_dialog", title, parent)
        self.plan = plan
        self.objective = objective
        f = self.form
        self.title_edit = add_field(
            f, "Objective", "title", QLineEdit(objective.title if objective else "")
        )
        self.title_edit.setPlaceholderText(tr("e.g. Win the ERP extension"))
        self.measure = add_field(
            f, "Measured by", "measure", combo([(fmt.label(m), str(m)) for m in Measure])
        )
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(mid);")
        self.layout_.addRow("", self.hint)
        self.target = add_field(f, "Target", "target", QSpinBox())
        self.target.setRange(0, 2_000_000_000)
        self.target.setGroupSeparatorShown(True)
        self.manual = add_field(f, "Current value", "manual_value", QSpinBox())
        self.manual.setRange(-1, 2_000_000_000)
        self.manual.setSpecialValueText(tr("no data"))
        self.manual.setGroupSeparatorShown(True)
        self.due = add_field(
            f, "Due", "due_date", date_edit(objective.due_date if objective else None)
        )
        self._scale = 10 ** exponent(plan.currency)
        if objective is not None:
            select(self.measure, objective.measure)
            self.target.setValue(self._shown(objective.measure, objective.target))
            self.manual.setValue(-1 if objective.manual_value is None else objective.manual_value)
        else:
            self.manual.setValue(-1)
        self.measure.currentIndexChanged.connect(lambda _i: self._measure_changed())
        self._measure_changed()

    def _shown(self, measure: str, value: int) -> int:
        return value // self._scale if measure == Measure.REVENUE_WON else value

    def _measure_changed(self) -> None:
        measure = str(self.measure.currentData())
        hints: dict[str, str] = {
            Measure.MANUAL: tr("You type the current value in yourself."),
            Measure.REVENUE_WON: tr(
                "Won deals of the account and its child accounts closed in the plan period "
                "(target in {currency})",
                currency=self.plan.currency,
            ),
            Measure.PRODUCT_LINES: tr("Product lines the account holds today."),
            Measure.STAKEHOLDER_COVERAGE: tr(
                "Current stakeholders with a good or strong relationship."
            ),
            Measure.DECISION_MEETINGS: tr(
                "Meetings held in the plan period with a decision maker in the room."
            ),
        }
        self.hint.setText(hints.get(measure, ""))
        self.manual.setEnabled(measure == Measure.MANUAL)

    def draft(self) -> ObjectiveDraft:
        measure = str(self.measure.currentData())
        target = self.target.value()
        if measure == Measure.REVENUE_WON:
            target *= self._scale
        manual = self.manual.value()
        return ObjectiveDraft(
            self.title_edit.text(),
            measure,
            target,
            None if manual < 0 else manual,
            date_of(self.due),
        )

    def save(self) -> None:
        draft = self.draft()
        plan_id, objective = self.plan.id, self.objective

        def work(store: Any) -> ChangeSet:
            from workbench.services import plans

            if objective is None:
                return plans.add_objective(store, plan_id, draft).changes
            return plans.update_objective(store, objective.id, draft)

        self._submit(tr("objective {name}", name=draft.title.strip()), work)


class ActionDialog(_Dialog):
    def __init__(
        self,
        ctx: AppContext,
        data: AccountPlans,
        action: ActionRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = tr("Edit action") if action else tr("New action")
        super().__init__(ctx, "action_dialog", title, parent)
        assert data.plan is not None
        self.plan = data.plan
        self.action = action
        f = self.form
        self.title_edit = add_field(f, "Action", "title", QLineEdit(action.title if action else ""))
        self.title_edit.setPlaceholderText(tr("e.g. Present the roadmap to the CFO"))
        self.owner = add_field(f, "Owner", "owner_id", self._choices(data.users))
        self.due = add_field(f, "Due", "due_date", date_edit(action.due_date if action else None))
        self.status = add_field(
            f, "Status", "status", combo([(fmt.label(s), str(s)) for s in ActionStatus])
        )
        opps = list(data.opportunities)
        if (
            action
            and action.opportunity_id
            and not any(o.id == action.opportunity_id for o in opps)
        ):
            from workbench.domain.plans import Choice

            opps.append(
                Choice(action.opportunity_id, tr("{name} (archived)", name=action.opportunity_name))
            )
        self.opportunity = add_field(f, "Opportunity", "opportunity_id", self._choices(opps))
        people = list(data.contacts)
        if action and action.contact_id and not any(c.id == action.contact_id for c in people):
            from workbench.domain.plans import Choice

            people.append(Choice(action.contact_id, action.contact_name))
        self.contact = add_field(f, "Stakeholder", "contact_id", self._choices(people))
        if action is not None:
            select(self.owner, action.owner_id or "")
            select(self.status, action.status)
            select(self.opportunity, action.opportunity_id or "")
            select(self.contact, action.contact_id or "")
        else:
            select(self.owner, ctx.current_user_id)

    @staticmethod
    def _choices(items: Any) -> QComboBox:
        box = combo([("—", ""), *[(c.name, c.id) for c in items]])
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(24)
        return box

    def draft(self) -> ActionDraft:
        return ActionDraft(
            self.title_edit.text(),
            self.owner.currentData() or None,
            date_of(self.due),
            str(self.status.currentData()),
            self.opportunity.currentData() or None,
            self.contact.currentData() or None,
        )

    def save(self) -> None:
        draft = self.draft()
        plan_id, action = self.plan.id, self.action

        def work(store: Any) -> ChangeSet:
            from workbench.services import plans

            if action is None:
                return plans.add_action(store, plan_id, draft).changes
            return plans.update_action(store, action.id, draft)

        self._submit(tr("action {name}", name=draft.title.strip()), work)


__all__ = ["TEXTS", "ActionDialog", "ObjectiveDialog", "PlanDialog", "date_edit", "date_of"]

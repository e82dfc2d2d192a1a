"""Add or edit an opportunity: which account, what for, how big, how likely, when.

Every check runs on the worker before anything is written (the domain collects every error at
once, and the typed amount is read in the user's locale); the dialog shows each error under its
field with everything typed kept, and closes only once the deal is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.money import COMMON_CURRENCIES, Money, format_money, parse_money
from workbench.domain.pipeline import (
    KINDS,
    STAGE_ORDER,
    STAGE_PROBABILITY,
    OpportunityDraft,
    probability_after_move,
)
from workbench.services.opportunities import OpportunityItem
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import locale_name, tr
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


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _plain_amount(minor: int, currency: str) -> str:
    """The amount as typed back into the field: digits with the locale's grouping, no symbol."""
    text = format_money(Money(minor, currency), locale_name())
    return "".join(ch for ch in text if ch.isdigit() or ch in ".,-\u00a0 ").strip()


def _load_work(opportunity_id: str | None) -> Callable[[Any, Any], Any]:
    def work(store: Any, _ctx: Any) -> tuple[list[Choice], OpportunityItem | None, list[str]]:
        from workbench.services.opportunities import get_opportunity, product_lines

        with store.read() as q:
            choices = searchable(q.account_choices())
        item = get_opportunity(store, opportunity_id) if opportunity_id else None
        return choices, item, product_lines(store)

    return work


class OpportunityDialog(QDialog):
    saved = Signal(str)  # the opportunity's id, once written

    def __init__(
        self,
        ctx: AppContext,
        opportunity_id: str | None,
        parent: QWidget | None = None,
        *,
        account_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.opportunity_id = opportunity_id
        self._account_id = account_id
        self._saving = False
        self._ready = False
        self.changes: Any = None
        self.setObjectName("dialog.opportunity")
        self.setWindowTitle(
            tr("New opportunity") if opportunity_id is None else tr("Edit opportunity")
        )
        root = QVBoxLayout(self)
        layout = QFormLayout()
        style_form(layout)
        self.form = Form(layout)
        f = self.form
        self.account = AccountPicker(tr("Type to find the account"))
        self.account.setMinimumContentsLength(20)
        f.add("Account", "account_id", self.account)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(tr("e.g. Cloud backup for the Hà Nội branch"))
        f.add("Opportunity name", "name", self.name_edit)
        self.kind_combo = combo([(fmt.label(k), k) for k in KINDS])
        f.add("Kind", "kind", self.kind_combo)
        self.stage_combo = combo([(fmt.label(s), s) for s in STAGE_ORDER])
        self._stage = str(self.stage_combo.currentData())  # what the stage was before a change
        f.add("Stage", "stage", self.stage_combo)
        self.amount_edit = QLineEdit("0")
        self.amount_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        f.add("Amount", "amount", self.amount_edit)
        self.currency_combo = QComboBox()
        self.currency_combo.setEditable(True)
        self.currency_combo.addItems(list(COMMON_CURRENCIES))
        f.add("Currency", "currency", self.currency_combo)
        self.probability_edit = QLineEdit("10")
        self.probability_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.probability_edit.setToolTip(tr("0 to 100; won deals are 100, lost ones 0"))
        f.add("Probability %", "probability", self.probability_edit)
        self.close_edit = QDateEdit()
        self.close_edit.setCalendarPopup(True)
        self.close_edit.setDisplayFormat("yyyy-MM-dd")
        self.close_edit.setDate(_qdate(date.today() + timedelta(days=90)))
        f.add("Close date", "close_date", self.close_edit)
        self.owner_combo = combo([(tr("No owner"), "")] + [(u.name, u.id) for u in ctx.users])
        select(self.owner_combo, ctx.current_user_id)
        f.add("Owner", "owner_id", self.owner_combo)
        self.line_combo = QComboBox()
        self.line_combo.setEditable(True)
        f.add("Product line", "product_line", self.line_combo)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMinimumHeight(72)  # and it takes the room the dialog has
        f.add("Notes", "notes", self.notes_edit)
        root.addLayout(layout)
        self.error_banner = error_banner("opportunity")
        root.addWidget(self.error_banner)
        self.save_button, cancel = save_cancel(self, "opportunity", self.save)
        root.addWidget(button_box(self.save_button, cancel))
        self.stage_combo.currentIndexChanged.connect(self._stage_changed)
        self.resize(520, 560)
        self.save_button.setEnabled(False)
        ctx.tasks.run("load opportunity", _load_work(opportunity_id), self._loaded, self._failed)

    @property
    def ready(self) -> bool:
        return self._ready

    def _stage_changed(self, _index: int) -> None:
        """A new deal takes each stage's usual probability; an existing one follows the rule a
        move on the board follows (won 100, lost 0, reopened: the stage's usual one, else the
        user's own estimate is kept)."""
        stage = str(self.stage_combo.currentData())
        before, self._stage = self._stage, stage
        if self.opportunity_id is None:
            self.probability_edit.setText(str(STAGE_PROBABILITY[stage]))
            return
        try:
            probability = int(self.probability_edit.text().strip())
        except ValueError:
            probability = -1
        self.probability_edit.setText(str(probability_after_move(before, stage, probability)))

    def _loaded(self, result: tuple[list[Choice], OpportunityItem | None, list[str]]) -> None:
        choices, item, lines = result
        self.account.set_choices(choices)
        self.line_combo.addItems(["", *lines])
        if item is not None:
            self.account.set_account_id(item.account_id)
            self.name_edit.setText(item.name)
            select(self.kind_combo, item.kind)
            self.stage_combo.blockSignals(True)
            select(self.stage_combo, item.stage)
            self.stage_combo.blockSignals(False)
            self._stage = item.stage
            self.currency_combo.setCurrentText(item.currency)
            self.amount_edit.setText(_plain_amount(item.amount_minor, item.currency))
            self.probability_edit.setText(str(item.probability))
            if item.close_date:
                self.close_edit.setDate(_qdate(item.close_date))
            select(self.owner_combo, item.owner_id or "")
            self.line_combo.setCurrentText(item.product_line)
            self.notes_edit.setPlainText(item.notes)
            self._holding_id = item.holding_id
        else:
            self._holding_id = None
            if self._account_id:
                self.account.set_account_id(self._account_id)
        self._ready = True
        self.save_button.setEnabled(True)
        self.name_edit.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(self._ready)
        if isinstance(exc, ValidationError):
            stray = self.form.show_errors(exc)
            self.error_banner.setText("\n".join(stray))
            self.error_banner.setVisible(bool(stray))
        else:
            self.error_banner.setText(str(exc))
            self.error_banner.show()

    def draft(self) -> tuple[OpportunityDraft, list[FieldError]]:
        """What the form holds, and the errors only the form can see (unreadable numbers)."""
        errors: list[FieldError] = []
        currency = self.currency_combo.currentText().strip().upper()
        amount = 0
        text = self.amount_edit.text().strip() or "0"
        try:
            amount = parse_money(text, currency, locale_name()).minor
        except ValidationError as exc:
            errors.extend(exc.errors)
        probability = 0
        try:
            probability = int(self.probability_edit.text().strip())
        except ValueError:
            errors.append(
                FieldError(
                    "probability", "opportunity.probability_range", "Probability is 0 to 100 %"
                )
            )
        unknown = self.account.unknown_name_error("account_id", "opportunity.account_unknown")
        if unknown is not None:
            errors.append(unknown)
        close = self.close_edit.date().toPython()
        draft = OpportunityDraft(
            account_id=self.account.account_id(),
            name=self.name_edit.text(),
            kind=str(self.kind_combo.currentData()),
            stage=str(self.stage_combo.currentData()),
            amount_minor=amount,
            currency=currency,
            probability=probability,
            close_date=close if isinstance(close, date) else None,
            owner_id=str(self.owner_combo.currentData() or "") or None,
            product_line=self.line_combo.currentText(),
            holding_id=getattr(self, "_holding_id", None),
            notes=self.notes_edit.toPlainText(),
        )
        return draft, errors

    def save(self) -> None:
        if self._saving or not self._ready:
            return
        draft, form_errors = self.draft()
        self._saving = True
        self.save_button.setEnabled(False)
        self.form.clear_errors()
        self.error_banner.hide()
        opportunity_id = self.opportunity_id

        def work(store: Any, _ctx: Any) -> Any:
            from workbench.domain.pipeline import clean_opportunity
            from workbench.services.opportunities import create_opportunity, update_opportunity

            errors = list(form_errors)
            try:
                clean_opportunity(draft)
            except ValidationError as exc:
                known = {(e.field, e.code) for e in errors}
                errors = [*errors, *(e for e in exc.errors if (e.field, e.code) not in known)]
            if errors:
                raise ValidationError(errors)
            if opportunity_id is None:
                return create_opportunity(store, draft)
            return update_opportunity(store, opportunity_id, draft)

        self.ctx.tasks.run("save opportunity", work, self._saved, self._failed)

    def _saved(self, saved: Any) -> None:
        self._saving = False
        label = (
            tr("add {name}", name=saved_name(self))
            if self.opportunity_id is None
            else tr("edit {name}", name=saved_name(self))
        )
        self.ctx.undo.push(label, saved.changes)
        self.ctx.hub.publish(saved.changes)
        self.saved.emit(saved.id)
        self.accept()


def saved_name(dialog: OpportunityDialog) -> str:
    return " ".join(dialog.name_edit.text().split())

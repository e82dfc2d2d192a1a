"""Add or edit an account: who the client is, how to reach them, and the terms we bill on.

Why all checks run on the worker before anything is written: the domain collects every error at
once (a wrong check digit in the tax code, a bad e-mail, an unknown parent) and the dialog shows
each under its field with everything typed still in place. The save itself is one unit of work,
so the dialog either closes with the account saved or stays open with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.drafts import AccountDraft, clean_account
from workbench.domain.enums import AccountKind, Tier
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.money import COMMON_CURRENCIES
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.widgets.account_picker import AccountPicker, Choice, searchable
from workbench.ui.widgets.fields import (
    button_box,
    combo,
    error_banner,
    save_cancel,
    section,
    select,
    style_form,
)
from workbench.ui.widgets.form import FieldRow, Form

TAX_KINDS = (
    ("Detect from the digits", ""),
    ("MST10: company", "mst10"),
    ("MST13: branch", "mst13"),
    ("PIN12: person", "pin12"),
    ("Foreign", "foreign"),
)


def _save_work(
    account_id: str | None, draft: AccountDraft, form_errors: list[FieldError]
) -> Callable[[Any, Any], Any]:
    """The worker's part of Save: every check first, then one write (or none)."""

    def work(store: Any, _ctx: Any) -> Any:
        from workbench.services.accounts import create_account, update_account

        errors = list(form_errors)
        try:
            clean_account(draft)
        except ValidationError as exc:
            errors = [*exc.errors, *errors]
        if errors:
            raise ValidationError(errors)
        if account_id is None:
            return create_account(store, draft)
        return update_account(store, account_id, draft)

    return work


def _load_work(account_id: str | None) -> Callable[[Any, Any], Any]:
    def work(store: Any, _ctx: Any) -> tuple[list[Choice], AccountDraft | None]:
        from workbench.services.accounts import draft_from_account

        with store.read() as q:
            choices = searchable((i, n) for i, n in q.account_choices() if i != account_id)
        draft = draft_from_account(store, account_id) if account_id else None
        return choices, draft

    return work


class AccountDialog(QDialog):
    saved = Signal(str)  # the account's id, once written

    def __init__(
        self, ctx: AppContext, account_id: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account_id = account_id
        self._saving = False
        self._ready = False
        self._name = ""
        self.setObjectName("dialog.account")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(tr("New account") if account_id is None else tr("Edit account"))

        root = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        outer = QVBoxLayout(inner)
        outer.setContentsMargins(0, 0, 0, 0)
        layout = QFormLayout()
        outer.addLayout(layout)
        outer.addStretch(1)  # spare height below the form, not between its rows
        style_form(layout)
        self.form = Form(layout)
        self._build_fields(layout)
        scroll.setWidget(inner)
        root.addWidget(scroll, 1)

        self.error_banner = error_banner("account")
        root.addWidget(self.error_banner)
        self.save_button, cancel = save_cancel(self, "account", self.save)
        root.addWidget(button_box(self.save_button, cancel))
        self.resize(560, 760)

        self._set_ready(False)
        ctx.tasks.run("load account", _load_work(account_id), self._loaded, self._load_failed)

    # -- building ----------------------------------------------------------------------------
    def _build_fields(self, layout: QFormLayout) -> None:
        f = self.form
        layout.addRow(section(tr("Client")))
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(tr("e.g. Công ty Cổ phần Thép Hòa Phát"))
        f.add("Account name", "name", self.name_edit)
        self.kind_combo = combo([(fmt.label(k.value), k.value) for k in AccountKind])
        f.add("Kind", "kind", self.kind_combo)
        self.tier_combo = combo([(fmt.label(t.value), t.value) for t in Tier])
        select(self.tier_combo, Tier.CORE.value)
        f.add("Tier", "tier", self.tier_combo)
        self.owner_combo = combo([(tr("No owner"), "")] + [(u.name, u.id) for u in self.ctx.users])
        select(self.owner_combo, self.ctx.current_user_id)
        f.add("Owner", "owner_id", self.owner_combo)
        self.parent_combo = AccountPicker(tr("Type to find the group it belongs to"))
        self.parent_combo.setMinimumContentsLength(16)
        f.add("Parent account", "parent_id", self.parent_combo)
        self.industry_edit = QLineEdit()
        f.add("Industry", "industry", self.industry_edit)

        layout.addRow(section(tr("Tax and terms")))
        self.tax_edit = QLineEdit()
        self.tax_edit.setPlaceholderText(tr("10 digits, or 10-3 for a branch"))
        self.tax_kind_combo = combo([(tr(text), value) for text, value in TAX_KINDS])
        self.tax_kind_combo.setObjectName("field.tax_code_kind")
        self._add_pair("Tax code", "tax_code", self.tax_edit, self.tax_kind_combo)
        self.currency_combo = QComboBox()
        self.currency_combo.setEditable(True)
        self.currency_combo.addItems(list(COMMON_CURRENCIES))
        f.add("Currency", "currency", self.currency_combo)
        self.terms_spin = QSpinBox()
        self.terms_spin.setRange(0, 365)
        self.terms_spin.setValue(30)
        self.terms_spin.setSuffix(tr(" days"))
        f.add("Payment terms", "payment_terms_days", self.terms_spin)

        layout.addRow(section(tr("Where and how to reach them")))
        self.address_edit = QLineEdit()
        f.add("Address", "address", self.address_edit)
        self.city_edit = QLineEdit()
        f.add("City", "city", self.city_edit)
        self.country_edit = QLineEdit("VN")
        self.country_edit.setMaxLength(2)
        self.country_edit.setToolTip(tr("Two-letter country code, e.g. VN, SG, JP"))
        f.add("Country", "country", self.country_edit)
        self.phone_edit = QLineEdit()
        f.add("Phone", "phone", self.phone_edit)
        self.email_edit = QLineEdit()
        f.add("Email", "email", self.email_edit)
        self.website_edit = QLineEdit()
        f.add("Website", "website", self.website_edit)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(72)
        f.add("Notes", "notes", self.notes_edit)

    def _add_pair(self, label: str, name: str, field: QWidget, extra: QWidget) -> None:
        """A field with a companion beside it (tax code and its kind); errors go under both."""
        row = FieldRow(field, name)
        field.setObjectName(f"field.{name}")
        self.form.rows[name] = row
        line = QHBoxLayout()
        line.setSpacing(6)
        line.addWidget(row, 1)
        line.addWidget(extra, 0, Qt.AlignmentFlag.AlignTop)
        self.form.layout.addRow(tr(label), line)

    # -- loading -----------------------------------------------------------------------------
    def _set_ready(self, ready: bool) -> None:
        self._ready = ready
        self.save_button.setEnabled(ready and not self._saving)
        # A new account can be typed while the parent list loads; an edit waits for its values.
        enable = ready or self.account_id is None
        for row in self.form.rows.values():
            row.field.setEnabled(enable)
        self.tax_kind_combo.setEnabled(enable)

    def _loaded(self, result: tuple[list[Choice], AccountDraft | None]) -> None:
        choices, draft = result
        self.parent_combo.set_choices(choices)
        if draft is not None:
            self._show_draft(draft)
        self._set_ready(True)
        self.name_edit.setFocus()

    def _load_failed(self, exc: BaseException) -> None:
        if isinstance(exc, LookupError):
            self._show_banner(tr("This account no longer exists."))
        else:
            self._show_banner(tr("Could not load the account: {error}", error=str(exc)))

    def _show_draft(self, d: AccountDraft) -> None:
        self._name = d.name
        self.setWindowTitle(tr("Edit {name}", name=d.name))
        self.name_edit.setText(d.name)
        select(self.kind_combo, d.kind)
        select(self.tier_combo, d.tier)
        select(self.owner_combo, d.owner_id or "")
        self.parent_combo.set_account_id(d.parent_id)
        self.industry_edit.setText(d.industry)
        self.tax_edit.setText(d.tax_code)
        select(self.tax_kind_combo, d.tax_code_kind)
        self.currency_combo.setCurrentText(d.currency)
        self.terms_spin.setValue(d.payment_terms_days)
        self.address_edit.setText(d.address)
        self.city_edit.setText(d.city)
        self.country_edit.setText(d.country)
        self.phone_edit.setText(d.phone)
        self.email_edit.setText(d.email)
        self.website_edit.setText(d.website)
        self.notes_edit.setPlainText(d.notes)

    # -- reading the form --------------------------------------------------------------------
    def draft(self) -> tuple[AccountDraft, list[FieldError]]:
        """What was typed, and the errors only the form can see (an unknown parent)."""
        errors: list[FieldError] = []
        if unknown := self.parent_combo.unknown_name_error("parent_id", "account.parent_unknown"):
            errors.append(unknown)
        draft = AccountDraft(
            name=self.name_edit.text(),
            kind=str(self.kind_combo.currentData()),
            tier=str(self.tier_combo.currentData()),
            owner_id=self.owner_combo.currentData() or None,
            parent_id=self.parent_combo.account_id(),
            tax_code=self.tax_edit.text(),
            tax_code_kind=str(self.tax_kind_combo.currentData() or ""),
            industry=self.industry_edit.text(),
            city=self.city_edit.text(),
            country=self.country_edit.text(),
            address=self.address_edit.text(),
            website=self.website_edit.text(),
            phone=self.phone_edit.text(),
            email=self.email_edit.text(),
            currency=self.currency_combo.currentText(),
            payment_terms_days=self.terms_spin.value(),
            notes=self.notes_edit.toPlainText(),
        )
        return draft, errors

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> None:
        if self._saving or not self._ready:
            return
        draft, form_errors = self.draft()
        self._saving = True
        self.save_button.setEnabled(False)
        self.error_banner.hide()
        self.ctx.tasks.run(
            "save account",
            _save_work(self.account_id, draft, form_errors),
            self._saved,
            self._failed,
        )

    def _saved(self, saved: Any) -> None:
        self._saving = False
        name = " ".join(self.name_edit.text().split())
        label = (
            tr("add {name}", name=name) if self.account_id is None else tr("edit {name}", name=name)
        )
        self.ctx.undo.push(label, saved.changes)
        self.ctx.hub.publish(saved.changes)
        self.ctx.hub.status.emit(tr("Saved {name}.", name=name))
        self.saved.emit(saved.id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(self._ready)
        if isinstance(exc, ValidationError):
            stray = self.form.show_errors(exc)
            if stray:
                self._show_banner("\n".join(stray))
        else:
            self._show_banner(tr("Could not save: {error}", error=str(exc)))

    def _show_banner(self, text: str) -> None:
        self.error_banner.setText(text)
        self.error_banner.show()

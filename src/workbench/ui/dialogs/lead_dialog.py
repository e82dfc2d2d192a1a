"""Add or edit a lead: who the prospect is, what they want, and how far qualification got.

Why every check runs on the worker before anything is written (as in the account dialog): the
domain reports every bad field at once, the dialog shows each message under its field and
keeps everything typed, and the save is one unit of work or nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.enums import LeadSource, LeadStatus
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.leads import LeadDraft, LeadRow
from workbench.domain.money import COMMON_CURRENCIES, parse_money
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import locale_name, tr
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

#: Error params that hold a stored lead status; shown by their label ("Disqualified").
_STATUS_PARAMS = ("before", "after")


def labelled(exc: ValidationError) -> ValidationError:
    """The same errors with stored statuses in their params replaced by their labels: the
    domain names values ("disqualified"), the user reads labels ("Không đạt")."""
    return ValidationError(
        dataclasses.replace(
            e,
            params={
                k: fmt.label(v, "lead_status") if k in _STATUS_PARAMS else v
                for k, v in e.params.items()
            },
        )
        if e.code.startswith("lead.")
        else e
        for e in exc.errors
    )


def _save_work(
    lead_id: str | None, draft: LeadDraft, form_errors: list[FieldError]
) -> Callable[[Any, Any], Any]:
    def work(store: Any, _ctx: Any) -> Any:
        from workbench.domain.leads import clean_lead
        from workbench.services.leads import create_lead, update_lead

        errors = list(form_errors)
        try:
            clean_lead(draft)
        except ValidationError as exc:
            errors = [*exc.errors, *errors]
        if errors:
            raise ValidationError(errors)
        if lead_id is None:
            return create_lead(store, draft)
        return update_lead(store, lead_id, draft)

    return work


def _lines(store: Any, _ctx: Any) -> list[str]:
    from workbench.services.leads import product_lines

    return product_lines(store)


class LeadDialog(QDialog):
    saved = Signal(str)  # the lead's id, once written

    def __init__(self, ctx: AppContext, lead: LeadRow | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.lead = lead
        self._saving = False
        self.setObjectName("dialog.lead")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(
            tr("New lead") if lead is None else tr("Edit {name}", name=lead.display_name)
        )
        root = QVBoxLayout(self)
        layout = QFormLayout()
        style_form(layout)
        self.form = Form(layout)
        self._build(layout)
        root.addLayout(layout)
        root.addStretch(1)
        self.error_banner = error_banner("lead")
        root.addWidget(self.error_banner)
        self.save_button, cancel = save_cancel(self, "lead", self.save)
        root.addWidget(button_box(self.save_button, cancel))
        self.resize(560, 580)
        if lead is not None:
            self._show(lead)
        ctx.tasks.run("product lines", _lines, self._lines_loaded)
        self.company_edit.setFocus()

    # -- building ----------------------------------------------------------------------------
    def _build(self, layout: QFormLayout) -> None:
        f = self.form
        layout.addRow(section(tr("Prospect")))
        self.company_edit = QLineEdit()
        self.company_edit.setPlaceholderText(tr("e.g. Công ty Cổ phần Thép Hòa Phát"))
        f.add("Company", "company", self.company_edit)
        self.tax_edit = QLineEdit()
        self.tax_edit.setPlaceholderText(tr("10 digits, or 10-3 for a branch"))
        f.add("Tax code", "tax_code", self.tax_edit)
        self.family_edit = QLineEdit()
        self.family_edit.setPlaceholderText(tr("Family name"))
        self.given_edit = QLineEdit()
        self.given_edit.setPlaceholderText(tr("Middle and given names"))
        self._pair("Person", "person_family", self.family_edit, "person_given", self.given_edit)
        self.title_edit = QLineEdit()
        f.add("Title", "title", self.title_edit)
        self.email_edit = QLineEdit()
        f.add("Email", "email", self.email_edit)
        self.phone_edit = QLineEdit()
        f.add("Phone", "phone", self.phone_edit)

        layout.addRow(section(tr("Qualification")))
        self.source_combo = combo([(fmt.label(s.value), s.value) for s in LeadSource])
        f.add("Source", "source", self.source_combo)
        self.status_combo = combo(
            [(fmt.label(s.value, "lead_status"), s.value) for s in LeadStatus]
        )
        converted = self.status_combo.findData(LeadStatus.CONVERTED.value)
        if self.lead is None or self.lead.status != LeadStatus.CONVERTED:
            self.status_combo.removeItem(converted)  # reached by Convert…, never picked here
        f.add("Status", "status", self.status_combo)
        self.interest_combo = QComboBox()
        self.interest_combo.setEditable(True)
        interest_line = self.interest_combo.lineEdit()
        if interest_line is not None:
            interest_line.setPlaceholderText(tr("A product line"))
        f.add("Interested in", "interest", self.interest_combo)
        self.estimate_edit = QLineEdit()
        self.estimate_edit.setPlaceholderText(tr("e.g. 250.000.000"))
        self.currency_combo = combo([(c, c) for c in COMMON_CURRENCIES])
        row = FieldRow(self.estimate_edit, "estimate_minor")
        self.estimate_edit.setObjectName("field.estimate_minor")
        self.form.rows["estimate_minor"] = row
        line = QHBoxLayout()
        line.addWidget(row, 1)
        line.addWidget(self.currency_combo, 0, Qt.AlignmentFlag.AlignTop)
        layout.addRow(tr("Estimate"), line)
        self.owner_combo = combo([(tr("No owner"), "")] + [(u.name, u.id) for u in self.ctx.users])
        select(self.owner_combo, self.ctx.current_user_id)
        f.add("Owner", "owner_id", self.owner_combo)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(90)
        self.notes_edit.setPlaceholderText(
            tr("Need, budget, who decides, timing; why it was disqualified")
        )
        f.add("Qualification notes", "notes", self.notes_edit)

    def _pair(self, label: str, name1: str, w1: QWidget, name2: str, w2: QWidget) -> None:
        line = QHBoxLayout()
        line.setSpacing(6)
        for name, widget, stretch in ((name1, w1, 2), (name2, w2, 3)):
            row = FieldRow(widget, name)
            widget.setObjectName(f"field.{name}")
            self.form.rows[name] = row
            line.addWidget(row, stretch)
        self.form.layout.addRow(tr(label), line)

    def _lines_loaded(self, lines: list[str]) -> None:
        current = self.interest_combo.currentText()
        self.interest_combo.clear()
        self.interest_combo.addItem("")
        self.interest_combo.addItems(lines)
        self.interest_combo.setCurrentText(current)

    def _show(self, lead: LeadRow) -> None:
        self.company_edit.setText(lead.company)
        self.tax_edit.setText(lead.tax_code)
        self.family_edit.setText(lead.person_family)
        self.given_edit.setText(lead.person_given)
        self.title_edit.setText(lead.title)
        self.email_edit.setText(lead.email)
        self.phone_edit.setText(lead.phone)
        select(self.source_combo, lead.source)
        select(self.status_combo, lead.status)
        self.interest_combo.setCurrentText(lead.interest)
        if self.currency_combo.findData(lead.currency) < 0:  # a rarer one, kept as it is
            self.currency_combo.addItem(lead.currency, lead.currency)
        select(self.currency_combo, lead.currency)
        if lead.estimate_minor:
            self.estimate_edit.setText(fmt.money(lead.estimate_minor, lead.currency))
        select(self.owner_combo, lead.owner_id or "")
        self.notes_edit.setPlainText(lead.notes)

    # -- reading and saving ------------------------------------------------------------------
    def draft(self) -> tuple[LeadDraft, list[FieldError]]:
        errors: list[FieldError] = []
        currency = str(self.currency_combo.currentData())
        estimate = 0
        if self.estimate_edit.text().strip():
            try:
                estimate = parse_money(
                    self.estimate_edit.text(), currency, locale_name(), field="estimate_minor"
                ).minor
            except ValidationError as exc:
                errors.extend(exc.errors)
        draft = LeadDraft(
            company=self.company_edit.text(),
            tax_code=self.tax_edit.text(),
            person_family=self.family_edit.text(),
            person_given=self.given_edit.text(),
            title=self.title_edit.text(),
            email=self.email_edit.text(),
            phone=self.phone_edit.text(),
            source=str(self.source_combo.currentData()),
            status=str(self.status_combo.currentData()),
            interest=self.interest_combo.currentText(),
            estimate_minor=estimate,
            currency=currency,
            notes=self.notes_edit.toPlainText(),
            owner_id=self.owner_combo.currentData() or None,
        )
        return draft, errors

    def save(self) -> None:
        if self._saving:
            return
        draft, form_errors = self.draft()
        self._saving = True
        self.save_button.setEnabled(False)
        self.error_banner.hide()
        lead_id = self.lead.id if self.lead else None
        self.ctx.tasks.run(
            "save lead", _save_work(lead_id, draft, form_errors), self._saved, self._failed
        )

    def _saved(self, saved: Any) -> None:
        self._saving = False
        name = " ".join(self.company_edit.text().split()) or " ".join(
            f"{self.family_edit.text()} {self.given_edit.text()}".split()
        )
        label = tr("add {name}", name=name) if self.lead is None else tr("edit {name}", name=name)
        self.ctx.undo.push(label, saved.changes)
        self.ctx.hub.publish(saved.changes)
        self.ctx.hub.status.emit(tr("Saved {name}.", name=name))
        self.saved.emit(saved.id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            stray = self.form.show_errors(labelled(exc))
            if stray:
                self._show_banner("\n".join(stray))
        else:
            self._show_banner(tr("Could not save: {error}", error=str(exc)))

    def _show_banner(self, text: str) -> None:
        self.error_banner.setText(text)
        self.error_banner.show()

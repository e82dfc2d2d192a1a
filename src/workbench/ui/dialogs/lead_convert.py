"""Convert a lead: say exactly what will happen, then do it in one step (undone by one Ctrl+Z).

Why a preview first: converting either links to an existing client or creates one, and a
salesperson must see which before it happens ("links to Công ty Sao Mai, same tax code"), with
the chance to make a new account anyway. The preview and the conversion run on the worker; the
new (or linked) account becomes the current account, so the Account dock shows the result.

Why the outcome is not the dialog's: once Convert is pressed the conversion is written whatever
happens to the window, so its undo entry, change publish and status line are done by
`finish_conversion`, which holds only the app context (a slot of a closed, deleted dialog
would be dropped by Qt). The dialog also stays open, showing "Converting…", until the worker
answers, so an error can still be shown next to what caused it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.errors import ValidationError
from workbench.domain.leads import LeadRow
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.dialogs.lead_dialog import labelled
from workbench.ui.i18n import tr
from workbench.ui.widgets.colours import AMBER, BLUE, GREEN, GREY
from workbench.ui.widgets.form import ERROR_STYLE, error_text

_REASONS = {
    "tax_code": "same tax code",
    "name": "same name",
    "email": "same e-mail",
    "phone": "same phone",
    "chosen": "chosen",
    "person": "where this person works",
}


def reason_text(reason: str) -> str:
    return tr(_REASONS.get(reason, reason))


def finish_conversion(ctx: AppContext, name: str, result: Any) -> None:
    """What follows a conversion, whether or not its dialog is still open: one undo entry,
    the change published (docks refresh), and the account it went to made current."""
    ctx.undo.push(tr("convert {name}", name=name), result.changes)
    ctx.hub.publish(result.changes)
    ctx.hub.set_current_account(result.account_id)
    ctx.hub.status.emit(tr("Converted {name}. Undo with Ctrl+Z.", name=name))


class ConvertDialog(QDialog):
    converted = Signal(object)  # the Converted result

    def __init__(self, ctx: AppContext, lead: LeadRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.lead = lead
        self.preview: Any = None
        self._busy = False
        self.setObjectName("dialog.lead_convert")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(tr("Convert {name}", name=lead.display_name))
        root = QVBoxLayout(self)
        intro = QLabel(tr("Converting this lead will:"))
        intro.setStyleSheet("font-weight: 600;")
        root.addWidget(intro)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        self.account_label = self._step(grid, 0, "account", tr("Account"))
        self.account_note = QLabel()
        self.account_note.setObjectName("convert.account_note")
        self.account_note.setWordWrap(True)
        self.account_note.setTextFormat(Qt.TextFormat.PlainText)
        self.account_note.setStyleSheet(f"color: {AMBER};")
        self.account_note.hide()
        grid.addWidget(self.account_note, 1, 1)
        self.new_account_check = self._anyway(
            grid, 2, "convert.new_account", tr("Create a new account anyway")
        )
        self.contact_label = self._step(grid, 3, "contact", tr("Contact"))
        self.new_contact_check = self._anyway(
            grid, 4, "convert.new_contact", tr("Create a new contact anyway")
        )
        self.opportunity_label = self._step(grid, 5, "opportunity", tr("Opportunity"))
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("convert.opportunity_name")
        self.name_edit.setPlaceholderText(tr("Opportunity name"))
        name_head = QLabel(tr("Named"))
        name_head.setStyleSheet(f"color: {GREY};")
        name_head.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(name_head, 6, 0)
        grid.addWidget(self.name_edit, 6, 1)
        root.addLayout(grid)
        root.addStretch(1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: palette(mid);")
        root.addWidget(line)
        self.error_label = QLabel()
        self.error_label.setObjectName("convert.error")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        root.addWidget(self.error_label)
        buttons = QDialogButtonBox()
        self.convert_button = QPushButton(tr("Convert"))
        self.convert_button.setObjectName("convert.ok")
        self.convert_button.setEnabled(False)
        self.convert_button.clicked.connect(self.run_conversion)
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.setObjectName("convert.cancel")
        self.cancel_button.clicked.connect(self.reject)
        buttons.addButton(self.convert_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        root.addWidget(buttons)
        self.resize(620, 330)
        self._load_preview()

    def _step(self, grid: QGridLayout, row: int, key: str, title: str) -> QLabel:
        head = QLabel(title)
        head.setStyleSheet(f"color: {GREY};")
        head.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        text = QLabel(tr("Checking…"))
        text.setObjectName(f"convert.{key}")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.PlainText)
        grid.addWidget(head, row, 0)
        grid.addWidget(text, row, 1)
        grid.setColumnStretch(1, 1)
        return text

    def _anyway(self, grid: QGridLayout, row: int, name: str, text: str) -> QCheckBox:
        check = QCheckBox(text)
        check.setObjectName(name)
        check.hide()
        check.toggled.connect(lambda _on: self._load_preview())
        grid.addWidget(check, row, 1)
        return check

    @property
    def busy(self) -> bool:
        """The conversion was sent and the worker has not answered yet."""
        return self._busy

    def reject(self) -> None:
        if self._busy:  # written whatever happens now: stay until the worker answers
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)

    def _options(self) -> Any:
        from workbench.services.leads import ConvertOptions

        return ConvertOptions(
            owner_id=self.ctx.current_user_id or None,
            new_account=self.new_account_check.isChecked(),
            new_contact=self.new_contact_check.isChecked(),
            opportunity_name=self.name_edit.text() if self.preview is not None else "",
        )

    def _load_preview(self) -> None:
        options = self._options()
        lead_id = self.lead.id
        self.convert_button.setEnabled(False)

        def work(store: Any, _ctx: Any) -> Any:
            from dataclasses import replace

            from workbench.services.leads import preview_conversion

            # The name follows the account until the user types one of their own.
            return preview_conversion(store, lead_id, replace(options, opportunity_name=""))

        self.ctx.tasks.run("preview conversion", work, self._previewed, self._failed)

    def _previewed(self, preview: Any) -> None:
        typed = self.name_edit.text().strip()
        auto = self.preview.opportunity_name if self.preview is not None else ""
        self.preview = preview
        if not typed or typed == auto:
            self.name_edit.setText(preview.opportunity_name)
        if preview.account is not None:
            self.account_label.setText(
                tr(
                    "Link to the existing account {name} ({reason})",
                    name=preview.account.name,
                    reason=reason_text(preview.account.reason),
                )
            )
            self.account_label.setStyleSheet(f"color: {GREEN};")
            self.new_account_check.show()
        else:
            self.account_label.setText(tr("Create a new account {name}", name=preview.account_name))
            self.account_label.setStyleSheet(f"color: {BLUE};")
            self.new_account_check.setVisible(self.new_account_check.isChecked())
        conflict = preview.name_conflict
        if conflict is not None:
            self.account_note.setText(
                tr(
                    "Not linked to {name}: same name, but its tax code {code} is another company's",
                    name=conflict.name,
                    code=conflict.tax_code,
                )
            )
        self.account_note.setVisible(conflict is not None)
        self.new_contact_check.setVisible(
            preview.contact is not None or self.new_contact_check.isChecked()
        )
        if preview.contact is not None:
            text = tr(
                "Link to {name} ({reason})",
                name=preview.contact.name,
                reason=reason_text(preview.contact.reason),
            )
            if preview.needs_position:
                text += " " + tr("and add a position at this account")
            self.contact_label.setText(text)
        elif preview.contact_name:
            self.contact_label.setText(tr("Create the contact {name}", name=preview.contact_name))
        else:
            self.contact_label.setText(tr("No contact: the lead names no person"))
        amount = fmt.money(preview.amount_minor, preview.currency)
        self.opportunity_label.setText(
            tr("A new-business opportunity of {amount}, stage Qualify", amount=amount)
        )
        self.convert_button.setEnabled(not self._busy)

    def run_conversion(self) -> None:
        if self._busy or self.preview is None:
            return
        self._set_busy(True)
        options = self._options()
        lead_id = self.lead.id

        def work(store: Any, _ctx: Any) -> Any:
            from workbench.services.leads import convert

            return convert(store, lead_id, options)

        # The outcome first, through a callable that does not die with the dialog.
        finish = partial(finish_conversion, self.ctx, self.lead.display_name)
        task = self.ctx.tasks.run("convert lead", work, finish, self._failed)
        task.finished.connect(self._done)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.convert_button.setText(tr("Converting…") if busy else tr("Convert"))
        self.convert_button.setEnabled(not busy and self.preview is not None)
        self.cancel_button.setEnabled(not busy)
        for check in (self.new_account_check, self.new_contact_check, self.name_edit):
            check.setEnabled(not busy)

    def _done(self, result: Any) -> None:
        self._busy = False
        self.converted.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, ValidationError):
            text = "\n".join(error_text(e) for e in labelled(exc).errors)
        else:
            text = tr("Could not convert: {error}", error=str(exc))
        self.error_label.setText(text)
        self.error_label.show()
        self.convert_button.setEnabled(
            self.preview is not None and not isinstance(exc, ValidationError)
        )

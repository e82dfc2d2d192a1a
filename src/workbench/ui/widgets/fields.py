"""The pieces the account, contact and activity dialogs are built from.

Why shared: the dialogs must look alike and answer the keyboard alike (Ctrl+Enter saves from
any field, Esc cancels, each bad input is shown the same way), which three private copies of
the same helpers would not keep for long.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from workbench.ui.i18n import tr
from workbench.ui.widgets.form import ERROR_STYLE, Form

W = TypeVar("W", bound=QWidget)


def add_field(form: Form, label: str, name: str, field: W) -> W:
    """Form.add, keeping the field's own type for the attribute it is stored in."""
    form.add(label, name, field)
    return field


def combo(items: list[tuple[str, Any]]) -> QComboBox:
    """A fixed list of (shown text, stored value)."""
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    return box


def select(box: QComboBox, data: Any) -> None:
    """Make the item holding this value current; a value the list lacks changes nothing."""
    index = box.findData(data)
    if index >= 0:
        box.setCurrentIndex(index)


def section(title: str) -> QLabel:
    """A bold heading over a group of rows in one long form."""
    label = QLabel(title)
    label.setStyleSheet("font-weight: 600; padding-top: 8px;")
    return label


def style_form(layout: QFormLayout) -> None:
    """Labels right-aligned at the top of their row (level with the field, not with a wrapped
    error under it); fields take the spare width."""
    layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    layout.setHorizontalSpacing(10)
    layout.setVerticalSpacing(6)


def error_banner(name: str) -> QLabel:
    """The hidden line under a form ("{name}.error") for what no field owns: an error about
    no field on screen, or a load or save that failed."""
    label = QLabel()
    label.setObjectName(f"{name}.error")
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def save_cancel(
    dialog: QDialog, name: str, save: Callable[[], None]
) -> tuple[QPushButton, QPushButton]:
    """Save and Cancel ("{name}.save", "{name}.cancel"), with Ctrl+Enter saving from any field.

    Neither is made a default button here, so Enter pressed in a field (to complete a name, or
    to start a new line of notes) does not press them. A QDialogButtonBox they are put in
    still makes Save the default when the dialog is shown; see button_box.
    """
    save_button = QPushButton(tr("Save"))
    save_button.setObjectName(f"{name}.save")
    save_button.setToolTip(tr("Save (Ctrl+Enter)"))
    cancel = QPushButton(tr("Cancel"))
    cancel.setObjectName(f"{name}.cancel")
    for button in (save_button, cancel):
        button.setAutoDefault(False)
        button.setDefault(False)
    save_button.clicked.connect(save)
    cancel.clicked.connect(dialog.reject)
    for keys in ("Ctrl+Return", "Ctrl+Enter"):
        QShortcut(QKeySequence(keys), dialog, save)
    return save_button, cancel


def button_box(save: QPushButton, cancel: QPushButton) -> QDialogButtonBox:
    """The two buttons in the platform's order and look, with no default button.

    A button box makes its Accept button the dialog's default when shown, so a plain Enter in a
    line edit would save a half-filled form; Workbench saves with Ctrl+Enter only. The box is
    told to keep no default each time it is shown.
    """
    box = _NoDefaultButtonBox()
    for button in (save, cancel):
        button.setAutoDefault(False)
    box.addButton(save, QDialogButtonBox.ButtonRole.AcceptRole)
    box.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
    return box


class _NoDefaultButtonBox(QDialogButtonBox):
    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.Show:
            for button in self.buttons():
                if isinstance(button, QPushButton):
                    button.setDefault(False)
        return handled

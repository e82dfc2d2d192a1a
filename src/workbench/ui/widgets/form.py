"""Forms that show every validation error beside its field and keep what was typed.

Why one helper: every dialog must behave the same on bad input (DESIGN "a clear message for
every bad input with nothing lost"): the message names the field, sits under it, the field is
marked, focus goes to the first bad field, and nothing is cleared.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from workbench.domain.errors import FieldError, ValidationError
from workbench.ui.i18n import tr

ERROR_STYLE = "color: #c62828; font-size: 11px;"
BAD_FIELD = "border: 1px solid #c62828; border-radius: 3px;"


def error_text(error: FieldError) -> str:
    """The translated message of one field error (the English message is the catalogue key)."""
    return tr(error.message, **error.params)


class FieldRow(QWidget):
    """A field widget with an error line under it (hidden while there is no error)."""

    def __init__(self, field: QWidget, name: str) -> None:
        super().__init__()
        self.field = field
        self.name = name
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        self.error = QLabel()
        self.error.setObjectName(f"error.{name}")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        self._style = field.styleSheet()

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.field.setStyleSheet(self._style + (BAD_FIELD if text else ""))


class Form:
    """Field rows in a QFormLayout, addressed by the domain's field names."""

    def __init__(self, layout: QFormLayout) -> None:
        self.layout = layout
        self.rows: dict[str, FieldRow] = {}

    def add(self, label: str, name: str, field: QWidget) -> QWidget:
        row = FieldRow(field, name)
        field.setObjectName(f"field.{name}")
        self.rows[name] = row
        self.layout.addRow(tr(label), row)
        return field

    def clear_errors(self) -> None:
        for row in self.rows.values():
            row.set_error("")

    def show_errors(self, exc: ValidationError) -> list[str]:
        """Show each error under its field; returns messages for fields this form lacks."""
        self.clear_errors()
        by_field: dict[str, list[str]] = {}
        stray: list[str] = []
        for error in exc.errors:
            if error.field in self.rows:
                by_field.setdefault(error.field, []).append(error_text(error))
            else:
                stray.append(f"{error.field}: {error_text(error)}")
        first = None
        for name, messages in by_field.items():
            self.rows[name].set_error("\n".join(messages))
            first = first or self.rows[name].field
        if first is not None:
            first.setFocus()
        return stray

    def error_of(self, name: str) -> str:
        row = self.rows.get(name)
        return row.error.text() if row and not row.error.isHidden() else ""

"""The parts every list dock has: a filter line, a muted count line, a typing debounce.

One place, so the Accounts, Contacts and later lists (invoices, collections) look and behave
the same: the filter waits for a pause in typing before it queries the worker.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

TYPING_PAUSE_MS = 150


def filter_line(name: str, placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit


def count_line(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet("color: palette(mid);")
    return label


def debounced(parent: QWidget, edit: QLineEdit, slot: Callable[[], None]) -> QTimer:
    """Call `slot` once typing in `edit` pauses for TYPING_PAUSE_MS."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(TYPING_PAUSE_MS)
    timer.timeout.connect(slot)
    edit.textChanged.connect(lambda _text: timer.start())
    return timer

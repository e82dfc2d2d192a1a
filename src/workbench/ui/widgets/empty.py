"""The empty state of a dock: a centred, muted, wrapped message in place of its content.

One look for every dock ("Select an account…", "No leads yet — …"), made in one place.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from workbench.ui.widgets.colours import GREY

EMPTY_STYLE = f"color: {GREY}; padding: 24px; font-size: 13px;"


def empty_label(name: str, text: str = "", *, rich: bool = False) -> QLabel:
    """A label named `name` for a dock's empty state. `rich`: the text is always HTML (a
    headline over its reason, `conflicts.set_empty_text`); otherwise Qt decides per text."""
    label = QLabel(text)
    label.setObjectName(name)
    if rich:
        label.setTextFormat(Qt.TextFormat.RichText)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet(EMPTY_STYLE)
    return label

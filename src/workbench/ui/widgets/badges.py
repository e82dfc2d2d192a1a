"""Small colour cues for dense lists and headers: a round dot icon and a pill-shaped badge.

Why a module of their own: a coloured dot reads faster than a word in a table cell, and a pill
(tier, "Archived") marks a state at a glance. The Account dock uses both today; the account plan,
invoice and collection docks will too, and should draw them the same way.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLabel


@cache
def dot_icon(colour: str, size: int = 10) -> QIcon:
    """A round coloured dot: a cue that reads faster than a word in a dense table."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(0, 0, size, size)
    painter.end()
    return QIcon(pixmap)


def badge(text: str, colour: str, name: str = "") -> QLabel:
    """A small pill (tier, "Archived"): white text on a colour, the same in light and dark."""
    label = QLabel()
    if name:
        label.setObjectName(name)
    set_badge(label, text, colour)
    return label


def set_badge(label: QLabel, text: str, colour: str) -> None:
    """Give an existing badge new text and colour (the tier changes with the account)."""
    label.setText(text)
    label.setStyleSheet(
        f"background: {colour}; color: white; border-radius: 8px; padding: 1px 8px;"
        " font-size: 11px; font-weight: 600;"
    )

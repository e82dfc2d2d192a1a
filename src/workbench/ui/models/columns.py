"""Column declarations shared by the table models: a title, how to show a row, how to sort."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt


@dataclass(frozen=True)
class Column:
    key: str  # stable id; also the SQL sort key for paged models ("" = not sortable)
    title: str  # English source, translated by the model
    display: Callable[[Any], str]
    sort_key: str = ""
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    tooltip: Callable[[Any], str] | None = None
    width: int = 120


ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
#: How numbers, amounts and dates sit in a cell.
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

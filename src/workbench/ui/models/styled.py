"""A rows model whose columns also carry colours, backgrounds, icons and real sort keys.

Why: RowsModel shows text; the docks' lists also need "overdue in red", "renewal soon on amber"
and sorting dates and amounts by value rather than by their formatted text. A `Look` per column
key says how, so a dock declares its columns and looks as data and reuses one model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

from workbench.ui.models.columns import SORT_ROLE, Column
from workbench.ui.models.rows import RowsModel


@dataclass(frozen=True)
class Look:
    """How a column's cells look beyond their text: colour, background, icon, sort key."""

    foreground: Callable[[Any], str | None] | None = None
    background: Callable[[Any], QColor | None] | None = None
    icon: Callable[[Any], QIcon | None] | None = None
    sort: Callable[[Any], Any] | None = None


class StyledRowsModel(RowsModel):
    """RowsModel plus per-column colours, icons and real sort keys (dates, amounts, counts)."""

    def __init__(self, columns: list[Column], looks: dict[str, Look], id_attr: str = "id"):
        super().__init__(columns, id_attr)
        self._looks = [looks.get(c.key, Look()) for c in self.columns]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Headers line up with their column: amounts are right-aligned, so is their title."""
        horizontal = orientation == Qt.Orientation.Horizontal
        if (
            role == Qt.ItemDataRole.TextAlignmentRole
            and horizontal
            and 0 <= section < len(self.columns)
        ):
            return int(self.columns[section].align.value)
        return super().headerData(section, orientation, role)

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        look = self._looks[index.column()]
        row = self.row_at(index.row())
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = look.foreground(row) if look.foreground else None
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return look.background(row) if look.background else None
        if role == Qt.ItemDataRole.DecorationRole:
            return look.icon(row) if look.icon else None
        if role == SORT_ROLE and look.sort is not None:
            return look.sort(row)
        return super().data(index, role)

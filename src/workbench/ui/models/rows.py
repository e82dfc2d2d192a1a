"""A table model over a short list of immutable rows (stakeholders, holdings, timeline).

Updates are diffs: when the ids stay the same, only changed rows are signalled, so a view keeps
its selection and scroll position; otherwise rows are removed and inserted by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from workbench.ui.models.base import ColumnsModel
from workbench.ui.models.columns import ID_ROLE, ROW_ROLE, SORT_ROLE, Column

Index = QModelIndex | QPersistentModelIndex


class RowsModel(ColumnsModel):
    def __init__(self, columns: Sequence[Column], id_attr: str = "id") -> None:
        super().__init__()
        self.columns = list(columns)
        self._rows: list[Any] = []
        self._id_attr = id_attr

    def _id(self, row: Any) -> str:
        return str(getattr(row, self._id_attr))

    @property
    def rows(self) -> list[Any]:
        return list(self._rows)

    def set_rows(self, rows: Sequence[Any]) -> None:
        new = list(rows)
        old_ids = [self._id(r) for r in self._rows]
        new_ids = [self._id(r) for r in new]
        if old_ids == new_ids:
            changed = [i for i, (a, b) in enumerate(zip(self._rows, new, strict=True)) if a != b]
            self._rows = new
            for i in changed:
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.columns) - 1))
            return
        keep = set(new_ids)
        for i in range(len(self._rows) - 1, -1, -1):
            if old_ids[i] not in keep:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._rows[i]
                self.endRemoveRows()
        remaining = [self._id(r) for r in self._rows]
        if [i for i in new_ids if i in set(remaining)] != remaining:
            self.beginResetModel()
            self._rows = new
            self.endResetModel()
            return
        by_id = {self._id(r): r for r in new}
        for pos, row_id in enumerate(new_ids):
            if pos < len(self._rows) and self._id(self._rows[pos]) == row_id:
                if self._rows[pos] != by_id[row_id]:
                    self._rows[pos] = by_id[row_id]
                    self.dataChanged.emit(
                        self.index(pos, 0), self.index(pos, len(self.columns) - 1)
                    )
                continue
            self.beginInsertRows(QModelIndex(), pos, pos)
            self._rows.insert(pos, by_id[row_id])
            self.endInsertRows()

    def row_at(self, row: int) -> Any | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of_id(self, row_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if self._id(r) == row_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == ID_ROLE:
            return self._id(row)
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return column.display(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align.value)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        return None

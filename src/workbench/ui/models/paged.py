"""A table model over a large SQL result, read a page at a time on the database worker.

Why not Qt's fetchMore: it inserts rows as the view scrolls, which makes reaching the end of a
big table slow. Here the row count comes first (one COUNT query), the view gets a scrollbar of
the right size at once, and `data()` for a row not yet loaded asks for its whole page and shows
a placeholder until the page arrives. Only a bounded number of pages stays cached, so memory does
not grow with scrolling. Sorting and filtering happen in SQL.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal

from workbench.ui.models.base import ColumnsModel
from workbench.ui.models.columns import ID_ROLE, ROW_ROLE, Column
from workbench.ui.tasks import Tasks

PAGE_SIZE = 200
MAX_PAGES = 24  # at most ~5,000 rows kept in memory

Index = QModelIndex | QPersistentModelIndex
CountFn = Callable[[Any, Any], int]  # (store, filter) -> count
PageFn = Callable[[Any, Any, str, bool, int, int], list[Any]]  # (store, f, sort, desc, off, n)


class PagedTableModel(ColumnsModel):
    loaded = Signal()  # the count (and first page) for the current filter arrived

    def __init__(
        self,
        tasks: Tasks,
        columns: Sequence[Column],
        count: CountFn,
        page: PageFn,
        default_sort: str,
    ) -> None:
        super().__init__()
        self._tasks = tasks
        self.columns = list(columns)
        self._count_fn = count
        self._page_fn = page
        self._filter: Any = None
        self._sort = default_sort
        self._descending = False
        self._count = 0
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self._requested: set[int] = set()
        self._generation = 0
        self.total = 0

    # -- loading -----------------------------------------------------------------------------
    @property
    def filter(self) -> Any:
        """The filter the rows answer (None until the first `set_filter`)."""
        return self._filter

    def set_filter(self, f: Any) -> None:
        self._filter = f
        self.reload()

    def reload(self, keep_pages: bool = False) -> None:
        """Re-count and refetch. With `keep_pages`, rows stay visible until new ones arrive."""
        self._generation += 1
        gen = self._generation
        f, sort, desc = self._filter, self._sort, self._descending
        count_fn, page_fn = self._count_fn, self._page_fn

        def work(store: Any, _ctx: Any) -> tuple[int, list[Any]]:
            n = count_fn(store, f)
            return n, page_fn(store, f, sort, desc, 0, PAGE_SIZE) if n else []

        def done(result: tuple[int, list[Any]]) -> None:
            if gen != self._generation:
                return
            n, first = result
            if keep_pages and n == self._count:
                old_visible = list(self._pages)
                self._pages.clear()
                self._requested.clear()
                self._pages[0] = first
                if self._count:
                    self.dataChanged.emit(
                        self.index(0, 0), self.index(self._count - 1, len(self.columns) - 1)
                    )
                for page in old_visible:
                    if page:
                        self._request(page)
            else:
                self.beginResetModel()
                self._count = n
                self._pages.clear()
                self._requested.clear()
                self._pages[0] = first
                self.endResetModel()
            self.total = n
            self.loaded.emit()

        self._tasks.run("count", work, done)

    def _request(self, page: int) -> None:
        if page in self._requested:
            return
        self._requested.add(page)
        gen = self._generation
        f, sort, desc = self._filter, self._sort, self._descending
        page_fn = self._page_fn

        def work(store: Any, _ctx: Any) -> list[Any]:
            return page_fn(store, f, sort, desc, page * PAGE_SIZE, PAGE_SIZE)

        def done(rows: list[Any]) -> None:
            if gen != self._generation:
                return
            self._pages[page] = rows
            self._requested.discard(page)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
            first = page * PAGE_SIZE
            last = min(first + len(rows), self._count) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

        self._tasks.run("page", work, done)

    def row_at(self, row: int) -> Any | None:
        if not 0 <= row < self._count:
            return None
        page = row // PAGE_SIZE
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            return None
        self._pages.move_to_end(page)
        offset = row - page * PAGE_SIZE
        return rows[offset] if offset < len(rows) else None

    def row_of_id(self, row_id: str) -> int:
        """The row showing `row_id` among loaded pages, or -1."""
        for page, rows in self._pages.items():
            for i, r in enumerate(rows):
                if r.id == row_id:
                    return page * PAGE_SIZE + i
        return -1

    @property
    def cached_rows(self) -> int:
        return sum(len(rows) for rows in self._pages.values())

    # -- Qt model API ------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        column = self.columns[index.column()]
        if row is None:
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return "…"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == ID_ROLE:
            return row.id
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align.value)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or not self.columns[column].sort_key:
            return
        self._sort = self.columns[column].sort_key
        self._descending = order == Qt.SortOrder.DescendingOrder
        if self._filter is not None:  # before the first filter there is nothing to re-sort
            self.reload()

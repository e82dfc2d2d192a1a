"""A table view configured the way every list in Workbench behaves."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QSettings, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget


def make_table(parent: QWidget | None = None, *, sortable: bool = True) -> QTableView:
    view = QTableView(parent)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setSortingEnabled(sortable)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(26)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return view


def enable_column_menu(
    view: QTableView,
    titles: list[str],
    settings: QSettings | None,
    key: str,
    default_hidden: tuple[int, ...] = (),
) -> None:
    """Right-click on the header to show or hide columns; the choice is remembered.

    Narrow docks cannot show every column, so the less important ones start hidden and the
    user decides; the first column (the name) always stays.
    """
    header = view.horizontalHeader()
    stored = settings.value(f"columns/{key}") if settings is not None else None
    hidden = (
        {int(i) for i in str(stored).split(",") if i.strip().isdigit()}
        if stored is not None
        else set(default_hidden)
    )
    for i in range(1, len(titles)):
        header.setSectionHidden(i, i in hidden)

    def save() -> None:
        if settings is not None:
            now = [str(i) for i in range(len(titles)) if header.isSectionHidden(i)]
            settings.setValue(f"columns/{key}", ",".join(now))

    def toggle(column: int, shown: bool) -> None:
        header.setSectionHidden(column, not shown)
        save()

    def show_menu(pos: QPoint) -> None:
        menu = QMenu(view)
        for i, title in enumerate(titles):
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.setEnabled(i != 0)
            action.toggled.connect(lambda on, col=i: toggle(col, on))
        menu.exec(header.mapToGlobal(pos))

    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(show_menu)


class _FirstColumnFill(QObject):
    """Keeps the first column as wide as the room left by the others, but never narrower than
    `minimum`: in a narrow dock the name stays readable and the rest scrolls sideways."""

    def __init__(self, view: QTableView, minimum: int) -> None:
        super().__init__(view)
        self.view = view
        self.minimum = minimum
        view.viewport().installEventFilter(self)
        view.horizontalHeader().sectionResized.connect(self._other_resized)

    def _other_resized(self, index: int, _old: int, _new: int) -> None:
        if index != 0:
            self.fit()

    def fit(self) -> None:
        header = self.view.horizontalHeader()
        others = sum(
            header.sectionSize(i) for i in range(1, header.count()) if not header.isSectionHidden(i)
        )
        header.resizeSection(0, max(self.minimum, self.view.viewport().width() - others))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def fill_with_first_column(view: QTableView, minimum: int = 200) -> None:
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    _FirstColumnFill(view, minimum).fit()

"""Two-line table cells (name over title, product over product line) in a sortable table.

Why: in a dock about 520 px wide, putting the secondary fact under the main one in a smaller,
muted line keeps every column readable without a horizontal scrollbar. `two` joins the lines,
`TwoLineDelegate` draws them and `sorted_view` builds the table that uses it.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from workbench.ui.models.columns import SORT_ROLE
from workbench.ui.models.rows import RowsModel
from workbench.ui.widgets.table import make_table


class TwoLineDelegate(QStyledItemDelegate):
    """Draws "first\\nsecond" as a line of text over a smaller, muted line (name over title)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        # From the model, not opt.text: Qt turns "\n" into a line separator there.
        first, _, second = str(index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        rect = rect.adjusted(3, 0, -3, 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = opt.palette
        colour = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        own = index.data(Qt.ItemDataRole.ForegroundRole)
        if own is not None and not selected:
            colour = QColor(own)
        font: QFont = QFont(opt.font)
        align = int(index.data(Qt.ItemDataRole.TextAlignmentRole) or 0)
        h_align = Qt.AlignmentFlag(align) & Qt.AlignmentFlag.AlignHorizontal_Mask
        h_align = h_align or Qt.AlignmentFlag.AlignLeft
        painter.save()
        painter.setFont(font)
        painter.setPen(colour)
        if not second:
            text = painter.fontMetrics().elidedText(
                first, Qt.TextElideMode.ElideRight, rect.width()
            )
            painter.drawText(rect, h_align | Qt.AlignmentFlag.AlignVCenter, text)
            painter.restore()
            return
        top = rect.adjusted(0, 3, 0, -rect.height() // 2)
        bottom = rect.adjusted(0, rect.height() // 2, 0, -3)
        text = painter.fontMetrics().elidedText(first, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(top, h_align | Qt.AlignmentFlag.AlignBottom, text)
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.88))
        painter.setFont(small)
        muted = QColor(colour)
        muted.setAlpha(255 if selected else 150)
        painter.setPen(muted)
        text = painter.fontMetrics().elidedText(second, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(bottom, h_align | Qt.AlignmentFlag.AlignTop, text)
        painter.restore()


def sorted_view(model: RowsModel, widths: list[int], *, two_line: bool = True) -> QTableView:
    """A table over `model` through a sorting proxy; source order until a header is clicked.

    The first column (who or what) takes the width left over by the fixed `widths` of the
    others (widened to fit their translated titles), so a narrow dock shortens names instead
    of hiding columns behind a scrollbar.
    """
    proxy = QSortFilterProxyModel()
    proxy.setSortRole(SORT_ROLE)
    proxy.setSourceModel(model)
    view = make_table()
    proxy.setParent(view)
    view.setModel(proxy)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setItemDelegate(TwoLineDelegate(view))
    if two_line:
        view.verticalHeader().setDefaultSectionSize(40)
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(50)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    metrics = header.fontMetrics()
    for i, width in enumerate(widths, start=1):
        title = str(model.headerData(i, Qt.Orientation.Horizontal) or "")
        view.setColumnWidth(i, max(width, metrics.horizontalAdvance(title) + 16))
    view.setFrameShape(QFrame.Shape.NoFrame)
    return view


def two(first: str, second: str) -> str:
    """The display text of a two-line cell; just `first` when there is no second line."""
    return f"{first}\n{second}" if second else first

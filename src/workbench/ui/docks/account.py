"""Account dock: one account on one page, following the current account.

Why a header over tabs: the header answers "who is this and when did we last talk" at a glance
and stays put, while the tabs hold the lists an AM or RM digs into one at a time (stakeholders,
what the client holds, the pipeline, our team, the paperwork). At 520 px wide, two-line cells
(name over title, product over product line) keep every list readable without a scrollbar.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.records import (
    AccountDetail,
    HoldingRow,
    OpportunityRow,
    StakeholderRow,
)
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.models.columns import SORT_ROLE, Column
from workbench.ui.models.rows import RowsModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.table import make_table

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
RENEWAL_WINDOW_DAYS = 90
OPEN_STAGES = ("qualify", "develop", "propose", "negotiate")

# Colours read on light and dark palettes alike (mid saturation, never pure black or white).
RED = "#d32f2f"
AMBER = "#ef8f00"
GREEN = "#2e7d32"
GREY = "#8a8a8a"
STRENGTH_COLOURS = ("#9e9e9e", RED, AMBER, "#7cb342", GREEN)
STANCE_COLOURS = {"supporter": GREEN, "skeptic": AMBER, "opponent": RED}
TIER_COLOURS = {"strategic": "#6a1b9a", "key": "#1565c0", "core": "#00796b", "small": "#616161"}
TAX_KINDS = {"mst10": "MST10", "mst13": "MST13", "pin12": "PIN12", "foreign": "Foreign"}


# -- shared look helpers (small; candidates for ui/widgets once a third dock needs them) --------
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
    label.setText(text)
    label.setStyleSheet(
        f"background: {colour}; color: white; border-radius: 8px; padding: 1px 8px;"
        " font-size: 11px; font-weight: 600;"
    )


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
    return f"{first}\n{second}" if second else first


# -- columns -----------------------------------------------------------------------------------
def _stakeholder_tip(r: StakeholderRow) -> str:
    lines = [r.name]
    if r.title or r.department:
        lines.append(" · ".join(p for p in (r.title, r.department) if p))
    if r.reports_to_name:
        lines.append(tr("Reports to {name}", name=r.reports_to_name))
    lines += [p for p in (r.email, r.phone) if p]
    return "\n".join(lines)


def _influence(n: int) -> str:
    n = max(0, min(5, n))
    return "●" * n + "○" * (5 - n)


STAKEHOLDER_COLUMNS = [
    Column(
        "person",
        "Stakeholder",
        lambda r: two(r.name, " · ".join(p for p in (r.title, r.department) if p)),
        tooltip=_stakeholder_tip,
    ),
    Column("role", "Role", lambda r: fmt.label(r.role)),
    Column(
        "influence",
        "Influence",
        lambda r: two(_influence(r.influence), fmt.label(r.stance)),
        tooltip=lambda r: tr(
            "Influence {n} of 5; stance: {stance}", n=r.influence, stance=fmt.label(r.stance)
        ),
    ),
    Column(
        "strength",
        "Relationship",
        lambda r: two(fmt.strength(r.strength), r.colleague_name),
        tooltip=lambda r: tr(
            "Relationship: {strength}. Our contact: {name}",
            strength=fmt.strength(r.strength),
            name=r.colleague_name or tr("nobody yet"),
        ),
    ),
]
STAKEHOLDER_LOOKS = {
    "person": Look(sort=lambda r: r.name),
    "role": Look(foreground=lambda r: RED if r.role == "blocker" else None),
    "influence": Look(
        foreground=lambda r: STANCE_COLOURS.get(r.stance), sort=lambda r: r.influence
    ),
    "strength": Look(
        icon=lambda r: dot_icon(STRENGTH_COLOURS[max(0, min(4, r.strength))]),
        sort=lambda r: r.strength,
    ),
}


def days_until(d: date | None, today: date | None = None) -> int | None:
    return None if d is None else (d - (today or date.today())).days


def _renewal_text(r: HoldingRow) -> str:
    n = days_until(r.end_date)
    if n is None:
        return tr("no end date")
    if n < 0:
        return two(fmt.day(r.end_date), tr("ended {n} days ago", n=-n))
    if n <= RENEWAL_WINDOW_DAYS:
        return two(fmt.day(r.end_date), tr("in {n} days", n=n) if n else tr("today"))
    return fmt.day(r.end_date)


def _renewal_background(r: HoldingRow) -> QColor | None:
    n = days_until(r.end_date)
    if n is None or n > RENEWAL_WINDOW_DAYS:
        return None
    colour = QColor(RED if n < 0 else AMBER)
    colour.setAlpha(60)
    return colour


HOLDING_COLUMNS = [
    Column(
        "product",
        "Product",
        lambda r: two(r.product_name, r.product_line),
        tooltip=lambda r: f"{r.product_code} · {r.product_name}",
    ),
    Column(
        "renewal",
        "Renewal / end",
        _renewal_text,
        tooltip=lambda r: tr("Since {day}", day=fmt.day(r.start_date)) if r.start_date else "",
    ),
    Column(
        "value", "Annual value", lambda r: fmt.money(r.annual_value_minor, r.currency), align=RIGHT
    ),
    Column("usage", "Usage", lambda r: fmt.label(r.usage_level) if r.usage_level else ""),
]
HOLDING_LOOKS = {
    "renewal": Look(
        background=_renewal_background,
        foreground=lambda r: RED if (days_until(r.end_date) or 0) < 0 else None,
        sort=lambda r: r.end_date.isoformat() if r.end_date else "9999",
    ),
    "value": Look(sort=lambda r: r.annual_value_minor),
    "usage": Look(
        foreground=lambda r: AMBER if r.usage_level in ("none", "low") else None,
        sort=lambda r: (
            ("none", "low", "medium", "high").index(r.usage_level)
            if r.usage_level in ("none", "low", "medium", "high")
            else -1
        ),
    ),
}


def is_open(r: OpportunityRow) -> bool:
    return r.stage in OPEN_STAGES


def open_first(rows: tuple[OpportunityRow, ...]) -> list[OpportunityRow]:
    """Open deals by close date (the next to close on top), then closed ones newest first."""
    live = sorted((r for r in rows if is_open(r)), key=lambda r: r.close_date or date.max)
    closed = sorted(
        (r for r in rows if not is_open(r)), key=lambda r: r.close_date or date.min, reverse=True
    )
    return live + closed


def _muted(r: OpportunityRow) -> str | None:
    return None if is_open(r) else GREY


def _close_colour(r: OpportunityRow) -> str | None:
    if not is_open(r):
        return GREY
    n = days_until(r.close_date)
    return RED if n is not None and n < 0 else None


OPPORTUNITY_COLUMNS = [
    Column(
        "name",
        "Opportunity",
        lambda r: two(r.name, fmt.label(r.kind)),
        tooltip=lambda r: tr("Owner: {name}", name=r.owner_name) if r.owner_name else "",
    ),
    Column(
        "stage",
        "Stage",
        lambda r: (
            two(fmt.label(r.stage), f"{r.probability}%") if is_open(r) else fmt.label(r.stage)
        ),
        tooltip=lambda r: tr("Probability {n}%", n=r.probability),
    ),
    Column("amount", "Amount", lambda r: fmt.money(r.amount_minor, r.currency), align=RIGHT),
    Column("close", "Close date", lambda r: fmt.day(r.close_date)),
]
OPPORTUNITY_LOOKS = {
    "name": Look(foreground=_muted),
    "stage": Look(
        foreground=lambda r: GREEN if r.stage == "won" else _muted(r),
        sort=lambda r: (
            (*OPEN_STAGES, "won", "lost").index(r.stage)
            if r.stage in (*OPEN_STAGES, "won", "lost")
            else 9
        ),
    ),
    "amount": Look(foreground=_muted, sort=lambda r: r.amount_minor),
    "close": Look(
        foreground=_close_colour,
        sort=lambda r: r.close_date.isoformat() if r.close_date else "9999",
    ),
}

TEAM_COLUMNS = [
    Column("name", "Name", lambda r: r.name),
    Column("role", "Role", lambda r: fmt.label(r.role)),
]


# -- the panel ---------------------------------------------------------------------------------
def _load_detail(account_id: str) -> Callable[[Any, Any], AccountDetail | None]:
    def work(store: Any, _ctx: Any) -> AccountDetail | None:
        with store.read() as q:
            detail: AccountDetail | None = q.account_detail(account_id)
            return detail

    return work


def _fact_key(text: str) -> QLabel:
    label = QLabel(tr(text))
    label.setStyleSheet(f"color: {GREY};")
    return label


def _value_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
    )
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


DETAIL_FIELDS = (
    ("parent", "Parent account"),
    ("industry", "Industry"),
    ("address", "Address"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("website", "Website"),
    ("currency", "Currency"),
    ("terms", "Payment terms"),
    ("credit", "Credit limit"),
    ("notes", "Notes"),
)


class AccountPanel(Panel):
    """The current account: header, then Stakeholders / Holdings / Opportunities / Team /
    Details tabs. Reloads only when its account (or something it shows) changed."""

    follows_current_account = True

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.detail: AccountDetail | None = None
        self._generation = 0
        self.stakeholders = StyledRowsModel(STAKEHOLDER_COLUMNS, STAKEHOLDER_LOOKS, "position_id")
        self.holdings = StyledRowsModel(HOLDING_COLUMNS, HOLDING_LOOKS)
        self.opportunities = StyledRowsModel(OPPORTUNITY_COLUMNS, OPPORTUNITY_LOOKS)
        self.team = StyledRowsModel(TEAM_COLUMNS, {})

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        self.empty_label = QLabel(
            tr("Select an account in the Accounts list, or press Ctrl+K to find one")
        )
        self.empty_label.setObjectName("account.empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(f"color: {GREY}; padding: 24px; font-size: 14px;")
        self.stack.addWidget(self.empty_label)
        page = QWidget()
        self.stack.addWidget(page)
        body = QVBoxLayout(page)
        body.setContentsMargins(10, 8, 10, 6)
        body.setSpacing(6)
        body.addLayout(self._build_header())
        self.tabs = QTabWidget()
        self.tabs.setObjectName("account.tabs")
        self.tabs.setDocumentMode(True)
        self.stakeholder_view = sorted_view(self.stakeholders, [124, 86, 112])
        self.holding_view = sorted_view(self.holdings, [124, 128, 68])
        self.opportunity_view = sorted_view(self.opportunities, [88, 128, 100])
        self.team_view = sorted_view(self.team, [170], two_line=False)
        for view, name in (
            (self.stakeholder_view, "stakeholders"),
            (self.holding_view, "holdings"),
            (self.opportunity_view, "opportunities"),
            (self.team_view, "team"),
        ):
            view.setObjectName(f"account.{name}")
            self.tabs.addTab(view, "")
        self.tabs.addTab(self._build_details(), tr("Details"))
        body.addWidget(self.tabs, 1)
        self.edit_button.clicked.connect(self.edit_item)
        self._show_empty()

    # -- building ----------------------------------------------------------------------------
    def _build_header(self) -> QVBoxLayout:
        header = QVBoxLayout()
        header.setSpacing(4)
        top = QHBoxLayout()
        self.name_label = QLabel()
        self.name_label.setObjectName("account.name")
        self.name_label.setWordWrap(True)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_label.setStyleSheet("font-size: 19px; font-weight: 600;")
        self.edit_button = QPushButton(tr("Edit…"))
        self.edit_button.setObjectName("account.edit")
        self.edit_button.setToolTip(tr("Edit this account (F2)"))
        top.addWidget(self.name_label, 1)
        top.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(top)

        tags = QHBoxLayout()
        tags.setSpacing(6)
        self.tier_badge = badge("", GREY, "account.tier")
        self.archived_badge = badge(tr("Archived"), RED, "account.archived")
        self.kind_label = QLabel()
        self.kind_label.setObjectName("account.kind")
        self.kind_label.setStyleSheet(f"color: {GREY};")
        tags.addWidget(self.tier_badge)
        tags.addWidget(self.archived_badge)
        tags.addWidget(self.kind_label)
        tags.addStretch(1)
        header.addLayout(tags)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        self.owner_label = _value_label("account.owner")
        self.tax_label = _value_label("account.tax_code")
        self.tax_label.setTextFormat(Qt.TextFormat.RichText)
        self.city_label = _value_label("account.city")
        self.last_contact_label = _value_label("account.last_contact")
        facts = (
            ("Owner", self.owner_label),
            ("Tax code", self.tax_label),
            ("City", self.city_label),
            ("Last contact", self.last_contact_label),
        )
        for i, (key, value) in enumerate(facts):
            row, col = divmod(i, 2)
            grid.addWidget(_fact_key(key), row, col * 2)
            grid.addWidget(value, row, col * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        header.addLayout(grid)
        return header

    def _build_details(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setObjectName("account.details")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        form = QFormLayout(inner)
        form.setContentsMargins(8, 10, 8, 8)
        form.setVerticalSpacing(8)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.detail_labels: dict[str, QLabel] = {}
        for key, title in DETAIL_FIELDS:
            value = _value_label(f"account.detail.{key}")
            value.setOpenExternalLinks(True)
            self.detail_labels[key] = value
            form.addRow(_fact_key(title), value)
        scroll.setWidget(inner)
        return scroll

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        account_id = self.ctx.hub.current_account
        if not account_id:
            self.detail = None
            self._show_empty()
            return
        self.run(
            "account", _load_detail(account_id), lambda detail: self._loaded(generation, detail)
        )

    def _loaded(self, generation: int, detail: AccountDetail | None) -> None:
        if generation != self._generation:
            return  # the user moved on to another account while this one loaded
        self.detail = detail
        if detail is None:
            self._show_empty()
            return
        self._show(detail)

    def affected_by(self, changes: ChangeSet) -> bool:
        account_id = self.ctx.hub.current_account
        if not account_id:
            return False
        if account_id in changes.accounts or account_id in changes.ids("accounts"):
            return True
        d = self.detail
        if d is None or d.id != account_id:
            return True  # nothing shown yet for this account: any change may be the first
        if d.parent_id and d.parent_id in changes.ids("accounts"):
            return True  # the parent was renamed
        if changes.ids("contacts") & {s.contact_id for s in d.stakeholders}:
            return True  # a stakeholder's name, email or phone changed
        return changes.touches("users", "products")

    # -- showing -----------------------------------------------------------------------------
    def _show_empty(self) -> None:
        self.stack.setCurrentIndex(0)
        self.edit_button.setEnabled(False)
        for model in (self.stakeholders, self.holdings, self.opportunities, self.team):
            model.set_rows([])

    def _show(self, d: AccountDetail) -> None:
        self.stack.setCurrentIndex(1)
        self.edit_button.setEnabled(True)
        self.name_label.setText(d.name)
        set_badge(self.tier_badge, fmt.label(d.tier), TIER_COLOURS.get(d.tier, GREY))
        self.archived_badge.setVisible(d.archived)
        kind = fmt.label(d.kind)
        self.kind_label.setText(
            tr("{kind} · part of {parent}", kind=kind, parent=d.parent_name)
            if d.parent_name
            else kind
        )
        self.owner_label.setText(d.owner_name or "—")
        if d.tax_code:
            kind_text = tr(TAX_KINDS.get(d.tax_code_kind, d.tax_code_kind))
            self.tax_label.setText(
                f"{html.escape(d.tax_code)}&nbsp;&nbsp;<span style='color:{GREY}'>"
                f"{html.escape(kind_text)}</span>"
                if kind_text
                else html.escape(d.tax_code)
            )
        else:
            self.tax_label.setText("—")
        self.city_label.setText(d.city or "—")
        self.last_contact_label.setText(fmt.days_ago(d.last_contact))
        self.last_contact_label.setToolTip(fmt.day(d.last_contact))
        stale = d.last_contact is None or (date.today() - d.last_contact.date()).days > 90
        self.last_contact_label.setStyleSheet(f"color: {AMBER};" if stale else "")

        self.stakeholders.set_rows(d.stakeholders)
        self.holdings.set_rows(d.holdings)
        self.opportunities.set_rows(open_first(d.opportunities))
        self.team.set_rows(d.team)
        n_open = sum(1 for o in d.opportunities if is_open(o))
        titles = (
            tr("Stakeholders ({n})", n=len(d.stakeholders)),
            tr("Holdings ({n})", n=len(d.holdings)),
            tr("Opportunities ({n})", n=n_open) if n_open else tr("Opportunities"),
            tr("Team ({n})", n=len(d.team)),
        )
        for i, title in enumerate(titles):
            self.tabs.setTabText(i, title)
        self._show_details(d)

    def _show_details(self, d: AccountDetail) -> None:
        def link(url: str, text: str) -> str:
            return f"<a href='{html.escape(url, quote=True)}'>{html.escape(text)}</a>"

        website = d.website
        if website and "://" not in website:
            website = f"https://{website}"
        values = {
            "parent": d.parent_name,
            "industry": d.industry,
            "address": ", ".join(p for p in (d.address, d.city, d.country) if p),
            "phone": d.phone,
            "email": link(f"mailto:{d.email}", d.email) if d.email else "",
            "website": link(website, d.website) if d.website else "",
            "currency": d.currency,
            "terms": tr("{n} days", n=d.payment_terms_days),
            "credit": fmt.money(d.credit_limit_minor, d.currency)
            if d.credit_limit_minor is not None
            else "",
            "notes": html.escape(d.notes).replace("\n", "<br>") if d.notes else "",
        }
        for key, value in values.items():
            label = self.detail_labels[key]
            label.setTextFormat(
                Qt.TextFormat.RichText
                if key in ("email", "website", "notes")
                else Qt.TextFormat.PlainText
            )
            label.setText(value or "—")

    # -- commands ----------------------------------------------------------------------------
    def edit_item(self) -> None:
        from workbench.ui.dialogs.account_dialog import AccountDialog

        if self.detail is not None:
            AccountDialog(self.ctx, self.detail.id, self).open()

    def new_item(self) -> None:
        """Ctrl+N here adds an account and shows it (the Accounts dock does the same)."""
        from workbench.ui.dialogs.account_dialog import AccountDialog

        dialog = AccountDialog(self.ctx, None, self)
        dialog.saved.connect(self.ctx.hub.set_current_account)
        dialog.open()

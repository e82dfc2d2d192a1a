"""Account dock: one account on one page, following the current account.

Why a header over tabs: the header answers "who is this and when did we last talk" at a glance
and stays put, while the tabs hold the lists an AM or RM digs into one at a time (stakeholders,
what the client holds, the pipeline, our team, the paperwork). At 520 px wide, two-line cells
(name over title, product over product line) keep every list readable without a scrollbar.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
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
from workbench.ui.models.columns import RIGHT, Column
from workbench.ui.models.styled import Look, StyledRowsModel
from workbench.ui.panel import Panel
from workbench.ui.widgets.badges import badge, dot_icon, set_badge
from workbench.ui.widgets.colours import AMBER, GREEN, GREY, RED
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.two_line import sorted_view, two

RENEWAL_WINDOW_DAYS = 90
OPEN_STAGES = ("qualify", "develop", "propose", "negotiate")

STRENGTH_COLOURS = ("#9e9e9e", RED, AMBER, "#7cb342", GREEN)
STANCE_COLOURS = {"supporter": GREEN, "skeptic": AMBER, "opponent": RED}
TIER_COLOURS = {"strategic": "#6a1b9a", "key": "#1565c0", "core": "#00796b", "small": "#616161"}
TAX_KINDS = {"mst10": "MST10", "mst13": "MST13", "pin12": "PIN12", "foreign": "Foreign"}


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
        self.empty_label = empty_label(
            "account.empty",
            tr("Select an account in the Accounts list, or press Ctrl+K to find one"),
        )
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

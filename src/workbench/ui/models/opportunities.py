"""Columns and looks of the opportunity table, and the colours of stages and kinds."""

from __future__ import annotations

from datetime import date

from workbench.domain.pipeline import stage_rank
from workbench.services.opportunities import OpportunityItem
from workbench.ui import fmt
from workbench.ui.models.columns import RIGHT, Column
from workbench.ui.models.styled import Look, StyledRowsModel
from workbench.ui.widgets.colours import AMBER, BLUE, GREEN, GREY, RED

STAGE_COLOURS = {
    "qualify": "#78909c",
    "develop": "#5c6bc0",
    "propose": BLUE,
    "negotiate": AMBER,
    "won": GREEN,
    "lost": RED,
}
KIND_COLOURS = {"new": "#6a1b9a", "upsell": "#00796b", "cross_sell": BLUE, "renewal": AMBER}


def is_late(o: OpportunityItem, today: date | None = None) -> bool:
    """Still open after its close date: the date slipped."""
    return o.is_open and o.close_date is not None and o.close_date < (today or date.today())


def _close_colour(o: OpportunityItem) -> str | None:
    return RED if is_late(o) else None


def _tip(o: OpportunityItem) -> str:
    lines = [o.name, o.account_name]
    if o.product_line:
        lines.append(o.product_line)
    if o.notes:
        lines.append(o.notes)
    return "\n".join(lines)


COLUMNS = [
    Column("name", "Opportunity", lambda o: o.name, tooltip=_tip),
    Column("account", "Account", lambda o: o.account_name, tooltip=lambda o: o.account_name),
    Column("kind", "Kind", lambda o: fmt.label(o.kind)),
    Column("stage", "Stage", lambda o: fmt.label(o.stage)),
    Column("amount", "Amount", lambda o: fmt.money(o.amount_minor, o.currency), align=RIGHT),
    Column("probability", "Prob.", lambda o: f"{o.probability} %", align=RIGHT),
    Column("weighted", "Weighted", lambda o: fmt.money(o.weighted_minor, o.currency), align=RIGHT),
    Column("close", "Close date", lambda o: fmt.day(o.close_date)),
    Column("owner", "Owner", lambda o: o.owner_name),
]
WIDTHS = [170, 100, 90, 130, 60, 130, 100, 120]

LOOKS = {
    "account": Look(sort=lambda o: o.account_name.casefold()),
    "name": Look(sort=lambda o: o.name.casefold()),
    "kind": Look(foreground=lambda o: KIND_COLOURS.get(o.kind)),
    "stage": Look(
        foreground=lambda o: STAGE_COLOURS.get(o.stage),
        sort=lambda o: stage_rank(o.stage),
    ),
    "amount": Look(sort=lambda o: o.amount_minor),
    "probability": Look(sort=lambda o: o.probability),
    "weighted": Look(sort=lambda o: o.weighted_minor, foreground=lambda o: GREY),
    "close": Look(
        foreground=_close_colour, sort=lambda o: o.close_date.toordinal() if o.close_date else 0
    ),
}


def opportunity_model() -> StyledRowsModel:
    return StyledRowsModel(COLUMNS, LOOKS)

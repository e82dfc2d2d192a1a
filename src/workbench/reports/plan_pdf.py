"""The account plan as an A4 PDF, internal or client-safe.

Why HTML through QTextDocument: Qt is already here, lays out tables and wraps Vietnamese text,
and its PDF writer embeds the font subset with a Unicode map, so the text can be searched and
copied (the tests read it back). DejaVu Sans is asked for first: it has every Vietnamese
diacritic; the platform's font substitution covers a machine without it.

What the client-safe version leaves out (the client reads it, so nothing we would not say to
their face): internal notes; risks and blockers; SWOT weaknesses and threats; competitors; the
weekly update log (our own working notes); objectives measured by revenue won (our sales
target) or by stakeholder coverage (a relationship score), and the revenue target. Stances and
relationship strengths of stakeholders are never in the plan text at all. It keeps the desired
outcome, growth opportunities, next steps, key players, SWOT strengths and opportunities, the
other objectives and the actions.
"""

from __future__ import annotations

import html
import os
from datetime import date
from pathlib import Path

from workbench.domain.enums import Measure
from workbench.domain.plans import AccountPlans, ObjectiveRow, PlanView, lines
from workbench.ui import fmt
from workbench.ui.i18n import tr

FONT_FAMILIES = ("DejaVu Sans", "Noto Sans", "Liberation Sans", "Arial")
INTERNAL_MEASURES = (Measure.REVENUE_WON, Measure.STAKEHOLDER_COVERAGE)

_CSS = """
body { font-size: 9pt; color: #222; }
h1 { font-size: 14pt; margin: 0; }
h2 { font-size: 10.5pt; color: #1e4f8a; margin-top: 10px; margin-bottom: 3px; }
.meta { color: #555; }
.badge { color: #b3261e; font-weight: bold; }
table.grid { border-collapse: collapse; }
table.grid th { background: #e8eef6; text-align: left; padding: 3px 6px; }
table.grid td { padding: 3px 6px; border-bottom: 1px solid #ddd; vertical-align: top; }
.overdue { color: #b3261e; font-weight: bold; }
.muted { color: #777; }
"""


def _esc(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>")


def measure_text(o: ObjectiveRow, currency: str) -> tuple[str, str]:
    """(current, target) as shown: money for revenue, a count otherwise; "no data" as such."""
    if o.measure == Measure.REVENUE_WON:
        target = fmt.money(o.target, currency)
        current = tr("no data") if o.current is None else fmt.money(o.current, currency)
    else:
        target = str(o.target)
        current = tr("no data") if o.current is None else str(o.current)
    return current, target


def _section(title: str, body: str) -> str:
    return f"<h2>{html.escape(title)}</h2>{body}"


def _text(title: str, text: str) -> str:
    shown = _esc(text) if text.strip() else "<span class='muted'>—</span>"
    return _section(title, f"<p>{shown}</p>")


def _list(title: str, text: str) -> str:
    items = lines(text)
    if not items:
        return f"<p><b>{html.escape(title)}</b><br/><span class='muted'>—</span></p>"
    body = "".join(f"<li>{_esc(i)}</li>" for i in items)
    return f"<p><b>{html.escape(title)}</b></p><ul>{body}</ul>"


def plan_html(data: AccountPlans, *, client_safe: bool, today: date | None = None) -> str:
    plan = data.plan
    if plan is None:
        raise ValueError("the account has no plan")
    today = today or date.today()
    version = tr("Client version") if client_safe else tr("Internal: do not share")
    parts = [
        f"<html><head><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(tr('Account plan'))}: {html.escape(data.account_name)}</h1>",
        "<p class='meta'>",
        html.escape(
            tr(
                "Period {period} ({start} – {end})",
                period=plan.period,
                start=fmt.day(plan.period_start),
                end=fmt.day(plan.period_end),
            )
        ),
        " · ",
        html.escape(tr("Status: {status}", status=fmt.label(plan.status))),
    ]
    if plan.owner_name:
        parts += [" · ", html.escape(tr("Owner: {name}", name=plan.owner_name))]
    parts.append("<br/>")
    reviewed = fmt.day(plan.last_reviewed) if plan.last_reviewed else tr("never")
    parts.append(html.escape(tr("Last reviewed: {day}", day=reviewed)))
    if not client_safe:
        knows = tr("yes") if plan.client_knows else tr("no")
        parts += [" · ", html.escape(tr("Client knows the plan: {answer}", answer=knows))]
        if plan.revenue_target_minor is not None:
            parts += [
                " · ",
                html.escape(
                    tr(
                        "Revenue target: {amount}",
                        amount=fmt.money(plan.revenue_target_minor, plan.currency),
                    )
                ),
            ]
    parts.append(f"<br/><span class='badge'>{html.escape(version)}</span></p>")

    parts.append(_text(tr("Desired outcome"), plan.desired_outcome))
    parts.append(_text(tr("Growth opportunities"), plan.growth))
    if not client_safe:
        parts.append(_text(tr("Risks and blockers"), plan.risks))
    parts.append(_text(tr("Next steps"), plan.next_steps))
    parts.append(_text(tr("Key players"), plan.key_players))
    parts.append(_objectives(plan, client_safe))
    parts.append(_actions(plan))
    parts.append(_swot(plan, client_safe))
    if not client_safe:
        parts.append(_text(tr("Internal notes"), plan.internal_notes))
        parts.append(_updates(plan))
    parts.append(f"<p class='meta'>{html.escape(tr('Prepared {day}', day=fmt.day(today)))}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _objectives(plan: PlanView, client_safe: bool) -> str:
    rows = [o for o in plan.objectives if not (client_safe and o.measure in INTERNAL_MEASURES)]
    if not rows:
        return _section(tr("Objectives"), f"<p class='muted'>{html.escape(tr('None yet'))}</p>")
    head = "".join(
        f"<th>{html.escape(t)}</th>"
        for t in (
            tr("Objective"),
            tr("Measure"),
            tr("Current"),
            tr("Target"),
            tr("Progress"),
            tr("Due"),
        )
    )
    body = []
    for o in rows:
        current, target = measure_text(o, plan.currency)
        share = "" if o.progress is None else f"{round(o.progress * 100)}%"
        cells = (o.title, fmt.label(o.measure), current, target, share, fmt.day(o.due_date))
        body.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    table = f"<table class='grid' width='100%'><tr>{head}</tr>{''.join(body)}</table>"
    return _section(tr("Objectives"), table)


def _actions(plan: PlanView) -> str:
    if not plan.actions:
        return _section(tr("Actions"), f"<p class='muted'>{html.escape(tr('None yet'))}</p>")
    head = "".join(
        f"<th>{html.escape(t)}</th>"
        for t in (tr("Action"), tr("Owner"), tr("Due"), tr("Status"), tr("For"))
    )
    body = []
    for a in plan.actions:
        links = []
        if a.opportunity_name:
            name = a.opportunity_name
            links.append(tr("{name} (archived)", name=name) if a.opportunity_archived else name)
        if a.contact_name:
            links.append(a.contact_name)
        status = fmt.label(a.status)
        if a.overdue:
            status = tr("Overdue")
        cls = " class='overdue'" if a.overdue else ""
        cells = (a.title, a.owner_name, fmt.day(a.due_date), status, ", ".join(links))
        body.append(f"<tr{cls}>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    table = f"<table class='grid' width='100%'><tr>{head}</tr>{''.join(body)}</table>"
    return _section(tr("Actions"), table)


def _swot(plan: PlanView, client_safe: bool) -> str:
    left = _list(tr("Strengths"), plan.strengths)
    right = _list(tr("Opportunities"), plan.opportunities)
    if client_safe:
        grid = f"<table width='100%'><tr><td width='50%'>{left}</td><td>{right}</td></tr></table>"
        return _section(tr("Strengths and opportunities"), grid)
    weak = _list(tr("Weaknesses"), plan.weaknesses)
    threats = _list(tr("Threats"), plan.threats)
    grid = (
        f"<table width='100%'><tr><td width='50%'>{left}</td><td>{weak}</td></tr>"
        f"<tr><td>{right}</td><td>{threats}</td></tr></table>"
    )
    return _section(tr("SWOT"), grid) + _list(tr("Competitors"), plan.competitors)


def _updates(plan: PlanView) -> str:
    if not plan.updates:
        return _section(tr("Update log"), f"<p class='muted'>{html.escape(tr('None yet'))}</p>")
    body = "".join(
        f"<tr><td width='18%'>{_esc(fmt.day(u.written_on))}</td>"
        f"<td width='20%'>{_esc(u.author_name)}</td><td>{_esc(u.text)}</td></tr>"
        for u in plan.updates
    )
    return _section(tr("Update log"), f"<table class='grid' width='100%'>{body}</table>")


def _ensure_gui() -> object:
    """A Qt application for fonts and painting; offscreen when none runs (command line).

    A QApplication, not a bare QGuiApplication: one process has one application object, and
    a widget window opened later in the same process (tests, the GUI) needs the widget kind."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    return app


def write_plan_pdf(
    data: AccountPlans, path: Path, *, client_safe: bool, today: date | None = None
) -> Path:
    """Render the plan to `path` (A4 portrait, 15 mm margins) and return the path."""
    _ensure_gui()
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPdfWriter, QTextDocument

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    writer.setTitle(tr("Account plan") + f": {data.account_name}")
    writer.setCreator("Workbench")
    doc = QTextDocument()
    font = QFont()
    font.setFamilies(list(FONT_FAMILIES))
    font.setPointSizeF(9)
    doc.setDefaultFont(font)
    doc.setHtml(plan_html(data, client_safe=client_safe, today=today))
    doc.print_(writer)
    return path

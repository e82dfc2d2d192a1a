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

import errno
import html
import os
import uuid
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
table.grid th { background: #e8eef6; padding: 3px 4px; }
table.grid td { padding: 3px 4px; border-bottom: 1px solid #ddd; vertical-align: top; }
.overdue { color: #b3261e; }
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


def _grid(columns: list[tuple[str, str]], rows: list[tuple[list[str], str]]) -> str:
    """A ruled table. `columns`: (title, style) where style holds "w=NN" (percent of the
    width; wide enough that dates and amounts do not wrap: Qt's no-wrap breaks the shares)
    and "r" (right-aligned); `rows`: (cells, row
    class). The header row repeats on every page the table runs onto."""

    def attrs(style: str) -> str:
        parts = []
        for flag in style.split():
            if flag.startswith("w="):
                parts.append(f" width='{flag[2:]}%'")
        parts.append(" align='right'" if "r" in style.split() else " align='left'")
        return "".join(parts)

    head = "".join(f"<th{attrs(style)}>{html.escape(t)}</th>" for t, style in columns)
    body = []
    for cells, cls in rows:
        row_attr = f" class='{cls}'" if cls else ""
        tds = "".join(
            f"<td{attrs(style)}>{_esc(c)}</td>"
            for c, (_t, style) in zip(cells, columns, strict=True)
        )
        body.append(f"<tr{row_attr}>{tds}</tr>")
    return (
        "<table class='grid' width='100%' cellspacing='0'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _none_yet(title: str) -> str:
    return _section(title, f"<p class='muted'>{html.escape(tr('None yet'))}</p>")


def _objectives(plan: PlanView, client_safe: bool) -> str:
    shown = [o for o in plan.objectives if not (client_safe and o.measure in INTERNAL_MEASURES)]
    if not shown:
        return _none_yet(tr("Objectives"))
    columns = [
        (tr("Objective"), "w=30"),
        (tr("Measure"), "w=17"),
        (tr("Current / target"), "w=20 r"),
        (tr("Progress"), "w=13 r"),
        (tr("Due"), "w=20"),
    ]
    rows = []
    for o in shown:
        current, target = measure_text(o, plan.currency)
        share = "" if o.progress is None else f"{round(o.progress * 100)}%"
        cells = [o.title, fmt.label(o.measure), f"{current} / {target}", share, fmt.day(o.due_date)]
        rows.append((cells, ""))
    return _section(tr("Objectives"), _grid(columns, rows))


def _actions(plan: PlanView) -> str:
    if not plan.actions:
        return _none_yet(tr("Actions"))
    columns = [
        (tr("Action"), "w=30"),
        (tr("Owner"), "w=15"),
        (tr("Due"), "w=22"),
        (tr("Status"), "w=14"),
        (tr("For"), "w=19"),
    ]
    rows = []
    for a in plan.actions:
        links = []
        if a.opportunity_name:
            name = a.opportunity_name
            links.append(tr("{name} (archived)", name=name) if a.opportunity_archived else name)
        if a.contact_name:
            links.append(a.contact_name)
        status = tr("Overdue") if a.overdue else fmt.label(a.status)
        cells = [a.title, a.owner_name, fmt.day(a.due_date), status, ", ".join(links)]
        rows.append((cells, "overdue" if a.overdue else ""))
    return _section(tr("Actions"), _grid(columns, rows))


def _swot(plan: PlanView, client_safe: bool) -> str:
    left = _list(tr("Strengths"), plan.strengths)
    right = _list(tr("Opportunities"), plan.opportunities)
    cell = "<td width='50%' valign='top'>"
    if client_safe:
        grid = f"<table width='100%'><tr>{cell}{left}</td>{cell}{right}</td></tr></table>"
        return _section(tr("Strengths and opportunities"), grid)
    weak = _list(tr("Weaknesses"), plan.weaknesses)
    threats = _list(tr("Threats"), plan.threats)
    grid = (
        f"<table width='100%'><tr>{cell}{left}</td>{cell}{weak}</td></tr>"
        f"<tr>{cell}{right}</td>{cell}{threats}</td></tr></table>"
    )
    return _section(tr("SWOT"), grid) + _list(tr("Competitors"), plan.competitors)


def _updates(plan: PlanView) -> str:
    if not plan.updates:
        return _none_yet(tr("Update log"))
    columns = [(tr("When"), "w=22"), (tr("Written by"), "w=16"), (tr("Update"), "w=62")]
    rows = [([fmt.day(u.written_on), u.author_name, u.text], "") for u in plan.updates]
    return _section(tr("Update log"), _grid(columns, rows))


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


def render_plan_pdf(data: AccountPlans, *, client_safe: bool, today: date | None = None) -> bytes:
    """The plan as PDF bytes (A4 portrait, 15 mm margins), rendered in memory."""
    _ensure_gui()
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
    from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPdfWriter, QTextDocument

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
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
    del writer  # finishes the PDF into the buffer
    buffer.close()
    content: QByteArray = buffer.data()
    return bytes(content.data())


def write_plan_pdf(
    data: AccountPlans, path: Path, *, client_safe: bool, today: date | None = None
) -> Path:
    """Render the plan and write it to `path`; returns the path.

    Why render first and write through Python: QPdfWriter on a path it cannot open fails
    silently (an empty or missing file, no error). Rendered to memory, the file is written by
    Python, so an unwritable place raises OSError with the reason, and the write goes through a
    temporary file next to the target: a failure never leaves a half-written PDF or clobbers
    the one already there."""
    content = render_plan_pdf(data, client_safe=client_safe, today=today)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with temp.open("xb") as out:  # the user's umask, as for any file they save
            out.write(content)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path

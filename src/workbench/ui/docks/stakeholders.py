"""Stakeholder map dock: the current account's people as an org chart, and where we are thin.

Why a chart and not a list: an account manager reads power from the shape (who sits above
whom, who our friends are and how high they sit); a list hides it. Stance colours the cards, a
banner names the coverage gaps (no decision maker, no champion, key people nobody met within
the tier's cadence), and the people who left recently stay visible, greyed, under the chart,
because a champion who left is the first thing to act on.

Everything is read in one worker call (services.stakeholders.stakeholder_map); writes go
through the same service with undo, and the chart redraws from the database afterwards.
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.domain.changes import ChangeSet
from workbench.domain.errors import ValidationError
from workbench.domain.stakeholders import Gap, OrgTree, would_cycle
from workbench.services.stakeholders import StakeholderCard, StakeholderMap
from workbench.ui import fmt
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.panel import Panel
from workbench.ui.widgets.badges import dot_icon
from workbench.ui.widgets.colours import GREEN, GREY, RED
from workbench.ui.widgets.empty import empty_label
from workbench.ui.widgets.form import error_text
from workbench.ui.widgets.org_chart import STANCE_COLOURS, CardFace, OrgChartView

_EMPTY_TREE = OrgTree((), {})


def _load(account_id: str) -> Callable[[Any, Any], StakeholderMap | None]:
    def work(store: Any, _ctx: Any) -> StakeholderMap | None:
        from workbench.services.stakeholders import stakeholder_map

        return stakeholder_map(store, account_id)

    return work


def faces(m: StakeholderMap) -> list[CardFace]:
    """What each card shows, translated; the coverage gaps about a person flag their card."""
    flags = {g.contact_id: tr(g.message, **g.params) for g in m.gaps if g.contact_id}
    short = {
        g.contact_id: tr("not met {n} d", n=g.params["days"])
        if "days" in g.params
        else tr("never met")
        for g in m.gaps
        if g.contact_id
    }
    out = []
    for c in m.cards:
        last_met = (
            tr("Last met: {when}", when=fmt.day(c.last_met))
            if c.last_met
            else tr("Last met: never")
        )
        tip = [
            c.name,
            " · ".join(p for p in (c.title, c.department) if p),
            tr(
                "Influence {n} of 5; stance: {stance}",
                n=c.influence,
                stance=fmt.label(c.stance),
            ),
            tr(
                "Relationship: {strength}. Our contact: {name}",
                strength=fmt.strength(c.strength),
                name=c.colleague_name or tr("nobody yet"),
            ),
            last_met,
        ]
        if c.contact_id in flags:
            tip.append(flags[c.contact_id])
        tip.append(tr("Double-click to edit; drag onto their boss to set reports-to"))
        out.append(
            CardFace(
                contact_id=c.contact_id,
                name=c.name,
                title=c.title,
                role=c.role,
                role_label=fmt.label(c.role),
                stance=c.stance,
                stance_label=fmt.label(c.stance),
                influence=c.influence,
                strength=c.strength,
                strength_label=fmt.strength(c.strength),
                colleague=c.colleague_name,
                flag=short.get(c.contact_id, ""),
                tooltip="\n".join(t for t in tip if t),
            )
        )
    return out


class StakeholderMapPanel(Panel):
    follows_current_account = True

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.map: StakeholderMap | None = None
        self._generation = 0
        self._account_shown = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        self.empty_label = empty_label("stakeholders.empty")
        self.stack.addWidget(self.empty_label)
        page = QWidget()
        self.stack.addWidget(page)
        body = QVBoxLayout(page)
        body.setContentsMargins(8, 6, 8, 6)
        body.setSpacing(6)
        body.addLayout(self._build_header())
        self.gap_banner = QLabel()
        self.gap_banner.setObjectName("stakeholders.gaps")
        self.gap_banner.setWordWrap(True)
        self.gap_banner.setTextFormat(Qt.TextFormat.RichText)
        self.gap_banner.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.gap_banner.setOpenExternalLinks(False)
        self.gap_banner.linkActivated.connect(self._gap_clicked)
        body.addWidget(self.gap_banner)
        self.notice = QLabel()
        self.notice.setObjectName("stakeholders.notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        body.addWidget(self.notice)
        self.view = OrgChartView()
        self.view.setObjectName("stakeholders.chart")
        self.view.setFrameShape(QFrame.Shape.StyledPanel)
        body.addWidget(self.view, 1)
        self.left_label = QLabel()
        self.left_label.setObjectName("stakeholders.left")
        self.left_label.setWordWrap(True)
        self.left_label.setTextFormat(Qt.TextFormat.RichText)
        footer = QHBoxLayout()
        footer.addWidget(self.left_label, 1)
        footer.addStretch(0)
        footer.addWidget(self._build_legend(), 0, Qt.AlignmentFlag.AlignTop)
        body.addLayout(footer)
        chart = self.view.chart
        chart.card_activated.connect(self.edit_contact)
        chart.reports_to_requested.connect(self.set_reports_to)
        chart.context_requested.connect(self._context_menu)
        # Weakly: the scene lives in this panel, and a bound method stored on it would make a
        # cycle of widgets for the garbage collector, which has crashed PySide (`ui.tasks`).
        can_drop = weakref.WeakMethod(self._can_drop)
        chart.can_drop = lambda person, boss: bool((m := can_drop()) and m(person, boss))
        self._show_empty(tr("Select an account to see its people"))

    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        self.summary = QLabel()
        self.summary.setObjectName("stakeholders.summary")
        self.summary.setStyleSheet("font-weight: 600;")
        # A long account name is cut, not allowed to widen the dock (the tooltip has it all).
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.setMinimumWidth(60)
        row.addWidget(self.summary, 1)
        self.fit_button = QToolButton()
        self.fit_button.setObjectName("stakeholders.fit")
        self.fit_button.setText(tr("Fit to view"))
        self.fit_button.setToolTip(tr("Fit the whole chart in view (Ctrl+0); Ctrl+wheel zooms"))
        self.fit_button.clicked.connect(lambda: self.view.fit(max_scale=1.2))
        self.actual_button = QToolButton()
        self.actual_button.setObjectName("stakeholders.actual_size")
        self.actual_button.setText("100%")
        self.actual_button.setToolTip(tr("Actual size"))
        self.actual_button.clicked.connect(lambda: self.view.set_zoom(1.0))
        row.addWidget(self.fit_button)
        row.addWidget(self.actual_button)
        return row

    def _build_legend(self) -> QWidget:
        """The stance colours, under the chart beside who left (the header stays narrow)."""
        self.legend = QWidget()
        self.legend.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        legend = QHBoxLayout(self.legend)
        legend.setContentsMargins(0, 0, 0, 0)
        legend.setSpacing(4)
        for stance, colour in STANCE_COLOURS.items():
            dot = QLabel()
            dot.setPixmap(dot_icon(colour, 10).pixmap(10, 10))
            legend.addWidget(dot)
            text = QLabel(fmt.label(stance))
            text.setStyleSheet(f"color: {GREY}; margin-right: 6px;")
            legend.addWidget(text)
        return self.legend

    # -- loading ---------------------------------------------------------------------------------
    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        account_id = self.ctx.hub.current_account
        if not account_id:
            self.map = None
            self._show_empty(tr("Select an account to see its people"))
            return
        if self.map is None or self.map.account_id != account_id:
            self.summary.setText(tr("Loading the people at this account…"))
        self.run("stakeholder map", _load(account_id), lambda m: self._loaded(generation, m))

    def affected_by(self, changes: ChangeSet) -> bool:
        account_id = self.ctx.hub.current_account
        if not account_id:
            return False
        if account_id in changes.accounts or account_id in changes.ids("accounts"):
            return True
        m = self.map
        if m is None or m.account_id != account_id:
            return True
        people = {c.contact_id for c in m.cards} | {c.contact_id for c in m.left}
        if changes.ids("contacts") & people:
            return True
        return changes.touches("positions", "users", "activity_attendees")

    def _loaded(self, generation: int, m: StakeholderMap | None) -> None:
        if generation != self._generation:
            return  # the user moved on while this loaded
        self.map = m
        if m is None:
            self._show_empty(tr("This account no longer exists."))
            return
        self._show(m)

    # -- showing ---------------------------------------------------------------------------------
    def _show_empty(self, text: str) -> None:
        self.empty_label.setText(text)
        self.stack.setCurrentIndex(0)
        self.view.show_chart(_EMPTY_TREE, [], "")
        self._account_shown = ""

    def _show(self, m: StakeholderMap) -> None:
        self.stack.setCurrentIndex(1)
        n = len(m.cards)
        self.summary.setText(
            tr("{n} people · {account}", account=m.account_name, n=n)
            if n != 1
            else tr("1 person · {account}", account=m.account_name)
        )
        self.summary.setToolTip(self.summary.text())
        self._show_gaps(m)
        self._show_left(m)
        if not m.cards:
            self.view.hide()
            self.empty_hint(True)
        else:
            self.empty_hint(False)
            self.view.show()
        caption = tr("Reports-to not set: drag each onto their boss")
        self.view.show_chart(m.tree, faces(m), caption)
        if self._account_shown != m.account_id:
            self._account_shown = m.account_id
            self.notice.hide()
            self.view.fit(max_scale=1.0, min_scale=0.55)

    def empty_hint(self, on: bool) -> None:
        if on:
            self.notice.setText(
                tr(
                    "No people at this account yet. Add a contact with a position here "
                    "(Contacts dock, Ctrl+N) and they appear on the map."
                )
            )
            self.notice.setStyleSheet(f"color: {GREY}; padding: 16px;")
            self.notice.show()

    def _show_gaps(self, m: StakeholderMap) -> None:
        if not m.gaps:
            self.gap_banner.setText(
                f"<span style='color:{GREEN}'>✔ </span>"
                + html.escape(
                    tr("Coverage looks good: decision maker and champion known, key people met")
                )
            )
            self.gap_banner.setStyleSheet(
                "background: rgba(46,125,50,0.08); border-left: 4px solid #2e7d32;"
                " padding: 5px 8px;"
            )
            return
        shown = m.gaps[:5]
        items = "".join(f"<li>{self._gap_line(g)}</li>" for g in shown)
        more = len(m.gaps) - len(shown)
        extra = (
            f"<div style='color:{GREY}'>{html.escape(tr('and {n} more gaps', n=more))}</div>"
            if more
            else ""
        )
        title = tr("Coverage gaps (cadence {n} days)", n=m.cadence_days)
        self.gap_banner.setText(
            f"<b>{html.escape(title)}</b><ul style='margin:2px 0 0 -24px'>{items}</ul>{extra}"
        )
        self.gap_banner.setStyleSheet(
            "background: rgba(239,143,0,0.12); border-left: 4px solid #ef8f00; padding: 5px 8px;"
        )

    def _gap_line(self, gap: Gap) -> str:
        """A gap about one person is a link to their card (text colour, underlined)."""
        text = html.escape(tr(gap.message, **gap.params))
        if not gap.contact_id:
            return text
        href = html.escape(f"card:{gap.contact_id}", quote=True)
        colour = self.palette().color(QPalette.ColorRole.WindowText).name()
        return f"<a href='{href}' style='color: {colour}'>{text}</a>"

    def _gap_clicked(self, link: str) -> None:
        """Select and centre the card a gap line is about."""
        if link.startswith("card:"):
            self.view.select_card(link.removeprefix("card:"))

    def _show_left(self, m: StakeholderMap) -> None:
        if not m.left:
            self.left_label.hide()
            return
        parts = []
        for c in m.left:
            bits = [c.title] if c.title else []
            bits.append(tr("left {n} days ago", n=(m.today - c.end_date).days))
            if c.now_at:
                bits.append(tr("now at {account}", account=c.now_at))
            parts.append(f"<b>{html.escape(c.name)}</b> ({html.escape(', '.join(bits))})")
        self.left_label.setText(
            f"<span style='color:{GREY}'>{html.escape(tr('Left recently:'))} "
            + " · ".join(parts)
            + "</span>"
        )
        self.left_label.show()

    def show_notice(self, text: str, colour: str = RED) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet(
            f"color: {colour}; border: 1px solid {colour}; border-radius: 4px; padding: 4px 8px;"
        )
        self.notice.show()

    # -- editing ---------------------------------------------------------------------------------
    def _card(self, contact_id: str) -> StakeholderCard | None:
        return self.map.card(contact_id) if self.map is not None else None

    def _can_drop(self, person: str, boss: str) -> bool:
        if self.map is None:
            return False
        reports_to = {c.contact_id: c.reports_to_id for c in self.map.cards}
        return not would_cycle(reports_to, person, boss)

    def set_reports_to(self, person: str, boss: str | None) -> None:
        """Make `person` report to `boss` (contact ids) through the checked service call."""
        card = self._card(person)
        if card is None or card.reports_to_id == boss:
            return
        boss_card = self._card(boss) if boss else None
        position_id = card.position_id

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.stakeholders import set_reports_to

            return set_reports_to(store, position_id, boss)

        def done(changes: ChangeSet) -> None:
            self.notice.hide()
            label = (
                tr("{person} now reports to {boss}", person=card.name, boss=boss_card.name)
                if boss_card
                else tr("{person} reports to nobody here", person=card.name)
            )
            self.ctx.undo.push(label, changes)
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(label)

        self.run("set reports-to", work, done, self._refused)

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            text = "\n".join(error_text(e) for e in exc.errors)
        else:
            text = tr("Could not save: {error}", error=str(exc))
        self.show_notice(text)
        self.ctx.hub.status.emit(text)

    def edit_contact(self, contact_id: str) -> None:
        from workbench.ui.dialogs.stakeholder_dialog import StakeholderDialog

        card = self._card(contact_id)
        if card is None or self.map is None:
            return
        people = [(c.contact_id, c.name) for c in self.map.cards]
        StakeholderDialog(self.ctx, card, people, self).open()

    def edit_item(self) -> None:
        contact_id = self.view.selected_contact()
        if contact_id:
            self.edit_contact(contact_id)

    def archive_item(self) -> None:
        """Delete: the selected person left this position today (undo brings them back)."""
        contact_id = self.view.selected_contact()
        if contact_id:
            self.end_position(contact_id)

    def end_position(self, contact_id: str, on: date | None = None) -> None:
        card = self._card(contact_id)
        if card is None:
            return
        position_id = card.position_id

        def work(store: Any, _ctx: Any) -> ChangeSet:
            from workbench.services.stakeholders import end_position

            return end_position(store, position_id, on)

        def done(changes: ChangeSet) -> None:
            label = tr("{person} left this position", person=card.name)
            self.ctx.undo.push(label, changes)
            self.ctx.hub.publish(changes)
            self.ctx.hub.status.emit(label)

        self.run("end position", work, done, self._refused)

    def _context_menu(self, contact_id: str, where: QPoint) -> None:
        card = self._card(contact_id)
        if card is None:
            return
        menu = QMenu(self)
        menu.addAction(tr("Edit…"), lambda: self.edit_contact(contact_id))
        clear = menu.addAction(
            tr("Reports to nobody here"), lambda: self.set_reports_to(contact_id, None)
        )
        clear.setEnabled(card.reports_to_id is not None)
        menu.addSeparator()
        menu.addAction(tr("Left this position today"), lambda: self.end_position(contact_id))
        menu.addAction(tr("Moved to another account…"), lambda: self.move_contact(contact_id))
        menu.popup(where)

    def move_contact(self, contact_id: str) -> None:
        """The person took a position at another account (see MoveDialog); undo reverts both."""
        from workbench.ui.dialogs.stakeholder_dialog import MoveDialog

        card = self._card(contact_id)
        if card is None or self.map is None:
            return
        MoveDialog(self.ctx, card, self.map.account_id, self).open()

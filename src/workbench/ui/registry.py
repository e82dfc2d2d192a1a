"""The dock registry: each dock declared once with a stable id, title, area and perspectives.

The main window builds docks from this list and nothing else; docks never reach into the window
or each other (they talk through the change hub).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt

from workbench.ui.context import AppContext
from workbench.ui.panel import Panel

AREA = Qt.DockWidgetArea


@dataclass(frozen=True)
class DockSpec:
    object_name: str  # stable, untranslated: saved layouts refer to it
    title: str  # English source; translated when the dock is built
    shortcut: str
    factory: Callable[[AppContext], Panel]


def dock_specs() -> list[DockSpec]:
    from workbench.ui.docks.account import AccountPanel
    from workbench.ui.docks.accounts import AccountsPanel
    from workbench.ui.docks.attention import AttentionPanel
    from workbench.ui.docks.conflicts import ConflictsPanel
    from workbench.ui.docks.contacts import ContactsPanel
    from workbench.ui.docks.leads import LeadsPanel
    from workbench.ui.docks.opportunities import OpportunitiesPanel
    from workbench.ui.docks.plan import PlanPanel
    from workbench.ui.docks.stakeholders import StakeholderMapPanel
    from workbench.ui.docks.timeline import TimelinePanel
    from workbench.ui.docks.whitespace import WhitespacePanel

    return [
        DockSpec("dock.accounts", "Accounts", "Alt+1", AccountsPanel),
        DockSpec("dock.contacts", "Contacts", "Alt+2", ContactsPanel),
        DockSpec("dock.account", "Current account", "Alt+3", AccountPanel),
        DockSpec("dock.timeline", "Timeline", "Alt+4", TimelinePanel),
        DockSpec("dock.conflicts", "Conflicts", "Alt+5", ConflictsPanel),
        DockSpec("dock.attention", "Needs attention", "Alt+6", AttentionPanel),
        DockSpec("dock.plan", "Account plan", "Alt+7", PlanPanel),
        DockSpec("dock.stakeholders", "Stakeholder map", "Alt+8", StakeholderMapPanel),
        DockSpec("dock.whitespace", "Whitespace", "Alt+9", WhitespacePanel),
        DockSpec("dock.opportunities", "Opportunities", "Alt+0", OpportunitiesPanel),
        DockSpec("dock.leads", "Leads", "Alt+Shift+1", LeadsPanel),
    ]

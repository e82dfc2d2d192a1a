"""Perspectives: a default dock arrangement per role (DESIGN §1), and their saved versions.

A recipe is data: which docks, where, split or tabbed, and how wide. The user's rearrangement is
saved per perspective with a layout version; a saved state that fails to restore (or is from an
older layout version) falls back to the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

LAYOUT_VERSION = 5  # bump when a recipe changes so old saved layouts are not restored

H = Qt.Orientation.Horizontal
V = Qt.Orientation.Vertical
LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


@dataclass(frozen=True)
class Step:
    op: str  # "add" | "split" | "tab"
    dock: str
    other: str = ""  # the dock to split from / tab with
    orientation: Qt.Orientation = H


@dataclass(frozen=True)
class Perspective:
    key: str
    title: str  # English source, translated in menus
    steps: tuple[Step, ...]
    widths: tuple[tuple[str, int], ...]
    raised: tuple[str, ...]


PERSPECTIVES: dict[str, Perspective] = {
    p.key: p
    for p in (
        Perspective(
            "am",
            "Account manager",
            (
                Step("add", "dock.accounts"),
                Step("split", "dock.plan", "dock.accounts", H),
                Step("split", "dock.stakeholders", "dock.plan", H),
                Step("tab", "dock.contacts", "dock.accounts"),
                Step("tab", "dock.opportunities", "dock.accounts"),
                Step("tab", "dock.account", "dock.plan"),
                Step("tab", "dock.whitespace", "dock.stakeholders"),
                Step("tab", "dock.timeline", "dock.stakeholders"),
                Step("tab", "dock.conflicts", "dock.stakeholders"),
                Step("tab", "dock.attention", "dock.stakeholders"),
            ),
            (("dock.accounts", 460), ("dock.plan", 600), ("dock.stakeholders", 540)),
            ("dock.accounts", "dock.plan", "dock.stakeholders"),
        ),
        Perspective(
            "rm",
            "Relationship manager",
            (
                Step("add", "dock.accounts"),
                Step("split", "dock.account", "dock.accounts", H),
                Step("split", "dock.timeline", "dock.account", H),
                Step("tab", "dock.contacts", "dock.accounts"),
                Step("tab", "dock.stakeholders", "dock.timeline"),
                Step("tab", "dock.plan", "dock.account"),
                Step("tab", "dock.whitespace", "dock.account"),
                Step("tab", "dock.conflicts", "dock.timeline"),
                Step("tab", "dock.attention", "dock.timeline"),
            ),
            (("dock.accounts", 500), ("dock.account", 600), ("dock.timeline", 500)),
            ("dock.accounts", "dock.account", "dock.timeline"),
        ),
        Perspective(
            "finance",
            "Finance",
            (
                Step("add", "dock.accounts"),
                Step("split", "dock.account", "dock.accounts", H),
                Step("tab", "dock.contacts", "dock.account"),
                Step("tab", "dock.attention", "dock.account"),
            ),
            (("dock.accounts", 900), ("dock.account", 700)),
            ("dock.accounts", "dock.account"),
        ),
        Perspective(
            "sales",
            "Sales",
            (
                Step("add", "dock.leads"),
                Step("split", "dock.opportunities", "dock.leads", V),
                Step("split", "dock.account", "dock.leads", H),
                Step("tab", "dock.accounts", "dock.leads"),
                Step("tab", "dock.contacts", "dock.opportunities"),
                Step("tab", "dock.timeline", "dock.account"),
                Step("tab", "dock.conflicts", "dock.account"),
                Step("tab", "dock.attention", "dock.account"),
            ),
            (("dock.leads", 760), ("dock.account", 840)),
            ("dock.leads", "dock.opportunities", "dock.account"),
        ),
    )
}


def apply_default(window: QMainWindow, docks: dict[str, QDockWidget], key: str) -> None:
    """Arrange `docks` in `window` by the recipe of perspective `key`."""
    recipe = PERSPECTIVES[key]
    for dock in docks.values():
        window.removeDockWidget(dock)
        dock.setFloating(False)
        dock.hide()
    for step in recipe.steps:
        dock = docks[step.dock]
        if step.op == "add":
            window.addDockWidget(LEFT, dock)
        elif step.op == "split":
            window.splitDockWidget(docks[step.other], dock, step.orientation)
        else:
            window.tabifyDockWidget(docks[step.other], dock)
        dock.show()
    names = [name for name, _ in recipe.widths]
    window.resizeDocks([docks[n] for n in names], [w for _, w in recipe.widths], H)
    for name in recipe.raised:
        docks[name].raise_()


def _key(perspective: str) -> str:
    return f"layout/{perspective}"


def save(window: QMainWindow, settings: QSettings, perspective: str) -> None:
    settings.setValue(_key(perspective), window.saveState(LAYOUT_VERSION))
    settings.setValue("layout/perspective", perspective)


def restore(
    window: QMainWindow, docks: dict[str, QDockWidget], settings: QSettings, perspective: str
) -> bool:
    """Restore the saved arrangement of `perspective`; the default recipe when that fails."""
    state = settings.value(_key(perspective))
    apply_default(window, docks, perspective)
    if state is None:
        return False
    ok = bool(window.restoreState(state, LAYOUT_VERSION))
    if not ok:
        apply_default(window, docks, perspective)
    return ok


def forget(settings: QSettings, perspective: str) -> None:
    settings.remove(_key(perspective))

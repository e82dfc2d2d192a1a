"""The stakeholder map dock on demo data: cards, drag to set reports-to, loops refused, gaps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.test_account_dock import close_app, open_app, settle
from workbench.demo.generator import generate
from workbench.domain.stakeholders import StakeholderEdit
from workbench.services.stakeholders import (
    set_reports_to,
    stakeholder_map,
    update_stakeholder,
)
from workbench.storage.store import Store


def _rows(path: Path, sql: str, *params: Any) -> list[Any]:
    store = Store(path)
    try:
        with store.read() as q:
            return list(q.session.connection().exec_driver_sql(sql, params).all())
    finally:
        store.close()


def _boss_of(path: Path, position_id: str) -> str | None:
    rows = _rows(path, "SELECT reports_to_id FROM positions WHERE id = ?", position_id)
    return rows[0][0]


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, str]:
    """Eight demo accounts; the one with the most people gets two links set by the service."""
    path = tmp_path / "demo.db"
    generate(path, accounts=8)
    account_id = _rows(
        path,
        "SELECT account_id FROM positions WHERE end_date IS NULL AND deleted_at IS NULL"
        " GROUP BY account_id ORDER BY COUNT(*) DESC LIMIT 1",
    )[0][0]
    store = Store(path)
    m = stakeholder_map(store, account_id)
    assert m is not None and len(m.cards) >= 5
    top = m.tree.roots[0]
    others = [c for c in m.cards if c.contact_id != top][-2:]
    for card in others:  # two more links, to the top person, through the checked path
        set_reports_to(store, card.position_id, top)
    store.close()
    return path, account_id


@pytest.fixture
def app(qtbot: Any, tmp_path: Path, demo: tuple[Path, str]) -> Iterator[tuple[Any, Any]]:
    window, ctx = open_app(qtbot, tmp_path, demo[0])
    yield window, ctx
    close_app(window, ctx)


def _open_map(qtbot: Any, window: Any, ctx: Any, account_id: str) -> Any:
    panel = window.panels["dock.stakeholders"]
    dock = panel.parentWidget()
    dock.show()
    dock.raise_()
    ctx.hub.set_current_account(account_id)
    qtbot.waitUntil(
        lambda: panel.map is not None and panel.map.account_id == account_id, timeout=10000
    )
    settle(qtbot, ctx)
    return panel


def _centre(panel: Any, contact_id: str) -> QPoint:
    card = panel.view.card(contact_id)
    assert card is not None
    panel.view.ensureVisible(card, 10, 10)
    QApplication.processEvents()
    return panel.view.mapFromScene(card.sceneBoundingRect().center())


def _drag(panel: Any, person: str, boss: str) -> None:
    """A real mouse drag on the viewport: press on one card, move, release on the other."""
    panel.view.set_zoom(0.5)  # both cards on screen
    viewport = panel.view.viewport()
    start = _centre(panel, person)
    end = _centre(panel, boss)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 6):
        step = start + (end - start) * (i / 5)
        QTest.mouseMove(viewport, step)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_the_map_draws_every_current_position(
    qtbot: Any, app: tuple[Any, Any], demo: tuple[Path, str], tmp_path: Path
) -> None:
    window, ctx = app
    path, account_id = demo
    panel = _open_map(qtbot, window, ctx, account_id)
    expected = {
        r[0]
        for r in _rows(
            path,
            "SELECT p.contact_id FROM positions p JOIN contacts c ON c.id = p.contact_id"
            " WHERE p.account_id = ? AND p.end_date IS NULL AND p.deleted_at IS NULL"
            " AND c.deleted_at IS NULL",
            account_id,
        )
    }
    assert set(panel.view.chart.cards) == expected
    # bosses sit above their reports, and the title on a card is the position's
    for card in panel.map.cards:
        if card.reports_to_id in expected:
            boss_item = panel.view.card(card.reports_to_id)
            assert boss_item.y() < panel.view.card(card.contact_id).y()
        assert panel.view.card(card.contact_id).face.title == card.title
    panel.grab().save(str(tmp_path / "stakeholder_map.png"))


def test_drag_a_card_onto_another_sets_reports_to(
    qtbot: Any, app: tuple[Any, Any], demo: tuple[Path, str]
) -> None:
    window, ctx = app
    path, account_id = demo
    panel = _open_map(qtbot, window, ctx, account_id)
    m = panel.map
    # a person and a new boss that is neither their current boss nor below them
    leaf = next(c for c in reversed(m.cards) if not m.tree.reports_of(c.contact_id))
    boss = next(c for c in m.cards if c.contact_id not in (leaf.contact_id, leaf.reports_to_id))
    _drag(panel, leaf.contact_id, boss.contact_id)
    qtbot.waitUntil(lambda: _boss_of(path, leaf.position_id) == boss.contact_id, timeout=5000)
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: panel.map.card(leaf.contact_id).reports_to_id == boss.contact_id)
    assert leaf.contact_id in panel.map.tree.reports_of(boss.contact_id)
    # undo takes it back
    ctx.undo.undo()
    qtbot.waitUntil(lambda: _boss_of(path, leaf.position_id) == leaf.reports_to_id, timeout=5000)


def test_a_loop_is_refused_and_nothing_changes(
    qtbot: Any, app: tuple[Any, Any], demo: tuple[Path, str]
) -> None:
    window, ctx = app
    path, account_id = demo
    panel = _open_map(qtbot, window, ctx, account_id)
    m = panel.map
    top = m.tree.roots[0]
    report = m.tree.reports_of(top)[0]
    top_card = m.card(top)
    before = _rows(path, "SELECT id, reports_to_id FROM positions ORDER BY id")
    _drag(panel, top, report)  # the boss onto their own report
    qtbot.waitUntil(lambda: panel.notice.isVisible(), timeout=5000)
    settle(qtbot, ctx)
    assert "would make a loop" in panel.notice.text()
    assert _rows(path, "SELECT id, reports_to_id FROM positions ORDER BY id") == before
    assert _boss_of(path, top_card.position_id) is None
    item = panel.view.card(top)
    assert (item.x(), item.y()) == panel.view.layout_info.positions[top]  # snapped back
    # dropping on empty space does nothing
    panel.view.set_zoom(0.5)
    viewport = panel.view.viewport()
    start = _centre(panel, report)
    empty = QPoint(viewport.width() - 5, viewport.height() - 5)
    assert panel.view.chart.card_at(panel.view.mapToScene(empty)) is None
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, (start + empty) / 2)
    QTest.mouseMove(viewport, empty)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, empty)
    settle(qtbot, ctx)
    assert _rows(path, "SELECT id, reports_to_id FROM positions ORDER BY id") == before


def test_gaps_are_called_out_for_an_account_without_a_decision_maker(
    qtbot: Any, app: tuple[Any, Any], demo: tuple[Path, str]
) -> None:
    window, ctx = app
    path, account_id = demo
    panel = _open_map(qtbot, window, ctx, account_id)
    store = Store(path)
    try:
        for card in panel.map.cards:  # nobody decides any more
            if card.role == "decision_maker":
                edit = StakeholderEdit(
                    card.title,
                    card.department,
                    "influencer",
                    card.influence,
                    card.stance,
                    card.strength,
                    card.colleague_id,
                    card.reports_to_id,
                    None,
                )
                ctx.hub.publish(update_stakeholder(store, card.position_id, edit).changes)
    finally:
        store.close()
    qtbot.waitUntil(lambda: "No known decision maker" in panel.gap_banner.text(), timeout=5000)
    assert panel.gap_banner.isVisible()


def test_double_click_edits_the_position(
    qtbot: Any, app: tuple[Any, Any], demo: tuple[Path, str]
) -> None:
    from workbench.ui.dialogs.stakeholder_dialog import StakeholderDialog

    window, ctx = app
    path, account_id = demo
    panel = _open_map(qtbot, window, ctx, account_id)
    card = panel.map.cards[-1]
    QTest.mouseDClick(
        panel.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        _centre(panel, card.contact_id),
    )
    qtbot.waitUntil(lambda: panel.findChild(StakeholderDialog) is not None, timeout=3000)
    dialog = panel.findChild(StakeholderDialog)
    dialog.stance_combo.setCurrentIndex(dialog.stance_combo.findData("opponent"))
    dialog.title_edit.setText("Giám đốc Mua hàng")
    dialog.save()
    qtbot.waitUntil(
        lambda: (
            _rows(path, "SELECT stance, title FROM positions WHERE id = ?", card.position_id)
            == [("opponent", "Giám đốc Mua hàng")]
        ),
        timeout=5000,
    )
    qtbot.waitUntil(lambda: panel.view.card(card.contact_id).face.stance == "opponent")


def test_layout_of_300_people_has_no_overlaps_and_bosses_above() -> None:
    import random

    from workbench.domain.stakeholders import build_org_tree
    from workbench.ui.widgets.org_chart import CARD_H, CARD_W, layout_chart

    rng = random.Random(7)
    people: list[tuple[str, str | None]] = []
    for i in range(300):
        boss = f"p{rng.randrange(0, i)}" if i and rng.random() < 0.85 else None
        people.append((f"p{i}", boss))
    tree = build_org_tree(people)
    placed = layout_chart(tree).positions
    assert len(placed) == 300
    cells = list(placed.values())
    overlaps = [
        (a, b)
        for i, a in enumerate(cells)
        for b in cells[i + 1 :]
        if abs(a[0] - b[0]) < CARD_W and abs(a[1] - b[1]) < CARD_H
    ]
    assert overlaps == []
    for cid, boss in people:
        if boss is not None:
            assert placed[boss][1] < placed[cid][1]


def test_a_boss_who_left_is_kept_when_the_title_is_edited(
    qtbot: Any, app: tuple[Any, Any], demo: tuple[Path, str], tmp_path: Path
) -> None:
    from workbench.services.stakeholders import end_position
    from workbench.ui.dialogs.stakeholder_dialog import StakeholderDialog

    window, ctx = app
    path, account_id = demo
    panel = _open_map(qtbot, window, ctx, account_id)
    top = panel.map.tree.roots[0]
    report = panel.map.card(panel.map.tree.reports_of(top)[0])
    boss_name = panel.map.card(top).name
    store = Store(path)
    try:
        ctx.hub.publish(end_position(store, panel.map.card(top).position_id))
    finally:
        store.close()
    qtbot.waitUntil(lambda: panel.map.card(top) is None, timeout=5000)
    panel.edit_contact(report.contact_id)
    dialog = panel.findChild(StakeholderDialog)
    assert dialog is not None
    assert dialog.boss_combo.currentData() == top
    assert dialog.boss_combo.currentText() == f"{boss_name} (no longer here)"
    dialog.title_edit.setText("Trưởng nhóm mua hàng")
    dialog.grab().save(str(tmp_path / "edit_dialog.png"))
    dialog.save()
    qtbot.waitUntil(
        lambda: (
            _rows(path, "SELECT title FROM positions WHERE id = ?", report.position_id)
            == [("Trưởng nhóm mua hàng",)]
        ),
        timeout=5000,
    )
    assert _boss_of(path, report.position_id) == top


def test_moved_to_another_account_from_the_card_menu_with_undo(
    qtbot: Any, app: tuple[Any, Any], demo: tuple[Path, str], tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMenu

    from workbench.ui.dialogs.stakeholder_dialog import MoveDialog

    window, ctx = app
    path, account_id = demo
    panel = _open_map(qtbot, window, ctx, account_id)
    card = panel.map.cards[-1]
    other_id, other_name = _rows(
        path,
        "SELECT id, name FROM accounts WHERE id != ? AND deleted_at IS NULL ORDER BY name LIMIT 1",
        account_id,
    )[0]
    panel._context_menu(card.contact_id, QPoint(10, 10))
    menu = next(m for m in panel.findChildren(QMenu) if m.isVisible())
    action = next(a for a in menu.actions() if a.text() == "Moved to another account…")
    menu.close()
    action.trigger()
    dialog = panel.findChild(MoveDialog)
    assert dialog is not None
    assert dialog.end_check.isChecked()  # ends the position here, by default
    qtbot.waitUntil(lambda: dialog._ready, timeout=5000)
    dialog.save()  # no account picked: said under the field, nothing written
    assert dialog.form.error_of("account_id")
    dialog.account.set_account_id(other_id)
    assert not dialog.form.error_of("account_id")  # picking one clears the complaint
    dialog.title_edit.setText("Giám đốc Tài chính")
    dialog.grab().save(str(tmp_path / "move_dialog.png"))
    dialog.save()

    def there() -> list[Any]:
        return _rows(
            path,
            "SELECT title, start_date FROM positions WHERE contact_id = ? AND account_id = ?"
            " AND deleted_at IS NULL",
            card.contact_id,
            other_id,
        )

    today = date.today().isoformat()
    qtbot.waitUntil(lambda: there() == [("Giám đốc Tài chính", today)], timeout=5000)
    end = _rows(path, "SELECT end_date FROM positions WHERE id = ?", card.position_id)
    assert end == [(today,)]
    qtbot.waitUntil(lambda: panel.map.card(card.contact_id) is None, timeout=5000)
    assert [c.now_at for c in panel.map.left if c.contact_id == card.contact_id] == [other_name]
    ctx.undo.undo()
    qtbot.waitUntil(lambda: there() == [], timeout=5000)
    assert _rows(path, "SELECT end_date FROM positions WHERE id = ?", card.position_id) == [(None,)]
    qtbot.waitUntil(lambda: panel.map.card(card.contact_id) is not None, timeout=5000)


def test_clicking_a_gap_about_a_person_selects_their_card(
    qtbot: Any, app: tuple[Any, Any], demo: tuple[Path, str]
) -> None:
    import re

    window, ctx = app
    _path, account_id = demo
    panel = _open_map(qtbot, window, ctx, account_id)
    gap = next(g for g in panel.map.gaps if g.contact_id)
    links = re.findall(r"href='(card:[^']+)'", panel.gap_banner.text())
    assert f"card:{gap.contact_id}" in links
    assert len(links) == len([g for g in panel.map.gaps[:5] if g.contact_id])
    panel.view.set_zoom(1.0)
    panel.view.centerOn(panel.view.chart.sceneRect().bottomRight())
    panel.gap_banner.linkActivated.emit(f"card:{gap.contact_id}")
    assert panel.view.selected_contact() == gap.contact_id
    item = panel.view.card(gap.contact_id)
    centre = panel.view.mapFromScene(item.sceneBoundingRect().center())
    assert panel.view.viewport().rect().contains(centre)

"""Two instances of the app on one machine, syncing through a real local server process.

The issue's "done when" flow, automated: an edit made offline on one appears on the other
after sync; a same-field conflict lands in the Conflicts dock of the user whose edit lost; an
account reassignment moves its rows between the devices. Each window syncs with its own
background runner (Sync now), exactly as a user would; edits go through the same services the
dialogs use, and every check reads the real docks.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import Qt

from tests.sync.conftest import Server, start_server
from tests.test_credentials import MemoryKeyring
from tests.ui.conftest import settle
from workbench.app import main
from workbench.domain.drafts import AccountDraft
from workbench.services.accounts import create_account, draft_from_account, update_account

PASSWORD = "mật khẩu chung 2026"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    users = [("lan", "am", PASSWORD), ("minh", "am", PASSWORD)]
    (tmp_path / "srv").mkdir()
    with start_server(tmp_path / "srv", str(tmp_path / "srv" / "server.db"), users) as running:
        yield running


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


def login(db: Path, url: str, user: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        assert main(["login", url, user, "--password-stdin", "--db", str(db)]) == 0


def sync_now(qtbot: Any, window: Any) -> Any:
    with qtbot.waitSignal(window.sync_runner.finished, timeout=30_000) as signal:
        assert window.sync_runner.sync_now()
    settle(qtbot, window.ctx)
    report = signal.args[0]
    assert report is not None and report.error is None, report
    return report


def account_names(qtbot: Any, window: Any) -> set[str]:
    panel = window.panels["dock.accounts"]
    window.docks["dock.accounts"].show()
    window.docks["dock.accounts"].raise_()
    qtbot.waitUntil(lambda: panel.owner_combo.count() > 0, timeout=5_000)
    if panel.owner_combo.currentIndex() != 0:
        with qtbot.waitSignal(panel.model.loaded, timeout=5_000):
            panel.owner_combo.setCurrentIndex(0)  # all owners
    settle(qtbot, window.ctx)
    model = panel.model
    return {str(model.index(i, 0).data()) for i in range(model.rowCount())}


def on_worker(qtbot: Any, window: Any, fn: Any) -> Any:
    """Run ``fn(store)`` on the window's database worker (as dialogs do) and wait for it."""
    box: list[Any] = []
    window.ctx.tasks.run("test", lambda store, _ctx: fn(store), box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def save(qtbot: Any, window: Any, fn: Any) -> Any:
    """A dialog's save: the service call on the worker, then its changes on the hub."""
    result = on_worker(qtbot, window, fn)
    window.ctx.hub.publish(getattr(result, "changes", result))
    return result


def edit_account(qtbot: Any, window: Any, account_id: str, **values: Any) -> None:
    from dataclasses import replace

    def work(store: Any) -> Any:
        draft = replace(draft_from_account(store, account_id), **values)
        return update_account(store, account_id, draft)

    save(qtbot, window, work)


def field_of(qtbot: Any, window: Any, account_id: str, name: str) -> Any:
    return on_worker(qtbot, window, lambda s: getattr(draft_from_account(s, account_id), name))


def test_two_apps_sync_edits_conflicts_and_reassignment(
    qtbot: Any, open_window: Any, server: Server, tmp_path: Path
) -> None:
    lan_db, minh_db = tmp_path / "lan.db", tmp_path / "minh.db"
    login(lan_db, server.url, "lan")
    login(minh_db, server.url, "minh")
    lan, _ = open_window(lan_db)
    minh, _ = open_window(minh_db)
    lan_id, minh_id = lan.ctx.current_user_id, minh.ctx.current_user_id
    assert lan_id and minh_id and lan_id != minh_id

    # Lan creates two accounts offline and puts Minh on the team of the first.
    shared = save(
        qtbot,
        lan,
        lambda s: create_account(
            s, AccountDraft(name="Ngân hàng Á Châu", owner_id=lan_id, city="Hà Nội")
        ),
    )
    own = save(
        qtbot,
        lan,
        lambda s: create_account(
            s, AccountDraft(name="Công ty Đặng Gia", owner_id=lan_id, city="Huế")
        ),
    )

    sync_now(qtbot, lan)  # the team directory arrives: Minh can be picked

    def add_minh(store: Any) -> Any:
        with store.unit() as uow:
            uow.insert(
                "account_team", {"account_id": shared.id, "user_id": minh_id, "role": "member"}
            )
            return uow.commit()

    save(qtbot, lan, add_minh)
    sync_now(qtbot, lan)
    sync_now(qtbot, minh)
    assert "Ngân hàng Á Châu" in account_names(qtbot, minh)
    assert "Công ty Đặng Gia" not in account_names(qtbot, minh)  # not Minh's to see

    # An edit made offline on one appears on the other after sync.
    edit_account(qtbot, minh, shared.id, city="Đà Nẵng")
    sync_now(qtbot, minh)
    sync_now(qtbot, lan)
    assert field_of(qtbot, lan, shared.id, "city") == "Đà Nẵng"

    # Both change the phone offline; Minh's later edit wins and Lan's lands in her Conflicts.
    edit_account(qtbot, lan, shared.id, phone="024 3826 1111")
    edit_account(qtbot, minh, shared.id, phone="024 3826 9999")
    sync_now(qtbot, lan)
    sync_now(qtbot, minh)
    sync_now(qtbot, lan)
    assert str(field_of(qtbot, lan, shared.id, "phone")).replace(" ", "").endswith("9999")
    lan.show_dock("dock.conflicts")
    panel = lan.panels["dock.conflicts"]
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    item = panel.model.index(0, 0).data(Qt.ItemDataRole.DisplayRole)
    assert "Ngân hàng Á Châu" in str(item)
    cells = " ".join(
        str(panel.model.index(0, c).data(Qt.ItemDataRole.DisplayRole))
        for c in range(panel.model.columnCount())
    )
    assert "1111" in cells and "9999" in cells  # both values, side by side

    # The administrator reassigns Lan's own account to Minh: it moves between the devices.
    code, err = server.cli("assign", own.id, "minh")
    assert code == 0, err
    sync_now(qtbot, lan)
    sync_now(qtbot, minh)
    assert "Công ty Đặng Gia" not in account_names(qtbot, lan)
    assert "Công ty Đặng Gia" in account_names(qtbot, minh)
    lan_report = sync_now(qtbot, lan)
    assert lan_report.caught_up and sync_now(qtbot, minh).caught_up

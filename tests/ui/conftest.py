"""UI fixtures: a real database file, the real main window, the real worker thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from workbench.domain.drafts import AccountDraft, ContactDraft, PositionDraft
from workbench.services.accounts import create_account
from workbench.services.contacts import create_contact
from workbench.storage.store import Store


@dataclass
class Seed:
    path: Path
    am: str
    rm: str
    accounts: dict[str, str]
    contacts: dict[str, str]


def seed_database(path: Path) -> Seed:
    """A small portfolio with Vietnamese names, two owners and three tiers."""
    store = Store(path)
    with store.unit() as u:
        am = u.insert("users", {"name": "Trần Minh Anh", "email": "anh@workbench.vn", "role": "am"})
        rm = u.insert("users", {"name": "Lê Hoàng Nam", "email": "nam@workbench.vn", "role": "rm"})
        u.insert("users", {"name": "Phạm Thu Hà", "email": "ha@workbench.vn", "role": "finance"})
        u.commit()
    store.set_setting("current_user_id", am)
    accounts = {
        "dang": create_account(
            store,
            AccountDraft(
                name="Công ty Cổ phần Đặng Gia",
                tier="key",
                owner_id=am,
                city="Đà Nẵng",
                tax_code="0100109106",
            ),
        ).id,
        "acb": create_account(
            store,
            AccountDraft(
                name="Ngân hàng TMCP Á Châu",
                tier="strategic",
                owner_id=rm,
                city="TP. Hồ Chí Minh",
                kind="bank_client",
            ),
        ).id,
        "mekong": create_account(
            store,
            AccountDraft(
                name="Mekong Logistics Pte Ltd",
                tier="core",
                owner_id=am,
                country="SG",
                currency="USD",
            ),
        ).id,
    }
    contacts = {
        "lan": create_contact(
            store,
            ContactDraft(
                family_name="Đặng",
                middle_name="Thị",
                given_name="Lan",
                email="lan@danggia.vn",
                mobile="0912345678",
                position=PositionDraft(
                    account_id=accounts["dang"],
                    title="Kế toán trưởng",
                    stakeholder_role="decision_maker",
                    colleague_id=am,
                ),
            ),
        ).id,
        "an": create_contact(
            store,
            ContactDraft(
                family_name="Nguyễn",
                middle_name="Văn",
                given_name="An",
                email="an.nguyen@acb.vn",
                position=PositionDraft(
                    account_id=accounts["acb"],
                    title="Giám đốc Khối CNTT",
                    stakeholder_role="champion",
                ),
            ),
        ).id,
    }
    store.close()
    return Seed(path, am, rm, accounts, contacts)


@pytest.fixture
def seeded(tmp_path: Path) -> Seed:
    return seed_database(tmp_path / "seeded.db")


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def open_window(qtbot: Any, settings: QSettings) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """Opens the real main window on a database file and waits until every dock has loaded."""
    from workbench.ui.launch import build, open_database

    made: list[tuple[Any, Any]] = []

    def opener(path: Path, perspective: str | None = "am") -> tuple[Any, Any]:
        window, ctx = build(settings, perspective)
        qtbot.addWidget(window)
        window.resize(1600, 1000)
        window.show()
        open_database(window, ctx, path)
        qtbot.waitUntil(lambda: ctx.store_ready and ctx.tasks.idle, timeout=15000)
        made.append((window, ctx))
        return window, ctx

    yield opener
    for window, ctx in made:
        window.close()
        ctx.tasks.shutdown()


def settle(qtbot: Any, ctx: Any) -> None:
    """Wait until the worker has answered everything asked so far."""
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=15000)


# -- sync inbox rows, written as the sync engine leaves them (tests of the sync docks) ---------
SYNC_MS = 1_773_299_100_000  # 2026-03-12 07:05 UTC


def sql(path: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run one statement on the database file (WAL lets it run beside an open window)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        with conn:
            return [tuple(r) for r in conn.execute(statement, params).fetchall()]
    finally:
        conn.close()


def add_conflict(
    path: Path,
    table: str,
    row_id: str,
    field: str,
    winner: Any,
    loser: Any,
    *,
    kind: str = "concurrent_update",
    winner_user: str | None = None,
    loser_user: str | None = None,
    minutes_ago: int = 0,
) -> str:
    import json

    from workbench.domain.hlc import pack
    from workbench.domain.ids import new_id

    cid = new_id()
    ms = SYNC_MS - minutes_ago * 60_000
    sql(
        path,
        "INSERT INTO sync_conflict (id, tbl, row_id, field, kind, winner_value, loser_value,"
        " winner_hlc, loser_hlc, winner_user, loser_user, status, created_seq)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 1)",
        cid,
        table,
        row_id,
        field,
        kind,
        json.dumps(winner, ensure_ascii=False),
        json.dumps(loser, ensure_ascii=False),
        pack(ms + 60_000, 0),
        pack(ms, 0),
        winner_user,
        loser_user,
    )
    return cid


def add_attention(
    path: Path, ops: list[dict[str, Any]], reason: str = "no_access", detail: str = ""
) -> int:
    import json

    from workbench.domain.hlc import pack
    from workbench.domain.ids import new_id

    sql(
        path,
        "INSERT INTO sync_attention (change_id, device_seq, hlc, ops, reason, detail, status,"
        " created_at) VALUES (?, 1, ?, ?, ?, ?, 'open', ?)",
        new_id(),
        pack(SYNC_MS, 0),
        json.dumps(ops, ensure_ascii=False),
        reason,
        detail,
        SYNC_MS + 120_000,
    )
    return int(sql(path, "SELECT MAX(id) FROM sync_attention")[0][0])

"""Whitespace read model and writes, on a real SQLite file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from workbench.domain.errors import ValidationError
from workbench.domain.whitespace import HELD, LOST, NOT_RELEVANT, OPEN, PIPELINE
from workbench.services.opportunities import get_opportunity, read_rows
from workbench.services.whitespace import clear_mark, create_cross_sell, set_mark, whitespace
from workbench.storage.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "ws.db")
    with s.unit() as u:
        user = u.insert("users", {"name": "Trần Minh Anh", "role": "am"})
        group = u.insert("accounts", {"name": "Tập đoàn Sen Vàng", "currency": "VND"})
        u.insert("accounts", {"name": "Sen Vàng Hà Nội", "parent_id": group})
        u.insert("accounts", {"name": "Sen Vàng Sài Gòn", "parent_id": group})
        gone = u.insert("accounts", {"name": "Sen Vàng Cũ", "parent_id": group})
        u.archive("accounts", gone)
        u.insert("accounts", {"name": "Đặng Gia"})
        for code, line in (("VPS", "Cloud"), ("QR", "Payments"), ("FW", "Security")):
            u.insert("products", {"code": code, "name": code, "product_line": line})
        u.commit()
    s.set_setting("user", user)
    return s


def ids(store: Store) -> dict[str, str]:
    return {r[1]: r[0] for r in read_rows(store, "SELECT id, name FROM accounts")}


def product(store: Store, code: str) -> str:
    return str(read_rows(store, "SELECT id FROM products WHERE code = ?", (code,))[0][0])


def test_units_are_the_live_children_and_cells_follow_the_data(store: Store) -> None:
    a = ids(store)
    with store.unit() as u:
        u.insert(
            "holdings",
            {
                "account_id": a["Sen Vàng Hà Nội"],
                "product_id": product(store, "VPS"),
                "annual_value_minor": 120_000_000,
                "end_date": date(2026, 12, 31),
            },
        )
        u.insert(
            "opportunities",
            {
                "account_id": a["Sen Vàng Sài Gòn"],
                "name": "QR",
                "stage": "propose",
                "amount_minor": 50_000_000,
                "product_line": "Payments",
            },
        )
        u.commit()
    view = whitespace(store, a["Tập đoàn Sen Vàng"], today=date(2026, 3, 12))
    assert view is not None
    assert [u.name for u in view.grid.units] == ["Sen Vàng Hà Nội", "Sen Vàng Sài Gòn"]
    assert view.grid.lines == ("Cloud", "Payments", "Security")
    cell = view.grid.cell(a["Sen Vàng Hà Nội"], "Cloud")
    assert cell.state == HELD and cell.renewal == date(2026, 12, 31)
    assert view.grid.cell(a["Sen Vàng Sài Gòn"], "Payments").state == PIPELINE
    assert view.grid.total.held == (("VND", 120_000_000),)
    assert view.grid.total.pipeline == (("VND", 50_000_000),)
    # An account without children is its own single row.
    single = whitespace(store, a["Đặng Gia"])
    assert single is not None and [u.name for u in single.grid.units] == ["Đặng Gia"]
    assert single.grid.count(OPEN) == 3
    assert whitespace(store, "no-such-account") is None


def test_a_holding_that_ended_is_whitespace_again(store: Store) -> None:
    a = ids(store)
    with store.unit() as u:
        u.insert(
            "holdings",
            {
                "account_id": a["Đặng Gia"],
                "product_id": product(store, "FW"),
                "annual_value_minor": 90_000_000,
                "end_date": date(2026, 7, 7),
            },
        )
        u.commit()
    running = whitespace(store, a["Đặng Gia"], today=date(2026, 7, 7))
    lapsed = whitespace(store, a["Đặng Gia"], today=date(2026, 7, 8))
    assert running is not None and lapsed is not None
    assert running.grid.cell(a["Đặng Gia"], "Security").state == HELD
    assert lapsed.grid.cell(a["Đặng Gia"], "Security").state == OPEN
    assert lapsed.grid.total.held == ()


def test_the_group_gets_a_row_when_it_holds_something_itself(store: Store) -> None:
    a = ids(store)
    with store.unit() as u:
        u.insert(
            "holdings", {"account_id": a["Tập đoàn Sen Vàng"], "product_id": product(store, "FW")}
        )
        u.commit()
    view = whitespace(store, a["Tập đoàn Sen Vàng"])
    assert view is not None
    assert view.grid.units[0].id == a["Tập đoàn Sen Vàng"] and len(view.grid.units) == 3


def test_marks_are_set_rewritten_and_cleared(store: Store) -> None:
    unit = ids(store)["Đặng Gia"]
    first = set_mark(store, unit, "Security", "lost", "  FPT   IS ", "lost the 2025 tender")
    again = set_mark(store, unit, "Security", "not_relevant", "FPT", "no servers on site")
    assert again.id == first.id  # one mark per cell
    view = whitespace(store, unit)
    assert view is not None
    cell = view.grid.cell(unit, "Security")
    assert (
        cell.state == NOT_RELEVANT and cell.competitor == "" and cell.note == "no servers on site"
    )
    set_mark(store, unit, "Security", "lost", "FPT IS")
    view = whitespace(store, unit)
    assert view is not None and view.grid.cell(unit, "Security").competitor == "FPT IS"
    assert view.grid.cell(unit, "Security").state == LOST
    clear_mark(store, unit, "Security")
    view = whitespace(store, unit)
    assert view is not None and view.grid.cell(unit, "Security").state == OPEN
    with pytest.raises(ValidationError):
        set_mark(store, unit, "Security", "maybe")


def test_cross_sell_from_a_cell(store: Store) -> None:
    unit = ids(store)["Sen Vàng Hà Nội"]
    user = store.setting("user")
    saved = create_cross_sell(store, unit, "Payments", user, today=date(2026, 3, 1))
    item = get_opportunity(store, saved.id)
    assert item is not None
    assert (item.kind, item.stage, item.probability) == ("cross_sell", "qualify", 10)
    assert item.name == "Payments – Sen Vàng Hà Nội" and item.product_line == "Payments"
    assert item.account_id == unit and item.owner_id == user
    assert item.close_date == date(2026, 3, 1) + timedelta(days=90)
    assert unit in saved.changes.accounts
    view = whitespace(store, ids(store)["Tập đoàn Sen Vàng"])
    assert view is not None and view.grid.cell(unit, "Payments").state == PIPELINE


def test_a_second_cross_sell_for_one_cell_is_refused(store: Store) -> None:
    a = ids(store)
    unit = a["Sen Vàng Hà Nội"]
    user = store.setting("user")
    first = create_cross_sell(store, unit, "Payments", user)
    with pytest.raises(ValidationError) as refused:
        create_cross_sell(store, unit, " Payments ", user)
    (error,) = refused.value.errors
    assert error.code == "whitespace.cross_sell_exists"
    assert "Payments – Sen Vàng Hà Nội" in error.render() and "Sen Vàng Hà Nội" in error.render()
    made = read_rows(
        store,
        "SELECT COUNT(*) FROM opportunities WHERE kind = 'cross_sell' AND account_id = ?",
        (unit,),
    )
    assert made == [(1,)]
    # Other cells, and the same cell once the first deal is closed, are fine.
    create_cross_sell(store, a["Sen Vàng Sài Gòn"], "Payments", user)
    create_cross_sell(store, unit, "Security", user)
    with store.unit() as u:
        u.update("opportunities", first.id, {"stage": "lost", "probability": 0})
        u.commit()
    again = create_cross_sell(store, unit, "Payments", user)
    assert again.id != first.id


def test_the_view_carries_the_day_and_the_renewal_window(store: Store) -> None:
    from workbench.services.opportunities import set_renewal_window

    set_renewal_window(store, 45)
    view = whitespace(store, ids(store)["Đặng Gia"], today=date(2026, 3, 12))
    assert view is not None
    assert (view.today, view.renewal_window) == (date(2026, 3, 12), 45)


def test_a_retired_line_held_and_in_a_deal_is_one_column(store: Store) -> None:
    a = ids(store)
    with store.unit() as u:
        old = u.insert("products", {"code": "OLD", "name": "Old", "product_line": "Legacy"})
        u.insert("holdings", {"account_id": a["Đặng Gia"], "product_id": old})
        u.archive("products", old)
        u.insert(
            "opportunities",
            {
                "account_id": a["Đặng Gia"],
                "name": "x",
                "stage": "develop",
                "product_line": "Legacy",
            },
        )
        u.insert("holdings", {"account_id": a["Đặng Gia"], "product_id": product(store, "VPS")})
        u.commit()
    view = whitespace(store, a["Đặng Gia"])
    assert view is not None
    assert view.grid.lines == ("Cloud", "Payments", "Security", "Legacy")

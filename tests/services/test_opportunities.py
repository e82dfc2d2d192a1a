"""Opportunities: list with filters, write, move stage, renewals, on a real SQLite file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from workbench.domain.errors import ValidationError
from workbench.domain.pipeline import OpportunityDraft
from workbench.services.opportunities import (
    OpportunityFilter,
    archive_opportunity,
    create_opportunity,
    create_renewals,
    get_opportunity,
    list_opportunities,
    move_stage,
    renewal_window,
    set_renewal_window,
    suggested_renewals,
    update_opportunity,
)
from workbench.services.undo import undo
from workbench.storage.store import Store

TODAY = date(2026, 3, 12)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "opps.db")
    with s.unit() as u:
        anh = u.insert("users", {"name": "Anh", "role": "am"})
        nam = u.insert("users", {"name": "Nam", "role": "rm"})
        dang = u.insert("accounts", {"name": "Công ty Đặng Gia", "owner_id": anh})
        acb = u.insert("accounts", {"name": "Ngân hàng Á Châu", "owner_id": nam})
        vps = u.insert("products", {"code": "VPS", "name": "Cloud VPS", "product_line": "Cloud"})
        for account, days, value in ((dang, 30, 100), (dang, 200, 300), (acb, 60, 500)):
            u.insert(
                "holdings",
                {
                    "account_id": account,
                    "product_id": vps,
                    "end_date": TODAY + timedelta(days=days),
                    "annual_value_minor": value,
                },
            )
        u.commit()
    s.set_setting("anh", anh)
    s.set_setting("nam", nam)
    s.set_setting("dang", dang)
    return s


def draft(store: Store, **kw: object) -> OpportunityDraft:
    values: dict[str, object] = {
        "account_id": store.setting("dang"),
        "name": "Cloud backup",
        "amount_minor": 1_000,
        "probability": 25,
    }
    values.update(kw)
    return OpportunityDraft(**values)  # type: ignore[arg-type]


def test_create_update_list_filter_archive(store: Store) -> None:
    anh, nam = store.setting("anh"), store.setting("nam")
    a = create_opportunity(store, draft(store, owner_id=anh, kind="upsell"))
    b = create_opportunity(store, draft(store, name="Lost one", owner_id=nam, stage="lost"))
    item = get_opportunity(store, a.id)
    assert (
        item is not None and item.weighted_minor == 250 and item.account_name == "Công ty Đặng Gia"
    )
    assert {o.id for o in list_opportunities(store)} == {a.id, b.id}
    assert [o.id for o in list_opportunities(store, OpportunityFilter(open_only=True))] == [a.id]
    assert [o.id for o in list_opportunities(store, OpportunityFilter(owner_id=nam))] == [b.id]
    assert [o.id for o in list_opportunities(store, OpportunityFilter(kind="upsell"))] == [a.id]
    assert len(list_opportunities(store, OpportunityFilter(account_text="dang gia"))) == 2
    assert list_opportunities(store, OpportunityFilter(account_text="chau")) == []
    update_opportunity(store, a.id, draft(store, name="Cloud backup 2", amount_minor=2_000))
    assert get_opportunity(store, a.id).name == "Cloud backup 2"  # type: ignore[union-attr]
    changes = archive_opportunity(store, a.id)
    assert get_opportunity(store, a.id) is None
    undo(store, changes)
    assert get_opportunity(store, a.id) is not None
    with pytest.raises(ValidationError):
        create_opportunity(store, draft(store, name="", amount_minor=-1))


def test_moving_to_won_or_lost_sets_the_probability(store: Store) -> None:
    saved = create_opportunity(store, draft(store, probability=35, stage="develop"))
    move_stage(store, saved.id, "propose")
    assert get_opportunity(store, saved.id).probability == 35  # type: ignore[union-attr]
    move_stage(store, saved.id, "won")
    item = get_opportunity(store, saved.id)
    assert item is not None and (item.stage, item.probability) == ("won", 100)
    move_stage(store, saved.id, "lost")
    assert get_opportunity(store, saved.id).probability == 0  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        move_stage(store, saved.id, "dreaming")


def test_renewals_are_suggested_and_created_once(store: Store) -> None:
    anh = store.setting("anh")
    assert renewal_window(store) == 120
    everyone = suggested_renewals(store, today=TODAY)
    assert [s.amount_minor for s in everyone] == [100, 500]  # 200 days is outside the window
    mine = suggested_renewals(store, anh, today=TODAY)
    assert [s.amount_minor for s in mine] == [100]
    created = create_renewals(store, anh, today=TODAY)
    assert len(created.ids) == 1
    again = create_renewals(store, anh, today=TODAY)
    assert again.ids == () and again.changes.empty
    renewal = get_opportunity(store, created.ids[0])
    assert renewal is not None and renewal.kind == "renewal" and renewal.holding_id
    assert renewal.close_date == TODAY + timedelta(days=30) and renewal.owner_id == anh
    assert suggested_renewals(store, anh, today=TODAY) == []
    # A lost renewal lets the holding be suggested again; a wider window finds more.
    move_stage(store, renewal.id, "lost")
    assert len(suggested_renewals(store, anh, today=TODAY)) == 1
    set_renewal_window(store, 365)
    assert renewal_window(store) == 365
    assert len(suggested_renewals(store, today=TODAY)) == 3
    with pytest.raises(ValidationError):
        set_renewal_window(store, 0)

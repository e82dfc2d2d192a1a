"""The stakeholder map service on a real SQLite file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from workbench.domain.drafts import AccountDraft, ActivityDraft, ContactDraft, PositionDraft
from workbench.domain.errors import ValidationError
from workbench.domain.stakeholders import StakeholderEdit
from workbench.services.accounts import create_account
from workbench.services.contacts import create_contact
from workbench.services.stakeholders import (
    NewPosition,
    end_position,
    move_to_account,
    set_reports_to,
    stakeholder_map,
    update_stakeholder,
)
from workbench.services.timeline import log_activity
from workbench.storage.store import Store

TODAY = date.today()


@pytest.fixture
def world(tmp_path: Path) -> tuple[Store, dict[str, str]]:
    store = Store(tmp_path / "map.db")
    with store.unit() as u:
        am = u.insert("users", {"name": "Trần Minh Anh", "email": "a@x.vn", "role": "am"})
        u.commit()
    acc = create_account(store, AccountDraft(name="Đặng Gia", tier="key", owner_id=am)).id
    other = create_account(store, AccountDraft(name="Sen Vàng", tier="core", owner_id=am)).id
    ids = {"am": am, "acc": acc, "other": other}

    def person(key: str, family: str, middle: str, given: str, role: str, infl: int) -> None:
        ids[key] = create_contact(
            store,
            ContactDraft(
                family_name=family,
                middle_name=middle,
                given_name=given,
                position=PositionDraft(
                    account_id=acc,
                    title=f"Title {key}",
                    stakeholder_role=role,
                    influence=infl,
                    colleague_id=am,
                    start_date=date(2020, 1, 1),
                ),
            ),
        ).id

    person("ceo", "Đặng", "Văn", "Hùng", "exec_sponsor", 5)
    person("cfo", "Lê", "Thị", "Lan", "finance_contact", 4)
    person("acct", "Phạm", "", "Bình", "user", 2)
    with store.read() as q:
        for row in q.stakeholders(acc):
            ids[f"pos.{row.contact_id}"] = row.position_id
    return store, ids


def _pos(ids: dict[str, str], key: str) -> str:
    return ids[f"pos.{ids[key]}"]


def _boss(store: Store, position_id: str) -> str | None:
    with store.read() as q:
        conn = q.session.connection()
        row = conn.exec_driver_sql(
            "SELECT reports_to_id FROM positions WHERE id = ?", (position_id,)
        ).first()
    assert row is not None
    return row[0]


def test_map_reads_cards_tree_and_gaps(world: tuple[Store, dict[str, str]]) -> None:
    store, ids = world
    set_reports_to(store, _pos(ids, "cfo"), ids["ceo"])
    set_reports_to(store, _pos(ids, "acct"), ids["cfo"])
    log_activity(
        store,
        ActivityDraft(
            account_id=ids["acc"],
            kind="meeting",
            subject="Quarterly review",
            occurred_at=datetime.now() - timedelta(days=3),
            contact_ids=(ids["cfo"],),
            owner_id=ids["am"],
        ),
    )
    m = stakeholder_map(store, ids["acc"])
    assert m is not None and m.cadence_days == 45
    names = {c.name for c in m.cards}
    assert names == {"Đặng Văn Hùng", "Lê Thị Lan", "Phạm Bình"}
    assert m.tree.roots == (ids["ceo"],)
    assert [n for n, _ in m.tree.walk()] == [ids["ceo"], ids["cfo"], ids["acct"]]
    cfo = m.card(ids["cfo"])
    assert cfo is not None and cfo.colleague_name == "Trần Minh Anh"
    assert cfo.last_met == TODAY - timedelta(days=3)
    codes = [g.code for g in m.gaps]
    assert codes == ["gap.no_decision_maker", "gap.no_champion", "gap.never_met"]
    assert m.gaps[2].contact_id == ids["ceo"]  # the CFO was met three days ago


def test_reports_to_refuses_loops_and_self(world: tuple[Store, dict[str, str]]) -> None:
    store, ids = world
    set_reports_to(store, _pos(ids, "cfo"), ids["ceo"])
    set_reports_to(store, _pos(ids, "acct"), ids["cfo"])
    with pytest.raises(ValidationError) as caught:
        set_reports_to(store, _pos(ids, "ceo"), ids["acct"])
    assert caught.value.errors[0].code == "stakeholder.reports_to_cycle"
    assert "Phạm Bình already reports to Đặng Văn Hùng" in caught.value.errors[0].render()
    assert _boss(store, _pos(ids, "ceo")) is None
    with pytest.raises(ValidationError) as itself:
        set_reports_to(store, _pos(ids, "ceo"), ids["ceo"])
    assert itself.value.errors[0].code == "stakeholder.reports_to_self"
    changes = set_reports_to(store, _pos(ids, "acct"), None)
    assert _boss(store, _pos(ids, "acct")) is None and changes.touches("positions")


def test_the_boss_must_work_here(world: tuple[Store, dict[str, str]]) -> None:
    store, ids = world
    outsider = create_contact(
        store,
        ContactDraft(given_name="Outsider", position=PositionDraft(account_id=ids["other"])),
    ).id
    with pytest.raises(ValidationError) as caught:
        set_reports_to(store, _pos(ids, "cfo"), outsider)
    assert caught.value.errors[0].code == "stakeholder.boss_elsewhere"


def test_edit_fields_and_end_date(world: tuple[Store, dict[str, str]]) -> None:
    store, ids = world
    edit = StakeholderEdit(
        "Giám đốc điều hành", "Ban TGĐ", "decision_maker", 5, "supporter", 4, ids["am"], None, None
    )
    update_stakeholder(store, _pos(ids, "ceo"), edit)
    m = stakeholder_map(store, ids["acc"])
    assert m is not None
    ceo = m.card(ids["ceo"])
    assert ceo is not None
    assert (ceo.role, ceo.stance, ceo.strength) == ("decision_maker", "supporter", 4)
    assert "gap.no_decision_maker" not in [g.code for g in m.gaps]
    # a loop through the dialog is refused as through a drag
    set_reports_to(store, _pos(ids, "cfo"), ids["ceo"])
    with pytest.raises(ValidationError) as caught:
        update_stakeholder(store, _pos(ids, "ceo"), replace(edit, reports_to_id=ids["cfo"]))
    assert caught.value.errors[0].field == "reports_to_id"


def test_ending_a_position_keeps_history_and_lists_the_leaver(
    world: tuple[Store, dict[str, str]],
) -> None:
    store, ids = world
    set_reports_to(store, _pos(ids, "acct"), ids["cfo"])
    end_position(store, _pos(ids, "cfo"), TODAY - timedelta(days=10))
    m = stakeholder_map(store, ids["acc"])
    assert m is not None
    assert ids["cfo"] not in {c.contact_id for c in m.cards}
    assert [c.contact_id for c in m.left] == [ids["cfo"]]
    assert m.left[0].end_date == TODAY - timedelta(days=10)
    assert ids["acct"] in m.tree.roots  # the boss left: the report moves to the top
    with pytest.raises(ValidationError):
        end_position(store, _pos(ids, "ceo"), date(2019, 1, 1))  # before it started


def test_moving_to_another_account(world: tuple[Store, dict[str, str]]) -> None:
    store, ids = world
    saved = move_to_account(
        store,
        ids["cfo"],
        NewPosition(ids["other"], title="CFO", stakeholder_role="decision_maker"),
        end_position_id=_pos(ids, "cfo"),
    )
    here = stakeholder_map(store, ids["acc"])
    there = stakeholder_map(store, ids["other"])
    assert here is not None and there is not None
    assert [c.contact_id for c in here.left] == [ids["cfo"]]
    assert here.left[0].now_at == "Sen Vàng"
    card = there.card(ids["cfo"])
    assert card is not None and card.position_id == saved.id and card.title == "CFO"
    with pytest.raises(ValidationError) as caught:
        move_to_account(store, ids["cfo"], NewPosition(ids["other"]))
    assert caught.value.errors[0].code == "stakeholder.already_there"


def test_unknown_account_reads_none(world: tuple[Store, dict[str, str]]) -> None:
    store, _ids = world
    assert stakeholder_map(store, "nope") is None


def _edit_of(store: Store, account_id: str, contact_id: str) -> StakeholderEdit:
    m = stakeholder_map(store, account_id)
    assert m is not None
    c = m.card(contact_id)
    assert c is not None
    return StakeholderEdit(
        c.title,
        c.department,
        c.role,
        c.influence,
        c.stance,
        c.strength,
        c.colleague_id,
        c.reports_to_id,
        c.end_date,
    )


def test_editing_the_title_keeps_a_boss_who_left(world: tuple[Store, dict[str, str]]) -> None:
    store, ids = world
    set_reports_to(store, _pos(ids, "acct"), ids["cfo"])
    end_position(store, _pos(ids, "cfo"), TODAY - timedelta(days=5))
    before = _edit_of(store, ids["acc"], ids["acct"])
    m = stakeholder_map(store, ids["acc"])
    assert m is not None
    card = m.card(ids["acct"])
    assert card is not None and card.reports_to_name == "Lê Thị Lan"  # for the dialog
    update_stakeholder(
        store, _pos(ids, "acct"), replace(before, title="Kế toán trưởng"), before=before
    )
    assert _boss(store, _pos(ids, "acct")) == ids["cfo"]
    rows = _rows(store, "SELECT title FROM positions WHERE id = ?", _pos(ids, "acct"))
    assert rows == [("Kế toán trưởng",)]


def test_only_the_fields_changed_are_written(world: tuple[Store, dict[str, str]]) -> None:
    store, ids = world
    before = _edit_of(store, ids["acc"], ids["ceo"])
    # meanwhile another device (or sync) changed the stance and the boss
    update_stakeholder(store, _pos(ids, "ceo"), replace(before, stance="supporter"))
    set_reports_to(store, _pos(ids, "ceo"), ids["cfo"])
    saved = update_stakeholder(store, _pos(ids, "ceo"), replace(before, influence=4), before=before)
    rows = _rows(
        store,
        "SELECT stance, influence, reports_to_id FROM positions WHERE id = ?",
        _pos(ids, "ceo"),
    )
    assert rows == [("supporter", 4, ids["cfo"])]
    assert saved.changes.touches("positions")
    # nothing changed: nothing written
    again = update_stakeholder(store, _pos(ids, "ceo"), before, before=before)
    assert not again.changes.touches("positions")


def _rows(store: Store, sql: str, *params: object) -> list[tuple[object, ...]]:
    with store.read() as q:
        return [tuple(r) for r in q.session.connection().exec_driver_sql(sql, params).all()]


def test_one_seat_per_person_the_newest_for_the_map_and_the_loop_check(
    world: tuple[Store, dict[str, str]],
) -> None:
    store, ids = world
    # Lan also took a newer, less influential seat here, reporting to Bình.
    with store.unit() as u:
        newer = u.insert(
            "positions",
            {
                "contact_id": ids["cfo"],
                "account_id": ids["acc"],
                "title": "Advisor",
                "influence": 1,
                "start_date": date(2024, 1, 1),
                "reports_to_id": ids["acct"],
            },
        )
        u.commit()
    m = stakeholder_map(store, ids["acc"])
    assert m is not None
    card = m.card(ids["cfo"])
    assert card is not None and card.position_id == newer
    assert ids["cfo"] in m.tree.reports_of(ids["acct"])
    # the check sees the same seat: Bình under Lan would close the loop the map shows
    with pytest.raises(ValidationError) as caught:
        set_reports_to(store, _pos(ids, "acct"), ids["cfo"])
    assert caught.value.errors[0].code == "stakeholder.reports_to_cycle"


def test_a_position_ending_today_has_ended_one_ending_later_has_not(
    world: tuple[Store, dict[str, str]],
) -> None:
    store, ids = world
    end_position(store, _pos(ids, "cfo"), TODAY)
    end_position(store, _pos(ids, "acct"), TODAY + timedelta(days=14))  # notice given
    m = stakeholder_map(store, ids["acc"])
    assert m is not None
    assert {c.contact_id for c in m.cards} == {ids["ceo"], ids["acct"]}
    assert [c.contact_id for c in m.left] == [ids["cfo"]]
    with pytest.raises(ValidationError) as caught:  # Lan is no boss here any more
        set_reports_to(store, _pos(ids, "ceo"), ids["cfo"])
    assert caught.value.errors[0].code == "stakeholder.boss_elsewhere"
    set_reports_to(store, _pos(ids, "ceo"), ids["acct"])  # Bình still is, until they go
    assert _boss(store, _pos(ids, "ceo")) == ids["acct"]

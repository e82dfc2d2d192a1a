"""The account manager's tables (issue 4) travel through the one write path like the rest:
a plan with its objectives, actions and updates, a whitespace mark and a lead reach the other
laptops that may see them, stay away from those that may not, and move with their account."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.sync.harness import Team, make_team
from tests.sync.test_engine import edit, new_account


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    team = make_team(tmp_path)
    team.add_user("lan", "am")
    team.add_user("minh", "am")
    team.add_user("vy", "sales")
    yield team
    team.close()


def test_a_plan_and_its_parts_reach_the_owners_other_laptop_only(team: Team) -> None:
    a, b, minh = team.device("a", "lan"), team.device("b", "lan"), team.device("minh", "minh")
    acc = new_account(a, "Tổng công ty Điện lực Miền Nam")
    with a.store.unit() as uow:
        plan = uow.insert(
            "account_plans",
            {
                "account_id": acc,
                "period": "2026-H2",
                "period_start": date(2026, 7, 1),
                "period_end": date(2026, 12, 31),
                "status": "active",
                "desired_outcome": "Trở thành đối tác CNTT chính",
                "risks": "Đối thủ giảm giá 20%",
                "client_knows": True,
            },
        )
        objective = uow.insert(
            "plan_objectives",
            {"plan_id": plan, "account_id": acc, "title": "Doanh thu", "measure": "revenue_won"},
        )
        action = uow.insert(
            "plan_actions",
            {"plan_id": plan, "account_id": acc, "title": "Hội thảo bảo mật", "status": "open"},
        )
        update = uow.insert(
            "plan_updates",
            {"plan_id": plan, "account_id": acc, "written_on": date(2026, 11, 20), "text": "OK"},
        )
        mark = uow.insert(
            "whitespace_marks",
            {"account_id": acc, "product_line": "Bảo mật", "status": "lost", "competitor": "X"},
        )
        uow.commit()
    for device in (a, b, minh):
        device.sync_until_caught_up()
    assert b.value("account_plans", plan, "risks") == "Đối thủ giảm giá 20%"
    assert b.value("account_plans", plan, "client_knows") == 1
    assert b.value("account_plans", plan, "period_end") == "2026-12-31"
    assert b.value("plan_objectives", objective, "measure") == "revenue_won"
    assert b.value("plan_actions", action, "title") == "Hội thảo bảo mật"
    assert b.value("plan_updates", update, "text") == "OK"
    assert b.value("whitespace_marks", mark, "competitor") == "X"
    assert not minh.ids("account_plans") and not minh.ids("plan_actions")

    edit(b, "plan_actions", action, status="done")  # offline on b
    b.sync_until_caught_up()
    a.sync_until_caught_up()
    assert a.value("plan_actions", action, "status") == "done"

    team.assign(acc, "minh")  # the account and its plan move to minh
    for device in (a, minh):
        device.sync_until_caught_up()
    assert plan in minh.ids("account_plans") and objective in minh.ids("plan_objectives")
    assert plan not in a.ids("account_plans") and mark not in a.ids("whitespace_marks")


def test_a_lead_stays_with_its_owner_until_it_has_an_account(team: Team) -> None:
    vy, lan = team.device("vy", "vy"), team.device("lan", "lan")
    with vy.store.unit() as uow:
        lead = uow.insert(
            "leads",
            {"owner_id": vy.user_id, "company": "Công ty Thép Hòa Phát", "status": "working"},
        )
        uow.commit()
    vy.sync_until_caught_up()
    lan.sync_until_caught_up()
    assert lead not in lan.ids("leads")

    acc = new_account(lan, "Công ty Thép Hòa Phát")
    lan.sync_until_caught_up()
    team.assign(acc, "vy")
    vy.sync_until_caught_up()
    edit(vy, "leads", lead, account_id=acc, status="converted")
    vy.sync_until_caught_up()
    team.assign(acc, "lan")  # the account, and now the lead under it, go back to lan
    lan.sync_until_caught_up()
    assert lan.value("leads", lead, "status") == "converted"

"""Account plans on a real SQLite file: the current plan, computed measures, writes, lookup."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from workbench.domain.drafts import AccountDraft, ActivityDraft, ContactDraft, PositionDraft
from workbench.domain.errors import ValidationError
from workbench.domain.plans import ActionDraft, ObjectiveDraft
from workbench.services import accounts, contacts, plans, timeline
from workbench.services.undo import undo
from workbench.storage.store import Store

TODAY = date(2026, 5, 15)


@pytest.fixture
def account_id(store: Store, user_id: str) -> str:
    return accounts.create_account(
        store, AccountDraft(name="Công ty Cổ phần Đặng Gia", owner_id=user_id)
    ).id


def _opp(
    store: Store,
    account_id: str,
    name: str,
    stage: str,
    amount: int,
    close: date,
    currency: str = "VND",
) -> str:
    with store.unit() as u:
        oid = u.insert(
            "opportunities",
            {
                "account_id": account_id,
                "name": name,
                "stage": stage,
                "amount_minor": amount,
                "close_date": close,
                "currency": currency,
            },
        )
        u.commit()
    return oid


def _objective(store: Store, plan_id: str, measure: str, target: int = 10) -> str:
    return plans.add_objective(store, plan_id, ObjectiveDraft(measure, measure, target)).id


def _current(store: Store, account_id: str, measure: str) -> int | None:
    view = plans.account_plan(store, account_id, today=TODAY).plan
    assert view is not None
    return next(o.current for o in view.objectives if o.measure == measure)


def test_a_new_plan_is_a_draft_of_the_account_and_a_second_for_the_period_is_refused(
    store: Store, account_id: str, user_id: str
) -> None:
    saved = plans.create_plan(store, account_id, "2026-h1")
    view = plans.account_plan(store, account_id, today=TODAY)
    assert view.plan is not None and view.plan.id == saved.id
    assert (view.plan.period, view.plan.status, view.plan.owner_id) == ("2026-H1", "draft", user_id)
    assert view.plan.period_start == date(2026, 1, 1) and view.plan.period_end == date(2026, 6, 30)
    assert view.plan.stale  # never reviewed
    with pytest.raises(ValidationError) as err:
        plans.create_plan(store, account_id, "2026-H1")
    assert err.value.errors[0].code == "plan.duplicate"
    assert "2026-H1" in err.value.errors[0].render()
    with pytest.raises(ValidationError):
        plans.create_plan(store, account_id, "next year")


def test_without_a_plan_the_read_model_suggests_a_period(store: Store, account_id: str) -> None:
    view = plans.account_plan(store, account_id, today=TODAY)
    assert view.plan is None and view.plans == ()
    assert view.suggested_period == "2026"
    assert view.account_name == "Công ty Cổ phần Đặng Gia"


def test_the_current_plan_contains_today_else_the_latest(store: Store, account_id: str) -> None:
    old = plans.create_plan(store, account_id, "2025").id
    now = plans.create_plan(store, account_id, "2026").id
    q2 = plans.create_plan(store, account_id, "2026-Q2").id
    assert plans.account_plan(store, account_id, today=TODAY).plan.id == q2  # type: ignore[union-attr]
    assert plans.account_plan(store, account_id, today=date(2026, 9, 1)).plan.id == now  # type: ignore[union-attr]
    assert plans.account_plan(store, account_id, plan_id=old, today=TODAY).plan.id == old  # type: ignore[union-attr]
    periods = [p.period for p in plans.account_plan(store, account_id, today=TODAY).plans]
    assert periods == ["2026-Q2", "2026", "2025"]


def test_plan_fields_update_and_undo(store: Store, account_id: str) -> None:
    pid = plans.create_plan(store, account_id, "2026").id
    changes = plans.update_plan(
        store,
        pid,
        {
            "desired_outcome": "Trở thành đối tác chiến lược",
            "risks": "Ngân sách bị cắt",
            "status": "active",
            "client_knows": True,
            "revenue_target_minor": 5_000_000_000,
        },
    )
    plan = plans.account_plan(store, account_id, today=TODAY).plan
    assert plan is not None
    assert (plan.desired_outcome, plan.status, plan.client_knows) == (
        "Trở thành đối tác chiến lược",
        "active",
        True,
    )
    assert changes.touches("account_plans")
    assert plans.touches_plan(changes, account_id, pid)
    undo(store, changes)
    plan = plans.account_plan(store, account_id, today=TODAY).plan
    assert plan is not None and plan.desired_outcome == "" and plan.status == "draft"
    plans.create_plan(store, account_id, "2027")
    with pytest.raises(ValidationError) as err:
        plans.update_plan(store, pid, {"period": "2027"})
    assert err.value.errors[0].code == "plan.duplicate"


def test_revenue_won_is_no_data_without_deals_and_sums_won_deals_in_period(
    store: Store, account_id: str
) -> None:
    pid = plans.create_plan(store, account_id, "2026").id
    _objective(store, pid, "revenue_won", 1_000)
    assert _current(store, account_id, "revenue_won") is None  # no deals at all: no data
    oid = _opp(store, account_id, "Gia hạn", "negotiate", 300, date(2026, 3, 1))
    assert _current(store, account_id, "revenue_won") == 0  # deals, none won: a real zero
    with store.unit() as u:
        u.update("opportunities", oid, {"stage": "won"})
        u.commit()
    assert _current(store, account_id, "revenue_won") == 300
    _opp(store, account_id, "Năm ngoái", "won", 999, date(2025, 12, 31))  # outside the period
    _opp(store, account_id, "USD", "won", 50, date(2026, 4, 1), currency="USD")  # other currency
    child = accounts.create_account(
        store, AccountDraft(name="Đặng Gia Chi nhánh Huế", parent_id=account_id)
    ).id
    _opp(store, child, "Chi nhánh", "won", 200, date(2026, 6, 1))
    assert _current(store, account_id, "revenue_won") == 500
    view = plans.account_plan(store, account_id, today=TODAY).plan
    assert view is not None and view.objectives[0].progress == 0.5


def test_product_lines_coverage_and_decision_maker_meetings(
    store: Store, account_id: str, user_id: str
) -> None:
    pid = plans.create_plan(store, account_id, "2026").id
    for m in ("product_lines", "coverage", "dm_meetings"):
        _objective(store, pid, m, 3)
    assert [
        _current(store, account_id, m) for m in ("product_lines", "coverage", "dm_meetings")
    ] == [None, None, None]
    with store.unit() as u:
        p1 = u.insert("products", {"code": "ERP", "name": "ERP", "product_line": "Phần mềm"})
        p2 = u.insert("products", {"code": "ERP+", "name": "ERP Plus", "product_line": "Phần mềm"})
        p3 = u.insert("products", {"code": "CLD", "name": "Cloud", "product_line": "Hạ tầng"})
        p4 = u.insert("products", {"code": "TR", "name": "Đào tạo", "product_line": "Dịch vụ"})
        for prod in (p1, p2, p3):
            u.insert("holdings", {"account_id": account_id, "product_id": prod})
        u.insert(
            "holdings",
            {"account_id": account_id, "product_id": p4, "end_date": TODAY - timedelta(days=1)},
        )  # ended: not held
        u.commit()
    assert _current(store, account_id, "product_lines") == 2
    dm = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Đặng",
            given_name="Lan",
            position=PositionDraft(
                account_id=account_id, stakeholder_role="decision_maker", strength=4
            ),
        ),
    ).id
    user = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Võ",
            given_name="Tâm",
            position=PositionDraft(account_id=account_id, strength=3),
        ),
    ).id
    contacts.create_contact(
        store,
        ContactDraft(
            family_name="Lê",
            given_name="Hà",
            position=PositionDraft(account_id=account_id, strength=1),
        ),
    )
    assert _current(store, account_id, "coverage") == 2
    assert _current(store, account_id, "dm_meetings") is None  # no activity logged at all
    for who, when, status in (
        (user, datetime(2026, 4, 5, 9), "done"),  # no decision maker in the room
    ):
        timeline.log_activity(
            store,
            ActivityDraft(
                account_id=account_id,
                kind="meeting",
                subject="Họp",
                occurred_at=when,
                status=status,
                contact_ids=(who,),
                owner_id=user_id,
            ),
        )
    assert _current(store, account_id, "dm_meetings") == 0
    for who, when, status in (
        (dm, datetime(2026, 2, 3, 9), "done"),
        (dm, datetime(2026, 4, 3, 9), "done"),
        (dm, datetime(2025, 4, 3, 9), "done"),  # before the period
        (dm, datetime(2026, 9, 3, 9), "planned"),  # not held yet
    ):
        timeline.log_activity(
            store,
            ActivityDraft(
                account_id=account_id,
                kind="meeting",
                subject="Họp",
                occurred_at=when,
                status=status,
                contact_ids=(who,),
                owner_id=user_id,
            ),
        )
    assert _current(store, account_id, "dm_meetings") == 2


def test_actions_show_owner_links_overdue_and_archived_deals(
    store: Store, account_id: str, user_id: str
) -> None:
    pid = plans.create_plan(store, account_id, "2026").id
    oid = _opp(store, account_id, "Mở rộng ERP", "develop", 100, date(2026, 9, 1))
    cid = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Đặng",
            middle_name="Thị",
            given_name="Lan",
            position=PositionDraft(account_id=account_id),
        ),
    ).id
    late = plans.add_action(
        store,
        pid,
        ActionDraft(
            "Gửi đề xuất",
            owner_id=user_id,
            due_date=TODAY - timedelta(days=3),
            opportunity_id=oid,
            contact_id=cid,
        ),
    )
    plans.add_action(store, pid, ActionDraft("Hẹn gặp", due_date=TODAY + timedelta(days=3)))
    done = plans.add_action(
        store, pid, ActionDraft("Xong rồi", due_date=TODAY - timedelta(days=9), status="done")
    ).id
    with store.unit() as u:
        assert u.values("plan_actions", late.id)["account_id"] == account_id
        u.archive("opportunities", oid)
        u.commit()
    view = plans.account_plan(store, account_id, today=TODAY)
    assert view.plan is not None
    first = view.plan.actions[0]
    assert (first.title, first.owner_name, first.overdue) == ("Gửi đề xuất", "Trần Minh Anh", True)
    assert (first.opportunity_name, first.opportunity_archived) == ("Mở rộng ERP", True)
    assert first.contact_name == "Đặng Thị Lan"
    assert [a.overdue for a in view.plan.actions] == [True, False, False]
    assert view.plan.actions[-1].id == done  # finished ones last
    assert [c.name for c in view.contacts] == ["Đặng Thị Lan"]
    assert view.opportunities == ()  # the archived deal cannot be linked anew
    plans.set_action_status(store, late.id, "done")
    plans.archive_action(store, done)
    actions = plans.account_plan(store, account_id, today=TODAY).plan.actions  # type: ignore[union-attr]
    assert [a.status for a in actions] == ["open", "done"]


def test_objectives_edit_archive_and_keep_the_account(store: Store, account_id: str) -> None:
    pid = plans.create_plan(store, account_id, "2026").id
    oid = plans.add_objective(store, pid, ObjectiveDraft("NPS", "manual", 50, manual_value=None)).id
    second = _objective(store, pid, "coverage", 4)
    view = plans.account_plan(store, account_id, today=TODAY).plan
    assert view is not None and view.objectives[0].current is None  # typed nothing: no data
    plans.update_objective(
        store, oid, ObjectiveDraft("NPS khách hàng", "manual", 60, manual_value=30)
    )
    objective = plans.account_plan(store, account_id, today=TODAY).plan.objectives[0]  # type: ignore[union-attr]
    assert (objective.title, objective.current, objective.progress) == ("NPS khách hàng", 30, 0.5)
    plans.archive_objective(store, second)
    with store.unit() as u:
        assert u.values("plan_objectives", oid)["account_id"] == account_id
        assert u.values("plan_objectives", oid)["sort_order"] == 0
        assert u.values("plan_objectives", second)["sort_order"] == 1
    assert len(plans.account_plan(store, account_id, today=TODAY).plan.objectives) == 1  # type: ignore[union-attr]


def test_updates_are_newest_first_and_mark_the_plan_reviewed(
    store: Store, account_id: str, user_id: str
) -> None:
    pid = plans.create_plan(store, account_id, "2026").id
    plans.add_update(store, pid, "Tuần 1: họp khởi động", user_id, date(2026, 5, 1))
    saved = plans.add_update(store, pid, "Tuần 2: gửi báo giá", user_id, date(2026, 5, 8))
    plans.add_update(store, pid, "Ghi chú muộn", None, date(2026, 4, 1))
    with pytest.raises(ValidationError):
        plans.add_update(store, pid, "  ")
    with store.unit() as u:
        assert u.values("plan_updates", saved.id)["account_id"] == account_id
    plan = plans.account_plan(store, account_id, today=TODAY).plan
    assert plan is not None
    assert [u.text for u in plan.updates] == [
        "Tuần 2: gửi báo giá",
        "Tuần 1: họp khởi động",
        "Ghi chú muộn",
    ]
    assert plan.updates[0].author_name == "Trần Minh Anh"
    assert plan.last_reviewed == date(2026, 5, 8) and not plan.stale


def test_find_account_by_id_name_or_unique_prefix(store: Store, account_id: str) -> None:
    other = accounts.create_account(store, AccountDraft(name="Công ty TNHH Đặng Minh")).id
    assert plans.find_account(store, account_id) == (account_id, "Công ty Cổ phần Đặng Gia")
    assert plans.find_account(store, "cong ty co phan dang gia")[0] == account_id
    assert plans.find_account(store, "CÔNG TY TNHH")[0] == other
    with pytest.raises(plans.AccountLookupError, match="several accounts"):
        plans.find_account(store, "cong ty")
    with pytest.raises(plans.AccountLookupError, match="no account matches"):
        plans.find_account(store, "Vinamilk")


def test_objectives_move_up_and_down_and_the_move_undoes(store: Store, account_id: str) -> None:
    pid = plans.create_plan(store, account_id, "2026").id
    ids = [plans.add_objective(store, pid, ObjectiveDraft(t, "manual", 10)).id for t in "ABCD"]

    def titles() -> str:
        plan = plans.account_plan(store, account_id, today=TODAY).plan
        assert plan is not None
        return "".join(o.title for o in plan.objectives)

    changes = plans.move_objective(store, ids[2], -1)
    assert titles() == "ACBD"
    assert changes.ids("plan_objectives") == {ids[1], ids[2]}  # only the two that swapped
    plans.move_objective(store, ids[0], 1)
    assert titles() == "CABD"
    assert plans.move_objective(store, ids[3], 1).empty  # already last: nothing written
    undo(store, changes)  # undoing the first move puts B and C back where they were
    with store.unit() as u:
        orders = [u.values("plan_objectives", i)["sort_order"] for i in ids]
    assert orders[1] == 1 and orders[2] == 2
    plans.archive_objective(store, ids[1])
    new = plans.add_objective(store, pid, ObjectiveDraft("E", "manual", 1)).id
    assert titles().endswith("E")  # a new objective goes last, after a gap left by an archive
    with store.unit() as u:
        assert u.values("plan_objectives", new)["sort_order"] == 4


def test_an_update_entry_is_archived_and_comes_back_with_undo(
    store: Store, account_id: str, user_id: str
) -> None:
    pid = plans.create_plan(store, account_id, "2026").id
    keep = plans.add_update(store, pid, "Giữ lại", user_id, date(2026, 5, 1)).id
    gone = plans.add_update(store, pid, "Gõ nhầm", user_id, date(2026, 5, 8)).id

    def texts() -> list[str]:
        plan = plans.account_plan(store, account_id, today=TODAY).plan
        assert plan is not None
        return [u.text for u in plan.updates]

    changes = plans.archive_update(store, gone)
    assert texts() == ["Giữ lại"]
    with store.unit() as u:
        assert u.values("plan_updates", gone)["deleted_at"] is not None  # archived, not deleted
        assert u.values("plan_updates", keep)["deleted_at"] is None
    undo(store, changes)
    assert texts() == ["Gõ nhầm", "Giữ lại"]

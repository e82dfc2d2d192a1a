"""Account plans: the read model of an account's plan and every write to it.

Why plain SQL here: the read model joins six tables and computes four measures; the unit of
work's session runs it through the shared plain-SQL helpers (storage/sql.py), so services stay
free of SQLAlchemy and the dock gets everything in one worker call.

Measures (current value of an objective), each `None` ("no data") when the account has no
rows of the kind the measure counts, never a made-up zero:
- revenue_won: sum of won opportunities of the account and its child accounts closed inside the
  plan period, in the plan's currency (deals in another currency are not converted);
- product_lines: distinct product lines of the account's live holdings (no end, or ending
  today or later);
- coverage: current positions (no end date) at the account with relationship strength >= 3;
- dm_meetings: done meetings and visits in the period attended by someone whose current
  position is decision maker;
- manual: the value typed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from workbench.domain.changes import ChangeSet
from workbench.domain.enums import Measure
from workbench.domain.errors import ValidationError
from workbench.domain.names import NameOrder, PersonName
from workbench.domain.plans import (
    AccountPlans,
    ActionDraft,
    ActionRow,
    Choice,
    ObjectiveDraft,
    ObjectiveRow,
    PlanRef,
    PlanView,
    UpdateRow,
    clean_action,
    clean_objective,
    clean_plan_changes,
    clean_update_text,
    current_plan_index,
    is_overdue,
    is_stale,
    moved,
    parse_period,
    period_of,
)
from workbench.domain.text import fold
from workbench.services.results import Saved
from workbench.storage.sql import as_date, mapped_rows, marks, rows
from workbench.storage.store import Store, UnitOfWork

PLAN_TABLES = ("account_plans", "plan_objectives", "plan_actions", "plan_updates")
# Tables whose rows feed a computed measure or a name the dock shows.
SOURCE_TABLES = ("opportunities", "holdings", "positions", "activities", "activity_attendees")


class AccountLookupError(LookupError):
    """No account, or more than one, matches what was typed (the message says which)."""


# -- reading -----------------------------------------------------------------------------------
def _person(row: Mapping[str, Any], prefix: str = "") -> str:
    given = row.get(f"{prefix}given_name")
    if given is None:
        return ""
    order = row.get(f"{prefix}name_order") or NameOrder.FAMILY_FIRST
    return PersonName(
        row.get(f"{prefix}family_name") or "",
        row.get(f"{prefix}middle_name") or "",
        given,
        NameOrder(order),
    ).display()


def _family_ids(session: Any, account_id: str) -> list[str]:
    """The account and every account below it (child accounts, their children, ...)."""
    found = mapped_rows(
        session,
        "WITH RECURSIVE fam(id) AS (SELECT ? UNION "
        "SELECT a.id FROM accounts a JOIN fam ON a.parent_id = fam.id "
        "WHERE a.deleted_at IS NULL) SELECT id FROM fam",
        (account_id,),
    )
    return [str(r["id"]) for r in found]


def _scalar(session: Any, sql: str, params: Sequence[Any]) -> Any:
    found = rows(session, sql, params)
    return found[0][0] if found else None


def measure_value(
    session: Any,
    measure: str,
    account_id: str,
    start: date,
    end: date,
    currency: str,
    today: date,
) -> int | None:
    """The current value of one computed measure for the account, or None for no data."""
    if measure == Measure.REVENUE_WON:
        family = _family_ids(session, account_id)
        live = f"account_id IN ({marks(len(family))}) AND deleted_at IS NULL"
        if not _scalar(session, f"SELECT COUNT(*) FROM opportunities WHERE {live}", family):
            return None
        won = _scalar(
            session,
            f"SELECT COALESCE(SUM(amount_minor), 0) FROM opportunities WHERE {live} "
            "AND stage = 'won' AND currency = ? AND close_date >= ? AND close_date <= ?",
            [*family, currency, start.isoformat(), end.isoformat()],
        )
        return int(won or 0)
    if measure == Measure.PRODUCT_LINES:
        if not _scalar(
            session,
            "SELECT COUNT(*) FROM holdings WHERE account_id = ? AND deleted_at IS NULL",
            (account_id,),
        ):
            return None
        return int(
            _scalar(
                session,
                "SELECT COUNT(DISTINCT p.product_line) FROM holdings h "
                "JOIN products p ON p.id = h.product_id "
                "WHERE h.account_id = ? AND h.deleted_at IS NULL "
                "AND (h.end_date IS NULL OR h.end_date >= ?)",
                (account_id, today.isoformat()),
            )
            or 0
        )
    if measure == Measure.STAKEHOLDER_COVERAGE:
        if not _scalar(
            session,
            "SELECT COUNT(*) FROM positions WHERE account_id = ? AND deleted_at IS NULL",
            (account_id,),
        ):
            return None
        return int(
            _scalar(
                session,
                "SELECT COUNT(*) FROM positions WHERE account_id = ? AND deleted_at IS NULL "
                "AND end_date IS NULL AND strength >= 3",
                (account_id,),
            )
            or 0
        )
    if measure == Measure.DECISION_MEETINGS:
        if not _scalar(
            session,
            "SELECT COUNT(*) FROM activities WHERE account_id = ? AND deleted_at IS NULL",
            (account_id,),
        ):
            return None
        return int(
            _scalar(
                session,
                "SELECT COUNT(DISTINCT a.id) FROM activities a "
                "JOIN activity_attendees aa ON aa.activity_id = a.id AND aa.deleted_at IS NULL "
                "JOIN positions p ON p.contact_id = aa.contact_id AND p.deleted_at IS NULL "
                "AND p.end_date IS NULL AND p.stakeholder_role = 'decision_maker' "
                "WHERE a.account_id = ? AND a.deleted_at IS NULL AND a.status = 'done' "
                "AND a.kind IN ('meeting', 'visit') "
                "AND substr(a.occurred_at, 1, 10) >= ? AND substr(a.occurred_at, 1, 10) <= ?",
                (account_id, start.isoformat(), end.isoformat()),
            )
            or 0
        )
    return None


def _plan_view(session: Any, plan_id: str, today: date) -> PlanView | None:
    found = mapped_rows(
        session,
        "SELECT p.*, u.name AS owner_name FROM account_plans p "
        "LEFT JOIN users u ON u.id = p.owner_id WHERE p.id = ?",
        (plan_id,),
    )
    if not found:
        return None
    p = found[0]
    start, end = as_date(p["period_start"]), as_date(p["period_end"])
    assert start is not None and end is not None
    objectives = []
    for o in mapped_rows(
        session,
        "SELECT * FROM plan_objectives WHERE plan_id = ? AND deleted_at IS NULL "
        "ORDER BY sort_order, created_at, id",
        (plan_id,),
    ):
        manual = o["manual_value"]
        if o["measure"] == Measure.MANUAL:
            current = None if manual is None else int(manual)
        else:
            current = measure_value(
                session, o["measure"], p["account_id"], start, end, p["currency"], today
            )
        objectives.append(
            ObjectiveRow(
                str(o["id"]),
                o["title"],
                o["measure"],
                int(o["target"]),
                current,
                None if manual is None else int(manual),
                as_date(o["due_date"]),
                int(o["sort_order"] or 0),
            )
        )
    actions = []
    for a in mapped_rows(
        session,
        "SELECT a.*, u.name AS owner_name, o.name AS opp_name, o.deleted_at AS opp_deleted, "
        "c.family_name, c.middle_name, c.given_name, c.name_order "
        "FROM plan_actions a LEFT JOIN users u ON u.id = a.owner_id "
        "LEFT JOIN opportunities o ON o.id = a.opportunity_id "
        "LEFT JOIN contacts c ON c.id = a.contact_id "
        "WHERE a.plan_id = ? AND a.deleted_at IS NULL "
        "ORDER BY CASE WHEN a.status IN ('open', 'in_progress') THEN 0 ELSE 1 END, "
        "a.due_date IS NULL, a.due_date, a.created_at, a.id",
        (plan_id,),
    ):
        due = as_date(a["due_date"])
        actions.append(
            ActionRow(
                str(a["id"]),
                a["title"],
                a["owner_id"],
                a["owner_name"] or "",
                due,
                a["status"],
                a["opportunity_id"],
                a["opp_name"] or "",
                a["opp_deleted"] is not None,
                a["contact_id"],
                _person(a),
                is_overdue(a["status"], due, today),
            )
        )
    updates = tuple(
        UpdateRow(
            str(u["id"]),
            as_date(u["written_on"]) or today,
            u["author_id"],
            u["name"] or "",
            u["text"],
        )
        for u in mapped_rows(
            session,
            "SELECT pu.*, us.name FROM plan_updates pu LEFT JOIN users us ON us.id = pu.author_id "
            "WHERE pu.plan_id = ? AND pu.deleted_at IS NULL "
            "ORDER BY pu.written_on DESC, pu.created_at DESC, pu.id DESC",
            (plan_id,),
        )
    )
    reviewed = as_date(p["last_reviewed"])
    return PlanView(
        id=str(p["id"]),
        account_id=str(p["account_id"]),
        period=p["period"],
        period_start=start,
        period_end=end,
        status=p["status"],
        owner_id=p["owner_id"],
        owner_name=p["owner_name"] or "",
        desired_outcome=p["desired_outcome"] or "",
        growth=p["growth"] or "",
        risks=p["risks"] or "",
        next_steps=p["next_steps"] or "",
        key_players=p["key_players"] or "",
        client_knows=bool(p["client_knows"]),
        last_reviewed=reviewed,
        revenue_target_minor=p["revenue_target_minor"],
        currency=p["currency"],
        strengths=p["strengths"] or "",
        weaknesses=p["weaknesses"] or "",
        opportunities=p["opportunities"] or "",
        threats=p["threats"] or "",
        competitors=p["competitors"] or "",
        internal_notes=p["internal_notes"] or "",
        stale=is_stale(reviewed, today),
        objectives=tuple(objectives),
        actions=tuple(actions),
        updates=updates,
    )


def account_plan(
    store: Store,
    account_id: str,
    plan_id: str | None = None,
    today: date | None = None,
    *,
    choices: bool = True,
) -> AccountPlans:
    """The account's plan `plan_id`, or its current one (the period containing today, else the
    latest), with the list of its plans and, with `choices`, the people and deals an action
    can be linked to."""
    today = today or date.today()
    with store.read() as q:
        session = q.session
        acc = mapped_rows(
            session, "SELECT name, currency FROM accounts WHERE id = ?", (account_id,)
        )
        if not acc:
            raise LookupError(f"account {account_id} not found")
        refs = mapped_rows(
            session,
            "SELECT id, period FROM account_plans WHERE account_id = ? AND deleted_at IS NULL "
            "ORDER BY period_start DESC, period_end DESC",
            (account_id,),
        )
        periods = [parse_period(r["period"]) for r in refs]
        chosen = plan_id if plan_id and any(r["id"] == plan_id for r in refs) else None
        if chosen is None:
            index = current_plan_index(periods, today)
            chosen = refs[index]["id"] if index >= 0 else None
        plan = _plan_view(session, chosen, today) if chosen else None
        taken = {p.code for p in periods}
        suggestion = period_of(today, "year").code
        if suggestion in taken:
            suggestion = next(
                (c for c in (period_of(today, "half").code, str(today.year + 1)) if c not in taken),
                suggestion,
            )
        users: tuple[Choice, ...] = ()
        opps: tuple[Choice, ...] = ()
        people: tuple[Choice, ...] = ()
        if choices:
            users = tuple(Choice(u.id, u.name) for u in q.users())
            opps = tuple(
                Choice(str(r["id"]), r["name"])
                for r in mapped_rows(
                    session,
                    "SELECT id, name FROM opportunities WHERE account_id = ? "
                    "AND deleted_at IS NULL ORDER BY name",
                    (account_id,),
                )
            )
            people = tuple(
                Choice(str(r["id"]), _person(r))
                for r in mapped_rows(
                    session,
                    "SELECT DISTINCT c.id, c.family_name, c.middle_name, c.given_name, "
                    "c.name_order, c.sort_given FROM positions p JOIN contacts c "
                    "ON c.id = p.contact_id WHERE p.account_id = ? AND p.deleted_at IS NULL "
                    "AND p.end_date IS NULL AND c.deleted_at IS NULL ORDER BY c.sort_given",
                    (account_id,),
                )
            )
        return AccountPlans(
            account_id=account_id,
            account_name=acc[0]["name"],
            currency=acc[0]["currency"] or "VND",
            plan=plan,
            plans=tuple(PlanRef(str(r["id"]), r["period"]) for r in refs),
            suggested_period=suggestion,
            users=users,
            opportunities=opps,
            contacts=people,
        )


def find_account(store: Store, text: str) -> tuple[str, str]:
    """(id, name) of the account `text` names: its id, its exact name (case and diacritics
    ignored) or a prefix of exactly one live account's name."""
    wanted = text.strip()
    if not wanted:
        raise AccountLookupError("name an account")
    with store.read() as q:
        session = q.session
        by_id = mapped_rows(
            session, "SELECT id, name FROM accounts WHERE id = ? AND deleted_at IS NULL", (wanted,)
        )
        if by_id:
            return str(by_id[0]["id"]), by_id[0]["name"]
        folded = fold(wanted)
        exact = mapped_rows(
            session,
            "SELECT id, name FROM accounts WHERE name_folded = ? AND deleted_at IS NULL",
            (folded,),
        )
        if len(exact) == 1:
            return str(exact[0]["id"]), exact[0]["name"]
        if not exact:
            escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            exact = mapped_rows(
                session,
                "SELECT id, name FROM accounts WHERE name_folded LIKE ? ESCAPE '\\' "
                "AND deleted_at IS NULL ORDER BY name_folded LIMIT 6",
                (escaped + "%",),
            )
            if len(exact) == 1:
                return str(exact[0]["id"]), exact[0]["name"]
    if not exact:
        raise AccountLookupError(f"no account matches {wanted!r}")
    names = "; ".join(f"{r['name']} [{r['id']}]" for r in exact[:5])
    more = ", ..." if len(exact) > 5 else ""
    raise AccountLookupError(
        f"{wanted!r} matches several accounts: {names}{more}; give more of the name or the id"
    )


# -- writing -----------------------------------------------------------------------------------
def _plan_values(uow: UnitOfWork, plan_id: str) -> dict[str, Any]:
    values = uow.values("account_plans", plan_id)
    if values["deleted_at"] is not None:
        raise ValidationError.single("plan", "plan.archived", "This plan was archived")
    return values


def _refuse_duplicate(uow: UnitOfWork, account_id: str, period: str, plan_id: str = "") -> None:
    for other in uow.ids_where("account_plans", account_id=account_id, period=period):
        if other != plan_id:
            raise ValidationError.single(
                "period",
                "plan.duplicate",
                "This account already has a plan for {period}",
                period=period,
            )


def create_plan(
    store: Store,
    account_id: str,
    period: str,
    *,
    owner_id: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> Saved:
    """A new draft plan for the account and period; a second plan for the same period is
    refused with a message. `values` may fill any editable plan field at once."""
    p = parse_period(period)
    extra = clean_plan_changes(dict(values or {}))
    with store.unit() as uow:
        account = uow.values("accounts", account_id)
        _refuse_duplicate(uow, account_id, p.code)
        row = {
            "account_id": account_id,
            "period": p.code,
            "period_start": p.start,
            "period_end": p.end,
            "status": "draft",
            "owner_id": owner_id or account["owner_id"],
            "currency": account["currency"] or "VND",
            **extra,
        }
        plan_id = uow.insert("account_plans", row)
        return Saved(plan_id, uow.commit())


def update_plan(store: Store, plan_id: str, changes: Mapping[str, Any]) -> ChangeSet:
    """Write some plan fields (see domain.plans.PLAN_FIELDS); a period change is checked for a
    clash with another plan of the account."""
    values = clean_plan_changes(dict(changes))
    with store.unit() as uow:
        before = _plan_values(uow, plan_id)
        if "period" in values and values["period"] != before["period"]:
            _refuse_duplicate(uow, before["account_id"], values["period"], plan_id)
        uow.update("account_plans", plan_id, values)
        return uow.commit()


def archive_plan(store: Store, plan_id: str) -> ChangeSet:
    with store.unit() as uow:
        uow.archive("account_plans", plan_id)
        return uow.commit()


def _child(
    store: Store, table: str, plan_id: str, values: dict[str, Any], order: bool = False
) -> Saved:
    with store.unit() as uow:
        plan = _plan_values(uow, plan_id)
        row = {**values, "plan_id": plan_id, "account_id": plan["account_id"]}
        if order:
            last = rows(
                uow.session,
                f"SELECT MAX(sort_order) FROM {table} WHERE plan_id = ? AND deleted_at IS NULL",
                (plan_id,),
            )[0][0]
            row["sort_order"] = 0 if last is None else int(last) + 1
        row_id = uow.insert(table, row)
        return Saved(row_id, uow.commit())


def _edit_child(store: Store, table: str, row_id: str, values: dict[str, Any]) -> ChangeSet:
    with store.unit() as uow:
        uow.update(table, row_id, values)
        return uow.commit()


def _archive_child(store: Store, table: str, row_id: str) -> ChangeSet:
    with store.unit() as uow:
        uow.archive(table, row_id)
        return uow.commit()


def add_objective(store: Store, plan_id: str, draft: ObjectiveDraft) -> Saved:
    return _child(store, "plan_objectives", plan_id, clean_objective(draft), order=True)


def update_objective(store: Store, objective_id: str, draft: ObjectiveDraft) -> ChangeSet:
    return _edit_child(store, "plan_objectives", objective_id, clean_objective(draft))


def archive_objective(store: Store, objective_id: str) -> ChangeSet:
    return _archive_child(store, "plan_objectives", objective_id)


def move_objective(store: Store, objective_id: str, step: int) -> ChangeSet:
    """Move an objective `step` places up (negative) or down its plan's list; sort_order is
    renumbered 0, 1, 2, ... and only the rows whose number changes are written. At either end
    nothing moves and the change set is empty."""
    with store.unit() as uow:
        moving = uow.values("plan_objectives", objective_id)
        order = rows(
            uow.session,
            "SELECT id, sort_order FROM plan_objectives WHERE plan_id = ? AND deleted_at IS NULL "
            "ORDER BY sort_order, created_at, id",
            (moving["plan_id"],),
        )
        ids = [str(r[0]) for r in order]
        before = {str(r[0]): r[1] for r in order}
        for position, row_id in enumerate(moved(ids, objective_id, step)):
            if before[row_id] != position:
                uow.update("plan_objectives", row_id, {"sort_order": position})
        return uow.commit()


def add_action(store: Store, plan_id: str, draft: ActionDraft) -> Saved:
    return _child(store, "plan_actions", plan_id, clean_action(draft))


def update_action(store: Store, action_id: str, draft: ActionDraft) -> ChangeSet:
    return _edit_child(store, "plan_actions", action_id, clean_action(draft))


def set_action_status(store: Store, action_id: str, status: str) -> ChangeSet:
    with store.unit() as uow:
        current = uow.values("plan_actions", action_id)
        draft = ActionDraft(
            current["title"],
            current["owner_id"],
            current["due_date"],
            status,
            current["opportunity_id"],
            current["contact_id"],
        )
        uow.update("plan_actions", action_id, {"status": clean_action(draft)["status"]})
        return uow.commit()


def archive_action(store: Store, action_id: str) -> ChangeSet:
    return _archive_child(store, "plan_actions", action_id)


def add_update(
    store: Store,
    plan_id: str,
    text: str,
    author_id: str | None = None,
    written_on: date | None = None,
) -> Saved:
    """One entry of the weekly log. Writing it is a review of the plan: `last_reviewed`
    moves to its date (never backwards)."""
    cleaned = clean_update_text(text)
    day = written_on or date.today()
    with store.unit() as uow:
        plan = _plan_values(uow, plan_id)
        row_id = uow.insert(
            "plan_updates",
            {
                "plan_id": plan_id,
                "account_id": plan["account_id"],
                "written_on": day,
                "author_id": author_id or None,
                "text": cleaned,
            },
        )
        if plan["last_reviewed"] is None or plan["last_reviewed"] < day:
            uow.update("account_plans", plan_id, {"last_reviewed": day})
        return Saved(row_id, uow.commit())


def archive_update(store: Store, update_id: str) -> ChangeSet:
    return _archive_child(store, "plan_updates", update_id)


def touches_plan(changes: ChangeSet, account_id: str, plan_id: str = "") -> bool:
    """Whether a change set may change what the plan dock shows for this account."""
    if account_id in changes.accounts:
        return True
    if plan_id and plan_id in changes.ids("account_plans"):
        return True
    return changes.touches(*PLAN_TABLES, "users", "contacts", "products", "accounts")

"""The stakeholder map of an account: who is there, who reports to whom, where we are thin.

Why three queries and no per-person lookups: an account may have hundreds of people; the map
reads the account, every position there (with names and our colleague) and each person's last
meeting in three statements, and builds tree and gaps in one pass (domain.stakeholders).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from workbench.domain.changes import ChangeSet
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.names import written_order
from workbench.domain.stakeholders import (
    MEETING_KINDS,
    CoverageFacts,
    Gap,
    OrgTree,
    Seat,
    StakeholderEdit,
    build_org_tree,
    cadence_days,
    check_reports_to,
    clean_stakeholder,
    coverage_gaps,
    current_seats,
    is_current,
    left_recently,
)
from workbench.services.results import Saved
from workbench.storage.sql import as_date, rows
from workbench.storage.store import RowNotFoundError, Store, UnitOfWork


@dataclass(frozen=True)
class StakeholderCard:
    position_id: str
    contact_id: str
    name: str
    title: str
    department: str
    role: str
    stance: str
    influence: int
    strength: int
    colleague_id: str | None
    colleague_name: str
    reports_to_id: str | None  # the boss's contact id, as stored
    reports_to_name: str  # the boss's name, also when they left ("" when unknown)
    last_met: date | None
    start_date: date | None
    end_date: date | None


@dataclass(frozen=True)
class LeftCard:
    """A position at this account that ended recently; `now_at` names where they went."""

    position_id: str
    contact_id: str
    name: str
    title: str
    role: str
    end_date: date
    now_at: str


@dataclass(frozen=True)
class StakeholderMap:
    account_id: str
    account_name: str
    tier: str
    cadence_days: int
    cards: tuple[StakeholderCard, ...]
    tree: OrgTree
    gaps: tuple[Gap, ...]
    left: tuple[LeftCard, ...]
    today: date

    def card(self, contact_id: str) -> StakeholderCard | None:
        return next((c for c in self.cards if c.contact_id == contact_id), None)

    def by_contact(self) -> dict[str, StakeholderCard]:
        return {c.contact_id: c for c in self.cards}


def _name(family: str, middle: str, given: str, order: str) -> str:
    try:
        return " ".join(written_order(family or "", middle or "", given or "", order))
    except ValueError:
        return " ".join(written_order(family or "", middle or "", given or "", "family_first"))


_POSITIONS_SQL = """
SELECT p.id, p.contact_id, c.family_name, c.middle_name, c.given_name, c.name_order,
       p.title, p.department, p.stakeholder_role, p.stance, p.influence, p.strength,
       p.colleague_id, u.name, p.reports_to_id, p.start_date, p.end_date,
       b.family_name, b.middle_name, b.given_name, b.name_order
FROM positions p
JOIN contacts c ON c.id = p.contact_id
LEFT JOIN users u ON u.id = p.colleague_id
LEFT JOIN contacts b ON b.id = p.reports_to_id
WHERE p.account_id = ? AND p.deleted_at IS NULL AND c.deleted_at IS NULL
ORDER BY p.influence DESC, c.sort_given, p.start_date DESC, p.id
"""

_LAST_MET_SQL = f"""
SELECT aa.contact_id, MAX(a.occurred_at)
FROM activity_attendees aa
JOIN activities a ON a.id = aa.activity_id
WHERE aa.contact_id IN (
        SELECT contact_id FROM positions WHERE account_id = ? AND deleted_at IS NULL)
  AND aa.deleted_at IS NULL AND a.deleted_at IS NULL AND a.status = 'done'
  AND a.kind IN ({", ".join(f"'{k}'" for k in MEETING_KINDS)})
GROUP BY aa.contact_id
"""

# Where the people who left now work: their current positions at other accounts.
_NOW_AT_SQL = """
SELECT p.contact_id, a.name, p.end_date
FROM positions p JOIN accounts a ON a.id = p.account_id
WHERE p.contact_id IN (
        SELECT contact_id FROM positions
        WHERE account_id = ? AND deleted_at IS NULL AND end_date IS NOT NULL)
  AND p.account_id != ? AND p.deleted_at IS NULL AND a.deleted_at IS NULL
ORDER BY p.start_date
"""


def stakeholder_map(
    store: Store, account_id: str, today: date | None = None
) -> StakeholderMap | None:
    """The account's current people, their tree, our coverage gaps and who left recently;
    None when there is no such (live) account."""
    today = today or date.today()
    with store.read() as q:
        session = q.session
        account = rows(
            session,
            "SELECT name, tier FROM accounts WHERE id = ? AND deleted_at IS NULL",
            [account_id],
        )
        if not account:
            return None
        found = rows(session, _POSITIONS_SQL, [account_id])
        met = {cid: as_date(when) for cid, when in rows(session, _LAST_MET_SQL, [account_id])}
        now_at_rows = rows(session, _NOW_AT_SQL, [account_id, account_id])
    now_at: dict[str, str] = {}
    for cid, name, end in now_at_rows:
        if is_current(as_date(end), today):
            now_at[cid] = name
    seats = current_seats((Seat(r[0], r[1], as_date(r[15]), as_date(r[16])) for r in found), today)
    cards: list[StakeholderCard] = []
    left: list[LeftCard] = []
    for r in found:
        (pid, cid, fam, mid, giv, order, title, dept, role, stance, infl, strength) = r[:12]
        colleague_id, colleague_name, boss, start, end = r[12:17]
        name = _name(fam, mid, giv, order)
        end_day = as_date(end)
        if is_current(end_day, today):
            if seats.get(cid) != pid:  # another current seat here stands for them
                continue
            boss_name = _name(*r[17:21]) if boss and r[20] is not None else ""
            cards.append(
                StakeholderCard(
                    pid,
                    cid,
                    name,
                    title or "",
                    dept or "",
                    role,
                    stance,
                    int(infl),
                    int(strength),
                    colleague_id,
                    colleague_name or "",
                    boss,
                    boss_name,
                    met.get(cid),
                    as_date(start),
                    end_day,
                )
            )
        elif end_day is not None and left_recently(end_day, today):
            left.append(LeftCard(pid, cid, name, title or "", role, end_day, now_at.get(cid, "")))
    left = [c for c in left if c.contact_id not in seats]  # still here in another seat
    left.sort(key=lambda c: c.end_date, reverse=True)
    tree = build_org_tree([(c.contact_id, c.reports_to_id) for c in cards])
    tier = str(account[0][1])
    gaps = coverage_gaps(
        [CoverageFacts(c.contact_id, c.name, c.role, c.influence, c.last_met) for c in cards],
        tier,
        today,
    )
    return StakeholderMap(
        account_id,
        str(account[0][0]),
        tier,
        cadence_days(tier),
        tuple(cards),
        tree,
        tuple(gaps),
        tuple(left),
        today,
    )


# -- writes ---------------------------------------------------------------------------------------
def _position(uow: UnitOfWork, position_id: str) -> dict[str, Any]:
    try:
        values = uow.values("positions", position_id)
    except RowNotFoundError:
        raise ValidationError.single(
            "position", "stakeholder.position_missing", "This position no longer exists"
        ) from None
    if values["deleted_at"] is not None:
        raise ValidationError.single(
            "position", "stakeholder.position_missing", "This position no longer exists"
        )
    return values


def _current_people(
    uow: UnitOfWork, account_id: str, today: date
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Reports-to of every current stakeholder of the account, and their names."""
    found = rows(
        uow.session,
        "SELECT p.id, p.contact_id, p.start_date, p.end_date, p.reports_to_id, c.family_name,"
        " c.middle_name, c.given_name, c.name_order FROM positions p"
        " JOIN contacts c ON c.id = p.contact_id"
        " WHERE p.account_id = ? AND p.deleted_at IS NULL AND c.deleted_at IS NULL",
        [account_id],
    )
    seats = current_seats((Seat(r[0], r[1], as_date(r[2]), as_date(r[3])) for r in found), today)
    reports_to: dict[str, str | None] = {}
    names: dict[str, str] = {}
    for pid, cid, _start, _end, boss, fam, mid, giv, order in found:
        if seats.get(cid) == pid:
            reports_to[cid] = boss
            names[cid] = _name(fam, mid, giv, order)
    return reports_to, names


def _check_boss(
    uow: UnitOfWork, position: Mapping[str, Any], boss_id: str | None, today: date
) -> None:
    person = position["contact_id"]
    if boss_id is None or (boss_id == position["reports_to_id"] and boss_id != person):
        return  # clearing, or unchanged
    reports_to, names = _current_people(uow, position["account_id"], today)
    if boss_id != person and boss_id not in reports_to:
        raise ValidationError.single(
            "reports_to_id",
            "stakeholder.boss_elsewhere",
            "The new boss must be a current stakeholder of this account",
        )
    check_reports_to(reports_to, person, boss_id, names)


def set_reports_to(
    store: Store, position_id: str, boss_contact_id: str | None, today: date | None = None
) -> ChangeSet:
    """Make the position's person report to `boss_contact_id` (None: to nobody).

    Refused with a ValidationError when it would be themselves, someone who is not a current
    stakeholder of the account, or when it would close a loop.
    """
    today = today or date.today()
    with store.unit() as uow:
        position = _position(uow, position_id)
        _check_boss(uow, position, boss_contact_id, today)
        if position["reports_to_id"] != boss_contact_id:
            uow.update("positions", position_id, {"reports_to_id": boss_contact_id})
        return uow.commit()


def _stored_edit(position: Mapping[str, Any]) -> StakeholderEdit:
    return StakeholderEdit(
        title=position["title"] or "",
        department=position["department"] or "",
        stakeholder_role=position["stakeholder_role"],
        influence=int(position["influence"]),
        stance=position["stance"],
        strength=int(position["strength"]),
        colleague_id=position["colleague_id"],
        reports_to_id=position["reports_to_id"],
        end_date=as_date(position["end_date"]),
    )


def update_stakeholder(
    store: Store,
    position_id: str,
    edit: StakeholderEdit,
    today: date | None = None,
    *,
    before: StakeholderEdit | None = None,
) -> Saved:
    """Edit a position's stakeholder fields, reports-to (checked) and end date, at once.

    With `before` (what the dialog showed when it opened), only the fields the user changed
    are written: the others keep what is stored now, which another device may have changed
    meanwhile (sync merges field by field), and a boss who has left since is not cleared or
    re-checked just because the title was edited.
    """
    today = today or date.today()
    with store.unit() as uow:
        position = _position(uow, position_id)
        if before is not None:
            stored = _stored_edit(position)
            edit = replace(
                stored,
                **{
                    f.name: getattr(edit, f.name)
                    for f in fields(StakeholderEdit)
                    if getattr(edit, f.name) != getattr(before, f.name)
                },
            )
        errors: list[FieldError] = []
        values: dict[str, object] = {}
        try:
            values = clean_stakeholder(edit, as_date(position["start_date"]))
        except ValidationError as exc:
            errors.extend(exc.errors)
        try:
            _check_boss(uow, position, edit.reports_to_id, today)
        except ValidationError as exc:
            errors.extend(exc.errors)
        if errors:
            raise ValidationError(errors)
        values["reports_to_id"] = edit.reports_to_id
        changed = {k: v for k, v in values.items() if position[k] != v}
        if changed:
            uow.update("positions", position_id, changed)
        return Saved(position_id, uow.commit())


def end_position(store: Store, position_id: str, on: date | None = None) -> ChangeSet:
    """The person left this seat on `on` (today by default); the row stays as history."""
    on = on or date.today()
    with store.unit() as uow:
        position = _position(uow, position_id)
        start = as_date(position["start_date"])
        if start is not None and on < start:
            raise ValidationError.single(
                "end_date",
                "stakeholder.end_before_start",
                "The position cannot end before it started ({start})",
                start=start.isoformat(),
            )
        uow.update("positions", position_id, {"end_date": on})
        return uow.commit()


@dataclass(frozen=True)
class NewPosition:
    """A contact's new seat at another account."""

    account_id: str
    title: str = ""
    department: str = ""
    stakeholder_role: str = "user"
    influence: int = 3
    stance: str = "neutral"
    strength: int = 2
    colleague_id: str | None = None
    start_date: date | None = None


def move_to_account(
    store: Store,
    contact_id: str,
    new: NewPosition,
    *,
    end_position_id: str | None = None,
    today: date | None = None,
) -> Saved:
    """Start a position for `contact_id` at another account; the old one ends if given.

    The old position ends the day the new one starts (today by default), and keeps its
    history; reports-to starts empty at the new account.
    """
    today = today or date.today()
    start = new.start_date or today
    values = clean_stakeholder(
        StakeholderEdit(
            new.title,
            new.department,
            new.stakeholder_role,
            new.influence,
            new.stance,
            new.strength,
            new.colleague_id,
            None,
            None,
        ),
        None,
    )
    with store.unit() as uow:
        account = uow.values("accounts", new.account_id)
        if account["deleted_at"] is not None:
            raise ValidationError.single(
                "account_id", "stakeholder.account_archived", "The new account is archived"
            )
        for pid in uow.ids_where("positions", contact_id=contact_id, account_id=new.account_id):
            if is_current(as_date(uow.values("positions", pid)["end_date"]), today):
                raise ValidationError.single(
                    "account_id",
                    "stakeholder.already_there",
                    "This person already has a position at that account",
                )
        if end_position_id is not None:
            old = _position(uow, end_position_id)
            if old["contact_id"] != contact_id:
                raise ValueError("the position to end belongs to someone else")
            if is_current(as_date(old["end_date"]), start):
                uow.update("positions", end_position_id, {"end_date": start})
        values.pop("end_date")
        new_id = uow.insert(
            "positions",
            {
                **values,
                "contact_id": contact_id,
                "account_id": new.account_id,
                "start_date": start,
                "reports_to_id": None,
            },
        )
        return Saved(new_id, uow.commit())

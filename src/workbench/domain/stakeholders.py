"""The stakeholder map's rules: the org tree from reports-to, cycles, coverage gaps, leavers.

Why pure functions over plain mappings: the map is drawn for accounts with hundreds of people,
so the tree is built in one pass (O(n)) from what one query returns, and the same rules are
checked by the service before a write and by hypothesis properties in the tests.

Reports-to points at a *contact* (the boss), not at a position: people change seats, and the
line "Lan reports to Hùng" is about the two people at this account.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from workbench.domain.enums import StakeholderRole, Stance
from workbench.domain.errors import FieldError, ValidationError

# How often someone on our side should meet an account's key people, by account tier (days).
CADENCE_DAYS: Mapping[str, int] = {"strategic": 30, "key": 45, "core": 60, "small": 90}
DEFAULT_CADENCE_DAYS = 60
# A position that ended within this many days shows under "left recently".
LEFT_RECENTLY_DAYS = 90
# Who counts as a key person: these roles, or influence at least KEY_INFLUENCE.
KEY_ROLES = frozenset(
    {StakeholderRole.DECISION_MAKER, StakeholderRole.EXEC_SPONSOR, StakeholderRole.CHAMPION}
)
KEY_INFLUENCE = 4
# Activities that count as having met someone.
MEETING_KINDS = ("meeting", "call", "visit")

MAX_TITLE = 120
INFLUENCE_RANGE = (1, 5)
STRENGTH_RANGE = (0, 4)


def cadence_days(tier: str) -> int:
    return CADENCE_DAYS.get(tier, DEFAULT_CADENCE_DAYS)


def is_current(end_date: date | None, today: date) -> bool:
    """Is a position with this end date someone's current seat on `today`?

    The rule everywhere on the stakeholder map (cards, reports-to checks, leavers, moves): no
    end date, or an end date still in the future (notice given, not yet gone), is current; an
    end date today or earlier means the person has left this seat. The rest of the app reads
    "current" as "no end date" (storage.queries, services.leads); the two agree on every
    position that has already ended or has no end date, and differ only while a future end
    date is pending, when the map still shows the person.
    """
    return end_date is None or end_date > today


@dataclass(frozen=True)
class Seat:
    """One position of a person at an account, as far as choosing their current seat goes."""

    position_id: str
    contact_id: str
    start_date: date | None
    end_date: date | None


def current_seats(seats: Iterable[Seat], today: date) -> dict[str, str]:
    """Contact id -> the position id of the seat that stands for them at the account today.

    The one rule for a person with two current seats at one account (the map's card and the
    reports-to check both use it): the newest, by start date (no start date counts as oldest),
    ties to the smaller position id so every device picks the same one.
    """
    best: dict[str, Seat] = {}
    for seat in seats:
        if not is_current(seat.end_date, today):
            continue
        held = best.get(seat.contact_id)
        if held is None or _newer(seat, held):
            best[seat.contact_id] = seat
    return {cid: seat.position_id for cid, seat in best.items()}


def _newer(a: Seat, b: Seat) -> bool:
    a_start, b_start = a.start_date or date.min, b.start_date or date.min
    if a_start != b_start:
        return a_start > b_start
    return a.position_id < b.position_id


def left_recently(end_date: date | None, today: date, days: int = LEFT_RECENTLY_DAYS) -> bool:
    return end_date is not None and 0 <= (today - end_date).days <= days


# -- the org tree ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrgTree:
    """People (contact ids) as a forest: roots first, each with its direct reports in order."""

    roots: tuple[str, ...]
    children: Mapping[str, tuple[str, ...]]

    def walk(self) -> Iterator[tuple[str, int]]:
        """Every person once, depth first, with their depth (roots are 0)."""
        stack = [(r, 0) for r in reversed(self.roots)]
        while stack:
            node, depth = stack.pop()
            yield node, depth
            stack.extend((c, depth + 1) for c in reversed(self.children.get(node, ())))

    def reports_of(self, contact_id: str) -> tuple[str, ...]:
        return self.children.get(contact_id, ())


def build_org_tree(people: Sequence[tuple[str, str | None]]) -> OrgTree:
    """The forest of `(contact_id, reports_to_id)` pairs, in their given order.

    A person is a root when they report to nobody, to themselves, or to someone who is not
    among `people` (a boss who left, or who works at another account). Stored data may still
    hold a loop (two devices each set one link while offline; sync merges field by field):
    exactly one link of each loop is cut, that of the loop's first member in the given order,
    who is drawn as a root; people who merely report into a loop keep their boss.
    """
    ids = list(dict.fromkeys(cid for cid, _ in people))
    order = {cid: i for i, cid in enumerate(ids)}
    boss: dict[str, str | None] = {}
    for cid, reports_to in people:
        boss.setdefault(cid, reports_to if reports_to in order and reports_to != cid else None)
    children: dict[str, list[str]] = {}
    for cid in ids:
        b = boss[cid]
        if b is not None:
            children.setdefault(b, []).append(cid)
    roots = [cid for cid in ids if boss[cid] is None]
    reached: set[str] = set()

    def reach(start: str) -> None:
        stack = [start]
        while stack:
            node = stack.pop()
            reached.add(node)
            stack.extend(children.get(node, ()))

    for root in roots:
        reach(root)
    for cid in ids:
        if cid in reached:
            continue
        # Not under any root, so walking up from here ends going round a loop.
        walked: set[str] = set()
        node = cid
        while node not in walked:
            walked.add(node)
            up = boss[node]
            assert up is not None  # a person without a boss is a root, and reached
            node = up
        loop = [node]
        up = boss[node]
        while up is not None and up != node:
            loop.append(up)
            up = boss[up]
        cut = min(loop, key=order.__getitem__)
        b = boss[cut]
        assert b is not None
        children[b].remove(cut)
        boss[cut] = None
        roots.append(cut)
        reach(cut)
    return OrgTree(tuple(roots), {k: tuple(v) for k, v in children.items() if v})


def would_cycle(reports_to: Mapping[str, str | None], person: str, new_boss: str | None) -> bool:
    """Would "person reports to new_boss" close a loop? (Reporting to oneself is one.)

    Walks up from the new boss; a loop already stored elsewhere ends the walk without
    blaming this change.
    """
    if new_boss is None:
        return False
    seen: set[str] = set()
    current: str | None = new_boss
    while current is not None and current not in seen:
        if current == person:
            return True
        seen.add(current)
        current = reports_to.get(current)
    return False


def check_reports_to(
    reports_to: Mapping[str, str | None],
    person: str,
    new_boss: str | None,
    names: Mapping[str, str] | None = None,
) -> None:
    """Raise a ValidationError (field "reports_to_id") when the link would make a loop."""
    names = names or {}
    if new_boss is None:
        return
    if new_boss == person:
        raise ValidationError.single(
            "reports_to_id", "stakeholder.reports_to_self", "A person cannot report to themselves"
        )
    if would_cycle(reports_to, person, new_boss):
        raise ValidationError.single(
            "reports_to_id",
            "stakeholder.reports_to_cycle",
            "{boss} already reports to {person}, directly or through others; "
            "that would make a loop",
            boss=names.get(new_boss, new_boss),
            person=names.get(person, person),
        )


def with_reports_to(
    reports_to: Mapping[str, str | None], person: str, new_boss: str | None
) -> dict[str, str | None]:
    """The mapping after a checked change (raises as `check_reports_to` does)."""
    check_reports_to(reports_to, person, new_boss)
    changed = dict(reports_to)
    changed[person] = new_boss
    return changed


# -- coverage gaps --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gap:
    """One hole in our coverage. `message` is English with `{placeholders}` from `params`."""

    code: str
    message: str
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    contact_id: str | None = None

    def render(self) -> str:
        return self.message.format(**self.params)


@dataclass(frozen=True)
class CoverageFacts:
    """What the gap rules need to know about one current stakeholder."""

    contact_id: str
    name: str
    role: str
    influence: int
    last_met: date | None


def is_key(role: str, influence: int) -> bool:
    return role in KEY_ROLES or influence >= KEY_INFLUENCE


def coverage_gaps(people: Sequence[CoverageFacts], tier: str, today: date) -> list[Gap]:
    """No known decision maker, no champion, and each key person not met within the cadence."""
    gaps: list[Gap] = []
    roles = {p.role for p in people}
    if StakeholderRole.DECISION_MAKER not in roles:
        gaps.append(Gap("gap.no_decision_maker", "No known decision maker"))
    if StakeholderRole.CHAMPION not in roles:
        gaps.append(Gap("gap.no_champion", "No champion: nobody here argues our case"))
    cadence = cadence_days(tier)
    stale: list[tuple[int, CoverageFacts]] = []
    for p in people:
        if not is_key(p.role, p.influence):
            continue
        days = None if p.last_met is None else (today - p.last_met).days
        if days is None or days > cadence:
            stale.append((days if days is not None else 1 << 30, p))
    stale.sort(key=lambda item: (-item[0], -item[1].influence, item[1].name))
    for days, p in stale:
        if p.last_met is None:
            gaps.append(
                Gap(
                    "gap.never_met",
                    "Nobody on our side has met {name} yet",
                    {"name": p.name},
                    p.contact_id,
                )
            )
        else:
            gaps.append(
                Gap(
                    "gap.not_met",
                    "Nobody on our side has met {name} for {days} days (cadence {cadence})",
                    {"name": p.name, "days": str(days), "cadence": str(cadence)},
                    p.contact_id,
                )
            )
    return gaps


# -- editing a position's stakeholder fields ----------------------------------------------------
@dataclass(frozen=True)
class StakeholderEdit:
    """The stakeholder fields of one position, as a dialog or a drag sets them."""

    title: str
    department: str
    stakeholder_role: str
    influence: int
    stance: str
    strength: int
    colleague_id: str | None
    reports_to_id: str | None
    end_date: date | None


def clean_stakeholder(edit: StakeholderEdit, start_date: date | None) -> dict[str, object]:
    """The column values of `edit`, or every problem with it at once."""
    title = " ".join(edit.title.split())
    department = " ".join(edit.department.split())
    errors: list[FieldError] = []
    for name, value in (("title", title), ("department", department)):
        if len(value) > MAX_TITLE:
            errors.append(
                FieldError(
                    name,
                    "stakeholder.too_long",
                    "A title or department has at most {max} characters",
                    {"max": str(MAX_TITLE)},
                )
            )
    if edit.stakeholder_role not in StakeholderRole._value2member_map_:
        errors.append(
            FieldError("stakeholder_role", "stakeholder.role_unknown", "Pick a stakeholder role")
        )
    if edit.stance not in Stance._value2member_map_:
        errors.append(FieldError("stance", "stakeholder.stance_unknown", "Pick a stance"))
    low, high = INFLUENCE_RANGE
    if not low <= edit.influence <= high:
        errors.append(
            FieldError("influence", "stakeholder.influence_range", "Influence is from 1 to 5")
        )
    low, high = STRENGTH_RANGE
    if not low <= edit.strength <= high:
        errors.append(
            FieldError("strength", "stakeholder.strength_range", "Strength is from 0 to 4")
        )
    if edit.end_date is not None and start_date is not None and edit.end_date < start_date:
        errors.append(
            FieldError(
                "end_date",
                "stakeholder.end_before_start",
                "The position cannot end before it started ({start})",
                {"start": start_date.isoformat()},
            )
        )
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "department": department,
        "stakeholder_role": edit.stakeholder_role,
        "influence": edit.influence,
        "stance": edit.stance,
        "strength": edit.strength,
        "colleague_id": edit.colleague_id or None,
        "end_date": edit.end_date,
    }

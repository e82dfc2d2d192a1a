"""Contacts and their positions: who works at an account, in which seat, and how we stand.

Why the roles follow the seats: a stakeholder map is only believable when the person holding
the purse is the decision maker (the head, or the director whose budget it is), the head of IT
champions us, the chief accountant is the finance contact, and the hierarchy is consistent.
Exactly one current decision maker per account keeps the health score's coverage check honest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from workbench.demo import vocab
from workbench.demo.accounts import AccountInfo
from workbench.demo.catalog import (
    BANK_SLOTS,
    COMPANY_SLOTS,
    FOREIGN_SLOTS,
    HOUSEHOLD_SLOTS,
    PUBLIC_SLOTS,
    Slot,
)
from workbench.demo.details import foreign_phone, unique, vn_landline, vn_mobile
from workbench.demo.dice import Dice
from workbench.demo.phrases import CONTACT_NOTES
from workbench.domain.enums import AccountKind, StakeholderRole, Stance, TeamRole, Tier
from workbench.domain.text import fold

Row = dict[str, Any]
SR = StakeholderRole

# Age ranges by seniority: heads of companies are rarely 26.
_AGES = {0: (42, 62), 1: (36, 58), 2: (29, 55), 3: (23, 45)}
_COUNT = {Tier.STRATEGIC: (10, 16), Tier.KEY: (6, 10), Tier.CORE: (4, 7), Tier.SMALL: (2, 5)}
_STANCES: tuple[tuple[Stance, float], ...] = (
    (Stance.SUPPORTER, 35),
    (Stance.NEUTRAL, 45),
    (Stance.SKEPTIC, 15),
    (Stance.OPPONENT, 5),
)


@dataclass
class Person:
    """A contact as the timeline needs it: whom to invite and how to name them in a note."""

    id: str
    role: str
    influence: int
    who: str  # "chị Lan", "anh Hùng", "Sarah"


class Registry:
    """E-mails and mobiles handed out so far; both stay unique across the whole database."""

    def __init__(self) -> None:
        self.emails: set[str] = set()
        self.mobiles: set[str] = set()

    def email(self, local: str, domain: str) -> str:
        local = re.sub(r"[^a-z0-9.]", "", fold(local).replace(" ", "")).strip(".") or "contact"
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate)
        return candidate


def _slots_for(acc: AccountInfo) -> tuple[Slot, ...]:
    if acc.lang == "en":
        return FOREIGN_SLOTS
    return {
        AccountKind.BANK_CLIENT: BANK_SLOTS,
        AccountKind.PUBLIC: PUBLIC_SLOTS,
        AccountKind.HOUSEHOLD: HOUSEHOLD_SLOTS,
    }.get(AccountKind(acc.kind), COMPANY_SLOTS)


def _seats(d: Dice, acc: AccountInfo, n: int) -> list[Slot]:
    """The head plus n-1 others, mostly in the order a relationship meets them."""
    slots = _slots_for(acc)
    head = Slot(acc.head_title, slots[0].department, 0, "head")
    if acc.head_title == "Giám đốc Chi nhánh":
        head = Slot(acc.head_title, "Ban Giám đốc Chi nhánh", 0, "head")
    others = list(slots[1:])
    window = others[: n + 1]
    chosen = sorted(d.sample(window, n - 1), key=others.index)
    staff = [s for s in others if s.level == 3] or others
    while len(chosen) < n - 1:  # big accounts: more people in staff seats
        chosen.append(d.pick(staff))
    # Seniors first, so everyone's manager exists before them (reports_to refers back).
    return [head, *sorted(chosen, key=lambda s: s.level)]


def _roles(d: Dice, seats: list[Slot]) -> list[str]:
    """Stakeholder roles for the seats: one decision maker, and the usual cast around them."""
    roles = [""] * len(seats)
    directors = [i for i, s in enumerate(seats) if s.level == 1 and s.function in ("it", "finance")]
    dm = 0 if len(seats) <= 3 or not directors or d.chance(0.55) else d.pick(directors)
    roles[dm] = SR.DECISION_MAKER
    if dm != 0:
        roles[0] = SR.EXEC_SPONSOR if d.chance(0.7) else SR.INFLUENCER
    else:
        deputies = [i for i, s in enumerate(seats) if s.level == 1 and not roles[i]]
        if deputies and d.chance(0.5):
            roles[d.pick(deputies)] = SR.EXEC_SPONSOR
    for i, s in enumerate(seats):
        if roles[i]:
            continue
        if s.function == "finance" and SR.FINANCE_CONTACT not in roles:
            roles[i] = SR.FINANCE_CONTACT
        elif s.function == "it" and s.level == 2 and SR.CHAMPION not in roles and d.chance(0.75):
            roles[i] = SR.CHAMPION
        elif s.function in ("it", "security") and s.level >= 2:
            roles[i] = SR.TECHNICAL if d.chance(0.7) else SR.USER
        elif s.function in ("procurement", "legal") and SR.BLOCKER not in roles and d.chance(0.2):
            roles[i] = SR.BLOCKER
        elif s.level <= 2:
            roles[i] = SR.INFLUENCER if d.chance(0.6) else SR.USER
        else:
            roles[i] = SR.USER
    if SR.CHAMPION not in roles and len(seats) > 2 and d.chance(0.5):
        spare = [i for i, r in enumerate(roles) if r in (SR.INFLUENCER, SR.USER)]
        if spare:
            roles[d.pick(spare)] = SR.CHAMPION
    return [str(r) for r in roles]


def _tone(d: Dice, role: str, level: int) -> tuple[int, str, int]:
    """(influence 1..5, stance, strength 0..4) that fit the role."""
    influence = {0: 5, 1: 4, 2: 3, 3: d.between(1, 2)}[level]
    if role == SR.DECISION_MAKER:
        influence = 5 if level <= 1 else 4
        return influence, str(d.weighted(_STANCES)), d.pick((1, 2, 2, 3, 3, 4))
    if role == SR.CHAMPION:
        return max(influence, 3), Stance.SUPPORTER.value, d.between(3, 4)
    if role == SR.BLOCKER:
        stance = Stance.SKEPTIC if d.chance(0.6) else Stance.OPPONENT
        return max(influence, 3), stance.value, d.between(0, 1)
    if role == SR.EXEC_SPONSOR:
        return influence, d.pick((Stance.SUPPORTER, Stance.NEUTRAL)).value, d.between(1, 3)
    return influence, str(d.weighted(_STANCES)), d.between(0, 3)


def _colleague(d: Dice, acc: AccountInfo, role: str) -> str:
    team = dict((r, u) for r, u in reversed(acc.team))
    if role == SR.FINANCE_CONTACT and TeamRole.FINANCE in team:
        return team[TeamRole.FINANCE]
    if role in (SR.TECHNICAL, SR.CHAMPION) and TeamRole.DELIVERY in team and d.chance(0.6):
        return team[TeamRole.DELIVERY]
    if role in (SR.DECISION_MAKER, SR.EXEC_SPONSOR) or d.chance(0.6):
        return acc.owner_id
    return d.pick(acc.team)[1]


def _bosses(seats: list[Slot]) -> list[int | None]:
    """Index of each seat's manager: same function one level up, else the nearest level up."""
    out: list[int | None] = []
    for s in seats:
        if s.level == 0:
            out.append(None)
            continue
        above = [i for i, o in enumerate(seats) if o.level < s.level]
        same = [i for i in above if seats[i].function == s.function]
        pool = same or [i for i in above if seats[i].level == 0] or above
        out.append(max(pool, key=lambda i: seats[i].level) if pool else None)
    return out


class PeopleMaker:
    """Contacts and positions for one account at a time."""

    def __init__(self, d: Dice, accounts: list[AccountInfo]) -> None:
        self.d = d
        self.accounts = accounts
        self.registry = Registry()

    def count(self, acc: AccountInfo) -> int:
        if acc.kind == AccountKind.HOUSEHOLD:
            return self.d.between(1, 3)
        return self.d.between(*_COUNT[Tier(acc.tier)])

    def _name(self, acc: AccountInfo, seat: Slot, index: int) -> tuple[str, str, str, bool]:
        d = self.d
        if acc.abroad is not None:
            givens, families = vocab.FOREIGN_NAMES[acc.abroad.code]
            return d.pick(families), "", d.pick(givens), d.chance(0.45)
        if acc.household_head is not None and index == 0:
            return acc.household_head
        female = d.chance(0.6 if seat.function == "finance" else 0.42)
        family = d.weighted(vocab.FAMILY_NAMES)
        if acc.household_head is not None and d.chance(0.6):
            family = acc.household_head[0]  # a family business
        middle = d.pick(vocab.MIDDLE_FEMALE if female else vocab.MIDDLE_MALE)
        given = d.pick(vocab.GIVEN_FEMALE if female else vocab.GIVEN_MALE)
        return family, middle, given, female

    def _email(
        self, acc: AccountInfo, family: str, middle: str, given: str, born: int, head: bool
    ) -> str:
        d = self.d
        if head and acc.household_head is not None:
            return self.registry.email(acc.email.split("@")[0], "gmail.com")
        if acc.lang == "en":
            local = f"{given}.{family}" if d.chance(0.7) else f"{given[0]}{family}"
        elif acc.domain == "gmail.com":
            local = f"{given}{family}{born % 100:02d}"
        else:
            initials = "".join(w[0] for w in f"{family} {middle}".split())
            local = d.weighted(
                (
                    (f"{given}.{family}", 40),
                    (f"{given}{initials}", 35),
                    (f"{family}{middle}{given}", 15),
                    (f"{given}{family}", 10),
                )
            )
        return self.registry.email(local, acc.domain)

    def make(self, acc: AccountInfo, contacts: list[Row], positions: list[Row]) -> list[Person]:
        d = self.d
        seats = _seats(d, acc, self.count(acc))
        roles = _roles(d, seats)
        bosses = _bosses(seats)
        people: list[Person] = []
        for i, seat in enumerate(seats):
            family, middle, given, female = self._name(acc, seat, i)
            created = acc.created_at + (d.now - acc.created_at) * (d.r.random() ** 2)
            cid = d.new_id()
            born = d.today.year - d.between(*_AGES[seat.level])
            if acc.head_born is not None and i == 0:
                born = acc.head_born
            birthday = None
            if d.chance(0.45):
                birthday = date(born, 1, 1) + timedelta(days=d.between(0, 364))
            has_email = d.chance(0.92)
            if acc.abroad is not None:
                mobile = unique(self.registry.mobiles, partial(foreign_phone, d, acc.abroad.mobile))
            elif d.chance(0.93):
                mobile = unique(self.registry.mobiles, partial(vn_mobile, d))
            else:
                mobile = ""
            phone = ""
            if acc.vn_city is not None and acc.kind != AccountKind.HOUSEHOLD and d.chance(0.25):
                phone = vn_landline(d, acc.vn_city)
            contacts.append(
                {
                    "id": cid,
                    "family_name": family,
                    "middle_name": middle,
                    "given_name": given,
                    "name_order": "given_first" if acc.lang == "en" else "family_first",
                    "email": (
                        self._email(acc, family, middle, given, born, i == 0)
                        if has_email or i == 0
                        else ""
                    ),
                    "phone": phone,
                    "mobile": mobile,
                    "birthday": birthday,
                    "language": acc.lang,
                    "tax_code": acc.tax_code if acc.household_head is not None and i == 0 else "",
                    "notes": d.pick(CONTACT_NOTES[acc.lang]) if d.chance(0.12) else "",
                    "created_at": created,
                    "updated_at": d.edited(created),
                }
            )
            moved = len(self.accounts) > 1 and d.chance(0.10)
            start = created.date() - timedelta(days=d.between(0, 300 if moved else 1500))
            if moved:
                self._past_position(acc, cid, seat, start, created, positions)
            influence, stance, strength = _tone(d, roles[i], seat.level)
            boss = bosses[i]
            positions.append(
                {
                    "id": d.new_id(),
                    "contact_id": cid,
                    "account_id": acc.id,
                    "title": seat.title,
                    "department": seat.department,
                    "reports_to_id": people[boss].id if boss is not None else None,
                    "stakeholder_role": roles[i],
                    "influence": influence,
                    "stance": stance,
                    "strength": strength,
                    "colleague_id": _colleague(d, acc, roles[i]),
                    "start_date": start,
                    "end_date": None,
                    "created_at": created,
                    "updated_at": d.edited(created),
                }
            )
            # How a note names them: "chị Lan", "anh Hùng"; English notes use the given name.
            who = given if acc.lang == "en" else f"{'chị' if female else 'anh'} {given}"
            people.append(Person(cid, roles[i], influence, who))
        return people

    def _past_position(
        self,
        acc: AccountInfo,
        cid: str,
        seat: Slot,
        start: date,
        created: datetime,
        positions: list[Row],
    ) -> None:
        """The job this person held before: at another account, ended before this one began."""
        d = self.d
        other = d.pick(self.accounts)
        for _ in range(20):  # someone from a similar place: same language, not a household
            if other.id != acc.id and other.lang == acc.lang and other.household_head is None:
                break
            other = d.pick(self.accounts)
        if other.id == acc.id:
            return
        # One step down the ladder, or the same seat elsewhere: people move up when they move.
        options = _slots_for(other)[1:]
        seats = [s for s in options if s.level in (seat.level, seat.level + 1)]
        old = d.pick(seats or options)
        end = start - timedelta(days=d.between(1, 60))
        role = {"finance": SR.FINANCE_CONTACT, "it": SR.TECHNICAL}.get(old.function, SR.USER)
        positions.append(
            {
                "id": d.new_id(),
                "contact_id": cid,
                "account_id": other.id,
                "title": old.title,
                "department": old.department,
                "reports_to_id": None,
                "stakeholder_role": role.value,
                "influence": max(1, min(5, 4 - old.level + d.between(0, 1))),
                "stance": d.pick((Stance.SUPPORTER, Stance.NEUTRAL)).value,
                "strength": d.between(0, 2),
                "colleague_id": d.pick(other.team)[1],
                "start_date": end - timedelta(days=d.between(365, 2500)),
                "end_date": end,
                "created_at": created,
                "updated_at": created,
            }
        )

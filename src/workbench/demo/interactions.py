"""What an account holds, what is in the pipeline, and 18 months of history with it.

Why the pieces are made together per account: a renewal deal closes when a holding ends, a
meeting's commitment goes to someone who was in the room, and a finance colleague's calls are
about invoices. Made together they tell one consistent story per account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from workbench.demo.accounts import AccountInfo
from workbench.demo.catalog import LINE_VI, ProductSpec
from workbench.demo.details import minor_from_vnd
from workbench.demo.dice import ICT, Dice
from workbench.demo.people import Person
from workbench.demo.phrases import (
    COMMITMENTS,
    FINANCE_SUBJECTS,
    NEXT_STEPS,
    NOTES,
    OPPORTUNITY_NAMES,
    OUTCOMES,
    SUBJECTS,
)
from workbench.domain.enums import (
    AccountKind,
    ActivityKind,
    ActivityStatus,
    CommitmentStatus,
    OpportunityStage,
    StakeholderRole,
    TeamRole,
    Tier,
    UsageLevel,
)

Row = dict[str, Any]
Rows = dict[str, list[Row]]
Stage = OpportunityStage

HISTORY_DAYS = 548  # 18 months
_HOLDINGS = {Tier.STRATEGIC: (4, 6), Tier.KEY: (3, 5), Tier.CORE: (1, 4), Tier.SMALL: (1, 2)}
_TIER_FACTOR = {Tier.STRATEGIC: 1.8, Tier.KEY: 1.3, Tier.CORE: 1.0, Tier.SMALL: 0.7}
# Activities per account: rich (the first accounts of a demo) and plain (the rest of a big one).
_RICH = {Tier.STRATEGIC: (22, 28), Tier.KEY: (16, 22), Tier.CORE: (10, 16), Tier.SMALL: (8, 12)}
_PLAIN = {Tier.STRATEGIC: (10, 14), Tier.KEY: (8, 11), Tier.CORE: (5, 8), Tier.SMALL: (3, 5)}
_KINDS: tuple[tuple[ActivityKind, float], ...] = (
    (ActivityKind.MEETING, 24),
    (ActivityKind.CALL, 26),
    (ActivityKind.EMAIL, 26),
    (ActivityKind.VISIT, 8),
    (ActivityKind.NOTE, 10),
    (ActivityKind.TASK, 6),
)
_USAGE: tuple[tuple[UsageLevel, float], ...] = (
    (UsageLevel.HIGH, 30),
    (UsageLevel.MEDIUM, 40),
    (UsageLevel.LOW, 20),
    (UsageLevel.NONE, 10),
)
_STAGES: tuple[tuple[Stage, float], ...] = (
    (Stage.QUALIFY, 16),
    (Stage.DEVELOP, 18),
    (Stage.PROPOSE, 16),
    (Stage.NEGOTIATE, 12),
    (Stage.WON, 22),
    (Stage.LOST, 16),
)
_PROBABILITY = {
    Stage.QUALIFY: (10,),
    Stage.DEVELOP: (20, 25, 30),
    Stage.PROPOSE: (40, 50, 60),
    Stage.NEGOTIATE: (70, 75, 80),
    Stage.WON: (100,),
    Stage.LOST: (0,),
}


@dataclass
class Held:
    """A holding as the pipeline sees it: what, until when, and worth how much a year."""

    spec: ProductSpec
    end: date | None
    value_minor: int
    id: str = ""


class StoryMaker:
    """Holdings, opportunities, activities (with attendees) and commitments of one account."""

    def __init__(self, d: Dice, product_ids: dict[str, str], finance_ids: list[str]) -> None:
        self.d = d
        self.product_ids = product_ids
        self.finance_ids = set(finance_ids)

    def make(self, acc: AccountInfo, people: list[Person], rich: bool, out: Rows) -> list[Held]:
        """Write the account's story into `out`; return what it holds (for its plan)."""
        held = self._holdings(acc, out["holdings"])
        self._opportunities(acc, held, rich, out["opportunities"])
        self._activities(acc, people, held, rich, out)
        return held

    # -- holdings ------------------------------------------------------------------------------
    def _value(self, acc: AccountInfo, spec: ProductSpec) -> int:
        d = self.d
        factor = 0.15 if acc.kind == AccountKind.HOUSEHOLD else _TIER_FACTOR[Tier(acc.tier)]
        millions = min(4800, int(d.between(spec.low_m, spec.high_m) * factor))
        return minor_from_vnd(max(millions, 1) * 1_000_000, acc.currency)

    def _holdings(self, acc: AccountInfo, rows: list[Row]) -> list[Held]:
        d = self.d
        low, high = (1, 2) if acc.kind == AccountKind.HOUSEHOLD else _HOLDINGS[Tier(acc.tier)]
        specs = d.sample(acc.products, d.between(low, high))
        core = next((p for p in acc.products if p.code == "CB-CORE"), None)
        if core is not None and core not in specs and d.chance(0.8):
            specs[0] = core
        held: list[Held] = []
        for spec in specs:
            usage = d.weighted(_USAGE)
            if spec.recurring:
                # The end is the next renewal: a whole number of years after the start.
                roll = d.r.random()
                if roll < 0.28:
                    end = d.day(d.between(5, 90))  # renewing soon: the AM's to-do list
                elif roll < 0.33:
                    end = d.day(-d.between(10, 120))  # lapsed, not renewed
                    usage = d.pick((UsageLevel.NONE, UsageLevel.LOW))
                else:
                    end = d.day(d.between(91, 365))
                start = end - timedelta(days=365 * d.between(1, 5))
            else:
                start = d.day(-d.between(30, 900))
                end = start + timedelta(days=d.between(30, 180))
            value = self._value(acc, spec)
            created = max(acc.created_at, d.clamp(d.office_time(start) - timedelta(days=10)))
            holding_id = d.new_id()
            rows.append(
                {
                    "id": holding_id,
                    "account_id": acc.id,
                    "product_id": self.product_ids[spec.code],
                    "start_date": start,
                    "end_date": end,
                    "annual_value_minor": value,
                    "currency": acc.currency,
                    "usage_level": usage.value,
                    "created_at": created,
                    "updated_at": d.edited(created),
                }
            )
            held.append(Held(spec, end if spec.recurring else None, value, holding_id))
        return held

    # -- opportunities -------------------------------------------------------------------------
    def _opportunities(
        self, acc: AccountInfo, held: list[Held], rich: bool, rows: list[Row]
    ) -> None:
        d = self.d
        renewable = [h for h in held if h.end and 0 <= (h.end - d.today).days <= 180]
        not_held = [p for p in acc.products if all(h.spec is not p for h in held)]
        upsell = list(held)
        count = d.between(1, 4) if rich else d.between(0, 3)
        if acc.kind == AccountKind.HOUSEHOLD:
            count = d.between(0, 1)
        for _ in range(count):
            holding_id: str | None = None
            kind = d.weighted(
                (
                    ("renewal", 35 if renewable else 0),
                    ("upsell", 20 if upsell else 0),
                    ("cross_sell", 30 if not_held else 0),
                    ("new", 15),
                )
            )
            if kind == "renewal":
                h = renewable.pop(d.r.randrange(len(renewable)))
                spec, close, holding_id = h.spec, h.end, h.id
                assert close is not None
                amount = int(h.value_minor * d.pick((1.0, 1.0, 1.05, 1.1)))
                days = (close - d.today).days
                stage = d.pick(
                    (Stage.PROPOSE, Stage.NEGOTIATE)
                    if days <= 30
                    else (Stage.DEVELOP, Stage.PROPOSE)
                    if days <= 90
                    else (Stage.QUALIFY, Stage.DEVELOP)
                )
            else:
                if kind == "upsell":
                    h = upsell.pop(d.r.randrange(len(upsell)))
                    spec = h.spec
                    amount = int(h.value_minor * d.between(20, 60) / 100)
                else:
                    pool = not_held or list(acc.products)
                    spec = pool.pop(d.r.randrange(len(pool)))
                    amount = self._value(acc, spec) * (3 if kind == "new" else 2) // 2
                stage = d.weighted(_STAGES)
                if not stage.is_open:
                    close = d.day(-d.between(15, 365))
                elif d.chance(0.1):
                    close = d.day(-d.between(1, 30))  # slipped: still open after its date
                else:
                    close = d.day(d.between(7, 180))
            amount = (
                minor_from_vnd(amount, "VND")
                if acc.currency == "VND"
                else (max(10_000, round(amount / 10_000) * 10_000))
            )
            names = OPPORTUNITY_NAMES[acc.lang]
            name = names[kind].format(
                product=spec.name if acc.lang == "vi" else spec.name_en,
                line=LINE_VI[spec.line] if acc.lang == "vi" else spec.line,
                year=close.year,
            )
            owner = acc.owner_id
            sales = [u for r, u in acc.team if r == TeamRole.SALES]
            if kind in ("new", "cross_sell") and sales and d.chance(0.6):
                owner = sales[0]
            created = d.clamp(d.office_time(close - timedelta(days=d.between(30, 240))))
            created = max(created, acc.created_at)
            updated = d.clamp(d.office_time(close)) if not stage.is_open else d.edited(created)
            rows.append(
                {
                    "id": d.new_id(),
                    "account_id": acc.id,
                    "name": name,
                    "kind": kind,
                    "stage": stage.value,
                    "amount_minor": amount,
                    "currency": acc.currency,
                    "probability": d.pick(_PROBABILITY[stage]),
                    "close_date": close,
                    "owner_id": owner,
                    # The whitespace grid places a deal by its product line; a renewal also
                    # names the holding it renews, so no second renewal is suggested for it.
                    "product_line": spec.line,
                    "holding_id": holding_id,
                    "created_at": created,
                    "updated_at": max(created, updated),
                }
            )

    # -- activities ----------------------------------------------------------------------------
    def _activities(
        self, acc: AccountInfo, people: list[Person], held: list[Held], rich: bool, out: Rows
    ) -> None:
        d = self.d
        tier = Tier(acc.tier)
        if acc.kind == AccountKind.HOUSEHOLD:
            count = d.between(5, 8) if rich else d.between(2, 4)
        else:
            count = d.between(*(_RICH if rich else _PLAIN)[tier])
        # Some accounts have gone quiet: nothing in the last months (the health score notices).
        newest = d.between(100, 200) if d.chance(0.08) else 1
        for _ in range(count):
            ago = newest + int((HISTORY_DAYS - newest) * d.r.random() ** 1.3)
            when = d.office_time(d.day(-ago))
            if when >= d.now:  # a weekend pushed "yesterday" to today
                when -= timedelta(days=3)
            kind = d.weighted(_KINDS)
            status = ActivityStatus.DONE
            if kind in (ActivityKind.MEETING, ActivityKind.VISIT) and d.chance(0.04):
                status = ActivityStatus.CANCELLED
            self._activity(acc, people, held, kind, status, when, out)
        upcoming = (
            (2 if d.chance(0.55) else 1 if d.chance(0.5) else 0)
            if rich
            else (1 if d.chance(0.25) else 0)
        )
        for _ in range(upcoming):
            kind = d.weighted(
                ((ActivityKind.MEETING, 60), (ActivityKind.CALL, 25), (ActivityKind.VISIT, 15))
            )
            when = d.office_time(d.day(d.between(1, 20)))
            if when <= d.now:  # a weekend pulled "tomorrow" back to today
                when += timedelta(days=3)
            self._activity(acc, people, held, kind, ActivityStatus.PLANNED, when, out)
        if d.chance(0.3 if rich else 0.12):  # an open task, perhaps overdue
            when = d.office_time(d.day(d.between(-7, 14)))
            self._activity(acc, people, held, ActivityKind.TASK, ActivityStatus.PLANNED, when, out)

    def _activity(
        self,
        acc: AccountInfo,
        people: list[Person],
        held: list[Held],
        kind: ActivityKind,
        status: ActivityStatus,
        when: datetime,
        out: Rows,
    ) -> None:
        d = self.d
        owner = acc.owner_id if d.chance(0.7) else d.pick(acc.team)[1]
        by_finance = owner in self.finance_ids and kind in (ActivityKind.CALL, ActivityKind.EMAIL)
        if owner in self.finance_ids and not by_finance:
            owner = acc.owner_id
        guests = self._guests(people, kind)
        product = d.pick(held).spec if held and d.chance(0.8) else d.pick(acc.products)
        local = when + ICT
        words = {
            "product": product.name if acc.lang == "vi" else product.name_en,
            "line": LINE_VI[product.line] if acc.lang == "vi" else product.line,
            "year": local.year,
            "city": acc.city,
            "quarter": (
                f"quý {(local.month - 1) // 3 + 1}"
                if acc.lang == "vi"
                else f"Q{(local.month - 1) // 3 + 1}"
            ),
            "month": f"{local.month:02d}/{local.year}",
            "who": guests[0].who
            if guests
            else ("Ban Giám đốc" if acc.lang == "vi" else "the team"),
        }
        pool = FINANCE_SUBJECTS if by_finance else SUBJECTS
        subject = d.pick(pool[acc.lang][kind.value]).format(**words)
        done = status == ActivityStatus.DONE
        talk = kind in (ActivityKind.MEETING, ActivityKind.VISIT)
        notes = ""
        if kind == ActivityKind.NOTE or (talk and done) or d.chance(0.35):
            lines = d.sample(NOTES[acc.lang], 2 if talk and d.chance(0.5) else 1)
            notes = " ".join(line.format(**words) for line in lines)
        outcome = next_step = ""
        if done and (talk or kind == ActivityKind.CALL) and d.chance(0.8):
            outcome = d.pick(OUTCOMES[acc.lang])
        if done and ((talk and d.chance(0.7)) or (kind == ActivityKind.CALL and d.chance(0.4))):
            next_step = d.pick(NEXT_STEPS[acc.lang])
        if status == ActivityStatus.PLANNED:
            created = d.clamp(d.now - timedelta(days=d.between(1, 10)))
        else:
            created = d.clamp(when + timedelta(minutes=d.between(30, 600)))
        updated = created if d.chance(0.6) else d.clamp(created + timedelta(days=d.between(0, 5)))
        aid = d.new_id()
        out["activities"].append(
            {
                "id": aid,
                "account_id": acc.id,
                "kind": kind.value,
                "status": status.value,
                "subject": subject[:200],
                "occurred_at": when,
                "due_date": local.date() if kind == ActivityKind.TASK else None,
                "owner_id": owner,
                "notes": notes,
                "outcome": outcome,
                "next_step": next_step,
                "created_at": created,
                "updated_at": max(created, updated),
            }
        )
        attendees = out["activity_attendees"]
        for p in guests:
            attendees.append(
                {
                    "id": d.new_id(),
                    "activity_id": aid,
                    "contact_id": p.id,
                    "user_id": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        if kind not in (ActivityKind.NOTE, ActivityKind.TASK, ActivityKind.EMAIL):
            users = [owner]
            if talk and d.chance(0.3):
                other = d.pick(acc.team)[1]
                if other != owner:
                    users.append(other)
            for uid in users:
                attendees.append(
                    {
                        "id": d.new_id(),
                        "activity_id": aid,
                        "contact_id": None,
                        "user_id": uid,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
        if talk and done and guests and d.chance(0.4):
            self._commitment(acc, aid, owner, guests[0], when, words, out["commitments"])

    def _guests(self, people: list[Person], kind: ActivityKind) -> list[Person]:
        d = self.d
        if kind == ActivityKind.TASK or not people:
            return []
        if kind in (ActivityKind.MEETING, ActivityKind.VISIT):
            n = d.between(1, min(3, len(people)))
        else:
            n = 1
        weights = [p.influence + (4 if p.role == StakeholderRole.CHAMPION else 0) for p in people]
        chosen: list[Person] = []
        for _ in range(n * 3):
            p = d.r.choices(people, weights=weights)[0]
            if p not in chosen:
                chosen.append(p)
            if len(chosen) == n:
                break
        return chosen

    def _commitment(
        self,
        acc: AccountInfo,
        activity_id: str,
        owner: str,
        to: Person,
        when: datetime,
        words: dict[str, Any],
        rows: list[Row],
    ) -> None:
        d = self.d
        due = (when + ICT).date() + timedelta(days=d.between(5, 30))
        roll = d.r.random()
        status, done_at = CommitmentStatus.OPEN, None
        if due < d.today:
            # Overdue ones are mostly recent: old promises get kept or dropped eventually.
            overdue = 0.25 if (d.today - due).days <= 60 else 0.04
            if roll < overdue:
                status = CommitmentStatus.OPEN  # overdue: the RM's conscience
            elif roll < overdue + 0.06:
                status = CommitmentStatus.CANCELLED
            else:
                status = CommitmentStatus.DONE
        elif roll < 0.08:
            status = CommitmentStatus.DONE
        created = d.clamp(when + timedelta(hours=d.between(1, 4)))
        updated = created
        if status == CommitmentStatus.DONE:
            target = datetime.combine(due, when.time()) + timedelta(days=d.between(-4, 6))
            done_at = d.clamp(max(target, created + timedelta(hours=1)))
            updated = done_at
        elif status == CommitmentStatus.CANCELLED:
            updated = d.clamp(created + timedelta(days=d.between(1, 20)))
        rows.append(
            {
                "id": d.new_id(),
                "account_id": acc.id,
                "activity_id": activity_id,
                "description": d.pick(COMMITMENTS[acc.lang]).format(**words),
                "to_contact_id": to.id,
                "owner_id": owner,
                "due_date": due,
                "status": status.value,
                "done_at": done_at,
                "created_at": created,
                "updated_at": max(created, updated),
            }
        )

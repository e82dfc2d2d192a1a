"""Read queries: everything the docks and the command line show, as plain rows.

Big lists (accounts, contacts) are read a page at a time with the sort and filter done in SQL,
so a 100,000-contact database costs the same to open as a small one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, case, column, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from workbench.domain.names import NameOrder, PersonName
from workbench.domain.records import (
    AccountDetail,
    AccountListRow,
    ContactDetail,
    ContactListRow,
    HoldingRow,
    OpportunityRow,
    PositionRow,
    ProductRow,
    SearchHit,
    StakeholderRow,
    TeamRow,
    TimelineItem,
    UserRow,
)
from workbench.storage import search
from workbench.storage.tables import (
    Account,
    AccountTeamMember,
    Activity,
    ActivityAttendee,
    Commitment,
    Contact,
    Holding,
    Opportunity,
    Position,
    Product,
    User,
)

OPEN_STAGES = ("qualify", "develop", "propose", "negotiate")


@dataclass(frozen=True)
class AccountFilter:
    text: str = ""
    owner_id: str | None = None
    tier: str | None = None
    archived: bool = False


@dataclass(frozen=True)
class ContactFilter:
    text: str = ""
    account_id: str | None = None
    archived: bool = False


ACCOUNT_SORTS = ("name", "tier", "owner", "city", "last_contact", "open_opportunities")
CONTACT_SORTS = ("name", "name_family", "email", "account")
TIER_ORDER = {"strategic": 0, "key": 1, "core": 2, "small": 3}


def _name(family: str, middle: str, given: str, order: str) -> str:
    return PersonName(family, middle, given, NameOrder(order)).display()


def _fts_ids(kind: str, query: str) -> Any:
    """The ids of one kind matching an FTS query, as a subquery with bound parameters."""
    return (
        text(
            "SELECT d.ref_id FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid "
            "WHERE search_fts MATCH :fts_q"
        )
        .bindparams(fts_q=query)
        .columns(column("ref_id", String))
    )


class Queries:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- users -------------------------------------------------------------------------------
    def users(self) -> list[UserRow]:
        rows = self.session.scalars(
            select(User).where(User.deleted_at.is_(None)).order_by(User.name)
        ).all()
        return [UserRow(u.id, u.name, u.email, u.role) for u in rows]

    def products(self) -> list[ProductRow]:
        rows = self.session.scalars(
            select(Product).where(Product.deleted_at.is_(None)).order_by(Product.code)
        ).all()
        return [ProductRow(p.id, p.code, p.name, p.product_line, p.recurring) for p in rows]

    # -- accounts ----------------------------------------------------------------------------
    def _last_contact(self) -> Any:
        return (
            select(func.max(Activity.occurred_at))
            .where(
                Activity.account_id == Account.id,
                Activity.status == "done",
                Activity.deleted_at.is_(None),
            )
            .correlate(Account)
            .scalar_subquery()
        )

    def _open_opps(self) -> tuple[Any, Any]:
        base = select(Opportunity).where(
            Opportunity.account_id == Account.id,
            Opportunity.deleted_at.is_(None),
            Opportunity.stage.in_(OPEN_STAGES),
        )
        count = base.with_only_columns(func.count()).correlate(Account).scalar_subquery()
        total = (
            base.with_only_columns(func.coalesce(func.sum(Opportunity.amount_minor), 0))
            .correlate(Account)
            .scalar_subquery()
        )
        return count, total

    def _account_where(self, stmt: Select[Any], f: AccountFilter) -> Select[Any]:
        if f.archived:
            stmt = stmt.where(Account.deleted_at.is_not(None))
        else:
            stmt = stmt.where(Account.deleted_at.is_(None))
        if f.owner_id:
            stmt = stmt.where(Account.owner_id == f.owner_id)
        if f.tier:
            stmt = stmt.where(Account.tier == f.tier)
        query = search.fts_query(f.text, "account") if f.text.strip() else None
        if query:
            stmt = stmt.where(Account.id.in_(_fts_ids("account", query)))
        return stmt

    def account_count(self, f: AccountFilter) -> int:
        stmt = self._account_where(select(func.count(Account.id)), f)
        return int(self.session.scalar(stmt) or 0)

    def account_page(
        self,
        f: AccountFilter,
        sort: str = "name",
        descending: bool = False,
        offset: int = 0,
        limit: int = 200,
    ) -> list[AccountListRow]:
        # Two steps: the page's ids in list order (on an index when sorted by name, so deep
        # pages stay cheap), then the derived columns for those ids only.
        owner = aliased(User)
        keys: dict[str, Any] = {
            "name": None,
            "tier": case(TIER_ORDER, value=Account.tier, else_=len(TIER_ORDER)),
            "owner": owner.name,
            "city": Account.city,
            "last_contact": self._last_contact(),
            "open_opportunities": self._open_opps()[0],
        }
        key = keys.get(sort)
        ids_stmt = self._account_where(
            select(Account.id).outerjoin(owner, owner.id == Account.owner_id), f
        )
        order = [] if key is None else [key.desc() if descending else key.asc()]
        name_order: list[Any] = [Account.name_folded, Account.id]
        if key is None and descending:
            name_order = [Account.name_folded.desc(), Account.id.desc()]
        ids_stmt = ids_stmt.order_by(*order, *name_order).offset(offset).limit(limit)
        page_ids = list(self.session.scalars(ids_stmt))
        if not page_ids:
            return []
        last = self._last_contact().label("last_contact")
        count, total = self._open_opps()
        stmt = (
            select(Account, owner.name, last, count.label("n_open"), total.label("open_sum"))
            .outerjoin(owner, owner.id == Account.owner_id)
            .where(Account.id.in_(page_ids))
        )
        found = {row[0].id: row for row in self.session.execute(stmt).all()}
        rows = [found[i] for i in page_ids if i in found]
        return [
            AccountListRow(
                a.id,
                a.name,
                a.kind,
                a.tier,
                a.owner_id,
                owner_name or "",
                a.city,
                a.tax_code,
                last_contact,
                int(n_open or 0),
                int(open_sum or 0),
                a.currency,
            )
            for a, owner_name, last_contact, n_open, open_sum in rows
        ]

    def account_detail(self, account_id: str) -> AccountDetail | None:
        a = self.session.get(Account, account_id)
        if a is None:
            return None
        owner = self.session.get(User, a.owner_id) if a.owner_id else None
        parent = self.session.get(Account, a.parent_id) if a.parent_id else None
        last = self.session.scalar(
            select(func.max(Activity.occurred_at)).where(
                Activity.account_id == a.id,
                Activity.status == "done",
                Activity.deleted_at.is_(None),
            )
        )
        return AccountDetail(
            a.id,
            a.name,
            a.kind,
            a.tier,
            a.owner_id,
            owner.name if owner else "",
            a.parent_id,
            parent.name if parent else "",
            a.tax_code,
            a.tax_code_kind,
            a.industry,
            a.city,
            a.country,
            a.address,
            a.website,
            a.phone,
            a.email,
            a.currency,
            a.payment_terms_days,
            a.credit_limit_minor,
            a.notes,
            a.deleted_at is not None,
            last,
            tuple(self.stakeholders(a.id)),
            tuple(self.holdings(a.id)),
            tuple(self.team(a.id)),
            tuple(self.opportunities(a.id)),
        )

    def account_names(self, ids: list[str]) -> dict[str, str]:
        rows = self.session.execute(select(Account.id, Account.name).where(Account.id.in_(ids)))
        return {r[0]: r[1] for r in rows}

    def account_choices(self) -> list[tuple[str, str]]:
        """(id, name) of every live account, for pickers; sorted by folded name."""
        rows = self.session.execute(
            select(Account.id, Account.name)
            .where(Account.deleted_at.is_(None))
            .order_by(Account.name_folded)
        )
        return [(r[0], r[1]) for r in rows]

    def stakeholders(self, account_id: str) -> list[StakeholderRow]:
        boss = aliased(Contact)
        colleague = aliased(User)
        rows = self.session.execute(
            select(Position, Contact, boss, colleague.name)
            .join(Contact, Contact.id == Position.contact_id)
            .outerjoin(boss, boss.id == Position.reports_to_id)
            .outerjoin(colleague, colleague.id == Position.colleague_id)
            .where(
                Position.account_id == account_id,
                Position.deleted_at.is_(None),
                Position.end_date.is_(None),
                Contact.deleted_at.is_(None),
            )
            .order_by(Position.influence.desc(), Contact.sort_given)
        ).all()
        return [
            StakeholderRow(
                p.id,
                c.id,
                _name(c.family_name, c.middle_name, c.given_name, c.name_order),
                p.title,
                p.department,
                p.stakeholder_role,
                p.influence,
                p.stance,
                p.strength,
                colleague_name or "",
                _name(b.family_name, b.middle_name, b.given_name, b.name_order) if b else "",
                c.email,
                c.mobile or c.phone,
            )
            for p, c, b, colleague_name in rows
        ]

    def holdings(self, account_id: str) -> list[HoldingRow]:
        rows = self.session.execute(
            select(Holding, Product)
            .join(Product, Product.id == Holding.product_id)
            .where(Holding.account_id == account_id, Holding.deleted_at.is_(None))
            .order_by(Product.product_line, Product.code)
        ).all()
        return [
            HoldingRow(
                h.id,
                p.code,
                p.name,
                p.product_line,
                h.start_date,
                h.end_date,
                h.annual_value_minor,
                h.currency,
                h.usage_level,
            )
            for h, p in rows
        ]

    def team(self, account_id: str) -> list[TeamRow]:
        rows = self.session.execute(
            select(AccountTeamMember, User)
            .join(User, User.id == AccountTeamMember.user_id)
            .where(
                AccountTeamMember.account_id == account_id,
                AccountTeamMember.deleted_at.is_(None),
            )
            .order_by(User.name)
        ).all()
        return [TeamRow(m.id, u.id, u.name, m.role) for m, u in rows]

    def opportunities(self, account_id: str) -> list[OpportunityRow]:
        owner = aliased(User)
        rows = self.session.execute(
            select(Opportunity, owner.name)
            .outerjoin(owner, owner.id == Opportunity.owner_id)
            .where(Opportunity.account_id == account_id, Opportunity.deleted_at.is_(None))
            .order_by(Opportunity.close_date)
        ).all()
        return [
            OpportunityRow(
                o.id,
                o.name,
                o.kind,
                o.stage,
                o.amount_minor,
                o.currency,
                o.probability,
                o.close_date,
                owner_name or "",
            )
            for o, owner_name in rows
        ]

    # -- contacts ----------------------------------------------------------------------------
    def _contact_where(self, stmt: Select[Any], f: ContactFilter) -> Select[Any]:
        if f.archived:
            stmt = stmt.where(Contact.deleted_at.is_not(None))
        else:
            stmt = stmt.where(Contact.deleted_at.is_(None))
        if f.account_id:
            stmt = stmt.where(
                Contact.id.in_(
                    select(Position.contact_id).where(
                        Position.account_id == f.account_id, Position.deleted_at.is_(None)
                    )
                )
            )
        query = search.fts_query(f.text, "contact") if f.text.strip() else None
        if query:
            stmt = stmt.where(Contact.id.in_(_fts_ids("contact", query)))
        return stmt

    def contact_count(self, f: ContactFilter) -> int:
        return int(self.session.scalar(self._contact_where(select(func.count(Contact.id)), f)) or 0)

    def contact_page(
        self,
        f: ContactFilter,
        sort: str = "name",
        descending: bool = False,
        offset: int = 0,
        limit: int = 200,
    ) -> list[ContactListRow]:
        keys: dict[str, Any] = {
            "name": Contact.sort_given,
            "name_family": Contact.sort_family,
            "email": Contact.email,
        }
        ids = self._contact_where(select(Contact.id), f)
        if sort == "account":
            first_pos = aliased(Position)
            account_key = (
                select(func.min(Account.name_folded))
                .join(first_pos, first_pos.account_id == Account.id)
                .where(
                    first_pos.contact_id == Contact.id,
                    first_pos.deleted_at.is_(None),
                    first_pos.end_date.is_(None),
                )
                .correlate(Contact)
                .scalar_subquery()
            )
            key: Any = account_key
        else:
            key = keys.get(sort, Contact.sort_given)
        ids = ids.order_by(key.desc() if descending else key.asc(), Contact.id)
        page_ids = list(self.session.scalars(ids.offset(offset).limit(limit)))
        if not page_ids:
            return []
        # The position shown is computed for this page's people only, never for the whole table.
        pos = (
            select(
                Position.contact_id,
                Position.title,
                Position.account_id,
                func.row_number()
                .over(
                    partition_by=Position.contact_id,
                    order_by=(Position.influence.desc(), Position.start_date.desc(), Position.id),
                )
                .label("rn"),
            )
            .where(
                Position.contact_id.in_(page_ids),
                Position.deleted_at.is_(None),
                Position.end_date.is_(None),
            )
            .subquery()
        )
        acc_name = select(Account.name).where(Account.id == pos.c.account_id).scalar_subquery()
        rows = self.session.execute(
            select(Contact, pos.c.title, pos.c.account_id, acc_name)
            .outerjoin(pos, and_(pos.c.contact_id == Contact.id, pos.c.rn == 1))
            .where(Contact.id.in_(page_ids))
        ).all()
        by_id = {
            c.id: ContactListRow(
                c.id,
                c.family_name,
                c.middle_name,
                c.given_name,
                c.name_order,
                c.email,
                c.phone,
                c.mobile,
                title or "",
                account_id,
                account_name or "",
            )
            for c, title, account_id, account_name in rows
        }
        return [by_id[i] for i in page_ids if i in by_id]

    def contact_detail(self, contact_id: str) -> ContactDetail | None:
        c = self.session.get(Contact, contact_id)
        if c is None:
            return None
        rows = self.session.execute(
            select(Position, Account.name)
            .join(Account, Account.id == Position.account_id)
            .where(Position.contact_id == contact_id, Position.deleted_at.is_(None))
            .order_by(
                Position.end_date.is_not(None),
                Position.start_date.desc().nulls_last(),
                Position.created_at,
                Position.id,
            )
        ).all()
        positions = tuple(
            PositionRow(
                p.id,
                p.account_id,
                name,
                p.title,
                p.department,
                p.stakeholder_role,
                p.influence,
                p.stance,
                p.strength,
                p.colleague_id,
                p.reports_to_id,
                p.start_date,
                p.end_date,
            )
            for p, name in rows
        )
        return ContactDetail(
            c.id,
            c.family_name,
            c.middle_name,
            c.given_name,
            c.name_order,
            c.email,
            c.phone,
            c.mobile,
            c.birthday,
            c.language,
            c.tax_code,
            c.notes,
            c.deleted_at is not None,
            positions,
        )

    def contacts_with(self, *, email: str = "", phones: tuple[str, ...] = ()) -> list[str]:
        """Live contact ids sharing an email or a phone (for duplicate warnings)."""
        conds = []
        if email:
            conds.append(Contact.email == email)
        for p in phones:
            if p:
                conds += [Contact.phone == p, Contact.mobile == p]
        if not conds:
            return []
        stmt = select(Contact.id).where(Contact.deleted_at.is_(None), or_(*conds))
        return list(self.session.scalars(stmt))

    def contacts_at(self, account_id: str) -> list[ContactListRow]:
        return self.contact_page(ContactFilter(account_id=account_id), limit=10_000)

    # -- timeline ----------------------------------------------------------------------------
    def timeline(self, account_id: str, limit: int = 500) -> list[TimelineItem]:
        owner = aliased(User)
        acts = self.session.execute(
            select(Activity, owner.name)
            .outerjoin(owner, owner.id == Activity.owner_id)
            .where(Activity.account_id == account_id, Activity.deleted_at.is_(None))
            .order_by(Activity.occurred_at.desc())
            .limit(limit)
        ).all()
        act_ids = [a.id for a, _ in acts]
        people: dict[str, list[str]] = {}
        if act_ids:
            rows = self.session.execute(
                select(ActivityAttendee.activity_id, Contact, User.name)
                .outerjoin(Contact, Contact.id == ActivityAttendee.contact_id)
                .outerjoin(User, User.id == ActivityAttendee.user_id)
                .where(
                    ActivityAttendee.activity_id.in_(act_ids),
                    ActivityAttendee.deleted_at.is_(None),
                )
            ).all()
            for activity_id, c, user_name in rows:
                label = (
                    _name(c.family_name, c.middle_name, c.given_name, c.name_order)
                    if c is not None
                    else user_name or ""
                )
                people.setdefault(activity_id, []).append(label)
        items = [
            TimelineItem(
                "activity",
                a.id,
                a.kind,
                a.status,
                a.occurred_at,
                a.subject,
                a.notes,
                a.outcome,
                a.next_step,
                owner_name or "",
                tuple(people.get(a.id, [])),
                a.due_date,
            )
            for a, owner_name in acts
        ]
        commitments = self.session.execute(
            select(Commitment, owner.name, Contact)
            .outerjoin(owner, owner.id == Commitment.owner_id)
            .outerjoin(Contact, Contact.id == Commitment.to_contact_id)
            .where(Commitment.account_id == account_id, Commitment.deleted_at.is_(None))
        ).all()
        for cm, owner_name, c in commitments:
            to = (
                (_name(c.family_name, c.middle_name, c.given_name, c.name_order),)
                if c is not None
                else ()
            )
            when = cm.created_at
            items.append(
                TimelineItem(
                    "commitment",
                    cm.id,
                    "commitment",
                    cm.status,
                    when,
                    cm.description,
                    "",
                    "",
                    "",
                    owner_name or "",
                    to,
                    cm.due_date,
                )
            )
        items.sort(key=lambda i: i.when, reverse=True)
        return items

    def search(self, text_: str, limit: int = 20, kind: str | None = None) -> list[SearchHit]:
        return search.search(self.session, text_, limit, kind)

    def last_write(self) -> datetime | None:
        return self.session.scalar(select(func.max(Account.updated_at)))

    # -- import and export (services.transfer) -----------------------------------------------
    def existing_ids(self, table: str, ids: list[str]) -> set[str]:
        """Which of `ids` are rows of `table` ("accounts" or "contacts"), archived ones included.

        Archived rows count because an id is never reused: importing a row with an archived
        row's id would collide with it in the file and, later, on the sync server.
        """
        model: Any = {"accounts": Account, "contacts": Contact}[table]
        found: set[str] = set()
        unique = sorted(set(ids))
        for start in range(0, len(unique), 500):  # stay far below SQLite's variable limit
            chunk = unique[start : start + 500]
            found.update(self.session.scalars(select(model.id).where(model.id.in_(chunk))))
        return found

    def account_export_page(self, after_id: str = "", limit: int = 1000) -> list[dict[str, Any]]:
        """Live accounts after `after_id` in id order, with every column export writes.

        Keyset paging (not OFFSET) so the last page of a big export costs what the first does;
        id order is creation order (UUIDv7), stable between runs. The owner's e-mail is joined
        in (archived users too) because users are matched by e-mail on import.
        """
        rows = self.session.execute(
            select(Account, User.email)
            .outerjoin(User, User.id == Account.owner_id)
            .where(Account.deleted_at.is_(None), Account.id > after_id)
            .order_by(Account.id)
            .limit(limit)
        ).all()
        return [
            {
                "id": a.id,
                "name": a.name,
                "kind": a.kind,
                "tier": a.tier,
                "parent_id": a.parent_id,
                "owner_email": email,
                "tax_code": a.tax_code,
                "tax_code_kind": a.tax_code_kind,
                "industry": a.industry,
                "city": a.city,
                "country": a.country,
                "address": a.address,
                "website": a.website,
                "phone": a.phone,
                "email": a.email,
                "currency": a.currency,
                "payment_terms_days": a.payment_terms_days,
                "notes": a.notes,
            }
            for a, email in rows
        ]

    def contact_export_page(self, after_id: str = "", limit: int = 1000) -> list[dict[str, Any]]:
        """Live contacts after `after_id` in id order, each with one current position.

        The current position is the open one (no end date) with the latest start date, as in the
        edit dialog, and the oldest of those on a tie so the choice is stable between runs. Its
        account's name comes along (archived accounts too) so whoever edits the file can see
        where the contact works.
        """
        page = (
            select(Contact.id)
            .where(Contact.deleted_at.is_(None), Contact.id > after_id)
            .order_by(Contact.id)
            .limit(limit)
            .scalar_subquery()
        )
        pos = (
            select(
                Position.contact_id,
                Position.account_id,
                Position.title,
                Position.department,
                Position.stakeholder_role,
                Position.influence,
                Position.stance,
                Position.strength,
                func.row_number()
                .over(
                    partition_by=Position.contact_id,
                    order_by=(Position.start_date.desc(), Position.id),
                )
                .label("rn"),
            )
            .where(
                Position.contact_id.in_(page),  # only this page's: the window stays small
                Position.deleted_at.is_(None),
                Position.end_date.is_(None),
            )
            .subquery()
        )
        rows = self.session.execute(
            select(
                Contact,
                pos.c.account_id,
                Account.name,
                pos.c.title,
                pos.c.department,
                pos.c.stakeholder_role,
                pos.c.influence,
                pos.c.stance,
                pos.c.strength,
            )
            .outerjoin(pos, and_(pos.c.contact_id == Contact.id, pos.c.rn == 1))
            .outerjoin(Account, Account.id == pos.c.account_id)
            .where(Contact.id.in_(page))
            .order_by(Contact.id)
        ).all()
        out: list[dict[str, Any]] = []
        # Positional unpacking: the subquery is built anew per call, so its column objects
        # are not the keys of a cached statement's rows.
        for c, account_id, account_name, title, dept, role, influence, stance, strength in rows:
            out.append(
                {
                    "id": c.id,
                    "family_name": c.family_name,
                    "middle_name": c.middle_name,
                    "given_name": c.given_name,
                    "name_order": c.name_order,
                    "email": c.email,
                    "phone": c.phone,
                    "mobile": c.mobile,
                    "birthday": c.birthday,
                    "language": c.language,
                    "tax_code": c.tax_code,
                    "notes": c.notes,
                    "account_id": account_id,
                    "account_name": account_name,
                    "title": title,
                    "department": dept,
                    "stakeholder_role": role,
                    "influence": influence,
                    "stance": stance,
                    "strength": strength,
                }
            )
        return out

"""Demo users, product catalogue and accounts (with their teams).

Why accounts are planned before anything else is written: people change jobs between accounts,
branches point at their head office and subsidiaries at their group, so every account has to
exist (and have an id) before contacts, positions and activities refer to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from workbench.demo import details, vocab
from workbench.demo.catalog import PRODUCTS, ProductSpec
from workbench.demo.details import minor_from_vnd, slug
from workbench.demo.dice import Dice
from workbench.demo.phrases import ACCOUNT_NOTES
from workbench.demo.staff import Staff
from workbench.domain.enums import AccountKind, Role, TeamRole, Tier
from workbench.domain.taxcode import TaxCodeKind

Row = dict[str, Any]


@dataclass
class AccountInfo:
    """What later stages need to know about an account (the row itself is already written)."""

    id: str
    name: str
    kind: str
    tier: str
    lang: str  # "vi" or "en": the language of its people and timeline
    country: str
    currency: str
    city: str
    created_at: datetime
    owner_id: str
    team: list[tuple[str, str]]  # (team role, user id), owner first
    domain: str  # e-mail domain of its people ("gmail.com" for households)
    head_title: str
    tax_code: str
    industry: str
    vn_city: vocab.City | None = None
    abroad: vocab.Country | None = None
    household_head: tuple[str, str, str, bool] | None = None  # family, middle, given, female
    head_born: int | None = None  # the household head's birth year, as in the tax code
    email: str = ""
    products: list[ProductSpec] = field(default_factory=list)  # what it could buy


@dataclass
class _Plan:
    """Uniqueness registers shared by all accounts of one run."""

    names: set[str] = field(default_factory=set)
    tax_codes: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    groups: list[tuple[AccountInfo, str]] = field(default_factory=list)  # (group, brand)
    heads: list[AccountInfo] = field(default_factory=list)  # may open branches
    branches: dict[str, int] = field(default_factory=dict)  # head id -> branches so far


# The first accounts are always one of each shape, so that even a tiny demo shows them all.
_SHOWCASE = (
    "group",
    "bank",
    "company",
    "foreign",
    "company",
    "household",
    "public",
    "subsidiary",
    "branch",
    "company",
    "foreign",
    "bank",
)
_SHAPES: tuple[tuple[str, float], ...] = (
    ("company", 58),
    ("foreign", 15),
    ("bank", 8),
    ("public", 4),
    ("household", 5),
    ("branch", 11),
    ("subsidiary", 3),
    ("group", 1),
)
_TIER_BY_SHAPE: dict[str, tuple[tuple[Tier, float], ...]] = {
    "group": ((Tier.STRATEGIC, 50), (Tier.KEY, 50)),
    "bank": ((Tier.STRATEGIC, 25), (Tier.KEY, 50), (Tier.CORE, 25)),
    "company": ((Tier.STRATEGIC, 2), (Tier.KEY, 12), (Tier.CORE, 48), (Tier.SMALL, 38)),
    "subsidiary": ((Tier.KEY, 30), (Tier.CORE, 50), (Tier.SMALL, 20)),
    "public": ((Tier.KEY, 20), (Tier.CORE, 60), (Tier.SMALL, 20)),
    "foreign": ((Tier.KEY, 20), (Tier.CORE, 55), (Tier.SMALL, 25)),
    "household": ((Tier.SMALL, 1),),
}
_LOWER_TIER = {
    Tier.STRATEGIC: Tier.KEY,
    Tier.KEY: Tier.CORE,
    Tier.CORE: Tier.SMALL,
    Tier.SMALL: Tier.SMALL,
}
_CITY_WEIGHTS = tuple((c, c.weight) for c in vocab.CITIES)
_COUNTRY_WEIGHTS = tuple((c, c.weight) for c in vocab.COUNTRIES)
_FAMILY = vocab.FAMILY_NAMES
_CREDIT_M = {
    Tier.STRATEGIC: (15_000, 25_000),
    Tier.KEY: (5_000, 10_000),
    Tier.CORE: (1_000, 3_000),
    Tier.SMALL: (200, 800),
}


def _person(d: Dice, female: bool) -> tuple[str, str, str]:
    family = d.weighted(_FAMILY)
    middle = d.pick(vocab.MIDDLE_FEMALE if female else vocab.MIDDLE_MALE)
    given = d.pick(vocab.GIVEN_FEMALE if female else vocab.GIVEN_MALE)
    return family, middle, given


def _owner(d: Dice, staff: Staff, tier: Tier, turn: int) -> str:
    """RMs own the strategic and many key accounts, AMs the rest. Colleagues take turns, so
    every one of them has a portfolio even in a small demo."""
    rms, ams = staff.by_role[Role.RM], staff.by_role[Role.AM]
    if tier is Tier.STRATEGIC or (tier is Tier.KEY and d.chance(0.6)):
        return rms[turn % len(rms)]
    # The current user gets the biggest AM portfolio, so the demo opens on a full desk.
    others = ams[1:] or ams
    return ams[0] if d.chance(0.45) else others[turn % len(others)]


def _team(d: Dice, staff: Staff, owner: str, tier: Tier) -> list[tuple[str, str]]:
    by = staff.by_role
    owner_is_rm = owner in by[Role.RM]
    options: list[tuple[str, str]] = [
        (TeamRole.FINANCE, d.pick(by[Role.FINANCE])),
        (TeamRole.DELIVERY, d.pick(by[Role.ADMIN])),
        (TeamRole.SALES, d.pick(by[Role.SALES])),
    ]
    if owner_is_rm:
        options.insert(0, (TeamRole.AM, d.pick(by[Role.AM])))
    elif tier in (Tier.STRATEGIC, Tier.KEY):
        options.insert(0, (TeamRole.RM, d.pick(by[Role.RM])))
    d.r.shuffle(options)
    team = [(TeamRole.OWNER.value, owner)]
    for role, uid in options[: d.between(1, 3)]:
        if all(uid != u for _, u in team):
            team.append((str(role), uid))
    return team


class AccountMaker:
    """Makes account rows one at a time, keeping names, codes and domains unique."""

    def __init__(self, d: Dice, staff: Staff) -> None:
        self.d = d
        self.staff = staff
        self.plan = _Plan()
        self.infos: list[AccountInfo] = []
        self.rows: list[Row] = []
        self.team_rows: list[list[Row]] = []  # per account, in the order of `rows`

    def make(self, index: int) -> None:
        d = self.d
        shape = _SHOWCASE[index] if index < len(_SHOWCASE) else d.weighted(_SHAPES)
        if shape == "branch" and not self.plan.heads:
            shape = "company"
        if shape == "subsidiary" and not self.plan.groups:
            shape = "group"
        maker = {
            "company": self._company,
            "group": self._company,
            "subsidiary": self._company,
            "bank": self._bank,
            "public": self._public,
            "household": self._household,
            "foreign": self._foreign,
            "branch": self._branch,
        }[shape]
        maker(shape)

    # -- shapes --------------------------------------------------------------------------------
    def _company(self, shape: str) -> None:
        d = self.d
        parent: AccountInfo | None = None
        for _ in range(40):
            trade, industry = d.pick(vocab.TRADES)
            region, region_tag, region_cities = d.pick(vocab.REGIONS)
            if shape == "group":
                brand = d.pick(vocab.BRANDS)
                form = d.pick(vocab.GROUP_FORMS)
                name, industry = f"{form} {brand}", "Đa ngành"
            elif shape == "subsidiary":
                parent, brand = d.pick(self.plan.groups)
                form = d.weighted(vocab.LEGAL_FORMS[:3])
                name = " ".join(p for p in (form, trade, brand, region) if p)
            else:
                brand = d.pick(vocab.BRANDS)
                form = d.weighted(vocab.LEGAL_FORMS)
                name = " ".join(p for p in (form, trade, brand, region) if p)
            if region and region in brand:  # not "Sài Gòn Xanh Sài Gòn"
                continue
            if name not in self.plan.names:
                break
        else:
            self._foreign("foreign")  # the Vietnamese name space is used up; go abroad
            return
        city = d.weighted(_CITY_WEIGHTS)
        if region_cities and shape != "group":
            home = d.pick(region_cities)
            city = next(c for c in vocab.CITIES if c.name == home)
        domain_tag = region_tag if shape != "group" else ""
        domain = details.domain(
            self.plan.domains, slug(brand), domain_tag, d.pick(("vn", "com.vn", "com.vn"))
        )
        head = "Giám đốc" if "TNHH" in form else "Tổng Giám đốc"
        info = self._add(shape, name, AccountKind.COMPANY, industry, city, domain, head, parent)
        if shape == "group":
            self.plan.groups.append((info, brand))
        self.plan.heads.append(info)

    def _bank(self, shape: str) -> None:
        d = self.d
        for _ in range(40):
            form, industry, tag = d.pick(vocab.FINANCE_FORMS)
            brand = d.pick(vocab.FINANCE_BRANDS)
            city = d.weighted(_CITY_WEIGHTS)
            name = f"{form} {brand}"
            if form.startswith("Quỹ"):
                name = f"{form} {brand} {city.name}"
            if name not in self.plan.names:
                break
        else:
            self._company("company")
            return
        domain = details.domain(self.plan.domains, slug(brand), tag, "com.vn")
        info = self._add(
            shape, name, AccountKind.BANK_CLIENT, industry, city, domain, "Tổng Giám đốc", None
        )
        self.plan.heads.append(info)

    def _public(self, shape: str) -> None:
        d = self.d
        for _ in range(20):
            city = d.weighted(_CITY_WEIGHTS)
            if d.chance(0.35):
                template, head, domain_t = d.pick(vocab.DISTRICT_BODIES)
                district = d.pick(city.districts)
                name = template.format(district=district)
                domain = domain_t.format(d=slug(district), slug=city.slug)
            else:
                template, head, domain_t = d.pick(vocab.PUBLIC_BODIES)
                name = template.format(province=city.province)
                domain = domain_t.format(slug=city.slug)
            if name not in self.plan.names:
                break
        else:
            self._company("company")
            return
        self.plan.domains.add(domain)
        self._add(shape, name, AccountKind.PUBLIC, "Cơ quan nhà nước", city, domain, head, None)

    def _household(self, shape: str) -> None:
        d = self.d
        female = d.chance(0.45)
        for _ in range(40):
            family, middle, given = _person(d, female)
            trade, industry = d.pick(vocab.HOUSEHOLD_TRADES)
            name = f"Hộ kinh doanh {trade} {family} {middle} {given}"
            if d.chance(0.5):
                name = f"Hộ kinh doanh {family} {middle} {given}"
            if name not in self.plan.names:
                break
        else:
            self._company("company")
            return
        city = d.weighted(_CITY_WEIGHTS)
        self._add(
            shape,
            name,
            AccountKind.HOUSEHOLD,
            industry,
            city,
            "gmail.com",
            "Chủ hộ kinh doanh",
            None,
            household=(family, middle, given, female),
        )

    def _foreign(self, shape: str) -> None:
        d = self.d
        for _ in range(40):
            country = d.weighted(_COUNTRY_WEIGHTS)
            stem = d.pick(vocab.FOREIGN_STEMS)
            trade, industry = d.pick(vocab.FOREIGN_TRADES)
            name = f"{stem} {trade} {d.pick(country.legal_suffixes)}"
            if name not in self.plan.names:
                break
        else:
            name = f"{name} ({d.digits(4)})"
        domain = details.domain(self.plan.domains, slug(stem) + slug(trade), "", country.tld)
        self._add(
            shape,
            name,
            AccountKind.COMPANY,
            industry,
            None,
            domain,
            "Managing Director",
            None,
            abroad=country,
        )

    def _branch(self, shape: str) -> None:
        d = self.d
        head = d.pick(self.plan.heads)
        others = [c for c in vocab.CITIES if c.name != head.city]
        for _ in range(10):
            city = d.pick(others)
            if head.kind == AccountKind.BANK_CLIENT:
                name = f"{head.name} – Chi nhánh {city.name}"
            else:
                name = f"Chi nhánh {head.name} tại {city.name}"
            if name not in self.plan.names:
                break
        else:
            self._company("company")
            return
        number = self.plan.branches.get(head.id, 0) + 1
        self.plan.branches[head.id] = number
        tax = f"{head.tax_code}-{number:03d}"
        kind = AccountKind(head.kind)
        self._add(
            shape,
            name,
            kind,
            head.industry,
            city,
            head.domain,
            "Giám đốc Chi nhánh",
            head,
            tax=(tax, TaxCodeKind.MST13),
            tier=_LOWER_TIER[Tier(head.tier)],
        )

    # -- the row -------------------------------------------------------------------------------
    def _add(
        self,
        shape: str,
        name: str,
        kind: AccountKind,
        industry: str,
        city: vocab.City | None,
        domain: str,
        head_title: str,
        parent: AccountInfo | None,
        *,
        abroad: vocab.Country | None = None,
        household: tuple[str, str, str, bool] | None = None,
        tax: tuple[str, TaxCodeKind] | None = None,
        tier: Tier | None = None,
    ) -> AccountInfo:
        d, plan = self.d, self.plan
        plan.names.add(name)
        tier = tier or d.weighted(_TIER_BY_SHAPE.get(shape, _TIER_BY_SHAPE["company"]))
        if parent is not None and d.chance(0.7):
            owner = parent.owner_id
        else:
            owner = _owner(d, self.staff, tier, len(self.infos))
        created = d.past(200, 2200)
        if parent is not None:
            created = max(created, min(parent.created_at + timedelta(days=30), d.past(1, 2)))
        aid = d.new_id()
        born: int | None = None
        if abroad is not None:
            city_name, landline = d.pick(abroad.cities)
            country, currency = abroad.code, abroad.currency
            address = details.foreign_address(d, abroad, city_name)
            phone = details.unique(plan.phones, partial(details.foreign_phone, d, (landline,)))
            tax_code, tax_kind = details.foreign_tax_id(d, abroad.tax_id), TaxCodeKind.FOREIGN
            email, website, lang = f"contact@{domain}", f"https://www.{domain}", "en"
        else:
            assert city is not None
            city_name, country, currency, lang = city.name, "VN", "VND", "vi"
            address = details.address(d, city)
            if household is not None:
                phone = details.unique(plan.phones, partial(details.vn_mobile, d))
                born = d.between(60, 95)
                tax_code = f"{city.pin_province}{int(household[3])}{born:02d}{d.digits(6)}"
                tax_kind = TaxCodeKind.PIN12
                email = f"{slug(household[2])}{slug(household[0])}{born}@gmail.com"
                website = ""
            else:
                phone = details.unique(plan.phones, partial(details.vn_landline, d, city))
                mst = partial(details.mst10, d, city.mst_prefix)
                tax_code, tax_kind = tax or (details.unique(plan.tax_codes, mst), TaxCodeKind.MST10)
                email, website = f"info@{domain}", f"https://www.{domain}"
                if kind == AccountKind.PUBLIC:
                    website = f"https://{domain}"
        if kind == AccountKind.HOUSEHOLD or d.chance(0.3):
            credit = None
        else:
            low, high = _CREDIT_M[tier]
            credit = minor_from_vnd(d.between(low, high) * 1_000_000, currency)
        notes = d.pick(ACCOUNT_NOTES[lang]) if d.chance(0.25) else ""
        self.rows.append(
            {
                "id": aid,
                "name": name,
                "kind": kind.value,
                "parent_id": parent.id if parent else None,
                "tier": tier.value,
                "owner_id": owner,
                "tax_code": tax_code,
                "tax_code_kind": tax_kind.value,
                "industry": industry,
                "city": city_name,
                "country": country,
                "address": address,
                "website": website,
                "phone": phone,
                "email": email,
                "currency": currency,
                "payment_terms_days": d.pick((30, 30, 30, 15, 45, 60)),
                "credit_limit_minor": credit,
                "notes": notes,
                "created_at": created,
                "updated_at": d.edited(created),
            }
        )
        team = _team(d, self.staff, owner, tier)
        members: list[Row] = []
        for role, uid in team:
            joined = d.clamp(created + timedelta(days=d.between(0, 60)))
            members.append(
                {
                    "id": d.new_id(),
                    "account_id": aid,
                    "user_id": uid,
                    "role": role,
                    "created_at": joined,
                    "updated_at": joined,
                }
            )
        self.team_rows.append(members)
        info = AccountInfo(
            id=aid,
            name=name,
            kind=kind.value,
            tier=tier.value,
            lang=lang,
            country=country,
            currency=currency,
            city=city_name,
            created_at=created,
            owner_id=owner,
            team=team,
            domain=domain,
            head_title=head_title,
            tax_code=tax_code,
            industry=industry,
            vn_city=city,
            abroad=abroad,
            household_head=household,
            head_born=None if born is None else 1900 + born,
            email=email,
            products=_buyable(kind),
        )
        self.infos.append(info)
        return info


def _buyable(kind: AccountKind) -> list[ProductSpec]:
    if kind == AccountKind.HOUSEHOLD:
        return [p for p in PRODUCTS if p.for_households]
    if kind == AccountKind.BANK_CLIENT:
        return list(PRODUCTS)
    return [p for p in PRODUCTS if not p.for_banks]

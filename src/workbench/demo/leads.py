"""The salespeople's leads: prospects in every status, some of them existing clients.

Why some leads carry an existing account's tax code: that is what happens in real life (a
subsidiary's IT manager fills in the web form with the company's MST) and it is what the
conversion must handle without making a duplicate account; the demo lets one try it. Converted
leads point at the account, person and opportunity they became, and that opportunity points
back at its lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from workbench.demo import vocab
from workbench.demo.accounts import AccountInfo
from workbench.demo.catalog import COMPANY_SLOTS, LINE_VI, PRODUCTS
from workbench.demo.details import minor_from_vnd, mst10, slug, unique, vn_mobile
from workbench.demo.dice import Dice
from workbench.demo.plans import COMPETITORS
from workbench.domain.enums import LeadSource, LeadStatus, OpportunityStage
from workbench.domain.pipeline import STAGE_PROBABILITY, deal_name

Row = dict[str, Any]
S = LeadStatus

_SOURCES: tuple[tuple[LeadSource, float], ...] = (
    (LeadSource.WEB, 35),
    (LeadSource.REFERRAL, 20),
    (LeadSource.EVENT, 20),
    (LeadSource.COLD, 15),
    (LeadSource.PARTNER, 10),
)
_STATUSES: tuple[tuple[LeadStatus, float], ...] = (
    (S.NEW, 30),
    (S.WORKING, 25),
    (S.QUALIFIED, 15),
    (S.DISQUALIFIED, 15),
    (S.CONVERTED, 15),
)
_NOTES: dict[str, tuple[str, ...]] = {
    S.NEW: (
        "Điền form trên website, quan tâm {line}. Chưa liên hệ.",
        "Gặp tại hội thảo Vietnam Security Summit, xin tài liệu {line}.",
        "Đối tác giới thiệu; cần gọi lại trong tuần.",
        "",
    ),
    S.WORKING: (
        "Đã gọi lần 1: khách đang khảo sát nhà cung cấp {line}, hẹn gửi tài liệu.",
        "Đã gửi brochure; chờ phản hồi từ Trưởng phòng CNTT.",
        "Khách yêu cầu demo {line} trước cuối tháng.",
    ),
    S.QUALIFIED: (
        "Có ngân sách năm nay, người quyết định là Tổng Giám đốc; cần triển khai trong quý.",
        "Đã xác nhận nhu cầu {line}, ngân sách khoảng {budget}; hẹn họp kỹ thuật.",
    ),
    S.DISQUALIFIED: (
        "Không có ngân sách năm nay.",
        "Đã chọn nhà cung cấp khác ({competitor}).",
        "Quy mô quá nhỏ so với giải pháp {line}.",
        "Không liên lạc được sau 5 lần gọi.",
    ),
    S.CONVERTED: (
        "Đã xác nhận nhu cầu và ngân sách; chuyển thành cơ hội.",
        "Khách đồng ý khảo sát chi tiết; chuyển cho AM phụ trách.",
    ),
}
_EMAIL_HOSTS = ("com.vn", "vn", "com.vn")


@dataclass
class Known:
    """An existing client a lead may turn out to be: the account and one of its people."""

    account: AccountInfo
    contact: Row
    title: str


class LeadMaker:
    """Collects candidate clients while accounts are made, then writes all leads at the end."""

    def __init__(
        self,
        d: Dice,
        sales: list[str],
        taken_names: set[str],
        taken_codes: set[str],
        taken_mobiles: set[str],
    ) -> None:
        """The `taken_` sets are the generator's uniqueness registers, shared so that a lead
        never gets another company's name, tax code or someone else's mobile by chance."""
        self.d = d
        self.sales = sales
        self.names = taken_names
        self.codes = taken_codes
        self.known: list[Known] = []
        self.mobiles = taken_mobiles

    def consider(self, acc: AccountInfo, contacts: list[Row], positions: list[Row]) -> None:
        """Remember a few companies with an enterprise tax code (MST10) and a person there
        (not the head: leads come from the people who fill in forms and visit fairs)."""
        if len(self.known) >= 40 or len(acc.tax_code) != 10 or acc.lang != "vi":
            return
        seats = [
            p
            for p in positions
            if p["account_id"] == acc.id and p["end_date"] is None and p["reports_to_id"]
        ]
        if not seats:
            return
        seat = self.d.pick(seats)
        person = next((c for c in contacts if c["id"] == seat["contact_id"]), None)
        if person is not None:
            self.known.append(Known(acc, person, seat["title"]))

    def count(self, accounts: int) -> int:
        return 20 + min(accounts // 5, 60)

    def make(self, accounts: int, out: dict[str, list[Row]]) -> None:
        d = self.d
        if not self.sales:
            return
        statuses = list(S)  # the first five: one of each status, whatever the size
        for n in range(self.count(accounts)):
            status = statuses[n] if n < len(statuses) else d.weighted(_STATUSES)
            owner = self.sales[n % len(self.sales)]
            existing: Known | None = None
            if self.known and (status == S.CONVERTED or d.chance(0.2) or n == 1):
                existing = self.known.pop(d.r.randrange(len(self.known)))
            self._lead(status, owner, existing, out)

    def _company(self) -> tuple[str, str, str, str]:
        """(name, MST, industry, e-mail domain) of a prospect that is nobody's client yet."""
        d = self.d
        for _ in range(40):
            trade, industry = d.pick(vocab.TRADES)
            brand = d.pick(vocab.BRANDS)
            name = f"{d.weighted(vocab.LEGAL_FORMS)} {trade} {brand}"
            if name not in self.names:
                break
        self.names.add(name)
        city = d.weighted(tuple((c, c.weight) for c in vocab.CITIES))
        code = unique(self.codes, partial(mst10, d, city.mst_prefix))
        return name, code, industry, f"{slug(brand)}{slug(trade)}.{d.pick(_EMAIL_HOSTS)}"

    def _lead(
        self, status: LeadStatus, owner: str, existing: Known | None, out: dict[str, list[Row]]
    ) -> None:
        d = self.d
        if existing is not None:
            company, code = existing.account.name, existing.account.tax_code
            domain = existing.account.domain
        else:
            company, code, _industry, domain = self._company()
        female = d.chance(0.45)
        family = d.weighted(vocab.FAMILY_NAMES)
        middle = d.pick(vocab.MIDDLE_FEMALE if female else vocab.MIDDLE_MALE)
        given = d.pick(vocab.GIVEN_FEMALE if female else vocab.GIVEN_MALE)
        title = d.pick(COMPANY_SLOTS[1:8]).title
        spec = d.pick(PRODUCTS[3:])  # not Core Banking: a salesperson's leads are companies
        estimate = minor_from_vnd(d.between(spec.low_m, spec.high_m) * 1_000_000, "VND")
        words = {
            "line": LINE_VI[spec.line],
            "budget": f"{estimate // 1_000_000:,} triệu".replace(",", "."),
            "competitor": d.pick(COMPETITORS),
        }
        notes = d.pick(_NOTES[status]).format(**words)
        created = d.past(2, 120)
        lead_id = d.new_id()
        email = f"{slug(given)}.{slug(family)}@{domain}" if d.chance(0.85) else ""
        phone = unique(self.mobiles, partial(vn_mobile, d)) if d.chance(0.8) else ""
        if existing is not None and status == S.CONVERTED:  # the person it became
            c = existing.contact
            family, given, middle = c["family_name"], c["given_name"], c["middle_name"]
            email, phone, title = c["email"], c["mobile"] or c["phone"], existing.title
        row: Row = {
            "id": lead_id,
            "owner_id": owner,
            "company": company,
            "tax_code": code if d.chance(0.85) or existing is not None else "",
            "person_family": family,
            "person_given": f"{middle} {given}".strip(),
            "title": title,
            "email": email,
            "phone": phone,
            "source": d.weighted(_SOURCES).value,
            "status": status.value,
            "interest": spec.line,
            "estimate_minor": estimate,
            "currency": "VND",
            "notes": notes,
            "created_at": created,
            "updated_at": d.edited(created),
        }
        if status == S.CONVERTED:
            self._converted(row, existing, created, out)
        out["leads"].append(row)

    def _converted(
        self, row: Row, existing: Known | None, created: Any, out: dict[str, list[Row]]
    ) -> None:
        """A converted lead: its opportunity at the client it turned out to be."""
        d = self.d
        if existing is None:  # no client left to link to: leave it qualified instead
            row["status"] = S.QUALIFIED.value
            return
        when = min(created + timedelta(days=d.between(3, 40)), d.clamp(d.now))
        stage = d.pick((OpportunityStage.QUALIFY, OpportunityStage.DEVELOP, OpportunityStage.WON))
        opp_id = d.new_id()
        close = when.date() + timedelta(days=d.between(30, 120))
        if stage == OpportunityStage.WON:
            close = min(close, d.day(-1))
        line = str(row["interest"])
        out["opportunities"].append(
            {
                "id": opp_id,
                "account_id": existing.account.id,
                "name": deal_name(line, existing.account.name)[:200],
                "kind": "new",
                "stage": stage.value,
                "amount_minor": row["estimate_minor"],
                "currency": "VND",
                "probability": STAGE_PROBABILITY[stage.value],
                "close_date": close,
                "owner_id": row["owner_id"],
                "product_line": line,
                "lead_id": row["id"],
                "notes": row["notes"],
                "created_at": when,
                "updated_at": when,
            }
        )
        row.update(
            {
                "account_id": existing.account.id,
                "contact_id": existing.contact["id"],
                "opportunity_id": opp_id,
                "converted_on": when.date(),
                "tax_code": existing.account.tax_code,
                "updated_at": max(row["updated_at"], when),
            }
        )

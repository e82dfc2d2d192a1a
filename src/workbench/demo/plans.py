"""Account plans, stakeholder-map gaps and people who left, and whitespace marks.

Why made right after an account's story: a plan's actions point at the account's open deals
and people, its revenue objective is measured from the deals won this year, and its updates
tell the same story as the timeline. Made together, the plan, the map and the whitespace grid
of one account agree with each other.

What the mix shows on purpose: most plans are current (reviewed in the last weeks), some are
stale (last reviewed months ago); some accounts lack a decision maker or a champion on the map;
a few people left recently and now work at another account; parent accounts and their
business units hold different product lines, with a few cells marked lost to a named
competitor or not relevant.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from workbench.demo.accounts import AccountInfo
from workbench.demo.catalog import LINE_VI, PRODUCTS
from workbench.demo.dice import Dice
from workbench.demo.interactions import Held
from workbench.demo.people import Person, _slots_for
from workbench.domain.enums import (
    AccountKind,
    ActionStatus,
    Measure,
    PlanStatus,
    StakeholderRole,
    Stance,
    WhitespaceStatus,
)

Row = dict[str, Any]
Rows = dict[str, list[Row]]
SR = StakeholderRole

LINES = tuple(dict.fromkeys(p.line for p in PRODUCTS))
COMPETITORS = (
    "FPT IS",
    "Viettel IDC",
    "CMC Telecom",
    "VNPT-IT",
    "MISA",
    "Temenos",
    "Oracle",
    "NTT Data",
)

_TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "vi": {
        "outcome": (
            "Trở thành đối tác công nghệ chiến lược, được mời tham gia kế hoạch CNTT {year}.",
            "Gia hạn toàn bộ hợp đồng đúng hạn và mở rộng sang mảng {line}.",
            "Tăng doanh thu năm {year} thêm 30% nhờ bán chéo {line}.",
            "Giữ chân khách hàng sau sự cố quý trước, phục hồi mức độ hài lòng.",
        ),
        "growth": (
            "Khách đang chuẩn bị chuyển đổi số; cơ hội cho {line}.",
            "Ban Giám đốc muốn báo cáo quản trị tập trung; đề xuất {line}.",
            "Chi nhánh mới mở cần hạ tầng và bảo mật đồng bộ.",
        ),
        "risks": (
            "Đối thủ {competitor} chào giá thấp hơn 15%.",
            "Người ra quyết định mới, chưa có quan hệ.",
            "Ngân sách CNTT năm nay bị cắt giảm.",
            "Sự cố gián đoạn dịch vụ tháng trước chưa được đóng hoàn toàn.",
        ),
        "next": (
            "Hẹn gặp Ban Giám đốc trình bày lộ trình {year}.",
            "Gửi báo cáo sử dụng dịch vụ quý và đề xuất tối ưu.",
            "Tổ chức workshop về {line} với phòng CNTT.",
        ),
        "key": (
            "Tổng Giám đốc (quyết định), Trưởng phòng CNTT (ủng hộ), Kế toán trưởng (thanh toán).",
            "Giám đốc Tài chính giữ ngân sách; Trưởng phòng CNTT là đầu mối kỹ thuật.",
        ),
        "strengths": (
            "Quan hệ tốt với phòng CNTT",
            "Hệ thống đang vận hành ổn định",
            "Đội triển khai hiểu nghiệp vụ khách",
            "Hỗ trợ 24/7 tại chỗ",
        ),
        "weaknesses": (
            "Ít tiếp xúc với Ban Giám đốc",
            "Giá cao hơn mặt bằng thị trường",
            "Thời gian phản hồi sự cố chưa đạt SLA",
        ),
        "opportunities": (
            "Dự án mở rộng nhà máy năm tới",
            "Yêu cầu tuân thủ an ninh mạng mới",
            "Hợp nhất hệ thống các công ty con",
        ),
        "threats": (
            "Đối thủ đang tiếp cận Ban Giám đốc",
            "Khách cân nhắc tự xây dựng đội CNTT",
            "Thay đổi nhân sự cấp cao",
        ),
        "update": (
            "Đã họp với phòng CNTT, thống nhất phạm vi đề xuất {line}.",
            "Khách phản hồi tích cực về báo cáo quý; chờ lịch họp với Ban Giám đốc.",
            "Gửi báo giá gia hạn; khách yêu cầu điều chỉnh điều khoản thanh toán.",
            "Chưa có tiến triển do khách bận quyết toán cuối quý.",
            "Sự cố đã xử lý xong, khách đánh giá tốt tốc độ phản hồi.",
        ),
        "action": (
            "Chuẩn bị đề xuất {line}",
            "Gặp Ban Giám đốc trình bày kế hoạch năm",
            "Gửi báo cáo sử dụng dịch vụ quý",
            "Tổ chức demo {line} cho phòng CNTT",
            "Rà soát hợp đồng trước gia hạn",
            "Mời khách tham dự hội thảo an ninh mạng",
        ),
        "internal": (
            "Biên lợi nhuận thấp; cần duyệt giá với Giám đốc kinh doanh.",
            "Không chia sẻ kế hoạch định giá với khách.",
        ),
        "manual": ("Điểm hài lòng khảo sát (NPS)", "Số buổi đào tạo đã tổ chức"),
    },
    "en": {
        "outcome": (
            "Become the client's strategic technology partner for {year}.",
            "Renew every contract on time and expand into {line}.",
            "Grow {year} revenue by 30% through {line} cross-sell.",
        ),
        "growth": (
            "Regional rollout planned; {line} fits their roadmap.",
            "Management wants consolidated reporting: propose {line}.",
        ),
        "risks": (
            "{competitor} is pitching 15% below our price.",
            "New decision maker we have not met yet.",
            "IT budget cut this year.",
        ),
        "next": (
            "Present the {year} roadmap to management.",
            "Send the quarterly service report with optimisation ideas.",
        ),
        "key": ("Managing Director (decides), Head of IT (champion), CFO (budget).",),
        "strengths": ("Trusted by the IT team", "Stable service", "Local 24/7 support"),
        "weaknesses": ("Little access to management", "Premium pricing"),
        "opportunities": ("New plant next year", "New cybersecurity regulation"),
        "threats": ("Competitor courting the CFO", "In-house IT team considered"),
        "update": (
            "Met the IT team; agreed the scope of the {line} proposal.",
            "Positive feedback on the quarterly report; waiting for a management slot.",
            "Renewal quote sent; client asked for different payment terms.",
        ),
        "action": (
            "Prepare the {line} proposal",
            "Present the annual plan to management",
            "Send the quarterly service report",
            "Demo {line} to the IT team",
            "Review the contract before renewal",
        ),
        "internal": ("Thin margin: pricing needs sign-off.",),
        "manual": ("Client satisfaction score (NPS)", "Training sessions held"),
    },
}

_OBJECTIVES: dict[str, dict[str, str]] = {
    "vi": {
        Measure.REVENUE_WON: "Doanh thu ký mới trong năm",
        Measure.PRODUCT_LINES: "Số dòng sản phẩm khách sử dụng",
        Measure.STAKEHOLDER_COVERAGE: "Số người liên hệ có quan hệ tốt",
        Measure.DECISION_MEETINGS: "Số buổi gặp người ra quyết định",
    },
    "en": {
        Measure.REVENUE_WON: "Revenue won this year",
        Measure.PRODUCT_LINES: "Product lines in use",
        Measure.STAKEHOLDER_COVERAGE: "Stakeholders with a warm relationship",
        Measure.DECISION_MEETINGS: "Meetings with decision makers",
    },
}
_MARK_NOTES = {
    WhitespaceStatus.LOST: "Đã ký hợp đồng 3 năm với {competitor}.",
    WhitespaceStatus.NOT_RELEVANT: "Không phù hợp mô hình kinh doanh của đơn vị.",
}


class PlanMaker:
    """One account at a time: its plan (if it gets one), map gaps, leavers and whitespace."""

    def __init__(self, d: Dice, accounts: list[AccountInfo]) -> None:
        self.d = d
        self.accounts = accounts
        self.year = d.today.year
        self.children: set[str] = set()  # accounts that are a business unit of another

    def make(
        self,
        index: int,
        acc: AccountInfo,
        people: list[Person],
        held: list[Held],
        positions: list[Row],
        opportunities: list[Row],
        rich: bool,
        out: Rows,
    ) -> None:
        self._map_gaps(index, acc, positions)
        if rich:
            self._leaver(index, acc, positions, out["positions"])
        if rich and acc.kind != AccountKind.HOUSEHOLD and (index < 6 or self.d.chance(0.8)):
            self._plan(index, acc, people, held, opportunities, out)
        self._marks(acc, held, opportunities, out["whitespace_marks"])

    # -- the stakeholder map -------------------------------------------------------------------
    def _map_gaps(self, index: int, acc: AccountInfo, positions: list[Row]) -> None:
        """Some maps have holes: no decision maker known (its holder is only an influencer in
        our notes), or nobody champions us. Accounts 2 and 4 always do, so a small demo shows
        both."""
        d = self.d
        positions = [p for p in positions if p["account_id"] == acc.id]
        if index == 2 or (index > 12 and d.chance(0.1)):
            for p in positions:
                if p["stakeholder_role"] == SR.DECISION_MAKER:
                    p["stakeholder_role"] = SR.INFLUENCER.value
        if index == 4 or (index > 12 and d.chance(0.12)):
            for p in positions:
                if p["stakeholder_role"] == SR.CHAMPION:
                    p["stakeholder_role"] = SR.USER.value
                    p["stance"] = Stance.NEUTRAL.value

    def _leaver(self, index: int, acc: AccountInfo, positions: list[Row], out: list[Row]) -> None:
        """Someone left recently: their position here ended, and they started at another
        account (a lead for that account's owner). Account 1 always has one."""
        d = self.d
        if len(positions) < 4 or len(self.accounts) < 2:
            return
        if not (index == 1 or d.chance(0.12)):
            return
        leaving = [  # not the head (who reports to nobody), not the decision maker
            p
            for p in positions
            if p["account_id"] == acc.id
            and p["reports_to_id"] is not None
            and p["stakeholder_role"] != SR.DECISION_MAKER
            and p["end_date"] is None
        ]
        if not leaving:
            return
        p = d.pick(leaving)
        end = d.day(-d.between(5, 75))
        if p["start_date"] is not None and p["start_date"] >= end:
            return
        p["end_date"] = end
        p["updated_at"] = max(p["updated_at"], d.clamp(d.office_time(end)))
        others = [a for a in self.accounts if a.id != acc.id and a.lang == acc.lang]
        if not others:
            return
        other = d.pick(others)
        seat = d.pick(_slots_for(other)[1:])
        start = min(end + timedelta(days=d.between(1, 20)), d.today)
        created = d.clamp(d.office_time(start))
        out.append(
            {
                "id": d.new_id(),
                "contact_id": p["contact_id"],
                "account_id": other.id,
                "title": seat.title,
                "department": seat.department,
                "reports_to_id": None,
                "stakeholder_role": SR.INFLUENCER.value if seat.level <= 1 else SR.USER.value,
                "influence": max(1, 4 - seat.level),
                "stance": Stance.SUPPORTER.value,
                "strength": d.between(2, 3),
                "colleague_id": other.owner_id,
                "start_date": start,
                "end_date": None,
                "created_at": created,
                "updated_at": created,
            }
        )

    # -- the plan ------------------------------------------------------------------------------
    def _words(self, acc: AccountInfo, held: list[Held]) -> dict[str, Any]:
        d = self.d
        held_lines = {h.spec.line for h in held}
        open_lines = [p.line for p in acc.products if p.line not in held_lines] or list(LINES)
        line = d.pick(open_lines)
        return {
            "year": self.year,
            "line": LINE_VI[line] if acc.lang == "vi" else line,
            "competitor": d.pick(COMPETITORS),
        }

    def _say(self, acc: AccountInfo, key: str, words: dict[str, Any]) -> str:
        return self.d.pick(_TEXT[acc.lang][key]).format(**words)

    def _list(self, acc: AccountInfo, key: str, low: int, high: int) -> str:
        return "\n".join(self.d.sample(_TEXT[acc.lang][key], self.d.between(low, high)))

    def _plan(
        self,
        index: int,
        acc: AccountInfo,
        people: list[Person],
        held: list[Held],
        opportunities: list[Row],
        out: Rows,
    ) -> None:
        d = self.d
        words = self._words(acc, held)
        # Account 0 (the demo's first, a group) has a current plan, account 3 a stale one.
        stale = index == 3 or (index != 0 and d.chance(0.25))
        reviewed = d.day(-d.between(95, 240)) if stale else d.day(-d.between(1, 20))
        status = PlanStatus.ACTIVE if d.chance(0.85) or index == 0 else PlanStatus.DRAFT
        start, end = date(self.year, 1, 1), date(self.year, 12, 31)
        created = d.clamp(d.office_time(max(start - timedelta(days=20), acc.created_at.date())))
        created = max(created, acc.created_at)
        edited = d.clamp(d.office_time(reviewed))
        won = sum(
            o["amount_minor"]
            for o in opportunities
            if o["stage"] == "won" and o["close_date"] and o["close_date"].year == self.year
        )
        target = max(won * 2, sum(h.value_minor for h in held) // 3, 100_000_000)
        target = round(target, -6) if acc.currency == "VND" else round(target, -4)
        plan_id = d.new_id()
        out["account_plans"].append(
            {
                "id": plan_id,
                "account_id": acc.id,
                "period": str(self.year),
                "period_start": start,
                "period_end": end,
                "status": status.value,
                "owner_id": acc.owner_id,
                "desired_outcome": self._say(acc, "outcome", words),
                "growth": self._say(acc, "growth", words),
                "risks": self._say(acc, "risks", words),
                "next_steps": self._say(acc, "next", words),
                "key_players": self._say(acc, "key", words),
                "client_knows": d.chance(0.5),
                "last_reviewed": reviewed,
                "revenue_target_minor": target,
                "currency": acc.currency,
                "strengths": self._list(acc, "strengths", 2, 3),
                "weaknesses": self._list(acc, "weaknesses", 1, 2),
                "opportunities": self._list(acc, "opportunities", 1, 2),
                "threats": self._list(acc, "threats", 1, 2),
                "competitors": "\n".join(d.sample(COMPETITORS, d.between(1, 3))),
                "internal_notes": self._say(acc, "internal", words) if d.chance(0.6) else "",
                "created_at": created,
                "updated_at": max(created, edited),
            }
        )
        self._objectives(acc, plan_id, held, target, created, out["plan_objectives"])
        self._actions(acc, plan_id, people, opportunities, stale, created, out["plan_actions"])
        self._updates(acc, plan_id, reviewed, created, out["plan_updates"])

    def _objectives(
        self,
        acc: AccountInfo,
        plan_id: str,
        held: list[Held],
        revenue_target: int,
        created: Any,
        rows: list[Row],
    ) -> None:
        d = self.d
        lines = len({h.spec.line for h in held})
        titles = _OBJECTIVES[acc.lang]
        targets: list[tuple[str, str, int, int | None]] = [
            (Measure.REVENUE_WON, titles[Measure.REVENUE_WON], revenue_target, None),
            (Measure.PRODUCT_LINES, titles[Measure.PRODUCT_LINES], lines + d.between(1, 2), None),
            (
                Measure.STAKEHOLDER_COVERAGE,
                titles[Measure.STAKEHOLDER_COVERAGE],
                d.between(3, 6),
                None,
            ),
            (Measure.DECISION_MEETINGS, titles[Measure.DECISION_MEETINGS], d.between(4, 8), None),
            (Measure.MANUAL, d.pick(_TEXT[acc.lang]["manual"]), 8, d.between(4, 8)),
        ]
        for n, (measure, title, target, manual) in enumerate(targets):
            rows.append(
                {
                    "id": d.new_id(),
                    "plan_id": plan_id,
                    "account_id": acc.id,
                    "title": title,
                    "measure": str(measure),
                    "target": target,
                    "manual_value": manual,
                    "due_date": date(self.year, d.pick((6, 9, 12)), d.pick((15, 30))),
                    "sort_order": n,
                    "created_at": created,
                    "updated_at": created,
                }
            )

    def _actions(
        self,
        acc: AccountInfo,
        plan_id: str,
        people: list[Person],
        opportunities: list[Row],
        stale: bool,
        created: Any,
        rows: list[Row],
    ) -> None:
        d = self.d
        open_deals = [o for o in opportunities if o["stage"] not in ("won", "lost")]
        team = [u for _, u in acc.team]
        line = self._words(acc, [])["line"]
        for _ in range(d.between(3, 6)):
            due = d.day(d.between(-45, 60))
            if due < d.today:
                # Stale plans leave their actions open; kept plans get most of them done.
                done = d.chance(0.25 if stale else 0.7)
                status = (
                    ActionStatus.DONE
                    if done
                    else ActionStatus.DROPPED
                    if d.chance(0.1)
                    else ActionStatus.OPEN
                )
            else:
                status = ActionStatus.IN_PROGRESS if d.chance(0.4) else ActionStatus.OPEN
            opp = d.pick(open_deals)["id"] if open_deals and d.chance(0.35) else None
            contact = d.pick(people).id if people and not opp and d.chance(0.35) else None
            edited = d.clamp(d.office_time(min(due, d.today)))
            rows.append(
                {
                    "id": d.new_id(),
                    "plan_id": plan_id,
                    "account_id": acc.id,
                    "title": d.pick(_TEXT[acc.lang]["action"]).format(line=line),
                    "owner_id": acc.owner_id if d.chance(0.7) else d.pick(team),
                    "due_date": due,
                    "status": status.value,
                    "opportunity_id": opp,
                    "contact_id": contact,
                    "created_at": created,
                    "updated_at": max(created, edited),
                }
            )

    def _updates(
        self, acc: AccountInfo, plan_id: str, reviewed: date, created: Any, rows: list[Row]
    ) -> None:
        """A short weekly log, the newest on the last review."""
        d = self.d
        words = self._words(acc, [])
        for week in range(d.between(1, 4)):
            day = reviewed - timedelta(days=7 * week)
            when = d.clamp(d.office_time(day))
            if when < created:
                break
            rows.append(
                {
                    "id": d.new_id(),
                    "plan_id": plan_id,
                    "account_id": acc.id,
                    "written_on": day,
                    "author_id": acc.owner_id,
                    "text": self._say(acc, "update", words),
                    "created_at": when,
                    "updated_at": when,
                }
            )

    # -- whitespace ----------------------------------------------------------------------------
    def _marks(
        self, acc: AccountInfo, held: list[Held], opportunities: list[Row], rows: list[Row]
    ) -> None:
        """On business units (an account with a parent) and some others: a line lost to a
        named competitor, or one that does not fit the unit."""
        d = self.d
        is_unit = acc.id in self.children
        if not (is_unit or d.chance(0.15)) or acc.kind == AccountKind.HOUSEHOLD:
            return
        taken = {h.spec.line for h in held} | {
            o["product_line"] for o in opportunities if o["stage"] not in ("won", "lost")
        }
        free = [line for line in LINES if line not in taken]
        for line in d.sample(free, d.between(1, 2)):
            status = WhitespaceStatus.LOST if d.chance(0.55) else WhitespaceStatus.NOT_RELEVANT
            competitor = d.pick(COMPETITORS) if status == WhitespaceStatus.LOST else ""
            when = d.past(5, 200)
            note = _MARK_NOTES[status].format(competitor=competitor)
            rows.append(
                {
                    "id": d.new_id(),
                    "account_id": acc.id,
                    "product_line": line,
                    "status": status.value,
                    "competitor": competitor,
                    "note": note,
                    "created_at": when,
                    "updated_at": when,
                }
            )

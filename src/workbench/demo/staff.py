"""Our side of the demo: the team of users, and the product catalogue they sell.

Why fixed names, independent of the seed: every demo walk-through starts from the same people
("you are Trần Minh Anh, an account manager"), whichever data set is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.demo.catalog import PRODUCTS
from workbench.demo.dice import Dice
from workbench.domain.enums import Role

Row = dict[str, Any]

# (name, email, role): the first AM is the "current user" of the demo database.
TEAM: tuple[tuple[str, str, Role], ...] = (
    ("Trần Minh Anh", "minhanh.tran@workbench.vn", Role.AM),
    ("Lê Hoàng Nam", "nam.le@workbench.vn", Role.RM),
    ("Phạm Thu Hà", "ha.pham@workbench.vn", Role.FINANCE),
    ("Vũ Đức Thắng", "thang.vu@workbench.vn", Role.SALES),
    ("Nguyễn Quốc Bảo", "bao.nguyen@workbench.vn", Role.ADMIN),
    ("Đỗ Mai Phương", "phuong.do@workbench.vn", Role.AM),
    ("Hoàng Gia Huy", "huy.hoang@workbench.vn", Role.AM),
    ("Bùi Thanh Tùng", "tung.bui@workbench.vn", Role.RM),
    ("Ngô Thanh Vân", "van.ngo@workbench.vn", Role.FINANCE),
)


@dataclass
class Staff:
    """Our users by role; `admin` users double as delivery leads on account teams."""

    rows: list[Row]
    by_role: dict[Role, list[str]]

    @property
    def current(self) -> str:
        return self.by_role[Role.AM][0]


def make_users(d: Dice) -> Staff:
    rows: list[Row] = []
    by_role: dict[Role, list[str]] = {role: [] for role in Role}
    for name, email, role in TEAM:
        created = d.past(1300, 1500)
        uid = d.new_id()
        rows.append(
            {
                "id": uid,
                "name": name,
                "email": email,
                "role": role.value,
                "created_at": created,
                "updated_at": d.edited(created),
            }
        )
        by_role[role].append(uid)
    return Staff(rows, by_role)


@dataclass
class Products:
    rows: list[Row]
    ids: dict[str, str]  # code -> id


def make_products(d: Dice) -> Products:
    rows: list[Row] = []
    ids: dict[str, str] = {}
    for spec in PRODUCTS:
        created = d.past(1400, 1460)
        ids[spec.code] = d.new_id()
        rows.append(
            {
                "id": ids[spec.code],
                "code": spec.code,
                "name": spec.name,
                "product_line": spec.line,
                "recurring": spec.recurring,
                "created_at": created,
                "updated_at": d.edited(created),
            }
        )
    return Products(rows, ids)

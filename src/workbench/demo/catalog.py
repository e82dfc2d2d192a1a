"""What the demo vendor sells, and what the people it sells to are called.

Why the org chart is written out as slots rather than random titles: a stakeholder map only
looks right when the titles form a plausible hierarchy (a Kế toán trưởng reports to the finance
director, who reports to the Tổng Giám đốc), and when the roles follow the titles (the head of
IT is the natural champion, the chief accountant the finance contact).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str  # Vietnamese, as the catalogue shows it
    name_en: str  # for English activity texts at international accounts
    line: str
    recurring: bool
    low_m: int  # typical annual value, in millions of VND
    high_m: int
    for_banks: bool = False  # only financial institutions buy it
    for_households: bool = False  # small enough for a household business


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "CB-CORE",
        "Core Banking – Phân hệ lõi",
        "Core Banking suite",
        "Core Banking",
        True,
        2400,
        4800,
        for_banks=True,
    ),
    ProductSpec(
        "CB-LOAN",
        "Core Banking – Quản lý tín dụng",
        "Loan origination module",
        "Core Banking",
        True,
        900,
        2400,
        for_banks=True,
    ),
    ProductSpec(
        "CB-IMPL",
        "Triển khai & chuyển đổi dữ liệu Core Banking",
        "Core Banking implementation",
        "Core Banking",
        False,
        1500,
        4800,
        for_banks=True,
    ),
    ProductSpec(
        "CL-VPS",
        "Máy chủ ảo Cloud VPS",
        "Cloud VPS",
        "Cloud & Hosting",
        True,
        120,
        600,
        for_households=True,
    ),
    ProductSpec(
        "CL-PRIV",
        "Private Cloud chuyên dụng",
        "Dedicated private cloud",
        "Cloud & Hosting",
        True,
        900,
        3600,
    ),
    ProductSpec(
        "CL-BKP",
        "Sao lưu dữ liệu Cloud Backup",
        "Cloud Backup",
        "Cloud & Hosting",
        True,
        120,
        480,
        for_households=True,
    ),
    ProductSpec(
        "SE-SOC",
        "Giám sát an ninh mạng SOC 24/7",
        "24/7 SOC monitoring",
        "Security",
        True,
        600,
        2400,
    ),
    ProductSpec(
        "SE-FW",
        "Tường lửa quản lý (Managed Firewall)",
        "Managed firewall",
        "Security",
        True,
        180,
        720,
    ),
    ProductSpec(
        "SE-PEN", "Kiểm thử xâm nhập (Pentest)", "Penetration test", "Security", False, 150, 600
    ),
    ProductSpec(
        "DA-BI",
        "Nền tảng báo cáo quản trị BI",
        "BI reporting platform",
        "Data & Analytics",
        True,
        240,
        1200,
    ),
    ProductSpec(
        "DA-DWH",
        "Kho dữ liệu (Data Warehouse)",
        "Data warehouse",
        "Data & Analytics",
        True,
        600,
        2400,
    ),
    ProductSpec(
        "MS-HD", "Dịch vụ Helpdesk CNTT", "IT helpdesk", "Managed Services", True, 180, 960
    ),
    ProductSpec(
        "MS-AMC",
        "Bảo trì hệ thống (AMC)",
        "Annual maintenance contract",
        "Managed Services",
        True,
        240,
        1440,
    ),
    ProductSpec(
        "PY-GW", "Cổng thanh toán trực tuyến", "Payment gateway", "Payments", True, 120, 960
    ),
    ProductSpec(
        "PY-QR",
        "Thanh toán QR (VietQR)",
        "QR payments (VietQR)",
        "Payments",
        True,
        12,
        240,
        for_households=True,
    ),
    ProductSpec(
        "PY-EINV", "Hóa đơn điện tử", "E-invoicing", "Payments", True, 6, 240, for_households=True
    ),
    ProductSpec(
        "TR-SEC",
        "Đào tạo nhận thức an ninh mạng",
        "Security awareness training",
        "Training",
        False,
        40,
        240,
        for_households=True,
    ),
    ProductSpec(
        "TR-DATA",
        "Đào tạo phân tích dữ liệu",
        "Data analytics training",
        "Training",
        False,
        60,
        300,
    ),
)


# Product lines as Vietnamese timeline texts say them ("giải pháp An ninh mạng").
LINE_VI = {
    "Core Banking": "Core Banking",
    "Cloud & Hosting": "Cloud & Hosting",
    "Security": "An ninh mạng",
    "Data & Analytics": "Dữ liệu & Phân tích",
    "Managed Services": "Dịch vụ vận hành",
    "Payments": "Thanh toán",
    "Training": "Đào tạo",
}


@dataclass(frozen=True)
class Slot:
    """One seat in a client's org chart.

    `level` 0 is the head, 1 a director (C-level), 2 a manager, 3 staff; `function` groups
    seats so a manager reports to the director of the same function.
    """

    title: str
    department: str
    level: int
    function: str


def _slots(*rows: tuple[str, str, int, str]) -> tuple[Slot, ...]:
    return tuple(Slot(*row) for row in rows)


# The head of each kind comes first; the rest are in the order a growing relationship meets
# them, so an account with n contacts takes the head plus the first n-1 of the others
# (shuffled a little by the generator).
COMPANY_SLOTS = _slots(
    ("Tổng Giám đốc", "Ban Tổng Giám đốc", 0, "head"),
    ("Kế toán trưởng", "Phòng Kế toán", 2, "finance"),
    ("Trưởng phòng CNTT", "Phòng Công nghệ Thông tin", 2, "it"),
    ("Giám đốc Tài chính", "Ban Tài chính", 1, "finance"),
    ("Trưởng phòng Mua hàng", "Phòng Mua hàng", 2, "procurement"),
    ("Giám đốc Công nghệ", "Khối Công nghệ", 1, "it"),
    ("Phó Tổng Giám đốc", "Ban Tổng Giám đốc", 1, "deputy"),
    ("Chuyên viên Quản trị Hệ thống", "Phòng Công nghệ Thông tin", 3, "it"),
    ("Kế toán công nợ", "Phòng Kế toán", 3, "finance"),
    ("Giám đốc Vận hành", "Khối Vận hành", 1, "ops"),
    ("Trưởng nhóm An ninh Thông tin", "Phòng Công nghệ Thông tin", 2, "security"),
    ("Chuyên viên Phân tích Dữ liệu", "Phòng Kế hoạch", 3, "ops"),
    ("Trưởng phòng Hành chính Nhân sự", "Phòng Hành chính Nhân sự", 2, "hr"),
    ("Chuyên viên Pháp chế", "Phòng Pháp chế", 3, "legal"),
    ("Kỹ sư Hạ tầng", "Phòng Công nghệ Thông tin", 3, "it"),
    ("Chuyên viên Mua hàng", "Phòng Mua hàng", 3, "procurement"),
)
BANK_SLOTS = _slots(
    ("Tổng Giám đốc", "Ban Điều hành", 0, "head"),
    ("Giám đốc Khối Công nghệ Thông tin", "Khối Công nghệ Thông tin", 1, "it"),
    ("Phó Tổng Giám đốc phụ trách Vận hành", "Ban Điều hành", 1, "deputy"),
    ("Giám đốc Khối Tài chính", "Khối Tài chính", 1, "finance"),
    ("Trưởng phòng Hạ tầng CNTT", "Khối Công nghệ Thông tin", 2, "it"),
    ("Giám đốc Trung tâm Ngân hàng Số", "Khối Ngân hàng Số", 2, "ops"),
    ("Trưởng phòng Mua sắm", "Phòng Mua sắm Tập trung", 2, "procurement"),
    ("Kế toán trưởng", "Khối Tài chính", 2, "finance"),
    ("Trưởng phòng An ninh Thông tin", "Khối Công nghệ Thông tin", 2, "security"),
    ("Giám đốc Khối Vận hành", "Khối Vận hành", 1, "ops"),
    ("Trưởng phòng Quản lý Rủi ro", "Khối Quản lý Rủi ro", 2, "legal"),
    ("Chuyên viên Core Banking", "Khối Công nghệ Thông tin", 3, "it"),
    ("Chuyên viên Phân tích Nghiệp vụ", "Khối Ngân hàng Số", 3, "ops"),
    ("Chuyên viên Thanh toán", "Khối Tài chính", 3, "finance"),
)
PUBLIC_SLOTS = _slots(
    ("Giám đốc", "Ban Giám đốc", 0, "head"),
    ("Phó Giám đốc", "Ban Giám đốc", 1, "deputy"),
    ("Trưởng phòng Kế hoạch – Tài chính", "Phòng Kế hoạch – Tài chính", 2, "finance"),
    ("Trưởng phòng Công nghệ Thông tin", "Phòng Công nghệ Thông tin", 2, "it"),
    ("Chánh Văn phòng", "Văn phòng", 2, "ops"),
    ("Kế toán trưởng", "Phòng Kế hoạch – Tài chính", 2, "finance"),
    ("Chuyên viên Công nghệ Thông tin", "Phòng Công nghệ Thông tin", 3, "it"),
    ("Chuyên viên Kế hoạch", "Phòng Kế hoạch – Tài chính", 3, "finance"),
    ("Chuyên viên Văn phòng", "Văn phòng", 3, "ops"),
)
HOUSEHOLD_SLOTS = _slots(
    ("Chủ hộ kinh doanh", "", 0, "head"),
    ("Kế toán", "", 3, "finance"),
    ("Quản lý cửa hàng", "", 2, "ops"),
)
FOREIGN_SLOTS = _slots(
    ("Managing Director", "Management", 0, "head"),
    ("Finance Manager", "Finance", 2, "finance"),
    ("Head of IT", "IT", 2, "it"),
    ("Chief Financial Officer", "Finance", 1, "finance"),
    ("Regional Director, Vietnam", "Management", 1, "deputy"),
    ("Procurement Manager", "Procurement", 2, "procurement"),
    ("Chief Information Officer", "Technology", 1, "it"),
    ("IT Operations Lead", "IT", 3, "it"),
    ("Accounts Payable Officer", "Finance", 3, "finance"),
    ("Chief Operating Officer", "Operations", 1, "ops"),
    ("Data Engineer", "Technology", 3, "it"),
    ("Information Security Officer", "IT", 2, "security"),
    ("Legal Counsel", "Legal", 3, "legal"),
)

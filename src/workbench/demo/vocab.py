"""Name and place vocabularies for the demo data: people, companies, cities.

Why hand-written lists with weights rather than a fake-data library: Vietnamese names have a very
skewed family-name distribution (Nguyễn alone is about 38%), middle names that depend on gender,
and company names built from a legal form, a trade and a brand; generic fakers get all of that
wrong, and a demo that looks wrong to a Vietnamese account manager is worse than none.
Every name here is made up; brands are plausible, not real companies.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- people ------------------------------------------------------------------------------------

# (family name, share in percent): roughly the published distribution.
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 5.1),
    ("Huỳnh", 4.0), ("Phan", 4.5), ("Vũ", 3.9), ("Võ", 3.0), ("Đặng", 2.1), ("Bùi", 2.0),
    ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Trịnh", 0.8),
    ("Đinh", 0.8), ("Mai", 0.5), ("Lương", 0.5), ("Cao", 0.4), ("Lâm", 0.4), ("Tạ", 0.3),
)

MIDDLE_MALE = ("Văn", "Hữu", "Minh", "Đức", "Quốc", "Thanh", "Công", "Xuân", "Hoàng", "Gia",
               "Quang", "Trọng", "Mạnh", "Đình", "Tuấn", "Bảo")
MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Mai", "Bảo", "Kim", "Khánh",
                 "Hồng", "Diệu", "Thùy", "Hải", "Thị Ngọc", "Thị Thu")

GIVEN_MALE = ("An", "Bình", "Cường", "Dũng", "Đạt", "Duy", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy",
              "Khánh", "Khoa", "Kiên", "Long", "Lâm", "Minh", "Nam", "Nghĩa", "Phong", "Phúc",
              "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Toàn", "Trung", "Tuấn",
              "Tùng", "Việt", "Vinh", "Bảo", "Đức", "Hưng", "Lộc", "Nhân", "Thịnh")
GIVEN_FEMALE = ("Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương",
                "Huyền", "Lan", "Linh", "Loan", "Mai", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương",
                "Quỳnh", "Tâm", "Thảo", "Thơ", "Thủy", "Trang", "Trâm", "Uyên", "Vân", "Vy",
                "Yến", "Khánh", "My", "Nga", "Diệp", "Hồng")

# International contacts, by the country of their account: (given names, family names).
FOREIGN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "SG": (("Sarah", "David", "Wei Ling", "Raj", "Priya", "Kevin", "Grace", "Jason", "Mei"),
           ("Tan", "Lim", "Ng", "Wong", "Lee", "Koh", "Chua", "Goh", "Menon")),
    "US": (("Michael", "Emily", "James", "Rachel", "Daniel", "Olivia", "Chris", "Laura"),
           ("Smith", "Johnson", "Brown", "Miller", "Davis", "Garcia", "Nguyen", "Walker")),
    "GB": (("Oliver", "Charlotte", "Harry", "Amelia", "George", "Sophie", "Jack"),
           ("Taylor", "Evans", "Wilson", "Thompson", "Wright", "Hughes", "Clarke")),
    "DE": (("Anna", "Thomas", "Julia", "Lukas", "Katrin", "Stefan", "Jonas", "Lena"),
           ("Müller", "Schmidt", "Weber", "Fischer", "Becker", "Wagner", "Hoffmann", "Schäfer")),
    "JP": (("Kenji", "Yuki", "Haruto", "Aiko", "Takeshi", "Naomi", "Hiroshi", "Emi"),
           ("Tanaka", "Suzuki", "Sato", "Watanabe", "Yamamoto", "Kobayashi", "Ito")),
    "KR": (("Min-jun", "Ji-woo", "Seo-yeon", "Hyun-woo", "Eun-ji", "Dong-hyun"),
           ("Kim", "Park", "Lee", "Choi", "Jung", "Kang", "Yoon")),
    "AU": (("Jack", "Chloe", "Liam", "Emma", "Noah", "Isla", "Mia"),
           ("Wilson", "Martin", "Anderson", "Campbell", "Ryan", "Kelly", "O'Brien")),
    "TH": (("Somchai", "Ploy", "Niran", "Kanya", "Arthit", "Pim", "Chaiwat"),
           ("Wongsakul", "Srisuk", "Chaiyaporn", "Suwannarat", "Rattanakorn", "Boonmee")),
    "HK": (("Wing", "Ka Ho", "Mei Ling", "Jason", "Carmen", "Vincent", "Ivy"),
           ("Chan", "Wong", "Leung", "Cheung", "Lau", "Ho", "Yip")),
}

# -- places ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    """A Vietnamese city: what addresses, phones and tax codes registered there look like."""

    name: str
    province: str  # as written in public bodies' names ("tỉnh Bắc Ninh", "Thành phố Hà Nội")
    slug: str  # for made-up government domains
    weight: float
    area_code: str  # landline area code after +84
    mst_prefix: str  # the first 2 digits of enterprise tax codes issued there
    pin_province: str  # the first 3 digits of a citizen id issued there
    districts: tuple[str, ...]
    streets: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City("Hà Nội", "Thành phố Hà Nội", "hanoi", 30, "24", "01", "001",
         ("Quận Ba Đình", "Quận Hoàn Kiếm", "Quận Đống Đa", "Quận Cầu Giấy", "Quận Hai Bà Trưng",
          "Quận Thanh Xuân", "Quận Tây Hồ", "Quận Nam Từ Liêm", "Quận Long Biên"),
         ("Đường Láng", "Phố Huế", "Trần Duy Hưng", "Láng Hạ", "Kim Mã", "Nguyễn Chí Thanh",
          "Phạm Hùng", "Duy Tân", "Trần Hưng Đạo", "Lý Thường Kiệt", "Xuân Thủy", "Cầu Giấy")),
    City("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh", "hochiminhcity", 32, "28", "03", "079",
         ("Quận 1", "Quận 3", "Quận 7", "Quận 10", "Quận Bình Thạnh", "Quận Phú Nhuận",
          "Quận Tân Bình", "Quận Gò Vấp", "TP. Thủ Đức"),
         ("Nguyễn Huệ", "Lê Lợi", "Điện Biên Phủ", "Nguyễn Thị Minh Khai", "Cách Mạng Tháng Tám",
          "Nguyễn Văn Linh", "Võ Văn Tần", "Hai Bà Trưng", "Lê Duẩn", "Cộng Hòa",
          "Nguyễn Đình Chiểu", "Phan Xích Long")),
    City("Đà Nẵng", "Thành phố Đà Nẵng", "danang", 8, "236", "04", "048",
         ("Quận Hải Châu", "Quận Thanh Khê", "Quận Sơn Trà", "Quận Ngũ Hành Sơn",
          "Quận Liên Chiểu"),
         ("Bạch Đằng", "Nguyễn Văn Linh", "Lê Duẩn", "Trần Phú", "Hùng Vương", "Võ Nguyên Giáp",
          "Nguyễn Tất Thành")),
    City("Hải Phòng", "Thành phố Hải Phòng", "haiphong", 6, "225", "02", "031",
         ("Quận Hồng Bàng", "Quận Ngô Quyền", "Quận Lê Chân", "Quận Hải An"),
         ("Lạch Tray", "Trần Phú", "Điện Biên Phủ", "Lê Hồng Phong", "Văn Cao")),
    City("Cần Thơ", "Thành phố Cần Thơ", "cantho", 4, "292", "18", "092",
         ("Quận Ninh Kiều", "Quận Cái Răng", "Quận Bình Thủy"),
         ("Hòa Bình", "30 Tháng 4", "Trần Hưng Đạo", "Nguyễn Văn Cừ", "Mậu Thân")),
    City("Bắc Ninh", "tỉnh Bắc Ninh", "bacninh", 4, "222", "23", "027",
         ("TP. Bắc Ninh", "TP. Từ Sơn", "Huyện Yên Phong", "Thị xã Quế Võ"),
         ("Lý Thái Tổ", "Nguyễn Gia Thiều", "KCN Tiên Sơn", "KCN VSIP Bắc Ninh", "KCN Yên Phong")),
    City("Bình Dương", "tỉnh Bình Dương", "binhduong", 6, "274", "37", "074",
         ("TP. Thủ Dầu Một", "TP. Dĩ An", "TP. Thuận An", "TP. Bến Cát"),
         ("Đại lộ Bình Dương", "KCN VSIP I", "KCN Mỹ Phước 3", "Đường Yersin", "Đường 30 Tháng 4")),
    City("Nha Trang", "tỉnh Khánh Hòa", "khanhhoa", 3, "258", "42", "056",
         ("Phường Lộc Thọ", "Phường Vĩnh Hòa", "Phường Phước Hải"),
         ("Trần Phú", "Lê Thánh Tôn", "Nguyễn Thị Minh Khai", "Thái Nguyên", "23 Tháng 10")),
    City("Huế", "Thành phố Huế", "hue", 2, "234", "33", "046",
         ("Phường Vĩnh Ninh", "Phường Phú Hội", "Phường Vỹ Dạ"),
         ("Lê Lợi", "Hùng Vương", "Bến Nghé", "Nguyễn Huệ")),
    City("Hạ Long", "tỉnh Quảng Ninh", "quangninh", 2, "203", "57", "022",
         ("Phường Bạch Đằng", "Phường Hồng Gai", "Phường Bãi Cháy"),
         ("Trần Hưng Đạo", "Nguyễn Văn Cừ", "Hạ Long", "Lê Thánh Tông")),
    City("Biên Hòa", "tỉnh Đồng Nai", "dongnai", 3, "251", "36", "075",
         ("Phường Tân Hiệp", "Phường Tam Hiệp", "Phường Long Bình"),
         ("Đồng Khởi", "Phạm Văn Thuận", "KCN Biên Hòa 2", "KCN Amata")),
)

# Prefixes (after +84) of Vietnamese mobile networks that phonenumbers accepts for every
# 7-digit tail; +8489 is left out because only part of that range is assigned.
MOBILE_PREFIXES = ("90", "91", "93", "94", "96", "97", "98", "32", "33", "34", "35", "36", "37",
                   "38", "39", "70", "76", "77", "78", "79", "81", "82", "83", "84", "85", "86",
                   "88")


@dataclass(frozen=True)
class Country:
    """A country of international accounts: cities, address style, phone shapes, tax ids."""

    code: str
    weight: float
    currency: str
    legal_suffixes: tuple[str, ...]
    tld: str
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    landline: tuple[str, ...]  # "+656" + n random digits: prefix and tail length as "+656:7"
    mobile: tuple[str, ...]
    tax_id: str  # shape: 9 = digit, A = letter, anything else literal


COUNTRIES: tuple[Country, ...] = (
    Country("SG", 30, "USD", ("Pte Ltd",), "com.sg", ("Singapore",),
            ("Anson Road", "Raffles Place", "Cecil Street", "Robinson Road", "Tanjong Pagar Road",
             "Changi Business Park Central"), ("+656:7",), ("+658:7", "+659:7"), "2099999999A"),
    Country("US", 12, "USD", ("Inc.", "LLC"), "com", ("San Francisco", "New York", "Seattle"),
            ("Market Street", "Madison Avenue", "Pine Street", "Mission Street"),
            ("+1415:7", "+1212:7", "+1206:7"), ("+1646:7", "+1415:7"), "99-9999999"),
    Country("DE", 10, "EUR", ("GmbH", "AG"), "de", ("Berlin", "München", "Hamburg"),
            ("Friedrichstraße", "Leopoldstraße", "Jungfernstieg", "Kurfürstendamm"),
            ("+4930:8", "+4989:8", "+4940:8"), ("+49151:8", "+49160:8"), "DE999999999"),
    Country("JP", 10, "USD", ("Co., Ltd.", "K.K."), "co.jp", ("Tokyo", "Osaka", "Yokohama"),
            ("Marunouchi", "Shinagawa", "Umeda", "Minato Mirai"), ("+813:8", "+816:8"),
            ("+8190:8", "+8180:8"), "9999999999999"),
    Country("KR", 10, "USD", ("Co., Ltd.",), "co.kr", ("Seoul", "Busan", "Incheon"),
            ("Teheran-ro", "Gangnam-daero", "Jongno", "Haeundae-ro"), ("+822:8",), ("+8210:8",),
            "999-99-99999"),
    Country("AU", 6, "USD", ("Pty Ltd",), "com.au", ("Sydney", "Melbourne"),
            ("George Street", "Collins Street", "Pitt Street"), ("+612:8", "+613:8"),
            ("+614:8",), "99 999 999 999"),
    Country("TH", 8, "USD", ("Co., Ltd.", "Public Company Limited"), "co.th", ("Bangkok",),
            ("Sukhumvit Road", "Silom Road", "Rama IV Road"), ("+662:7",), ("+668:8",),
            "9999999999999"),
    Country("HK", 7, "USD", ("Limited",), "com.hk", ("Hong Kong",),
            ("Queen's Road Central", "Nathan Road", "Connaught Road"), ("+8522:7",),
            ("+8529:7", "+8526:7"), "99999999"),
    Country("GB", 7, "USD", ("Ltd", "plc"), "co.uk", ("London", "Manchester"),
            ("King William Street", "Old Street", "Deansgate"), ("+44207:7", "+44161:7"),
            ("+447:9",), "GB999999999"),
)

# -- organisations -----------------------------------------------------------------------------

# Brands of made-up Vietnamese companies; a brand is the part people use when they talk about a
# company ("bên Hòa Phát"), and the part company web domains are made from.
BRANDS = (
    "Hòa Phát", "An Khang", "Việt Tiến", "Thành Công", "Phú Thịnh", "Minh Long", "Sao Mai",
    "Hưng Thịnh", "Đại Dương", "Trường Hải", "Bình Minh", "Hoàng Long", "Tân Cảng", "Phương Nam",
    "Kim Tín", "Đông Á", "Hồng Hà", "Thái Sơn", "Lạc Hồng", "Nam Việt", "Bắc Á", "Sông Đà",
    "Tràng An", "Hải Âu", "Ánh Dương", "Phú Gia", "Thiên Long", "Hà Đô", "Tân Phát", "Việt Úc",
    "Đông Dương", "Mê Kông", "Cửu Long", "Hồng Phúc", "Thịnh Vượng", "An Phú", "Bảo Châu",
    "Tiến Phát", "Phúc Lộc", "Vạn Xuân", "Hoàng Quân", "Nam Thái", "Kim Long", "Việt Thắng",
    "Thuận Phát", "Đức Giang", "Hưng Yên", "Sơn Hà", "Trung Nam", "Tây Bắc", "Hải Vân",
    "Ngọc Lan", "Sài Gòn Xanh", "Hà Thành", "Phú Mỹ", "Bến Thành", "Hồng Lĩnh", "An Bình",
    "Thăng Long", "Đồng Tâm", "Quang Minh", "Tâm Đức", "Vĩnh Phát", "Minh Phú", "Hoa Sen Vàng",
    "Toàn Thắng", "Lam Sơn", "Sông Hàn", "Trường Sơn", "Ánh Sao", "Phước Thành", "Đại Việt",
    "Tân Á", "Lộc Phát", "Hùng Vương", "Gia Định", "Hải Hà", "Việt Nhật", "Hà Tiên", "Rạng Đông",
)

# (trade as it appears in the name, industry shown on the account, short tag for domains)
TRADES: tuple[tuple[str, str, str], ...] = (
    ("Thép", "Sản xuất thép", "steel"), ("Dược phẩm", "Dược phẩm", "pharma"),
    ("May", "Dệt may", "garment"), ("Thực phẩm", "Thực phẩm & đồ uống", "food"),
    ("Xây dựng", "Xây dựng", "xd"), ("Logistics", "Vận tải & kho bãi", "logistics"),
    ("Bất động sản", "Bất động sản", "land"), ("Nhựa", "Sản xuất nhựa", "plastic"),
    ("Thủy sản", "Thủy sản", "seafood"), ("Vận tải", "Vận tải & kho bãi", "transport"),
    ("Điện máy", "Bán lẻ điện máy", "electric"), ("Bao bì", "Bao bì", "pack"),
    ("Cơ khí", "Cơ khí chế tạo", "mech"), ("Năng lượng", "Năng lượng", "energy"),
    ("Phần mềm", "Công nghệ thông tin", "soft"), ("Du lịch", "Du lịch & khách sạn", "travel"),
    ("Giáo dục", "Giáo dục", "edu"), ("Nông sản", "Nông nghiệp", "agri"),
    ("Gỗ", "Chế biến gỗ", "wood"), ("Hóa chất", "Hóa chất", "chem"),
    ("Dệt may", "Dệt may", "textile"), ("Bán lẻ", "Bán lẻ", "retail"),
    ("Thiết bị Y tế", "Thiết bị y tế", "medical"), ("Cà phê", "Thực phẩm & đồ uống", "coffee"),
    ("Điện tử", "Điện tử", "tech"), ("Vật liệu Xây dựng", "Vật liệu xây dựng", "vlxd"),
    ("Khoáng sản", "Khai khoáng", "mining"), ("Cao su", "Cao su", "rubber"),
    ("Truyền thông", "Truyền thông & quảng cáo", "media"), ("Thương mại", "Thương mại", "trade"),
)

# (legal form, weight) of stand-alone companies; groups use GROUP_FORMS.
LEGAL_FORMS: tuple[tuple[str, float], ...] = (
    ("Công ty Cổ phần", 50), ("Công ty TNHH", 35), ("Công ty TNHH MTV", 10),
    ("Tổng Công ty", 5),
)
GROUP_FORMS = ("Tập đoàn", "Tổng Công ty")

# (region words appended to a name, short tag for the domain); "" for none.
REGIONS: tuple[tuple[str, str], ...] = (
    ("", ""), ("", ""), ("", ""), ("Miền Trung", "mt"), ("Miền Bắc", "mb"), ("Miền Nam", "mn"),
    ("Sài Gòn", "sg"), ("Hà Nội", "hn"), ("Việt Nam", "vn"), ("Tây Nguyên", "tn"),
    ("Đông Nam Á", "sea"), ("Quốc tế", "intl"),
)

# Financial institutions (kind bank_client): (form, industry, short tag for domains).
FINANCE_FORMS: tuple[tuple[str, str, str], ...] = (
    ("Ngân hàng TMCP", "Ngân hàng", "bank"), ("Ngân hàng TMCP", "Ngân hàng", "bank"),
    ("Công ty Tài chính", "Tài chính tiêu dùng", "finance"),
    ("Công ty Cổ phần Chứng khoán", "Chứng khoán", "securities"),
    ("Tổng Công ty Bảo hiểm", "Bảo hiểm", "insurance"),
    ("Công ty Cho thuê Tài chính", "Cho thuê tài chính", "leasing"),
    ("Quỹ Tín dụng Nhân dân", "Quỹ tín dụng", "qtd"),
)
FINANCE_BRANDS = (
    "Đông Nam Việt", "Kỷ Nguyên", "Bắc Hải", "Phú Quý", "Hưng Long", "Việt Hải", "Sông Hồng",
    "An Bình Phát", "Phương Đông Mới", "Thịnh An", "Bảo Tín", "Đại Phát", "Nam Long",
    "Hải Đăng", "Tín Việt", "Trường Thịnh", "Kim Ngân", "Việt Phú", "Sao Việt", "Hồng Bàng",
)

# Public bodies: (name template with {province}, head's title, domain template with {slug}).
PUBLIC_BODIES: tuple[tuple[str, str, str], ...] = (
    ("Sở Tài chính {province}", "Giám đốc Sở", "stc.{slug}.gov.vn"),
    ("Sở Khoa học và Công nghệ {province}", "Giám đốc Sở", "skhcn.{slug}.gov.vn"),
    ("Sở Y tế {province}", "Giám đốc Sở", "syt.{slug}.gov.vn"),
    ("Bệnh viện Đa khoa {province}", "Giám đốc Bệnh viện", "bvdk.{slug}.vn"),
    ("Trung tâm Chuyển đổi số {province}", "Giám đốc Trung tâm", "cds.{slug}.gov.vn"),
    ("Ban Quản lý các Khu công nghiệp {province}", "Trưởng ban", "bqlkcn.{slug}.gov.vn"),
    ("Kho bạc Nhà nước khu vực {province}", "Giám đốc", "kbnn.{slug}.gov.vn"),
    ("Trường Đại học Kinh tế {province}", "Hiệu trưởng", "dhkt.{slug}.edu.vn"),
    ("Trường Cao đẳng Kỹ thuật {province}", "Hiệu trưởng", "cdkt.{slug}.edu.vn"),
    ("Bảo hiểm Xã hội {province}", "Giám đốc", "bhxh.{slug}.gov.vn"),
)

HOUSEHOLD_TRADES: tuple[tuple[str, str], ...] = (
    ("Tạp hóa", "Bán lẻ"), ("Nhà hàng", "Ăn uống"), ("Cà phê", "Ăn uống"),
    ("Vật liệu xây dựng", "Thương mại"), ("Nhà thuốc", "Dược phẩm"), ("Điện thoại", "Bán lẻ"),
    ("Phòng khám", "Y tế"), ("Homestay", "Du lịch & khách sạn"),
)

# International accounts: (name stem, industry in English).
FOREIGN_STEMS = ("Mekong", "Pacific Rim", "Harbor", "Lion City", "Sakura", "Hanul", "Nordlicht",
                 "Southern Cross", "Orchid", "Straits", "Golden Bay", "Blue Lotus", "Evergreen",
                 "Summit", "Meridian", "Sunrise", "Jade River", "Red Dragon", "Silverline",
                 "Northwind", "Coral Sea", "Indochina", "Saigon Bridge", "Asia Link", "Bamboo")
FOREIGN_TRADES: tuple[tuple[str, str], ...] = (
    ("Logistics", "Logistics"), ("Trading", "Trading"), ("Analytics", "Software"),
    ("Components", "Manufacturing"), ("Foods", "Food & beverage"), ("Capital", "Finance"),
    ("Shipping", "Shipping"), ("Electronics", "Electronics"), ("Textiles", "Textiles"),
    ("Pharma", "Pharmaceuticals"), ("Semiconductor", "Semiconductors"), ("Energy", "Energy"),
    ("Hotels", "Hospitality"), ("Retail", "Retail"), ("Payments", "Financial services"),
)

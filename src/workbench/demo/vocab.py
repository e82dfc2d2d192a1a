"""Name and place vocabularies for the demo data: people, companies, cities.

Why hand-written lists with weights rather than a fake-data library: Vietnamese names have a very
skewed family-name distribution (Nguyễn alone is about 38%), middle names that depend on gender,
and company names built from a legal form, a trade and a brand; generic fakers get all of that
wrong, and a demo that looks wrong to a Vietnamese account manager is worse than none.
Every name here is made up: brands are auspicious Vietnamese words of the kind companies use,
with the best-known real brands left out, so no demo account passes for a real client.

Lists are written as comma-separated text so that they read like the word lists they are.
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str, sep: str = ",") -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(sep) if w.strip())


def _weighted(text: str) -> tuple[tuple[str, float], ...]:
    """ "Nguyễn 38, Trần 11" -> (("Nguyễn", 38.0), ("Trần", 11.0))."""
    pairs = (w.rsplit(" ", 1) for w in _words(text))
    return tuple((name, float(weight)) for name, weight in pairs)


def _pairs(text: str, sep: str) -> tuple[tuple[str, str], ...]:
    """ "Thép = Sản xuất thép, ..." -> (("Thép", "Sản xuất thép"), ...), split at `sep`."""
    split = (w.rsplit(sep, 1) for w in _words(text))
    return tuple((a.strip(), b.strip()) for a, b in split)


# -- people ------------------------------------------------------------------------------------

# Family names with their share in percent: roughly the published distribution.
FAMILY_NAMES = _weighted(
    "Nguyễn 38, Trần 11, Lê 9.5, Phạm 7, Hoàng 5.1, Huỳnh 4, Phan 4.5, Vũ 3.9, Võ 3, Đặng 2.1, "
    "Bùi 2, Đỗ 1.4, Hồ 1.3, Ngô 1.3, Dương 1, Lý 0.5, Trịnh 0.8, Đinh 0.8, Mai 0.5, Lương 0.5, "
    "Cao 0.4, Lâm 0.4, Tạ 0.3"
)
MIDDLE_MALE = _words(
    "Văn, Hữu, Minh, Đức, Quốc, Thanh, Công, Xuân, Hoàng, Gia, Quang, Trọng, Mạnh, Đình, Tuấn, Bảo"
)
MIDDLE_FEMALE = _words(
    "Thị, Ngọc, Thu, Thanh, Minh, Phương, Mai, Bảo, Kim, Khánh, Hồng, Diệu, Thùy, Hải, "
    "Thị Ngọc, Thị Thu"
)
GIVEN_MALE = _words(
    "An, Bình, Cường, Dũng, Đạt, Duy, Hải, Hiếu, Hoàng, Hùng, Huy, Khánh, Khoa, Kiên, Long, Lâm, "
    "Minh, Nam, Nghĩa, Phong, Phúc, Quân, Quang, Sơn, Tài, Thắng, Thành, Tiến, Toàn, Trung, "
    "Tuấn, Tùng, Việt, Vinh, Bảo, Đức, Hưng, Lộc, Nhân, Thịnh"
)
GIVEN_FEMALE = _words(
    "Anh, Chi, Dung, Giang, Hà, Hạnh, Hằng, Hiền, Hoa, Hương, Huyền, Lan, Linh, Loan, Mai, Ngân, "
    "Ngọc, Nhung, Oanh, Phương, Quỳnh, Tâm, Thảo, Thơ, Thủy, Trang, Trâm, Uyên, Vân, Vy, Yến, "
    "Khánh, My, Nga, Diệp, Hồng"
)

# International contacts, by the country of their account: (given names, family names).
FOREIGN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "SG": (
        _words("Sarah, David, Wei Ling, Raj, Priya, Kevin, Grace, Jason, Mei"),
        _words("Tan, Lim, Ng, Wong, Lee, Koh, Chua, Goh, Menon"),
    ),
    "US": (
        _words("Michael, Emily, James, Rachel, Daniel, Olivia, Chris, Laura"),
        _words("Smith, Johnson, Brown, Miller, Davis, Garcia, Nguyen, Walker"),
    ),
    "GB": (
        _words("Oliver, Charlotte, Harry, Amelia, George, Sophie, Jack"),
        _words("Taylor, Evans, Wilson, Thompson, Wright, Hughes, Clarke"),
    ),
    "DE": (
        _words("Anna, Thomas, Julia, Lukas, Katrin, Stefan, Jonas, Lena"),
        _words("Müller, Schmidt, Weber, Fischer, Becker, Wagner, Hoffmann, Schäfer"),
    ),
    "JP": (
        _words("Kenji, Yuki, Haruto, Aiko, Takeshi, Naomi, Hiroshi, Emi"),
        _words("Tanaka, Suzuki, Sato, Watanabe, Yamamoto, Kobayashi, Ito"),
    ),
    "KR": (
        _words("Min-jun, Ji-woo, Seo-yeon, Hyun-woo, Eun-ji, Dong-hyun"),
        _words("Kim, Park, Lee, Choi, Jung, Kang, Yoon"),
    ),
    "AU": (
        _words("Jack, Chloe, Liam, Emma, Noah, Isla, Mia"),
        _words("Wilson, Martin, Anderson, Campbell, Ryan, Kelly, O'Brien"),
    ),
    "TH": (
        _words("Somchai, Ploy, Niran, Kanya, Arthit, Pim, Chaiwat"),
        _words("Wongsakul, Srisuk, Chaiyaporn, Suwannarat, Rattanakorn, Boonmee"),
    ),
    "HK": (
        _words("Wing, Ka Ho, Mei Ling, Jason, Carmen, Vincent, Ivy"),
        _words("Chan, Wong, Leung, Cheung, Lau, Ho, Yip"),
    ),
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


def _city(
    name: str, province: str, slug: str, weight: float, codes: str, districts: str, streets: str
) -> City:
    area, mst, pin = codes.split()
    return City(name, province, slug, weight, area, mst, pin, _words(districts), _words(streets))


# fmt: off
CITIES: tuple[City, ...] = (
    _city(
        "Hà Nội", "Thành phố Hà Nội", "hanoi", 30, "24 01 001",
        "Quận Ba Đình, Quận Hoàn Kiếm, Quận Đống Đa, Quận Cầu Giấy, Quận Hai Bà Trưng, "
        "Quận Thanh Xuân, Quận Tây Hồ, Quận Nam Từ Liêm, Quận Long Biên",
        "Đường Láng, Phố Huế, Trần Duy Hưng, Láng Hạ, Kim Mã, Nguyễn Chí Thanh, Phạm Hùng, "
        "Duy Tân, Trần Hưng Đạo, Lý Thường Kiệt, Xuân Thủy, Cầu Giấy",
    ),
    _city(
        "TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh", "hochiminhcity", 32, "28 03 079",
        "Quận 1, Quận 3, Quận 7, Quận 10, Quận Bình Thạnh, Quận Phú Nhuận, Quận Tân Bình, "
        "Quận Gò Vấp, TP. Thủ Đức",
        "Nguyễn Huệ, Lê Lợi, Điện Biên Phủ, Nguyễn Thị Minh Khai, Cách Mạng Tháng Tám, "
        "Nguyễn Văn Linh, Võ Văn Tần, Hai Bà Trưng, Lê Duẩn, Cộng Hòa, Nguyễn Đình Chiểu, "
        "Phan Xích Long",
    ),
    _city(
        "Đà Nẵng", "Thành phố Đà Nẵng", "danang", 8, "236 04 048",
        "Quận Hải Châu, Quận Thanh Khê, Quận Sơn Trà, Quận Ngũ Hành Sơn, Quận Liên Chiểu",
        "Bạch Đằng, Nguyễn Văn Linh, Lê Duẩn, Trần Phú, Hùng Vương, Võ Nguyên Giáp, "
        "Nguyễn Tất Thành",
    ),
    _city(
        "Hải Phòng", "Thành phố Hải Phòng", "haiphong", 6, "225 02 031",
        "Quận Hồng Bàng, Quận Ngô Quyền, Quận Lê Chân, Quận Hải An",
        "Lạch Tray, Trần Phú, Điện Biên Phủ, Lê Hồng Phong, Văn Cao",
    ),
    _city(
        "Cần Thơ", "Thành phố Cần Thơ", "cantho", 4, "292 18 092",
        "Quận Ninh Kiều, Quận Cái Răng, Quận Bình Thủy",
        "Hòa Bình, 30 Tháng 4, Trần Hưng Đạo, Nguyễn Văn Cừ, Mậu Thân",
    ),
    _city(
        "Bắc Ninh", "tỉnh Bắc Ninh", "bacninh", 4, "222 23 027",
        "TP. Bắc Ninh, TP. Từ Sơn, Huyện Yên Phong, Thị xã Quế Võ",
        "Lý Thái Tổ, Nguyễn Gia Thiều, KCN Tiên Sơn, KCN VSIP Bắc Ninh, KCN Yên Phong",
    ),
    _city(
        "Bình Dương", "tỉnh Bình Dương", "binhduong", 6, "274 37 074",
        "TP. Thủ Dầu Một, TP. Dĩ An, TP. Thuận An, TP. Bến Cát",
        "Đại lộ Bình Dương, KCN VSIP I, KCN Mỹ Phước 3, Đường Yersin, Đường 30 Tháng 4",
    ),
    _city(
        "Nha Trang", "tỉnh Khánh Hòa", "khanhhoa", 3, "258 42 056",
        "Phường Lộc Thọ, Phường Vĩnh Hòa, Phường Phước Hải",
        "Trần Phú, Lê Thánh Tôn, Nguyễn Thị Minh Khai, Thái Nguyên, 23 Tháng 10",
    ),
    _city(
        "Huế", "Thành phố Huế", "hue", 2, "234 33 046",
        "Phường Vĩnh Ninh, Phường Phú Hội, Phường Vỹ Dạ",
        "Lê Lợi, Hùng Vương, Bến Nghé, Nguyễn Huệ",
    ),
    _city(
        "Hạ Long", "tỉnh Quảng Ninh", "quangninh", 2, "203 57 022",
        "Phường Bạch Đằng, Phường Hồng Gai, Phường Bãi Cháy",
        "Trần Hưng Đạo, Nguyễn Văn Cừ, Hạ Long, Lê Thánh Tông",
    ),
    _city(
        "Biên Hòa", "tỉnh Đồng Nai", "dongnai", 3, "251 36 075",
        "Phường Tân Hiệp, Phường Tam Hiệp, Phường Long Bình",
        "Đồng Khởi, Phạm Văn Thuận, KCN Biên Hòa 2, KCN Amata",
    ),
)

# fmt: on

# Prefixes (after +84) of Vietnamese mobile networks that phonenumbers accepts for every
# 7-digit tail; +8489 is left out because only part of that range is assigned.
MOBILE_PREFIXES = _words(
    "90, 91, 93, 94, 96, 97, 98, 32, 33, 34, 35, 36, 37, 38, 39, 70, 76, 77, 78, 79, 81, 82, 83, "
    "84, 85, 86, 88"
)


@dataclass(frozen=True)
class Country:
    """A country of international accounts: cities, address style, phone shapes, tax ids.

    Phone shapes are "+656:7": the prefix, then that many random digits (the first not 0).
    """

    code: str
    weight: float
    currency: str
    legal_suffixes: tuple[str, ...]
    tld: str
    cities: tuple[tuple[str, str], ...]  # (city, landline shape there)
    streets: tuple[str, ...]
    mobile: tuple[str, ...]
    tax_id: str  # shape: 9 = digit, A = letter, anything else literal


# fmt: off
def _country(
    code: str, weight: float, currency: str, suffixes: str, tld: str, cities: str,
    streets: str, mobile: str, tax_id: str,
) -> Country:
    """`suffixes` separated by "|" (they contain commas); `cities` as "Berlin +4930:8, ..."."""
    return Country(
        code, weight, currency, _words(suffixes, "|"), tld, _pairs(cities, " "),
        _words(streets), _words(mobile), tax_id,
    )


COUNTRIES: tuple[Country, ...] = (
    _country(
        "SG", 30, "USD", "Pte Ltd", "com.sg", "Singapore +656:7",
        "Anson Road, Raffles Place, Cecil Street, Robinson Road, Tanjong Pagar Road, "
        "Changi Business Park Central",
        "+658:7, +659:7", "209999999A",
    ),
    _country(
        "US", 12, "USD", "Inc.|LLC", "com",
        "San Francisco +1415:7, New York +1212:7, Seattle +1206:7",
        "Market Street, Madison Avenue, Pine Street, Mission Street",
        "+1646:7, +1415:7", "99-9999999",
    ),
    _country(
        "DE", 10, "EUR", "GmbH|AG", "de", "Berlin +4930:8, München +4989:8, Hamburg +4940:8",
        "Friedrichstraße, Leopoldstraße, Jungfernstieg, Kurfürstendamm",
        "+49151:8, +49160:8", "DE999999999",
    ),
    _country(
        "JP", 10, "USD", "Co., Ltd.|K.K.", "co.jp", "Tokyo +813:8, Osaka +816:8",
        "Marunouchi, Shinagawa, Umeda, Roppongi", "+8190:8, +8180:8", "9999999999999",
    ),
    _country(
        "KR", 10, "USD", "Co., Ltd.", "co.kr", "Seoul +822:8, Busan +8251:7",
        "Teheran-ro, Gangnam-daero, Jongno, Haeundae-ro", "+8210:8", "999-99-99999",
    ),
    _country(
        "AU", 6, "USD", "Pty Ltd", "com.au", "Sydney +612:8, Melbourne +613:8",
        "George Street, Collins Street, Pitt Street", "+614:8", "99 999 999 999",
    ),
    _country(
        "TH", 8, "USD", "Co., Ltd.|Public Company Limited", "co.th", "Bangkok +662:7",
        "Sukhumvit Road, Silom Road, Rama IV Road", "+668:8", "9999999999999",
    ),
    _country(
        "HK", 7, "USD", "Limited", "com.hk", "Hong Kong +8522:7",
        "Queen's Road Central, Nathan Road, Connaught Road", "+8529:7, +8526:7", "99999999",
    ),
    _country(
        "GB", 7, "USD", "Ltd|plc", "co.uk", "London +44207:7, Manchester +44161:7",
        "King William Street, Old Street, Deansgate", "+447:9", "GB999999999",
    ),
)

# fmt: on

# -- organisations -----------------------------------------------------------------------------

# Brands of made-up Vietnamese companies; a brand is the part people use when they talk about a
# company ("bên Sao Mai"), and the part company web domains are made from.
BRANDS = _words(
    "Hòa Bình Xanh, An Khánh, Việt Tân, Thành Công, Phú Thịnh, Minh Long, Sao Mai, Hưng Phát, "
    "Đại Dương, Trường Phát, Bình Minh, Hoàng Long, Tân Hưng, Phương Nam, Kim Phát, Đông Á, "
    "Hồng Hà, Thái Sơn, Lạc Hồng, Nam Việt, Bắc Á, Sông Mã, Tràng An, Hải Âu, Ánh Dương, Phú Gia, "
    "Thiên Phúc, Hà Lâm, Tân Phát, Việt Úc, Đông Dương, Mê Kông, Cửu Long, Hồng Phúc, Thịnh Vượng, "
    "An Phú, Bảo Châu, Tiến Phát, Phúc Lộc, Vạn Xuân, Hoàng Quân, Nam Thái, Kim Long, Việt Thắng, "
    "Thuận Phát, Đức Tâm, Hưng Yên, Sơn Hà, Trung Hòa, Tây Bắc, Hải Vân, Ngọc Lan, "
    "Sài Gòn Xanh, Hà Thành, Phú An, Bến Thành, Hồng Lĩnh, An Bình, Thăng Long, Đồng Tiến, "
    "Quang Minh, Tâm Đức, Vĩnh Phát, Minh Khang, Sen Vàng, Toàn Thắng, Lam Sơn, Sông Hàn, "
    "Trường Sơn, Ánh Sao, Phước Thành, Đại Việt, Tân Á, Lộc Phát, Hùng Vương, Gia Định, Hải Hà, "
    "Việt Nhật, Hà Tiên, Rạng Ngời"
)

# (trade as it appears in the name, industry shown on the account)
TRADES = _pairs(
    "Thép = Sản xuất thép, Dược phẩm = Dược phẩm, May = Dệt may, "
    "Thực phẩm = Thực phẩm & đồ uống, Xây dựng = Xây dựng, Logistics = Vận tải & kho bãi, "
    "Bất động sản = Bất động sản, Nhựa = Sản xuất nhựa, Thủy sản = Thủy sản, "
    "Vận tải = Vận tải & kho bãi, Điện máy = Bán lẻ điện máy, Bao bì = Bao bì, "
    "Cơ khí = Cơ khí chế tạo, Năng lượng = Năng lượng, Phần mềm = Công nghệ thông tin, "
    "Du lịch = Du lịch & khách sạn, Giáo dục = Giáo dục, Nông sản = Nông nghiệp, "
    "Gỗ = Chế biến gỗ, Hóa chất = Hóa chất, Dệt may = Dệt may, Bán lẻ = Bán lẻ, "
    "Thiết bị Y tế = Thiết bị y tế, Cà phê = Thực phẩm & đồ uống, Điện tử = Điện tử, "
    "Vật liệu Xây dựng = Vật liệu xây dựng, Khoáng sản = Khai khoáng, Cao su = Cao su, "
    "Truyền thông = Truyền thông & quảng cáo, Thương mại = Thương mại",
    " = ",
)

# Legal forms of stand-alone companies with weights; groups use GROUP_FORMS.
LEGAL_FORMS = _weighted("Công ty Cổ phần 50, Công ty TNHH 35, Công ty TNHH MTV 10, Tổng Công ty 5")
GROUP_FORMS = _words("Tập đoàn, Tổng Công ty")

# (region words appended to a name, short tag for the domain, cities the company can sit in);
# "" for none, which fits any city. A "Miền Trung" company sits in central Vietnam.
_NORTH = _words("Hà Nội, Hải Phòng, Bắc Ninh, Hạ Long")
_CENTRE = _words("Đà Nẵng, Huế, Nha Trang")
_SOUTH = _words("TP. Hồ Chí Minh, Bình Dương, Cần Thơ, Biên Hòa")
# fmt: off
REGIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("", "", ()), ("", "", ()), ("", "", ()), ("Miền Trung", "mt", _CENTRE),
    ("Miền Bắc", "mb", _NORTH), ("Miền Nam", "mn", _SOUTH), ("Sài Gòn", "sg", ("TP. Hồ Chí Minh",)),
    ("Hà Nội", "hn", ("Hà Nội",)), ("Việt Nam", "vn", ()), ("Tây Nguyên", "tn", ("Đà Nẵng",)),
    ("Đông Nam Á", "sea", ()), ("Quốc tế", "intl", ()),
)
# fmt: on

# Financial institutions (kind bank_client): (form, industry, short tag for domains).
FINANCE_FORMS: tuple[tuple[str, str, str], ...] = (
    ("Ngân hàng TMCP", "Ngân hàng", "bank"),
    ("Ngân hàng TMCP", "Ngân hàng", "bank"),
    ("Công ty Tài chính", "Tài chính tiêu dùng", "finance"),
    ("Công ty Cổ phần Chứng khoán", "Chứng khoán", "securities"),
    ("Tổng Công ty Bảo hiểm", "Bảo hiểm", "insurance"),
    ("Công ty Cho thuê Tài chính", "Cho thuê tài chính", "leasing"),
    ("Quỹ Tín dụng Nhân dân", "Quỹ tín dụng", "qtd"),
)
FINANCE_BRANDS = _words(
    "Đông Nam Việt, Kỷ Nguyên, Bắc Hải, Phú Quý, Hưng Long, Việt Hải, Sông Hồng, Hoàng Hải, "
    "Lộc Việt, Thịnh An, Bảo Tín, Đại Phát, Nam Long, Hải Đăng, Tín Việt, Trường Thịnh, "
    "Kim Ngân, Việt Phú, Sao Việt, Hồng Bàng"
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
# Local bodies: (template with {district}, head's title, domain template with {d} and {slug}).
DISTRICT_BODIES: tuple[tuple[str, str, str], ...] = (
    ("Ủy ban Nhân dân {district}", "Chủ tịch UBND", "ubnd-{d}.{slug}.gov.vn"),
    ("Trung tâm Y tế {district}", "Giám đốc Trung tâm", "ttyt-{d}.{slug}.gov.vn"),
)

# Household businesses: (what the shop is, industry).
# fmt: off
HOUSEHOLD_TRADES: tuple[tuple[str, str], ...] = (
    ("Tạp hóa", "Bán lẻ"), ("Nhà hàng", "Ăn uống"), ("Cà phê", "Ăn uống"),
    ("Vật liệu xây dựng", "Thương mại"), ("Nhà thuốc", "Dược phẩm"), ("Điện thoại", "Bán lẻ"),
    ("Phòng khám", "Y tế"), ("Homestay", "Du lịch & khách sạn"),
)
# fmt: on

# International accounts: name stems, and (trade in the name, industry in English).
FOREIGN_STEMS = _words(
    "Mekong, Pacific Rim, Harbor, Lion City, Sakura, Hanul, Nordlicht, Southern Cross, Orchid, "
    "Straits, Golden Bay, Blue Lotus, Evergreen, Summit, Meridian, Sunrise, Jade River, "
    "Red Dragon, Silverline, Northwind, Coral Sea, Indochina, Saigon Bridge, Asia Link, Bamboo"
)
# fmt: off
FOREIGN_TRADES: tuple[tuple[str, str], ...] = (
    ("Logistics", "Logistics"), ("Trading", "Trading"), ("Analytics", "Software"),
    ("Components", "Manufacturing"), ("Foods", "Food & beverage"), ("Capital", "Finance"),
    ("Shipping", "Shipping"), ("Electronics", "Electronics"), ("Textiles", "Textiles"),
    ("Pharma", "Pharmaceuticals"), ("Semiconductor", "Semiconductors"), ("Energy", "Energy"),
    ("Hotels", "Hospitality"), ("Retail", "Retail"), ("Payments", "Financial services"),
)
# fmt: on

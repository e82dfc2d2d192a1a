"""What the demo timeline says: activity subjects, notes, outcomes, commitments, deal names.

Templates take `{product}`, `{line}`, `{quarter}`, `{year}`, `{month}`, `{city}` and `{who}`
(how one refers to the contact: "chị Lan", "anh Hùng", "Sarah"). Vietnamese for Vietnamese
accounts, English for international ones, so both kinds of timeline can be shown off.
"""

from __future__ import annotations

Texts = dict[str, tuple[str, ...]]

SUBJECTS: dict[str, Texts] = {
    "vi": {
        "meeting": (
            "Họp rà soát hợp đồng bảo trì {quarter}",
            "Họp kick-off dự án {product}",
            "Họp đánh giá chất lượng dịch vụ (SLA) {quarter}",
            "Họp trao đổi kế hoạch ngân sách CNTT năm {year}",
            "Họp thương thảo gia hạn {product}",
            "Họp demo {product} cho phòng Tài chính",
            "Họp giới thiệu giải pháp {line}",
            "Họp rút kinh nghiệm sau sự cố hệ thống",
            "Họp QBR {quarter}/{year} với Ban Giám đốc",
            "Họp làm rõ yêu cầu kỹ thuật {product}",
        ),
        "call": (
            "Gọi điện nhắc gia hạn license {product}",
            "Gọi điện xác nhận lịch họp với {who}",
            "Gọi điện hỏi thăm tình hình sử dụng {product}",
            "Gọi điện trao đổi về báo giá",
            "Gọi điện tư vấn nâng cấp gói {product}",
            "Gọi điện chúc mừng sinh nhật {who}",
            "Gọi điện hỗ trợ sự cố đăng nhập",
            "Gọi điện mời tham dự hội thảo {line}",
        ),
        "email": (
            "Gửi báo giá nâng cấp hệ thống {product}",
            "Gửi biên bản họp cho {who}",
            "Gửi tài liệu giới thiệu {product}",
            "Gửi đề xuất kỹ thuật {product}",
            "Gửi báo cáo SLA {quarter}",
            "Gửi thư mời Ngày hội Chuyển đổi số {year}",
            "Gửi hợp đồng gia hạn {product} để ký",
            "Gửi lộ trình sản phẩm {line} năm {year}",
        ),
        "visit": (
            "Thăm khách hàng tại văn phòng {city}",
            "Khảo sát hạ tầng CNTT tại trụ sở",
            "Thăm nhà máy và khảo sát hiện trạng",
            "Thăm và tặng quà nhân dịp kỷ niệm thành lập",
            "Gặp gỡ Ban Giám đốc đầu năm {year}",
        ),
        "note": (
            "Ghi chú: khách hàng đang đánh giá đối thủ cho mảng {line}",
            "Ghi chú sau buổi gặp không chính thức với {who}",
            "Cập nhật sơ đồ tổ chức phía khách hàng",
            "Ghi chú: thay đổi người phụ trách CNTT",
            "Ghi chú: ngân sách năm {year} có thể bị cắt giảm",
        ),
        "task": (
            "Chuẩn bị tài liệu cho buổi QBR {quarter}",
            "Cập nhật kế hoạch khách hàng năm {year}",
            "Kiểm tra tình trạng hóa đơn quá hạn",
            "Chuẩn bị hồ sơ chào giá {product}",
            "Soạn đề xuất gia hạn {product}",
        ),
    },
    "en": {
        "meeting": (
            "Maintenance contract review {quarter}",
            "{product} project kick-off",
            "Service review (SLA) {quarter}",
            "IT budget planning for {year}",
            "{product} renewal negotiation",
            "{product} demo for the finance team",
            "Introducing our {line} offering",
            "Post-incident review",
            "Quarterly business review {quarter} {year}",
            "{product} technical requirements",
        ),
        "call": (
            "Reminder call: {product} licence renewal",
            "Call to confirm meeting with {who}",
            "Check-in call on {product} usage",
            "Call about the quotation",
            "Call on upgrading the {product} plan",
            "Support call: login issue",
        ),
        "email": (
            "Quotation for {product} upgrade",
            "Meeting minutes sent to {who}",
            "{product} brochure",
            "Technical proposal: {product}",
            "SLA report {quarter}",
            "Renewal contract for {product} sent for signature",
            "{line} roadmap {year}",
        ),
        "visit": (
            "Site visit at the {city} office",
            "IT infrastructure survey on site",
            "Plant visit and current-state assessment",
        ),
        "note": (
            "Note: client is evaluating competitors for {line}",
            "Note after an informal lunch with {who}",
            "Updated the client's org chart",
            "Note: IT lead is changing",
        ),
        "task": (
            "Prepare QBR deck {quarter}",
            "Update the account plan for {year}",
            "Check overdue invoices",
            "Prepare {product} quotation",
        ),
    },
}

# Finance colleagues mostly call and write about money.
FINANCE_SUBJECTS: dict[str, Texts] = {
    "vi": {
        "call": (
            "Gọi điện nhắc thanh toán hóa đơn tháng {month}",
            "Gọi điện xác nhận lịch thanh toán với {who}",
            "Gọi điện đối chiếu công nợ {quarter}",
        ),
        "email": (
            "Gửi thư nhắc nợ lần 1 hóa đơn tháng {month}",
            "Gửi biên bản đối chiếu công nợ {quarter}",
            "Gửi hóa đơn điện tử {product} tháng {month}",
        ),
    },
    "en": {
        "call": ("Payment reminder call: {month} invoice", "Call to agree a payment date"),
        "email": ("First reminder: {month} invoice", "Statement of account {quarter}"),
    },
}

NOTES: dict[str, tuple[str, ...]] = {
    "vi": (
        "Khách hàng hài lòng với chất lượng dịch vụ nhưng muốn cải thiện thời gian phản hồi.",
        "{who} cho biết ngân sách CNTT năm {year} tăng khoảng 15%.",
        "Phòng CNTT đang gặp khó khăn với hệ thống cũ, cần lộ trình chuyển đổi rõ ràng.",
        "Khách hàng quan tâm đến {product}, đề nghị gửi tài liệu chi tiết.",
        "Có đề cập việc đối thủ chào giá thấp hơn khoảng 10%.",
        "Đã thống nhất lịch triển khai giai đoạn 2.",
        "Ban Giám đốc muốn xem báo cáo hiệu quả đầu tư (ROI) trước khi quyết định.",
        "Cần phối hợp với bộ phận tài chính về điều khoản thanh toán.",
        "{who} sắp nghỉ phép hai tuần, mọi việc liên hệ qua phó phòng.",
        "Khách hàng phản ánh hệ thống chậm vào cuối tháng khi chốt số liệu.",
        "Khách hàng muốn gộp các hợp đồng về một đầu mối để dễ quản lý.",
        "Đối tác kiểm toán yêu cầu bổ sung báo cáo an ninh thông tin.",
    ),
    "en": (
        "Client is happy with the service but wants faster response times.",
        "{who} said the IT budget for {year} grows by about 15%.",
        "The IT team struggles with the legacy system and needs a migration roadmap.",
        "Interested in {product}; asked for detailed documentation.",
        "A competitor quoted roughly 10% lower.",
        "Agreed the phase 2 rollout schedule.",
        "Management wants to see an ROI case before deciding.",
        "Payment terms need to be agreed with their finance team.",
    ),
}

OUTCOMES: dict[str, tuple[str, ...]] = {
    "vi": (
        "Khách hàng đồng ý gia hạn 12 tháng.",
        "Chờ phản hồi từ Ban Giám đốc.",
        "Khách hàng đề nghị giảm giá 5%.",
        "Thống nhất phạm vi và tiến độ.",
        "Chưa có quyết định, hẹn trao đổi lại.",
        "Khách hàng đánh giá cao đề xuất.",
        "Khách hàng xác nhận đã nhận tài liệu.",
        "Không liên lạc được, sẽ gọi lại.",
        "Khách hàng cần thêm thời gian để so sánh phương án.",
    ),
    "en": (
        "Client agreed to renew for 12 months.",
        "Waiting for management's reply.",
        "Client asked for a 5% discount.",
        "Scope and timeline agreed.",
        "No decision yet; follow up next week.",
        "Client liked the proposal.",
        "Client confirmed receipt.",
        "Could not reach them; will call back.",
    ),
}

NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "vi": (
        "Gửi báo giá trước thứ Sáu.",
        "Hẹn demo với phòng CNTT.",
        "Chuẩn bị hợp đồng gia hạn.",
        "Gửi biên bản họp cho các bên.",
        "Theo dõi phản hồi sau 1 tuần.",
        "Sắp xếp buổi gặp với Giám đốc Tài chính.",
        "Cập nhật đề xuất kỹ thuật theo góp ý.",
        "Mời chuyên gia giải pháp tham gia buổi họp tới.",
    ),
    "en": (
        "Send the quotation by Friday.",
        "Book a demo with the IT team.",
        "Prepare the renewal contract.",
        "Circulate the minutes.",
        "Follow up in a week.",
        "Set up a meeting with the CFO.",
        "Revise the technical proposal.",
    ),
}

COMMITMENTS: dict[str, tuple[str, ...]] = {
    "vi": (
        "Gửi đề xuất kỹ thuật nâng cấp {product}",
        "Cung cấp báo cáo SLA {quarter}",
        "Sắp xếp buổi demo {product} cho phòng Tài chính",
        "Gửi báo giá điều chỉnh theo yêu cầu của {who}",
        "Hỗ trợ đào tạo người dùng mới",
        "Kiểm tra và xử lý phản ánh về tốc độ hệ thống",
        "Gửi tài liệu tham khảo dự án tương tự",
        "Xác nhận lại điều khoản bảo hành trong hợp đồng",
        "Bố trí kỹ sư khảo sát tại chỗ",
    ),
    "en": (
        "Send the technical proposal for the {product} upgrade",
        "Share the {quarter} SLA report",
        "Arrange a {product} demo for the finance team",
        "Send a revised quotation to {who}",
        "Run onboarding training for new users",
        "Look into the reported slowness",
        "Share a reference case study",
    ),
}

OPPORTUNITY_NAMES: dict[str, dict[str, str]] = {
    "vi": {
        "renewal": "Gia hạn {product} {year}",
        "upsell": "Mở rộng {product}",
        "cross_sell": "Triển khai {product}",
        "new": "Dự án {line} – giai đoạn 1",
    },
    "en": {
        "renewal": "{product} renewal {year}",
        "upsell": "{product} expansion",
        "cross_sell": "{product} rollout",
        "new": "{line} – phase 1",
    },
}

ACCOUNT_NOTES: dict[str, tuple[str, ...]] = {
    "vi": (
        "Kỳ ngân sách CNTT chốt vào tháng 10 hằng năm.",
        "Khách hàng ưu tiên thanh toán qua chuyển khoản, cần hóa đơn điện tử trước ngày 25.",
        "Đang đánh giá đối thủ cho mảng Cloud.",
        "Mọi hợp đồng trên 500 triệu phải qua Hội đồng Quản trị phê duyệt.",
        "Khách hàng yêu cầu báo cáo SLA hằng tháng bằng tiếng Việt.",
        "Quy trình mua sắm theo hình thức chào hàng cạnh tranh.",
    ),
    "en": (
        "Budget cycle closes in October.",
        "Regional procurement in Singapore signs off >USD 50k.",
        "Prefers quarterly invoicing.",
        "Evaluating competitors for cloud hosting.",
    ),
}

CONTACT_NOTES: dict[str, tuple[str, ...]] = {
    "vi": (
        "Thích chơi golf cuối tuần.",
        "Ưu tiên liên lạc qua Zalo.",
        "Không uống rượu bia.",
        "Con đang du học ở Úc.",
        "Từng làm việc tại một ngân hàng lớn.",
        "Hay đi công tác Hà Nội vào đầu tháng.",
        "Rất chú trọng số liệu, cần chuẩn bị kỹ.",
    ),
    "en": (
        "Prefers email over calls.",
        "Visits HCMC about once a month.",
        "Keen runner.",
        "Wants numbers before opinions.",
    ),
}

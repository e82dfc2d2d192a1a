from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.text import digits_only, fold, search_tokens

VIETNAMESE_LOWER = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)
VIETNAMESE = VIETNAMESE_LOWER + VIETNAMESE_LOWER.upper() + " \t\n"


def test_fold_vietnamese_names() -> None:
    assert fold("Đặng Thị Ngọc Ánh") == "dang thi ngoc anh"
    assert fold("NGUYỄN") == "nguyen"
    assert fold("Trương Ưu Ơn") == "truong uu on"


def test_fold_non_decomposable_letters() -> None:
    assert fold("Søren Łukasz Straße Æsir Œuvre") == "soren lukasz strasse aesir oeuvre"


def test_fold_collapses_whitespace_and_strips() -> None:
    assert fold("  Nguyễn \t Văn\n\nAn  ") == "nguyen van an"
    assert fold("") == ""


def test_fold_decomposed_input_equals_precomposed() -> None:
    # Some Vietnamese input methods send base letter + combining marks.
    assert fold("A\u0301nh") == fold("Ánh") == "anh"


def test_fold_full_width() -> None:
    assert fold("ＡＢＣ１２") == "abc12"


@given(st.text(alphabet=VIETNAMESE))
def test_fold_vietnamese_is_ascii_and_idempotent(text: str) -> None:
    folded = fold(text)
    assert folded.isascii()
    assert fold(folded) == folded
    assert folded == folded.lower()


@given(st.text())
def test_fold_idempotent_on_any_text(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def test_search_tokens() -> None:
    assert search_tokens("a.b@x.vn") == ["a", "b", "x", "vn"]
    assert search_tokens("+84 912-345-678") == ["84", "912", "345", "678"]
    assert search_tokens("Công ty TNHH Đại Phát") == ["cong", "ty", "tnhh", "dai", "phat"]
    assert search_tokens("snake_case") == ["snake", "case"]
    assert search_tokens("  ") == []


def test_digits_only() -> None:
    assert digits_only("+84 (912) 345-678") == "84912345678"
    assert digits_only("no digits") == ""
    assert digits_only("０９１２") == "0912"

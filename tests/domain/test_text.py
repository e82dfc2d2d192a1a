from __future__ import annotations

import string
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.text import _SPECIAL_LETTERS, digits_only, fold, fold_joined, search_tokens

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


def _fold_reference(text: str) -> str:
    """`fold` as first written, one Python step per character: the shortcuts must agree."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.translate(_SPECIAL_LETTERS).split())


# Vietnamese, the special letters, combining marks on their own, full-width forms, ASCII
# control separators (which `str.split` counts as whitespace) and everything else.
_TRICKY = VIETNAMESE + "đĐøØłŁßæÆœŒþÞħĦıŧŋĸð\u0301\u0303\u0323\u0306ＡＢ１ﬁ\x1c\x1f\xa0"
texts = st.one_of(st.text(), st.text(alphabet=_TRICKY), st.text(alphabet=string.printable))


@given(texts)
def test_fold_equals_the_per_character_definition(text: str) -> None:
    assert fold(text) == _fold_reference(text)


@given(st.lists(texts, max_size=4))
def test_fold_joined_equals_fold_of_the_joined_text(parts: list[str]) -> None:
    assert fold_joined(parts) == fold(" ".join(parts))

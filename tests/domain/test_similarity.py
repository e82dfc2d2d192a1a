from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.similarity import is_similar_name, name_similarity


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("Nguyễn Văn An", "An Nguyễn Văn"),
        ("Công ty TNHH Đại Phát", "CONG TY TNHH DAI PHAT"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
    ],
)
def test_same_words_score_one(a: str, b: str) -> None:
    assert name_similarity(a, b) == 1.0


def test_likely_duplicates() -> None:
    assert is_similar_name("Nguyễn An", "Nguyễn Văn An")
    assert is_similar_name("Nguyễn Văn Ann", "Nguyễn Văn An")
    assert is_similar_name("Cong ty ABC", "Công ty ABC Việt Nam")
    assert name_similarity("Nguyễn An", "Nguyễn Văn An") < 1.0


def test_not_duplicates() -> None:
    assert not is_similar_name("An", "Nguyễn Văn An")
    assert not is_similar_name("Nguyễn Văn An", "Trần Thị Bình")
    assert not is_similar_name("Công ty TNHH ABC", "Công ty TNHH XYZ")
    assert name_similarity("abc", "") == 0.0
    assert name_similarity("", "") == 1.0


def test_threshold() -> None:
    score = name_similarity("Nguyễn Văn Ann", "Nguyễn Văn An")
    assert is_similar_name("Nguyễn Văn Ann", "Nguyễn Văn An", threshold=score)
    assert not is_similar_name("Nguyễn Văn Ann", "Nguyễn Văn An", threshold=min(1.0, score + 0.01))


names = st.text(alphabet="anbhịtđuyễnvăê .-", max_size=30)


@given(names, names)
def test_symmetric_and_bounded(a: str, b: str) -> None:
    score = name_similarity(a, b)
    assert 0.0 <= score <= 1.0
    assert score == name_similarity(b, a)
    assert is_similar_name(a, b) == is_similar_name(b, a)


@given(names)
def test_identical_is_one(a: str) -> None:
    assert name_similarity(a, a) == 1.0

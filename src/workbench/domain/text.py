"""Text folding for search, matching and sorting.

Why fold at all: users type "nguyen" for "Nguyễn" (no Vietnamese keyboard, a phone, habit), and
search must find the record either way. Folding is also the primary sort key so that "Ánh"
sorts next to "Anh" and not after "Z" as plain code point order would put it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that Unicode does not decompose into base letter + combining mark, so NFD alone would
# leave them in place. "đ" matters most here: it is a separate letter in Vietnamese, yet people
# without a Vietnamese keyboard write "d".
_SPECIAL_LETTERS = str.maketrans(
    {
        "đ": "d",
        "ð": "d",
        "ø": "o",
        "ł": "l",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "ŋ": "n",
        "ĸ": "k",
    }
)

_TOKEN = re.compile(r"[^\W_]+")
_NON_DIGITS = re.compile(r"[^0-9]")


# Cached: names, cities and titles repeat (a portfolio has thousands of Nguyễn and Hà Nội),
# and a sync page or an import folds every one of them for sort keys and the search index.
@lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """Lower-case, drop diacritics, map letters like đ/ø/ß to ASCII, collapse whitespace.

    NFKD (not only NFD) so that full-width and ligature forms typed by some input methods
    ("ＡＢＣ", "ﬁ") fold to the same text as their plain forms. Case folding runs between two
    normalisations so that the result is stable: fold(fold(x)) == fold(x).
    """
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.translate(_SPECIAL_LETTERS).split())


def search_tokens(text: str) -> list[str]:
    """Folded runs of letters and digits; punctuation separates tokens.

    Why split on punctuation: an e-mail or a phone number must be findable by its parts
    ("x.vn", "912"), and the search index stores tokens, not whole strings.
    """
    return _TOKEN.findall(fold(text))


def digits_only(text: str) -> str:
    """The decimal digits of `text` as ASCII, everything else dropped.

    Digits from other scripts (full-width "０９１２" from East Asian input methods) are
    converted rather than dropped, so a pasted number keeps all its digits.
    """
    if text.isascii():  # the common case, without a Python step per character
        return _NON_DIGITS.sub("", text)
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


# Vietnamese alphabetical order: the letters with breve, circumflex, horn and stroke are
# letters of their own (a < ă < â < b < c < d < đ < ...); tone marks only break ties.
_VI_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_VI_RANK = {ch: chr(0x21 + i) for i, ch in enumerate(_VI_ALPHABET)}
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: part of the letter


@lru_cache(maxsize=65_536)
def vietnamese_collation_key(text: str) -> str:
    """A string whose plain (binary) order is Vietnamese dictionary order.

    Why: SQLite sorts by bytes and ICU is not a dependency; `fold()` would put "Đức" before
    "Dũng" (both become "du..."), but Vietnamese readers expect every d-word before every đ-word.
    Base letters map to their alphabet rank; the tones (unmarked, huyền, hỏi, ngã, sắc, nặng)
    follow after a separator so they only decide between otherwise equal words.
    """
    letters: list[str] = []
    tones: list[str] = []
    for ch in unicodedata.normalize("NFC", " ".join(text.split()).lower()):
        parts = unicodedata.normalize("NFD", ch)
        base = parts[0]
        marks = parts[1:]
        letter = unicodedata.normalize(
            "NFC", base + "".join(m for m in marks if m in _LETTER_MARKS)
        )
        if letter in _VI_RANK:
            letters.append(_VI_RANK[letter])
            tones.append(next((_TONES[m] for m in marks if m in _TONES), "0"))
        else:
            letters.append(fold(ch) or ch)
    return "".join(letters) + "\x01" + "".join(tones)

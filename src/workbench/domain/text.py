"""Text folding for search, matching and sorting.

Why fold at all: users type "nguyen" for "Nguyễn" (no Vietnamese keyboard, a phone, habit), and
search must find the record either way. Folding is also the primary sort key so that "Ánh"
sorts next to "Anh" and not after "Z" as plain code point order would put it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
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


def fold(text: str) -> str:
    """Lower-case, drop diacritics, map letters like đ/ø/ß to ASCII, collapse whitespace.

    NFKD (not only NFD) so that full-width and ligature forms typed by some input methods
    ("ＡＢＣ", "ﬁ") fold to the same text as their plain forms. Case folding runs between two
    normalisations so that the result is stable: fold(fold(x)) == fold(x).

    ASCII text (e-mail addresses, most tax codes and cities typed without accents) takes a
    shortcut with the same result: NFKD leaves ASCII unchanged, no ASCII character is a
    combining mark or one of the special letters, and `casefold` of ASCII is `lower`. Such text
    is rarely repeated (every e-mail address is unique), so it also stays out of the cache,
    where it would only push out the names that do repeat.
    """
    if text.isascii():
        return " ".join(text.lower().split())
    return _fold_unicode(text)


class _FoldTable(dict[int, int | str | None]):
    """`str.translate` table of `fold`: combining marks deleted, special letters mapped, every
    other character kept.

    Why a table: one pass in C instead of a Python step per character, which was half the
    cost of folding a name not folded before. Filled on first sight of each character (a
    portfolio's alphabet is small): building it for all of Unicode costs ~60 ms at start-up.
    """

    def __missing__(self, code: int) -> int | str | None:
        ch = chr(code)
        value = None if unicodedata.combining(ch) else _SPECIAL_LETTERS.get(code, code)
        if len(self) < 65_536:  # bounded even for text made of every code point
            self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


# Cached: names, cities and titles repeat (a portfolio has thousands of Nguyễn and Hà Nội),
# and a sync page or an import folds every one of them for sort keys and the search index.
@lru_cache(maxsize=65_536)
def _fold_unicode(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return " ".join(decomposed.translate(_FOLD_TABLE).split())


def fold_joined(parts: Iterable[str]) -> str:
    """`fold(" ".join(parts))`, made of the folds of the parts.

    Why: a full name is rarely repeated but its parts are ("Nguyễn", "Văn", "An"), so their
    folds are cache hits. It is the same text because every step of `fold` works character by
    character or, for normalisation, never across a space (a starter character), and the
    final split drops the empty folds and the joining spaces alike.
    """
    return " ".join([f for f in map(fold, parts) if f])


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

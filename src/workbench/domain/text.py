"""Text folding for search, matching and sorting.

Why fold at all: users type "nguyen" for "Nguyễn" (no Vietnamese keyboard, a phone, habit), and
search must find the record either way. Folding is also the primary sort key so that "Ánh"
sorts next to "Anh" and not after "Z" as plain code point order would put it.
"""

from __future__ import annotations

import re
import unicodedata

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
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())

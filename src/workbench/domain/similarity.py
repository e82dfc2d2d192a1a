"""Name similarity for finding likely duplicate accounts and contacts.

Why not plain string equality: the same person is entered as "Nguyễn Văn An", "nguyen van an",
"An Nguyen" and "Nguyễn An" by different colleagues on different devices, and the duplicates
only surface at sync time. The score is a hint for a human to merge, never a merge by itself.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from workbench.domain.text import search_tokens

# Score when all words of the shorter name appear in the longer one ("Nguyễn An" in
# "Nguyễn Văn An"): a likely duplicate, but ranked below an exact match.
SUBSET_SCORE = 0.9


def _ratio(a: str, b: str) -> float:
    # SequenceMatcher is greedy and not symmetric in general; taking the larger of both
    # directions makes the score symmetric, which merging relies on (A~B iff B~A).
    return max(
        SequenceMatcher(None, a, b, autojunk=False).ratio(),
        SequenceMatcher(None, b, a, autojunk=False).ratio(),
    )


def name_similarity(a: str, b: str) -> float:
    """A score in [0, 1] on folded words; 1 means same words (any order, case, diacritics).

    A token-set comparison in the style of fuzzywuzzy, with one change: a subset match counts
    only when the shorter name has at least two words. Otherwise "An" would match every
    "... An" in the address book, and one-word names are exactly the ones that say least.
    """
    ta, tb = search_tokens(a), search_tokens(b)
    if not ta or not tb:
        return 1.0 if not ta and not tb else 0.0
    sorted_a, sorted_b = " ".join(sorted(ta)), " ".join(sorted(tb))
    sa, sb = set(ta), set(tb)
    if sorted_a == sorted_b or sa == sb:
        return 1.0
    common = sorted(sa & sb)
    rest_a = sorted(sa - sb)
    rest_b = sorted(sb - sa)
    score = max(
        _ratio(sorted_a, sorted_b),
        _ratio(" ".join(common + rest_a), " ".join(common + rest_b)),
    )
    if len(common) >= 2 and (not rest_a or not rest_b):
        score = max(score, SUBSET_SCORE)
    return score


def is_similar_name(a: str, b: str, threshold: float = 0.85) -> bool:
    """Whether two names are close enough to show as a possible duplicate."""
    return name_similarity(a, b) >= threshold

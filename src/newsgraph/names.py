"""How alike two names are, for ranking Wikidata candidates and reconciliation.

Names arrive with and without accents ("Lazaro Alvarez Casas"), with or without
a second surname ("Miguel Díaz-Canel Bermúdez"), hyphenated or not, so both
sides are folded first and then compared as strings and as sets of words.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower-case ASCII-ish words: accents dropped, punctuation turned into spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def similarity(ours: str, theirs: str) -> float:
    """0.0 (nothing alike) … 1.0 (the same once folded).

    The larger of the character ratio and a word score that rewards one name's
    words all occurring in the other (a missing second surname costs little).
    """
    return folded_similarity(fold(ours), fold(theirs))


def folded_similarity(a: str, b: str) -> float:
    """``similarity`` of two names already folded (``fold``): a caller comparing
    one name with many folds it once, not once per comparison."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = SequenceMatcher(None, a, b).ratio()
    wa, wb = set(a.split()), set(b.split())
    shared = len(wa & wb)
    containment = shared / min(len(wa), len(wb))
    overlap = shared / len(wa | wb)
    # Never 1.0 unless equal: an exact name must outrank a partial one.
    return round(min(0.99, max(ratio, (containment + overlap) / 2)), 4)


def best_similarity(ours: str, names: list[str] | tuple[str, ...] | set[str]) -> tuple[float, str]:
    """The best score of ``ours`` against any of ``names``, with the name that gave it."""
    best, best_name = 0.0, ""
    for name in names:
        score = similarity(ours, name)
        if score > best:
            best, best_name = score, name
    return best, best_name


def prefix_match(prefix: str, name: str) -> bool:
    """Whether the folded name, or one of its words, starts with the folded prefix."""
    p = fold(prefix)
    if not p:
        return False
    n = fold(name)
    return n.startswith(p) or any(word.startswith(p) for word in n.split())


def words_contained(a: str, b: str) -> bool:
    """Whether every word of one name occurs in the other ("X" in "X (formerly Twitter)")."""
    wa, wb = set(fold(a).split()), set(fold(b).split())
    return bool(wa and wb) and (wa <= wb or wb <= wa)

"""Find the evidence a curator quotes in the article text, as code-point offsets.

The text is NFC. A quote matches where it equals the text after both are put
through one normalisation that maps each code point to exactly one code point, so
offsets found in the normalised text are offsets in the real text:

* curly single quotes and apostrophes (U+2018, U+2019, U+201B, U+2032) -> ``'``
* curly double quotes (U+201C, U+201D, U+201F, U+2033) -> ``"``
* no-break and other fixed-width spaces (U+00A0, U+2007, U+202F, U+2009) -> space
* en and em dashes are *not* folded: they carry meaning in names and ranges.

A match must sit on word boundaries: a quote that begins (or ends) with a letter
or digit may not begin (end) inside a word, so ``Wang`` never matches inside
``Wangfujing``. A quote that is empty or only white space is an error, since it
would be found everywhere.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass

from newsgraph.pipeline.messages import QUOTE_LIMIT, shorten

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)


class GroundingError(ValueError):
    """A quote that cannot be placed in the text; the message says why."""


@dataclass(frozen=True, order=True)
class Span:
    begin: int
    end: int
    anchor: str


def normalise(text: str) -> str:
    """NFC, then the one-to-one folding described in the module docstring."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


# The text is folded and checked once, not once per quote: an article has hundreds
# of quotes, and a long text made that the whole of the loader's time.
@functools.lru_cache(maxsize=8)
def _folded_text(text: str) -> str:
    return text.translate(_FOLD)


@functools.lru_cache(maxsize=8)
def _is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def find_all(text: str, quote: str) -> list[int]:
    """Start offsets of every word-bounded occurrence of ``quote`` in ``text``."""
    folded_text = _folded_text(text)
    folded_quote = normalise(quote)
    if not folded_quote.strip():
        raise GroundingError("empty quote: evidence must quote at least one word of the text")
    if folded_quote != folded_quote.strip():
        raise GroundingError("quote starts or ends with white space: trim it")
    starts: list[int] = []
    at = folded_text.find(folded_quote)
    while at != -1:
        end = at + len(folded_quote)
        left_ok = not (
            _is_word_char(folded_quote[0]) and at > 0 and _is_word_char(folded_text[at - 1])
        )
        right_ok = not (
            _is_word_char(folded_quote[-1])
            and end < len(folded_text)
            and _is_word_char(folded_text[end])
        )
        if left_ok and right_ok:
            starts.append(at)
        at = folded_text.find(folded_quote, at + 1)
    return starts


def find_span(text: str, quote: str, occurrence: int | None = None) -> Span:
    """The span of ``quote`` in the NFC ``text``.

    ``occurrence`` (1-based) picks one when the quote occurs more than once; it is
    required then, so that no evidence silently points at the wrong sentence.
    """
    if not _is_nfc(text):
        raise GroundingError("article text is not NFC")
    starts = find_all(text, quote)
    length = len(normalise(quote))
    if not starts:
        hint = suggest(text, quote)
        extra = f" (did you mean {shorten(hint, QUOTE_LIMIT)}?)" if hint else ""
        raise GroundingError("quote not found in the article text: "
                             f"{shorten(quote, QUOTE_LIMIT)}{extra}")
    if occurrence is None:
        if len(starts) > 1:
            raise GroundingError(
                f"quote {shorten(quote, QUOTE_LIMIT)} occurs {len(starts)} times; add "
                f"'occurrence: N' (1 to {len(starts)}) or quote more words"
            )
        occurrence = 1
    if not 1 <= occurrence <= len(starts):
        raise GroundingError(
            f"occurrence {occurrence} of {shorten(quote, QUOTE_LIMIT)} asked, but it occurs "
            f"{len(starts)} time(s)"
        )
    begin = starts[occurrence - 1]
    return Span(begin, begin + length, text[begin : begin + length])


# --------------------------------------------------------------------------- suggestions

_WORD = re.compile(r"\w+", re.UNICODE)
# How alike the nearest passage must be to be offered (difflib's ratio, 0..1).
_NEAR_ENOUGH = 0.8
_PUNCTUATION = "\"'.,;:!?()[]\u201c\u201d\u2018\u2019\u00ab\u00bb"


def _fold_char(ch: str) -> str:
    """Lower case, without accents, and the one-to-one folding of quotes and spaces."""
    decomposed = unicodedata.normalize("NFD", ch.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _folded(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the offset it came from."""
    folded, origin, _ = _folded_with_starts(text)
    return folded, origin


@functools.lru_cache(maxsize=8)
def _folded_with_starts(text: str) -> tuple[str, list[int], list[int]]:
    """:func:`_folded`, and for each offset of ``text`` (and its end) where its
    folding starts: a passage's folding is then a slice, not a new folding.
    Cached, since every quote not found searches the same text."""
    out: list[str] = []
    origin: list[int] = []
    starts: list[int] = []
    at = 0
    for i, ch in enumerate(text):
        f = _fold_char(ch)
        out.append(f)
        origin.extend([i] * len(f))
        starts.append(at)
        at += len(f)
    starts.append(at)
    return "".join(out), origin, starts


# The nearest spelling is looked for only where comparing the quote with every
# passage of its length costs less than this (passages x characters of the
# quote): a long quote in a long text would take seconds for each quote not
# found. An article of 2,000 words and a quote of 600 characters are well inside.
_MAX_SEARCH_COST = 4_000_000
# How many passages are compared in full with a quote not found.
_MAX_COMPARED = 100


@functools.lru_cache(maxsize=8)
def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def suggest(text: str, quote: str) -> str | None:
    """What the curator probably meant to quote: the passage of ``text`` that
    equals ``quote`` but for accents and case, else the nearest spelling of the
    same number of words; None if nothing is near.

    Only called when a quote is not found, so it may take its time.
    """
    folded_text, origin, fold_starts = _folded_with_starts(text)
    folded_quote, _ = _folded(normalise(quote).strip())
    if not folded_quote.strip():
        return None
    at = folded_text.find(folded_quote)
    while at != -1:
        begin, end = origin[at], origin[at + len(folded_quote) - 1] + 1
        inside = ((begin > 0 and _is_word_char(text[begin - 1]) and _is_word_char(text[begin]))
                  or (end < len(text) and _is_word_char(text[end])
                      and _is_word_char(text[end - 1])))
        if not inside:  # whole words, as a quote must be
            return text[begin:end]
        at = folded_text.find(folded_quote, at + 1)
    stripped = quote.strip()
    lead = len(stripped) - len(stripped.lstrip(_PUNCTUATION))
    trail = len(stripped) - len(stripped.rstrip(_PUNCTUATION))
    words = _words(text)
    n = len(_WORD.findall(quote))
    if not words or not n or 3 * len(words) * len(folded_quote) > _MAX_SEARCH_COST:
        return None
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(folded_quote)
    # (quick ratio, order in the text, passage): quick_ratio() is an upper bound
    # of ratio() and cheap; ratio() is not, and a long quote that is nowhere in
    # the text passes the quick test in hundreds of places.
    near: list[tuple[float, int, str, str]] = []
    for size in {max(1, n - 1), n, n + 1}:
        for i in range(len(words) - size + 1):
            begin, end = words[i].start(), words[i + size - 1].end()
            # take in the punctuation the quote has around its words
            while lead and begin > words[i].start() - lead and begin > 0 and \
                    not text[begin - 1].isspace() and not _is_word_char(text[begin - 1]):
                begin -= 1
            limit = words[i + size - 1].end() + trail
            while end < min(limit, len(text)) and not text[end].isspace() and \
                    not _is_word_char(text[end]):
                end += 1
            folded = folded_text[fold_starts[begin]:fold_starts[end]]
            matcher.set_seq1(folded)
            if matcher.real_quick_ratio() <= _NEAR_ENOUGH:
                continue
            quick = matcher.quick_ratio()
            if quick > _NEAR_ENOUGH:
                near.append((quick, len(near), text[begin:end], folded))
    # The best by ratio(), the earliest of equals, among the passages likeliest to
    # be it: a misspelling keeps nearly all of its letters, so it is among the
    # first by quick ratio; looking no further bounds the time a quote can take.
    near.sort(key=lambda item: (-item[0], item[1]))
    best: tuple[float, int, str] | None = None
    for quick, order, candidate, folded in near[:_MAX_COMPARED]:
        if best is not None and quick < best[0]:
            break  # ratio() <= quick ratio: nothing further can beat it
        matcher.set_seq1(folded)
        ratio = matcher.ratio()
        if ratio > _NEAR_ENOUGH and (best is None or (ratio, -order) > (best[0], -best[1])):
            best = (ratio, order, candidate)
    return best[2] if best else None

"""The one sentence splitter: coverage, drafts and pages cut an article the same way.

A sentence ends at ``.``, ``?`` or ``!`` followed by white space or the end of
the text, and takes with it the closing quotation marks and brackets that
follow (``as "fruitful."`` ends after the ``"``); a line break always ends one
(a heading is a sentence of its own). No sentence ends inside an open
quotation, so a quoted passage of several sentences stays whole and every
sentence has its quotation marks in pairs.
"""

from __future__ import annotations

import re

# the end of a sentence: its last mark, closing quotes and brackets, then space or the end
_END = re.compile(r"[.?!][\"'\u201d\u2019)\]]*(?=\s|$)|(?=\n)")
# quotation marks that open or close (apostrophes are left out: "China's")
_OPENERS = {"\u201c": "\u201d"}


def _open_quote(text: str) -> bool:
    """Whether ``text`` leaves a quotation open."""
    straight = text.count('"') % 2 == 1
    curly = any(text.count(o) > text.count(c) for o, c in _OPENERS.items())
    return straight or curly


def sentences(text: str) -> list[tuple[int, int]]:
    """(begin, end) of each sentence or heading of ``text``, white space trimmed."""
    cuts: list[int] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if end <= start:
            continue
        if text[end:end + 1] != "\n" and end < len(text) and _open_quote(text[start:end]):
            continue  # inside a quotation: the sentence goes on
        cuts.append(end)
        start = end
    if not cuts or cuts[-1] < len(text):
        cuts.append(len(text))
    out: list[tuple[int, int]] = []
    begin = 0
    for end in cuts:
        chunk = text[begin:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            trail = len(chunk) - len(chunk.rstrip())
            out.append((begin + lead, end - trail))
        begin = end
    return out


def sentence_bounds(text: str, begin: int, end: int) -> tuple[int, int]:
    """The start of the sentence holding ``begin`` and the end of the one holding
    ``end`` (a span may cross sentences: both are taken whole)."""
    start, stop = 0, len(text)
    found_start = False
    for s_begin, s_end in sentences(text):
        if not found_start and s_end > begin:
            start, found_start = min(s_begin, begin), True
        if s_end >= end:
            stop = max(s_end, end)
            break
    return start, stop

"""Relative date expressions resolved against the article's publication date.

"Last Friday" in an article published on Saturday 2025-08-23 is 2025-08-22;
"In June" is the latest June not after publication. Expressions this module does
not understand ("Just days earlier") are left to the curator, who must then give
the date with a source.
"""

from __future__ import annotations

import datetime as dt
import re

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")


def resolve(expression: str, published: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day an expression can mean, or None if not understood."""
    words = re.sub(r"[^a-z ]", "", expression.lower()).split()
    phrase = " ".join(words)
    if phrase == "yesterday":
        day = published - dt.timedelta(days=1)
        return day, day
    if phrase in ("today", "this day"):
        return published, published
    match = re.fullmatch(r"(?:last|on|this past|past) (\w+)", phrase)
    if match and match.group(1) in WEEKDAYS:
        wanted = WEEKDAYS.index(match.group(1))
        back = (published.weekday() - wanted) % 7 or 7
        day = published - dt.timedelta(days=back)
        return day, day
    match = re.fullmatch(r"(?:in|last|this|early|late|in early|in late|in mid) ?(\w+)", phrase)
    if match and match.group(1) in MONTHS:
        month = MONTHS.index(match.group(1)) + 1
        year = published.year if month <= published.month else published.year - 1
        first = dt.date(year, month, 1)
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    return None


def check_expression(expression: str, published: dt.date, date: object) -> str | None:
    """A message when a curated date contradicts the article's own words, else None."""
    bounds = resolve(expression, published)
    if bounds is None:
        return None
    first, last = bounds
    lo, hi = date.first, date.last  # type: ignore[attr-defined]
    if lo < first or hi > last:
        return (f"date {date} does not fit {expression!r}, which means "
                f"{first.isoformat()}" + ("" if first == last else f" to {last.isoformat()}")
                + f" for an article published {published.isoformat()}")
    return None

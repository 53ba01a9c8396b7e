"""Relative date expressions resolved against the article's publication date.

The entry point is :func:`resolve` (``(first, last)`` or None), or :func:`read`
for the same with a description of the form that was recognised; both raise
:class:`DateExpressionError` (one line) when the words name no day of the
calendar (``February 30``, or a day before year 1 or after 9999).
:func:`check_expression` turns all of this into the message a curator sees.

Wire copy is written for the day it is published, so each form is read against
the publication date. What each form means is fixed here and listed in
:data:`FORMS` (and in docs/annotations.md, which a test keeps in step):

* a bare weekday ("Saturday", "on Tuesday") is the latest such day **on or
  before** publication: wires name the publication day itself by its weekday
  ("BEIJING, Saturday —"); "last Friday" is the latest one strictly before;
* a day without a year ("May 20", "20 May") is the latest such day on or before
  publication; a month ("In June") the latest such month;
* "this week", "this month", "this year" run from their first day to the
  publication day; "earlier this …" stops the day before; "last week" is the
  whole previous Monday-to-Sunday week;
* "early", "mid" and "late" June are its days 1–10, 11–20 and 21 to the end.

Expressions not understood here ("Just days earlier") are left to the curator,
who must then give the date with a source.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from newsgraph.pipeline.messages import shorten

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
# Wire abbreviations (AP style): "Aug. 22", "Sept. 3"
_MONTH_ABBREVIATIONS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                        "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10}
# Parts of a month, as days (first, last); None is the month's last day.
_PARTS = {"early": (1, 10), "mid": (11, 20), "late": (21, None)}

# (an example, what it means): the forms understood, for the documentation.
FORMS: tuple[tuple[str, str], ...] = (
    ("today", "the publication day (also: this morning, this afternoon, this evening, "
              "tonight, earlier today)"),
    ("yesterday", "the day before publication (also: yesterday morning, … evening)"),
    ("the day before yesterday", "two days before publication"),
    ("last night", "the day before publication or the publication day"),
    ("two days ago", "that many days before publication (a, one … ten, or digits)"),
    ("Saturday", "the latest Saturday on or before publication (also: on Saturday)"),
    ("last Saturday", "the latest Saturday strictly before publication (also: this past "
                      "Saturday, past Saturday)"),
    ("on May 20", "the latest 20 May on or before publication (also: May 20, 20 May, "
                  "the 20th of May, May 20th, Aug. 20)"),
    ("May 20, 2025", "that day (also: 20 May 2025)"),
    ("Tuesday, May 20", "the day, which must be a Tuesday"),
    ("this week", "Monday of the publication week to the publication day"),
    ("earlier this week", "Monday of the publication week to the day before publication"),
    ("last week", "Monday to Sunday of the week before the publication week"),
    ("over the weekend", "the latest Saturday on or before publication and the Sunday after "
                         "it, up to publication (also: this weekend, at the weekend)"),
    ("last weekend", "the latest Saturday and Sunday that both fall before publication "
                     "(also: this past weekend)"),
    ("this month", "the first of the publication month to the publication day"),
    ("earlier this month", "the first of the publication month to the day before "
                           "publication"),
    ("last month", "the whole month before the publication month"),
    ("In June", "the latest June on or before publication (also: June)"),
    ("this June", "June of the publication year"),
    ("last June", "the latest June strictly before the publication month"),
    ("in early June", "days 1-10 of that June; mid June 11-20, late June 21 to the end"),
    ("in June 2024", "that month"),
    ("this year", "1 January of the publication year to the publication day"),
    ("earlier this year", "1 January of the publication year to the day before publication"),
    ("last year", "the whole year before the publication year"),
    ("in 2024", "that year"),
)


class DateExpressionError(ValueError):
    """The words name no day of the calendar; the message is one line."""


@dataclass(frozen=True)
class Reading:
    """What an expression means for one publication date."""

    first: dt.date
    last: dt.date
    form: str  # the form recognised, e.g. "last Saturday"

    @property
    def bounds(self) -> tuple[dt.date, dt.date]:
        return self.first, self.last


def _words(expression: str) -> str:
    text = expression.lower().replace("-", " ").replace("\u2013", " ")
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", r"\1", text)
    text = re.sub(r"[^a-z0-9 ]", " ", text)
    return " ".join(text.split())


def _month(word: str) -> int | None:
    if word in MONTHS:
        return MONTHS.index(word) + 1
    return _MONTH_ABBREVIATIONS.get(word)


def _year(text: str) -> int:
    year = int(text)
    if not 1 <= year <= 9999:
        raise DateExpressionError(f"year {text} is not in the calendar (years 1 to 9999)")
    return year


def _day(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateExpressionError(
            f"no such day: {day} {MONTHS[month - 1].capitalize()} {year}") from None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _latest_day_of_month(published: dt.date, month: int, day: int) -> dt.date:
    """The latest ``day`` of ``month`` on or before ``published`` (29 February can be
    years back)."""
    if not 1 <= day <= calendar.monthrange(2000, month)[1]:  # 2000: a leap year
        raise DateExpressionError(f"no such day: {day} {MONTHS[month - 1].capitalize()}")
    year = published.year
    for _ in range(9):  # a leap day is at most 8 years back (1896 -> 1904)
        if year < 1:
            break
        if day <= calendar.monthrange(year, month)[1]:
            candidate = dt.date(year, month, day)
            if candidate <= published:
                return candidate
        year -= 1
    raise OverflowError


def _latest_month(published: dt.date, month: int, strictly_before: bool) -> tuple[int, int]:
    year = published.year
    if month > published.month or (strictly_before and month == published.month):
        year -= 1
    return year, month


def _weekday_on_or_before(published: dt.date, weekday: int, strictly: bool) -> dt.date:
    back = (published.weekday() - weekday) % 7
    if strictly and back == 0:
        back = 7
    return published - dt.timedelta(days=back)


def _span_of_month(year: int, month: int, part: str | None) -> tuple[dt.date, dt.date]:
    if year < 1:
        raise OverflowError
    if part is None:
        return dt.date(year, month, 1), _month_end(year, month)
    first, last = _PARTS[part]
    end = _month_end(year, month) if last is None else dt.date(year, month, last)
    return dt.date(year, month, first), end


_WEEKDAY = "(" + "|".join(WEEKDAYS) + ")"
_MONTH = "(" + "|".join([*MONTHS, *_MONTH_ABBREVIATIONS]) + ")"
_NUMBER = "(" + "|".join([*_NUMBERS, r"\d{1,3}"]) + ")"

Rule = tuple[re.Pattern[str], str, Callable[[re.Match[str], dt.date], tuple[dt.date, dt.date]]]


def _same(day: dt.date) -> tuple[dt.date, dt.date]:
    return day, day


def _days_ago(m: re.Match[str], p: dt.date) -> tuple[dt.date, dt.date]:
    word = m.group(1)
    n = _NUMBERS[word] if word in _NUMBERS else int(word)
    return _same(p - dt.timedelta(days=n))


def _dated(m: re.Match[str], p: dt.date, month_first: bool) -> tuple[dt.date, dt.date]:
    """A day with a month, perhaps a year, perhaps a weekday to agree with."""
    weekday, a, b, year = m.group("weekday"), m.group("a"), m.group("b"), m.group("year")
    month_word, day_text = (a, b) if month_first else (b, a)
    month = _month(month_word)
    assert month is not None  # the pattern only lets month names through
    day_number = int(day_text)
    if year:
        day = _day(_year(year), month, day_number)
    else:
        day = _latest_day_of_month(p, month, day_number)
    if weekday and WEEKDAYS[day.weekday()] != weekday:
        raise DateExpressionError(
            f"{day.isoformat()} is a {WEEKDAYS[day.weekday()].capitalize()}, not a "
            f"{weekday.capitalize()}")
    return _same(day)


def _month_rule(m: re.Match[str], p: dt.date) -> tuple[dt.date, dt.date]:
    lead, part, month_word, year = m.group("lead"), m.group("part"), m.group("m"), m.group("y")
    month = _month(month_word)
    assert month is not None
    if year:
        if lead in ("last", "this"):
            raise DateExpressionError(f"'{lead}' with a year: write 'in {month_word} {year}'")
        return _span_of_month(_year(year), month, part)
    if lead == "this":
        return _span_of_month(p.year, month, part)
    y, mo = _latest_month(p, month, strictly_before=lead == "last")
    return _span_of_month(y, mo, part)


def _week_start(p: dt.date) -> dt.date:
    return p - dt.timedelta(days=p.weekday())


def _weekend(p: dt.date, ended: bool) -> tuple[dt.date, dt.date]:
    if ended:  # the latest Sunday strictly before publication, and its Saturday
        sunday = _weekday_on_or_before(p, 6, strictly=True)
        return sunday - dt.timedelta(days=1), sunday
    saturday = _weekday_on_or_before(p, 5, strictly=False)
    return saturday, min(saturday + dt.timedelta(days=1), p)


def _previous_month(p: dt.date) -> tuple[dt.date, dt.date]:
    year, month = (p.year, p.month - 1) if p.month > 1 else (p.year - 1, 12)
    return _span_of_month(year, month, None)


def _year_span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


_DATE_MONTH_FIRST = re.compile(
    rf"(?:on )?(?:(?P<weekday>{_WEEKDAY.strip('()')}) )?(?P<a>{_MONTH.strip('()')}) "
    r"(?P<b>\d{1,2})(?: (?P<year>\d{1,4}))?")
_DATE_DAY_FIRST = re.compile(
    rf"(?:on )?(?:(?P<weekday>{_WEEKDAY.strip('()')}) )?(?:the )?(?P<a>\d{{1,2}}) (?:of )?"
    rf"(?P<b>{_MONTH.strip('()')})(?: (?P<year>\d{{1,4}}))?")
_MONTH_FORM = re.compile(
    r"(?:(?P<lead>in|last|this) )?(?:(?P<part>early|mid|late) )?"
    rf"(?P<m>{_MONTH.strip('()')})(?: (?P<y>\d{{1,4}}))?")

RULES: tuple[Rule, ...] = (
    (re.compile(r"today|this day|earlier today|this (?:morning|afternoon|evening)|tonight"),
     "today", lambda m, p: _same(p)),
    (re.compile(r"yesterday(?: (?:morning|afternoon|evening))?"),
     "yesterday", lambda m, p: _same(p - dt.timedelta(days=1))),
    (re.compile(r"(?:the )?day before yesterday"),
     "the day before yesterday", lambda m, p: _same(p - dt.timedelta(days=2))),
    (re.compile(r"last night"), "last night", lambda m, p: (p - dt.timedelta(days=1), p)),
    (re.compile(rf"{_NUMBER} days? ago"), "two days ago", _days_ago),
    (re.compile(rf"(?:on )?{_WEEKDAY}"), "Saturday",
     lambda m, p: _same(_weekday_on_or_before(p, WEEKDAYS.index(m.group(1)), strictly=False))),
    (re.compile(rf"(?:last|this past|past) {_WEEKDAY}"), "last Saturday",
     lambda m, p: _same(_weekday_on_or_before(p, WEEKDAYS.index(m.group(1)), strictly=True))),
    (_DATE_MONTH_FIRST, "on May 20", lambda m, p: _dated(m, p, month_first=True)),
    (_DATE_DAY_FIRST, "on May 20", lambda m, p: _dated(m, p, month_first=False)),
    (re.compile(r"(?:this|during the) week"), "this week", lambda m, p: (_week_start(p), p)),
    (re.compile(r"earlier this week"), "earlier this week",
     lambda m, p: (_week_start(p), p - dt.timedelta(days=1))),
    (re.compile(r"last week"), "last week",
     lambda m, p: (_week_start(p) - dt.timedelta(days=7), _week_start(p) - dt.timedelta(days=1))),
    (re.compile(r"(?:over|at|this|during) the weekend|this weekend|the weekend"),
     "over the weekend", lambda m, p: _weekend(p, ended=False)),
    (re.compile(r"(?:last|this past|past) weekend"), "last weekend",
     lambda m, p: _weekend(p, ended=True)),
    (re.compile(r"this month"), "this month", lambda m, p: (p.replace(day=1), p)),
    (re.compile(r"earlier this month"), "earlier this month",
     lambda m, p: (p.replace(day=1), p - dt.timedelta(days=1))),
    (re.compile(r"last month"), "last month", lambda m, p: _previous_month(p)),
    (_MONTH_FORM, "In June", _month_rule),
    (re.compile(r"this year"), "this year", lambda m, p: (dt.date(p.year, 1, 1), p)),
    (re.compile(r"earlier this year"), "earlier this year",
     lambda m, p: (dt.date(p.year, 1, 1), p - dt.timedelta(days=1))),
    (re.compile(r"last year"), "last year", lambda m, p: _year_span(p.year - 1)),
    (re.compile(r"(?:in )?(\d{4})"), "in 2024", lambda m, p: _year_span(_year(m.group(1)))),
)


def read(expression: str, published: dt.date) -> Reading | None:
    """What ``expression`` means for an article published on ``published``.

    None when the words are not a form listed in :data:`FORMS`; raises
    :class:`DateExpressionError` when they name no day of the calendar.
    """
    phrase = _words(expression)
    for pattern, form, rule in RULES:
        match = pattern.fullmatch(phrase)
        if match is None:
            continue
        try:
            first, last = rule(match, published)
        except DateExpressionError:
            raise
        except (OverflowError, ValueError):
            # date arithmetic past 0001-01-01 or 9999-12-31
            raise DateExpressionError(
                f"{shorten(expression)} reaches outside the calendar (years 1 to 9999) for an "
                f"article published {published.isoformat()}") from None
        if first > last:
            raise DateExpressionError(
                f"{shorten(expression)} names no day for an article published "
                f"{published.isoformat()} (it would end before it begins)")
        return Reading(first, last, form)
    return None


def resolve(expression: str, published: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day an expression can mean, or None if not understood.

    Raises :class:`DateExpressionError` when the words name no day of the calendar.
    """
    reading = read(expression, published)
    return reading.bounds if reading else None


def check_expression(expression: str, published: dt.date, date: object,
                     between: tuple[dt.date, dt.date] | None = None) -> str | None:
    """A message when a curated date contradicts the article's own words, else None.

    ``date`` is a day or month (anything with ``first`` and ``last``); ``between``,
    when given, are tighter bounds and are what must fit. An expression that is not
    understood gives no message here: whether that is allowed is the caller's rule.
    """
    try:
        reading = read(expression, published)
    except DateExpressionError as exc:
        return str(exc)
    if reading is None:
        return None
    first, last = reading.bounds
    lo, hi = between or (date.first, date.last)  # type: ignore[attr-defined]
    if lo < first or hi > last:
        shown = str(date) if between is None else f"{lo.isoformat()} to {hi.isoformat()}"
        return (f"date {shown} does not fit {shorten(expression)}, which means "
                f"{first.isoformat()}" + ("" if first == last else f" to {last.isoformat()}")
                + f" for an article published {published.isoformat()}")
    return None

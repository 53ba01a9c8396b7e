"""Fuzzing the date checks in-process: any words, any publication day, any curated
date give a reading, None, or one short line; never an exception of the calendar.

Seeded; ``NEWSGRAPH_FUZZ_LONG=1`` draws a hundred times as many cases (300 each in CI)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from newsgraph.pipeline.annotations import FieldError, PartialDate, partial_date_value
from newsgraph.pipeline.dates import MONTHS, WEEKDAYS, DateExpressionError, check_expression, read

from .mutations import DATES, EXPRESSIONS

pytestmark = pytest.mark.slow

LONG = os.environ.get("NEWSGRAPH_FUZZ_LONG") == "1"
EXAMPLES = 30_000 if LONG else 300

EDGES = [dt.date(1, 1, 1), dt.date(1, 1, 7), dt.date(1, 3, 1), dt.date(1, 12, 31),
         dt.date(9999, 1, 1), dt.date(9999, 12, 25), dt.date(9999, 12, 31)]
days = st.one_of(st.sampled_from(EDGES), st.dates())
TOKENS = ["last", "this", "past", "in", "on", "the", "of", "early", "mid", "late", "ago",
          "days", "day", "a", "ten", "week", "weekend", "month", "year", "earlier", "before",
          "yesterday", "today", ",", ".", "-", "st", "th", *WEEKDAYS, *MONTHS,
          "Aug.", "Sept.", "0", "1", "29", "31", "99", "999", "0000", "0001", "9999", "10000"]
words = st.one_of(
    st.sampled_from(EXPRESSIONS),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=5).map(" ".join),
    st.text(max_size=20),
)


def _one_line(message: str) -> None:
    assert len(message.splitlines()) == 1 and len(message) < 400, message


@seed(20261202)
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(expression=words, published=days, date=days, month=st.booleans(),
       between=st.one_of(st.none(), st.tuples(days, days)))
def test_date_words_give_a_reading_none_or_one_line(expression, published, date, month,
                                                    between):
    try:
        reading = read(expression, published)
    except DateExpressionError as exc:
        _one_line(str(exc))
    else:
        if reading is not None:
            assert dt.date.min <= reading.first <= reading.last <= dt.date.max
    curated = PartialDate(date.year, date.month, None if month else date.day)
    bounds = tuple(sorted(between)) if between else None
    message = check_expression(expression, published, curated, bounds)
    if message is not None:
        _one_line(message)


@seed(20261203)
@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(value=st.one_of(st.sampled_from(DATES), st.from_regex(r"\A[0-9]{4}-[0-9]{2}(-[0-9]{2})?\Z"),
                       st.text(max_size=12)))
def test_any_date_field_is_a_date_or_one_field_error(value):
    try:
        date = partial_date_value(value)
    except FieldError as exc:
        _one_line(str(exc))
    else:
        assert date.first <= date.last

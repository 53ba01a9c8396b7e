from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsgraph.pipeline.annotations import PartialDate
from newsgraph.pipeline.dates import FORMS, DateExpressionError, check_expression, read, resolve

PUBLISHED = dt.date(2025, 8, 23)  # a Saturday


def test_last_friday_before_a_saturday_is_the_day_before():
    assert resolve("Last Friday", PUBLISHED) == (dt.date(2025, 8, 22),) * 2


def test_last_saturday_on_a_saturday_is_a_week_earlier():
    assert resolve("last Saturday", PUBLISHED) == (dt.date(2025, 8, 16),) * 2


def test_a_month_resolves_to_the_latest_such_month_not_after_publication():
    assert resolve("In June", PUBLISHED) == (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    assert resolve("In September", PUBLISHED) == (dt.date(2024, 9, 1), dt.date(2024, 9, 30))


def test_unknown_expressions_are_left_to_the_curator():
    assert resolve("Just days earlier", PUBLISHED) is None


def test_a_date_that_contradicts_the_expression_is_reported():
    assert check_expression("Last Friday", PUBLISHED, PartialDate(2025, 8, 22, )) is None
    message = check_expression("Last Friday", PUBLISHED, PartialDate(2025, 8, 15))
    assert message and "2025-08-22" in message


# --------------------------------------------------------------------------
# The forms a wire uses (PUBLISHED is Saturday 2025-08-23)
# --------------------------------------------------------------------------

DAY = dt.date


@pytest.mark.parametrize(("expression", "first", "last"), [
    # a bare weekday is the latest such day on or before publication
    ("Saturday", DAY(2025, 8, 23), DAY(2025, 8, 23)),
    ("on Saturday", DAY(2025, 8, 23), DAY(2025, 8, 23)),
    ("Friday", DAY(2025, 8, 22), DAY(2025, 8, 22)),
    ("on Tuesday", DAY(2025, 8, 19), DAY(2025, 8, 19)),
    # "last" is strictly before
    ("this past Saturday", DAY(2025, 8, 16), DAY(2025, 8, 16)),
    ("yesterday", DAY(2025, 8, 22), DAY(2025, 8, 22)),
    ("the day before yesterday", DAY(2025, 8, 21), DAY(2025, 8, 21)),
    ("two days ago", DAY(2025, 8, 21), DAY(2025, 8, 21)),
    ("earlier today", PUBLISHED, PUBLISHED),
    ("last night", DAY(2025, 8, 22), PUBLISHED),
    ("on May 20", DAY(2025, 5, 20), DAY(2025, 5, 20)),
    ("20 May", DAY(2025, 5, 20), DAY(2025, 5, 20)),
    ("May 20th", DAY(2025, 5, 20), DAY(2025, 5, 20)),
    ("the 20th of May", DAY(2025, 5, 20), DAY(2025, 5, 20)),
    ("Aug. 22", DAY(2025, 8, 22), DAY(2025, 8, 22)),
    ("Friday, Aug. 22", DAY(2025, 8, 22), DAY(2025, 8, 22)),
    ("September 3", DAY(2024, 9, 3), DAY(2024, 9, 3)),  # a day without a year is not ahead
    ("May 20, 2024", DAY(2024, 5, 20), DAY(2024, 5, 20)),
    ("this week", DAY(2025, 8, 18), PUBLISHED),
    ("earlier this week", DAY(2025, 8, 18), DAY(2025, 8, 22)),
    ("last week", DAY(2025, 8, 11), DAY(2025, 8, 17)),
    ("over the weekend", PUBLISHED, PUBLISHED),
    ("last weekend", DAY(2025, 8, 16), DAY(2025, 8, 17)),
    ("this month", DAY(2025, 8, 1), PUBLISHED),
    ("earlier this month", DAY(2025, 8, 1), DAY(2025, 8, 22)),
    ("last month", DAY(2025, 7, 1), DAY(2025, 7, 31)),
    ("last August", DAY(2024, 8, 1), DAY(2024, 8, 31)),
    ("in August", DAY(2025, 8, 1), DAY(2025, 8, 31)),
    ("in early June", DAY(2025, 6, 1), DAY(2025, 6, 10)),
    ("mid-June", DAY(2025, 6, 11), DAY(2025, 6, 20)),
    ("late February", DAY(2025, 2, 21), DAY(2025, 2, 28)),
    ("in June 2024", DAY(2024, 6, 1), DAY(2024, 6, 30)),
    ("this year", DAY(2025, 1, 1), PUBLISHED),
    ("earlier this year", DAY(2025, 1, 1), DAY(2025, 8, 22)),
    ("last year", DAY(2024, 1, 1), DAY(2024, 12, 31)),
    ("in 2024", DAY(2024, 1, 1), DAY(2024, 12, 31)),
])
def test_wire_forms_resolve_against_the_publication_date(expression, first, last):
    assert resolve(expression, PUBLISHED) == (first, last)


def test_a_bare_weekday_on_another_day_is_the_latest_one_before():
    monday = dt.date(2025, 8, 25)
    assert resolve("Saturday", monday) == (dt.date(2025, 8, 23),) * 2
    assert resolve("Monday", monday) == (monday, monday)
    assert resolve("last Monday", monday) == (dt.date(2025, 8, 18),) * 2


def test_a_leap_day_without_a_year_is_the_latest_leap_day():
    assert resolve("February 29", PUBLISHED) == (dt.date(2024, 2, 29),) * 2


def test_a_bare_weekday_checks_the_date():
    saturday = PartialDate(2025, 8, 23, )
    assert check_expression("Saturday", PUBLISHED, saturday) is None
    for wrong in (PartialDate(2025, 8, 22), PartialDate(2025, 8, 16)):
        message = check_expression("Saturday", PUBLISHED, wrong)
        assert message and "2025-08-23" in message and str(wrong) in message


def test_a_range_must_hold_the_date_or_its_bounds():
    assert check_expression("this week", PUBLISHED, PartialDate(2025, 8, 20)) is None
    assert "2025-08-18 to 2025-08-23" in check_expression("this week", PUBLISHED,
                                                        PartialDate(2025, 8, 15))
    # a month is wider than "early June", unless a source narrows it with `between`
    june = PartialDate(2025, 6, None)
    assert check_expression("in early June", PUBLISHED, june)
    assert check_expression("in early June", PUBLISHED, june,
                            (dt.date(2025, 6, 1), dt.date(2025, 6, 2))) is None


@pytest.mark.parametrize(("expression", "words"), [
    ("February 30", "no such day"),
    ("Thursday, Aug. 22", "is a Friday, not a Thursday"),
    ("in 0000", "not in the calendar"),
])
def test_words_that_name_no_day_are_one_clear_error(expression, words):
    with pytest.raises(DateExpressionError, match=words):
        resolve(expression, PUBLISHED)
    message = check_expression(expression, PUBLISHED, PartialDate(2025, 8, 22))
    assert message and words in message and "\n" not in message


def test_earlier_this_week_on_a_monday_names_no_day():
    with pytest.raises(DateExpressionError, match="names no day"):
        resolve("earlier this week", dt.date(2025, 8, 25))


@pytest.mark.parametrize("published", [dt.date(1, 1, 1), dt.date(1, 1, 7), dt.date(1, 3, 1),
                                       dt.date(9999, 12, 31), dt.date(9999, 12, 25)])
@pytest.mark.parametrize("expression", [example for example, _ in FORMS])
def test_calendar_arithmetic_near_year_1_and_9999_never_overflows(expression, published):
    try:
        bounds = resolve(expression, published)
    except DateExpressionError as exc:
        assert "\n" not in str(exc)
        assert "outside the calendar" in str(exc) or "no day" in str(exc) \
            or "not a" in str(exc), str(exc)
    else:
        assert bounds is None or bounds[0] <= bounds[1]


def test_a_month_at_the_end_of_the_calendar_has_its_last_day():
    assert PartialDate(9999, 12, None).last == dt.date(9999, 12, 31)
    assert check_expression("In December", dt.date(9999, 12, 31),
                            PartialDate(9999, 12, None)) is None


def test_the_documentation_lists_every_understood_form():
    page = (Path(__file__).resolve().parents[2] / "docs" / "annotations.md").read_text(
        encoding="utf-8")
    for example, _ in FORMS:
        assert f"`{example}`" in page, example


def test_reading_names_the_form():
    reading = read("on Saturday", PUBLISHED)
    assert reading is not None and reading.form == "Saturday"
    assert read("Just days earlier", PUBLISHED) is None

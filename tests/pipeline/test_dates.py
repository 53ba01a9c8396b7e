from __future__ import annotations

import datetime as dt

from newsgraph.pipeline.annotations import PartialDate
from newsgraph.pipeline.dates import check_expression, resolve

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

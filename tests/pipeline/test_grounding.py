from __future__ import annotations

import pytest

from newsgraph.pipeline.grounding import GroundingError, find_all, find_span

TEXT = "Wang met Wangfujing\u00a0traders. \u201cIt\u2019s fine,\u201d said Wang. Wang left."


def test_span_offsets_are_code_points_of_the_text():
    span = find_span("Álvarez stated that Álvarez", "stated")
    assert (span.begin, span.end, span.anchor) == (8, 14, "stated")


def test_word_boundaries_exclude_matches_inside_words():
    assert find_all(TEXT, "Wang") == [0, 47, 53]


def test_straight_quotes_match_curly_quotes_and_anchor_keeps_the_original():
    span = find_span(TEXT, '"It\'s fine,"')
    assert span.anchor == "\u201cIt\u2019s fine,\u201d"


def test_plain_space_matches_no_break_space():
    assert find_span(TEXT, "Wangfujing traders").anchor == "Wangfujing\u00a0traders"


@pytest.mark.parametrize("quote", ["", "   ", "\u00a0"])
def test_empty_quote_is_an_error(quote):
    with pytest.raises(GroundingError, match="empty quote"):
        find_span(TEXT, quote)


def test_ambiguous_quote_needs_an_occurrence():
    with pytest.raises(GroundingError, match="occurs 3 times"):
        find_span(TEXT, "Wang")
    assert find_span(TEXT, "Wang", occurrence=3).begin == 53


def test_occurrence_out_of_range_is_an_error():
    with pytest.raises(GroundingError, match="occurs 3 time"):
        find_span(TEXT, "Wang", occurrence=4)


def test_missing_quote_is_an_error():
    with pytest.raises(GroundingError, match="not found"):
        find_span(TEXT, "Xi Jinping")

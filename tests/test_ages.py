"""The one age style of elkctl (scripts/elkctl/ages.py)."""

from elkctl.ages import format_age, format_ago


def test_the_largest_unit_that_fits_with_one_decimal():
    assert format_age(0) == "0s"
    assert format_age(59) == "59s"
    assert format_age(90) == "1.5m"
    assert format_age(3600) == "1.0h"
    assert format_age(5400) == "1.5h"
    assert format_age(86400 * 1.94) == "1.9d"


def test_ago_adds_the_word_and_clamps_clock_skew():
    assert format_ago(5400) == "1.5h ago"
    assert format_ago(-30) == "0s ago"

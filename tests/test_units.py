import pytest

from python_logging.units import format_size, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (0, 0),
        (512, 512),
        ("512", 512),
        ("100MB", 100_000_000),
        ("100 mb", 100_000_000),
        ("1.5GB", 1_500_000_000),
        ("64KiB", 65_536),
        ("1G", 1024**3),
        ("5GB", 5_000_000_000),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    "bad", ["lots", "", "10 parsecs", "-5", True, -1, "1.2.3MB", 1.5, "1.5", "2.5b"]
)
def test_parse_size_rejects_with_the_accepted_forms(bad):
    with pytest.raises(ValueError, match=r"size|negative"):
        parse_size(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", 30 * 86400), ("24h", 86400), ("90m", 5400), ("45s", 45), ("2w", 14 * 86400), (7, 7)],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["soon", "30", "5y", "", -3])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_size():
    assert format_size(100) == "100 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(5 * 1024**3) == "5.0 GiB"

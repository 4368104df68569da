import fnmatch
from datetime import datetime, timezone

from python_logging.naming import (
    ROTATED_GLOB,
    active_name,
    is_rotated,
    rotated_name,
    rotated_service,
)

WHEN = datetime(2026, 11, 23, 6, 41, 2, 123456, tzinfo=timezone.utc)


def test_rotated_names_are_unique_sortable_and_recognised():
    first = rotated_name("checkout-api", WHEN)
    assert first == "checkout-api.20261123T064102123456Z.log"
    assert rotated_name("checkout-api", WHEN, seq=2) == "checkout-api.20261123T064102123456Z-2.log"
    assert is_rotated(first) and is_rotated(first + ".gz")
    assert rotated_service(first + ".gz") == "checkout-api"
    assert rotated_service("my.service.20261123T064102123456Z.log") == "my.service"


def test_active_file_is_never_taken_for_a_rotated_one():
    for service in ("api", "my.service", "2024", "checkout-api"):
        assert not is_rotated(active_name(service))
    assert not fnmatch.fnmatch("api.log", ROTATED_GLOB)
    assert fnmatch.fnmatch(rotated_name("api", WHEN), ROTATED_GLOB)
    assert fnmatch.fnmatch(rotated_name("api", WHEN) + ".gz", ROTATED_GLOB)

"""Request IDs: hostile input never stored raw; contexts nest and restore."""

import asyncio
import uuid

import pytest

from python_logging.context import (
    add_context_fields,
    configure_request_ids,
    context_fields,
    current_request_id,
    request_context,
)


def test_generates_an_id_when_none_is_given():
    assert current_request_id() is None
    with request_context() as request_id:
        assert uuid.UUID(request_id)
        assert current_request_id() == request_id
    assert current_request_id() is None


@pytest.mark.parametrize(
    "valid", ["abc-123", "urn:uuid:3f2a1c9e-0000-4000-8000-000000000001", "a.b_c:d-e", "x" * 128]
)
def test_valid_ids_are_kept(valid):
    with request_context(valid) as request_id:
        assert request_id == valid


@pytest.mark.parametrize(
    "hostile",
    ["\nabc", "abc\n", "x" * 8192, "<script>alert(1)</script>", "a b", "", "é", "x" * 129, None],
)
def test_hostile_ids_are_replaced_and_never_stored(hostile):
    with request_context(hostile) as request_id:
        assert request_id != hostile
        assert uuid.UUID(request_id)
        assert current_request_id() == request_id


def test_max_length_is_configurable():
    configure_request_ids(8)
    try:
        with request_context("123456789") as request_id:
            assert request_id != "123456789"
    finally:
        configure_request_ids(128)


def test_contexts_nest_and_restore():
    with request_context("outer") as outer:
        add_context_fields({"user": {"id": "1"}})
        with request_context("inner") as inner:
            assert current_request_id() == inner == "inner"
            assert context_fields() == {}
            add_context_fields({"user": {"name": "x"}})
        assert current_request_id() == outer
        assert context_fields() == {"user": {"id": "1"}}
    assert current_request_id() is None and context_fields() == {}


def test_add_context_fields_merges_nested_values():
    with request_context():
        add_context_fields({"user": {"id": "1"}})
        add_context_fields({"user": {"name": "ann"}, "url": {"path": "/x"}})
        assert context_fields() == {"user": {"id": "1", "name": "ann"}, "url": {"path": "/x"}}


def test_concurrent_tasks_never_see_each_others_ids():
    async def one(n: int) -> bool:
        with request_context(f"req-{n}"):
            for _ in range(5):
                await asyncio.sleep(0)
                if current_request_id() != f"req-{n}":
                    return False
        return True

    async def main() -> list[bool]:
        return await asyncio.gather(*(one(n) for n in range(50)))

    assert all(asyncio.run(main()))

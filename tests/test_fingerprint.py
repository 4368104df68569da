"""Error grouping keys: stable across lines and IDs, distinct across types and functions."""

from __future__ import annotations

import builtins
import functools
import json
import os
import sysconfig
from pathlib import Path

import pytest

from python_logging.fingerprint import group_name, grouping_key, normalise_message, origin
from python_logging.frames import app_roots, classify

EXCEPTION_GROUP = getattr(builtins, "ExceptionGroup", None)

ORDERS = '''
def find_order(order_id):
    raise ValueError(f"order {order_id} not found at 0x7f3a2b")

def cancel_order(order_id):
    raise ValueError(f"order {order_id} not found at 0x7f3a2b")

def find_missing(order_id):
    raise KeyError(order_id)

def load(text):
    import json
    return json.loads(text)

def wrapped(order_id):
    try:
        find_order(order_id)
    except ValueError as exc:
        raise RuntimeError("lookup failed") from exc
'''


def load_module(path: Path, source: str, padding: int = 0) -> dict:
    """Run `source` as if it lived at `path`; `padding` blank lines move every line number."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n" * padding + source
    path.write_text(text)
    namespace: dict = {"__name__": path.stem}
    exec(compile(text, str(path), "exec"), namespace)
    return namespace


def raised(function, *args) -> BaseException:
    try:
        function(*args)
    except BaseException as exc:
        return exc
    raise AssertionError("expected an exception")


@pytest.fixture
def app(tmp_path: Path):
    return load_module(tmp_path / "app" / "shop" / "orders.py", ORDERS)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "app"


def test_key_is_versioned(app, root):
    key = grouping_key(raised(app["find_order"], 1), app_root=root)
    assert key.startswith("v1:") and len(key) == 3 + 32


def test_same_bug_at_other_lines_and_with_other_ids_has_the_same_key(tmp_path, app, root):
    moved = load_module(tmp_path / "app" / "shop" / "orders.py", ORDERS, padding=7)
    first = grouping_key(raised(app["find_order"], 1), app_root=root)
    again = grouping_key(raised(moved["find_order"], "9f1c2d3e-0000-4000-8000-1234567890ab"),
                         app_root=root)
    assert first == again


def test_other_type_or_function_gives_another_key(app, root):
    base = grouping_key(raised(app["find_order"], 1), app_root=root)
    other_function = grouping_key(raised(app["cancel_order"], 1), app_root=root)
    other_type = grouping_key(raised(app["find_missing"], 1), app_root=root)
    assert len({base, other_function, other_type}) == 3


def test_other_module_with_the_same_function_name_gives_another_key(tmp_path, app, root):
    billing = load_module(tmp_path / "app" / "shop" / "billing.py", ORDERS)
    assert grouping_key(raised(app["find_order"], 1), app_root=root) != grouping_key(
        raised(billing["find_order"], 1), app_root=root
    )


def test_chain_types_count(app, root):
    chained = raised(app["wrapped"], 1)
    assert isinstance(chained.__cause__, ValueError)
    plain = RuntimeError("lookup failed")
    try:
        raise plain
    except RuntimeError:
        pass
    assert grouping_key(chained, app_root=root) != grouping_key(
        raised(app["find_order"], 1), app_root=root
    )
    # The cause's type is part of the key: a different cause type, another group.
    other_cause = raised(app["wrapped"], 2)
    other_cause.__cause__ = raised(app["find_missing"], 2)
    assert grouping_key(chained, app_root=root) != grouping_key(other_cause, app_root=root)
    assert grouping_key(chained, app_root=root) == grouping_key(
        raised(app["wrapped"], 3), app_root=root
    )


def test_implicit_context_counts_unless_suppressed(app, root):
    def handler(suppress: bool):
        try:
            app["find_order"](1)
        except ValueError:
            if suppress:
                raise TypeError("bad") from None
            raise TypeError("bad")  # noqa: B904 - the implicit context is the point

    with_context = grouping_key(raised(handler, False), app_root=root)
    suppressed = grouping_key(raised(handler, True), app_root=root)
    assert with_context != suppressed


def test_cyclic_chain_terminates(app, root):
    first = raised(app["find_order"], 1)
    second = raised(app["find_missing"], 1)
    first.__context__ = second
    second.__context__ = first
    assert grouping_key(first, app_root=root).startswith("v1:")


@pytest.mark.skipif(EXCEPTION_GROUP is None, reason="Python 3.10 has no exception groups")
def test_exception_groups_count_their_members(app, root):
    def group(*functions):
        return EXCEPTION_GROUP("many", [raised(f, 1) for f in functions])

    def raise_group(*functions):
        raise group(*functions)

    both = grouping_key(raised(raise_group, app["find_order"], app["find_missing"]), app_root=root)
    same = grouping_key(raised(raise_group, app["find_order"], app["find_missing"]), app_root=root)
    one = grouping_key(raised(raise_group, app["find_order"]), app_root=root)
    assert both == same
    assert both != one


LIBRARY = '''
def call(inner):
    try:
        inner()
    except Exception as exc:
        return exc

def parse(text):
    import json
    return json.loads(text)
'''


@pytest.fixture
def library(tmp_path: Path):
    return load_module(tmp_path / "venv" / "site-packages" / "lib1" / "core.py", LIBRARY)


def test_library_only_trace_uses_library_frames(tmp_path, library, root):
    bad_json = library["call"](lambda: library["parse"]("{"))
    # The lambda is the test's own frame; a library-only trace has none of those.
    only_library = library["call"](_partial(library["parse"], "{"))
    assert isinstance(only_library, json.JSONDecodeError)
    moved = load_module(tmp_path / "venv" / "site-packages" / "lib1" / "core.py", LIBRARY, 5)
    moved_error = moved["call"](_partial(moved["parse"], "[1,"))
    key = grouping_key(only_library, app_root=root)
    assert key == grouping_key(moved_error, app_root=root)
    # With an in-app frame in the trace, that frame decides, not the library ones.
    assert grouping_key(bad_json, app_root=root) != key


def test_in_app_frames_hide_library_frames(app, root):
    # The same app function failing deep inside json at different places: one group.
    assert grouping_key(raised(app["load"], "{"), app_root=root) == grouping_key(
        raised(app["load"], "[1, 2"), app_root=root
    )


def _partial(function, *args):
    return functools.partial(function, *args)


def test_message_counts_only_without_traceback_and_is_normalised():
    first = ValueError("user 1234 at 10.0.0.1 sent 'x' to a@b.io on 2026-11-23T06:00:00Z")
    second = ValueError("user 99 at 192.168.1.20 sent 'y' to c@d.org on 2025-01-01T00:00:00Z")
    assert grouping_key(first) == grouping_key(second)
    assert grouping_key(first) != grouping_key(ValueError("disk full"))


def test_message_does_not_matter_once_raised(app, root):
    one = raised(app["find_order"], 1)
    two = raised(app["find_order"], 2)
    two.args = ("something else entirely",)
    assert grouping_key(one, app_root=root) == grouping_key(two, app_root=root)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("order 123 failed", "order <num> failed"),
        ("id 9f1c2d3e-0000-4000-8000-1234567890ab", "id <uuid>"),
        ("object at 0x7f3a2b1c", "object at <hex>"),
        ("sha deadbeef12345678", "sha <hex>"),
        ("mail bob@example.com", "mail <email>"),
        ("from 10.1.2.3:8080 and fe80::1:2", "from <ip> and <ip>"),
        ("GET https://api.example.com/v1/x?id=3 failed", "GET <url> failed"),
        ("open /var/data/file-1.txt", "open <path>"),
        ("at 2026-11-23 06:00:01 and 12:30:45", "at <date> and <date>"),
        ("key 'user_123' and \"other\"", "key <str> and <str>"),
    ],
)
def test_normalise_message(message, expected):
    assert normalise_message(message) == expected


def test_custom_fingerprint_overrides_and_default_extends(app, root):
    exc = raised(app["find_order"], 1)
    default = grouping_key(exc, app_root=root)
    custom = grouping_key(exc, ["payments", "timeout"], app_root=root)
    assert custom.startswith("v1:") and custom != default
    # The override replaces the default: another bug with the same list joins the group.
    assert custom == grouping_key(raised(app["find_missing"], 1), ["payments", "timeout"],
                                  app_root=root)
    extended = grouping_key(exc, ["{{ default }}", "tenant-a"], app_root=root)
    assert extended not in (default, custom)
    assert extended == grouping_key(exc, ["{{default}}", "tenant-a"], app_root=root)
    assert extended != grouping_key(exc, ["{{ default }}", "tenant-b"], app_root=root)
    assert extended != grouping_key(raised(app["find_missing"], 1), ["{{ default }}", "tenant-a"],
                                    app_root=root)


def test_group_name_and_origin(app, root):
    exc = raised(app["find_order"], 1)
    assert group_name(exc, app_root=root) == "ValueError in shop.orders.find_order"
    assert origin(exc) == ("orders.py", 3, "find_order")
    assert group_name(ValueError("never raised")) == "ValueError"
    assert origin(ValueError("never raised")) is None


def test_group_name_of_a_library_only_trace_names_the_innermost_frame(library, root):
    exc = library["call"](_partial(library["parse"], "{"))
    assert group_name(exc, app_root=root).startswith("JSONDecodeError in json.decoder.")


def test_never_raises_on_hostile_exceptions():
    class Hostile(Exception):
        def __str__(self):
            raise RuntimeError("no str for you")

    assert grouping_key(Hostile()).startswith("v1:")
    assert group_name(Hostile()) == "Hostile"


def test_module_names_come_from_paths(tmp_path):
    roots = app_roots(tmp_path)
    stdlib = sysconfig.get_paths()["stdlib"]
    assert classify(str(tmp_path / "shop" / "orders.py"), roots) == ("shop.orders", True, False)
    assert classify(str(tmp_path / "shop" / "__init__.py"), roots).module == "shop"
    site = "/x/lib/python3.11/site-packages/requests/sessions.py"
    assert classify(site, roots) == ("requests.sessions", False, False)
    dist = "/usr/lib/python3/dist-packages/yaml/__init__.py"
    assert classify(dist, roots) == ("yaml", False, False)
    assert classify(os.path.join(stdlib, "json", "decoder.py"), roots) == (
        "json.decoder", False, False)
    assert classify("<frozen importlib._bootstrap>", roots) == (
        "importlib._bootstrap", False, False)
    own = classify(os.path.join(os.path.dirname(__file__), "..", "python_logging", "x.py"), roots)
    assert own.wrapper and not own.in_app
    assert own.module == "python_logging.x"


def test_default_roots_prefer_the_longest(tmp_path, monkeypatch):
    (tmp_path / "src" / "shop").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    kind = classify(str(tmp_path / "src" / "shop" / "orders.py"), app_roots())
    assert kind == ("shop.orders", True, False)

"""Stack frames as error grouping sees them: a dotted module name and whether it is app code.

Module names come from file paths, never from `__name__` (a frame does not always have
one): relative to the app root, or the part after `site-packages`/`dist-packages`.
Standard-library and third-party frames are library frames. Frames of this package
itself (middlewares, decorators) are wrappers the error merely passed through; they
are marked so that grouping can skip them. Derivation is cached per file name, because
the formatter asks for every record that carries an exception.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_THIRD_PARTY_DIRS = ("site-packages", "dist-packages")


class FrameKind(NamedTuple):
    module: str
    in_app: bool
    wrapper: bool  # a frame of python_logging itself


class Frame(NamedTuple):
    filename: str
    line: int
    function: str


def walk(tb: TracebackType | None) -> Iterator[Frame]:
    """Frames of a traceback, outermost first, ending at the raising frame."""
    while tb is not None:
        code = tb.tb_frame.f_code
        # co_qualname (3.11+) tells Class.method apart from a function of the same name.
        function = getattr(code, "co_qualname", code.co_name)
        yield Frame(code.co_filename, tb.tb_lineno or 0, function)
        tb = tb.tb_next


def app_roots(app_root: Path | str | None = None) -> tuple[str, ...]:
    """Directories app modules are relative to: `app_root`, or the cwd and sys.path entries."""
    if app_root is not None:
        return (_as_dir(str(app_root)),)
    return _default_roots(os.getcwd(), tuple(sys.path))


@lru_cache(maxsize=16)
def _default_roots(cwd: str, path: tuple[str, ...]) -> tuple[str, ...]:
    candidates = {_as_dir(cwd)}
    candidates.update(_as_dir(entry or cwd) for entry in path if isinstance(entry, str))
    library = _library_dirs()
    roots = [
        root for root in candidates
        if not any(part in root.split(os.sep) for part in _THIRD_PARTY_DIRS)
        and not any(root.startswith(lib) for lib in library)
        and not root.endswith(".zip" + os.sep)
    ]
    # Longest first: /app/src beats /app for /app/src/shop/orders.py.
    return tuple(sorted(roots, key=len, reverse=True))


@lru_cache(maxsize=1)
def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths.get("stdlib"), paths.get("platstdlib")}
    return tuple(_as_dir(d) for d in dirs if d)


def _as_dir(path: str) -> str:
    return os.path.join(os.path.abspath(path), "")


@lru_cache(maxsize=4096)
def classify(filename: str, roots: tuple[str, ...]) -> FrameKind:
    """Module name and kind of the file a frame runs in."""
    if filename.startswith("<"):
        # "<frozen importlib._bootstrap>" is stdlib; "<string>", "<stdin>" are app code.
        inner = filename.strip("<>")
        if inner.startswith("frozen "):
            return FrameKind(inner.removeprefix("frozen "), False, False)
        return FrameKind(filename, True, False)
    path = os.path.abspath(filename)
    if path.startswith(_PACKAGE_DIR):
        return FrameKind(_dotted(path, os.path.dirname(_PACKAGE_DIR.rstrip(os.sep))), False, True)
    parts = path.split(os.sep)
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] in _THIRD_PARTY_DIRS:
            return FrameKind(_dotted_parts(parts[index + 1:]), False, False)
    for lib in _library_dirs():
        if path.startswith(lib):
            relative = path[len(lib):].removeprefix("lib-dynload" + os.sep)
            return FrameKind(_dotted_parts(relative.split(os.sep)), False, False)
    for root in roots:
        if path.startswith(root):
            return FrameKind(_dotted_parts(path[len(root):].split(os.sep)), True, False)
    # Outside every root (a script elsewhere): still app code, named by its file.
    return FrameKind(_dotted_parts(parts[-1:]), True, False)


def _dotted(path: str, root: str) -> str:
    return _dotted_parts(os.path.relpath(path, root).split(os.sep))


def _dotted_parts(parts: list[str]) -> str:
    parts = [part for part in parts if part]
    if not parts:
        return "?"
    last = parts[-1]
    for suffix in (".py", ".pyc", ".pyw"):
        if last.endswith(suffix):
            last = last[: -len(suffix)]
            break
    parts[-1] = last
    if last == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)

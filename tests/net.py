"""Loopback helpers shared by the tests."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port nobody listens on (bound and released): "connection refused" there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

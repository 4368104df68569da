"""The access line: one per request, written when the request ends.

Its fields are built here from what the middleware observed (`ObservedRequest`), and
travel as `TrustedFields`: our constant keys, values of the ECS types, with the texts
the client controls listed so that they are still scanned for secrets.

The access line is usually the only line of a request, so it is what the middleware
costs. When only python_logging's own handlers would see its record (`routing`), the
line is built straight from the request and handed to those handlers, without a
`LogRecord`, the stdlib dispatch or mapping the request context first: as a template of
the line's shape filled with its values (`direct_line`) when only file handlers take it,
else as a document (`direct_document`) for the console too. File handlers may hold the
line back briefly (`write_behind`). Otherwise it is logged as a record like any other
line. Every route gives the same line (`tests/test_access_routes.py`).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from python_logging import routing
from python_logging.context import deep_merge
from python_logging.ecs import format_timestamp, line_document
from python_logging.events import TrustedFields, handle_vouched
from python_logging.failures import failures
from python_logging.line_templates import INT_RANGE as _INT_RANGE
from python_logging.line_templates import LineTemplates, make_template

if TYPE_CHECKING:
    from python_logging.pipeline import Pipeline
    from python_logging.web import ObservedRequest

access_logger = logging.getLogger("python_logging.access")
# The line's `log.origin`: this module's `log_access`, whichever route writes it.
_ORIGIN_PATH = __file__
_ORIGIN_FUNCTION = "log_access"
_LEVEL_NAMES = {logging.INFO: "info", logging.WARNING: "warning"}  # the access line's levels
_METHOD = ("http", "request", "method")
_PATH = ("url", "path")
_TRACE_ID = ("trace", "id")
# The client's texts among the fields every line of a request carries (bound by the
# middleware as context): their paths, for the voucher of those fields.
REQUEST_TEXTS = (_METHOD, _PATH)
REQUEST_TEXTS_WITH_TRACE = (_METHOD, _PATH, _TRACE_ID)
_QUERY = ("url", "query")
_CLIENT_ADDRESS = ("client", "address")
_USER_AGENT = ("user_agent", "original")


def log_access(request: ObservedRequest, duration_ns: int) -> None:
    """Write the access line of a finished request (WARNING when slow or 5xx)."""
    level, message = access_line(request, duration_ns)
    if not access_logger.isEnabledFor(level):
        return  # nothing to build: the line would be filtered out
    route = routing.own_route(access_logger, level)
    if route is not None and not broken_status(request) and request.context_unchanged():
        line = document = None
        try:
            if route.files_only:  # the line is all they need
                line = direct_line(request, duration_ns, level, message, route.pipeline)
            if line is None:
                document = direct_document(request, duration_ns, level, message, route.pipeline)
        except Exception as exc:  # a bug here must not lose the line: the record path follows
            failures.record("build access line", exc)
        else:
            if line is not None:
                route.write_access_line(line)
            else:
                route.write(document)  # type: ignore[arg-type]
            return
    extra, voucher = record_extra(request, duration_ns)
    record = access_logger.makeRecord(
        access_logger.name, level, _ORIGIN_PATH, _ORIGIN[1], message, (), None,
        _ORIGIN_FUNCTION, extra,
    )
    handle_vouched(access_logger, record, voucher)


def record_extra(
    request: ObservedRequest, duration_ns: int
) -> tuple[dict[str, Any], TrustedFields]:
    """(`extra`, voucher) of the access record."""
    fields, texts = access_fields(request, duration_ns)
    voucher = TrustedFields(fields, tuple(texts))
    if broken_status(request):
        # The fit checks decide where it goes, and the line gets the full treatment (the
        # voucher no longer covers the `http` it replaces).
        return deep_merge(fields, {"http": {"response": {"status_code": request.status}}}), voucher
    return fields, voucher


def direct_document(
    request: ObservedRequest, duration_ns: int, level: int, message: str, pipeline: Pipeline
) -> dict[str, Any]:
    """The document the pipeline makes of the access record, built from the request.

    Valid while the request context holds only what the middleware bound
    (`ObservedRequest.context_unchanged`): then the context adds nothing the line's own
    fields don't hold, and nothing needs the general mapping's checks.
    """
    scrub = pipeline.scrub
    head = (
        time.time(),
        _LEVEL_NAMES[level],
        access_logger.name,
        _ORIGIN,
        _pid if logging.logProcesses else None,
        threading.current_thread().name if logging.logThreads else None,
    )
    identity = pipeline.identity
    document = line_document(identity, head, scrub(message))
    fields, _texts = access_fields(request, duration_ns, scrub, pipeline.clean_texts)
    # The two objects the line shares with the fixed fields, merged as the pipeline
    # merges them (the fixed fields' keys first); the others are new keys.
    fields["event"] = {**identity.event, **fields["event"]}
    http = fields["http"]
    http["request"] = {"id": request.request_id, **http["request"]}
    document.update(fields)
    return document


def direct_line(
    request: ObservedRequest, duration_ns: int, level: int, message: str, pipeline: Pipeline
) -> bytes | None:
    """`pipeline.render(direct_document(...))`, without building the document: the
    template of the line's shape filled with its values (see `line_templates`). None
    when only the full renderer can write the line."""
    scrub = pipeline.scrub
    outcome, method, status, path, query, trace, address, ip, agent = _values(
        request, scrub, pipeline.clean_texts
    )
    # What a process or thread repeats on every line is part of the template, not a hole;
    # the last item says which optional fields the line lacks (see `_holes`).
    shape = (pipeline, level, outcome,
             _pid if logging.logProcesses else None,
             threading.current_thread().name if logging.logThreads else None,
             (status is None, query is None, trace is None, address is None, ip is None,
              agent is None))
    if status is None:
        status_text = ""
    elif status in _INT_RANGE:
        status_text = str(status)
    else:
        return None  # orjson's range: the renderer writes it
    # Every shape takes the same values, "" for a field it lacks (see `make_template`).
    texts = [format_timestamp(time.time()), scrub(message), str(duration_ns),
             request.request_id, method, status_text, path, query or "", trace or "",
             address or "", ip or "", agent or ""]
    line = _templates.line(shape, texts)
    if line is _templates.MISSING:
        document = direct_document(request, duration_ns, level, message, pipeline)
        template = make_template(document, _holes(shape[-1]), pipeline.render)
        line = _templates.add(shape, texts, template)
    return line


def _holes(absent: tuple[bool, ...]) -> list[tuple[str, ...] | None]:
    """The holes of a `direct_line` template, in the order of the line; None for an
    optional field the line lacks (`absent`: status, query, trace, address, IP, agent)."""
    no_status, no_query, no_trace, no_address, no_ip, no_agent = absent
    gone = (False, False, False, False, False, no_status, False, no_query, no_trace,
            no_address, no_ip, no_agent)
    return [None if lacking else hole for hole, lacking in zip(_HOLES, gone, strict=True)]


_HOLES = (("@timestamp",), ("message",), ("event", "duration"), ("http", "request", "id"),
          _METHOD, ("http", "response", "status_code"), _PATH, _QUERY, _TRACE_ID,
          _CLIENT_ADDRESS, ("client", "ip"), _USER_AGENT)
_templates = LineTemplates()
# `os.getpid()` is a system call, once per request here: the pid is kept, and learnt
# anew in a forked child.
_pid = os.getpid()


def _learn_pid() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_learn_pid)


def access_fields(
    request: ObservedRequest,
    duration_ns: int,
    scrub: Callable[[str], str] | None = None,
    clean_texts: Collection[str] = (),
) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
    """The line's nested ECS fields, and the paths of the texts the client controls: what
    a `TrustedFields` voucher for them needs.

    Without `scrub`, those texts are left for the pipeline to scan; with it, they are
    scrubbed here (see `_values`).
    """
    outcome, method, status, path, query, trace, address, ip, agent = _values(
        request, scrub or _unchanged, clean_texts
    )
    fields: dict[str, Any] = {
        "event": {"duration": duration_ns, "category": ["web"], "type": ["access"],
                  "outcome": outcome},
    }
    http: dict[str, Any] = {"request": {"method": method}}
    if status is not None:
        http["response"] = {"status_code": status}
    fields["http"] = http
    texts = list(REQUEST_TEXTS)
    url = fields["url"] = {"path": path}
    if query is not None:
        url["query"] = query
        texts.append(_QUERY)
    if trace is not None:
        fields["trace"] = {"id": trace}
        texts.append(_TRACE_ID)
    if ip is not None:
        fields["client"] = {"address": address, "ip": ip}
    elif address is not None:
        fields["client"] = {"address": address}
        texts.append(_CLIENT_ADDRESS)
    if agent is not None:
        fields["user_agent"] = {"original": agent}
        texts.append(_USER_AGENT)
    return fields, texts


def _values(
    request: ObservedRequest, clean: Callable[[str], str], clean_texts: Collection[str]
) -> tuple[str, str, int | None, str, str | None, str | None, str | None, str | None,
           str | None]:
    """(outcome, method, status, path, query, trace ID, client address, client IP, user
    agent) of the access line, None where the line has no such field. The texts the
    client controls are passed through `clean`, except `clean_texts`, known to hold no
    secret (`Pipeline.clean_texts`: checked here, as a call costs more)."""
    status = status_code(request)
    outcome = "unknown" if status is None else ("failure" if status >= 500 else "success")
    method, path, query, agent = request.method, request.path, request.query, request.user_agent
    address = ip = None
    if request.client:
        client = client_fields(request.client)
        ip = client.get("ip")
        address = client["address"] if ip else clean(client["address"])  # an IP holds no secret
    trace = request.trace_id
    return (
        outcome,
        method if method in clean_texts else clean(method),
        status,
        path if path in clean_texts else clean(path),
        (query if query in clean_texts else clean(query)) if query else None,
        clean(trace) if trace else None,  # 32 hex digits, but a configured pattern may match
        address,
        ip,
        (agent if agent in clean_texts else clean(agent)) if agent else None,
    )


def access_line(request: ObservedRequest, duration_ns: int) -> tuple[int, str]:
    """(level, message): WARNING when slow or 5xx, else INFO."""
    millis = duration_ns / 1_000_000
    slow_ms = request.settings.slow_request_ms
    message = f"{request.method} {request.path} {request.status or '-'} {millis:.1f} ms"
    if slow_ms is not None and millis > slow_ms:
        return logging.WARNING, f"slow request: {message} (over {slow_ms:g} ms)"
    return (logging.WARNING if (status_code(request) or 0) >= 500 else logging.INFO), message


def status_code(request: ObservedRequest) -> int | None:
    """The response's status when it is an int. A broken app may send anything else (a
    string, a bool): then None, for the level and the outcome, and `record_extra` puts
    what it sent where the fit checks decide; comparing it would raise in the app."""
    status = request.status
    return status if status.__class__ is int else None


def broken_status(request: ObservedRequest) -> bool:
    """The app sent a status that is not an int (see `status_code`): only the record
    path, with its fit checks, writes that line."""
    status = request.status
    return status is not None and status.__class__ is not int


def client_fields(address: str | None) -> dict[str, Any]:
    """`client.address`, plus `client.ip` only when it is one (the field is ES type ip).
    Shared by the lines of a client: copy before changing."""
    if not address:
        return {}
    fields = _client_fields.get(address)
    if fields is None:
        if len(_client_fields) >= 4096:  # bounded: clients repeat, but not forever
            _client_fields.clear()
        ip = _canonical_ip(address)
        fields = _client_fields[address] = (
            {"address": address, "ip": ip} if ip else {"address": address}
        )
    return fields


_client_fields: dict[str, dict[str, Any]] = {}


def _canonical_ip(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _unchanged(text: str) -> str:
    return text


# (file name, line, function) as a record made by `log_access` has it.
_ORIGIN = (os.path.basename(_ORIGIN_PATH), log_access.__code__.co_firstlineno, _ORIGIN_FUNCTION)

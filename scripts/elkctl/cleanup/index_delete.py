"""The action of `cleanup indices`: one DELETE per explicit index name, never a wildcard."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import elasticsearch

from elkctl.cleanup.errors import CleanupError
from elkctl.errors import explain_api_error

log = logging.getLogger("elkctl.cleanup")

_WILDCARD_CHARS = ("*", "?", ",")


@dataclass
class IndexDeleteOutcome:
    deleted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def explicit_name(name: str) -> str:
    """The name itself, or CleanupError if it could ever expand to more than one index."""
    if not name or name.startswith(("-", "_")) or any(c in name for c in _WILDCARD_CHARS):
        raise CleanupError(f"refusing to delete {name!r}: not one explicit index name")
    return name


def delete_indices(
    es: elasticsearch.Elasticsearch, names: Iterable[str], es_url: str
) -> IndexDeleteOutcome:
    outcome = IndexDeleteOutcome()
    for name in names:
        try:
            # expand_wildcards=none: even a wildcard slipping through would be rejected
            es.indices.delete(index=explicit_name(name), expand_wildcards="none")
        except elasticsearch.ApiError as exc:
            reason = explain_api_error(exc, es_url)
            outcome.failed.append((name, reason))
            log.error(
                "could not delete index %s: %s", name, reason,
                extra={"event": {"action": "cleanup-index-deleted", "outcome": "failure"}},
            )
        else:
            outcome.deleted.append(name)
            log.info(
                "deleted index %s", name,
                extra={"event": {"action": "cleanup-index-deleted", "outcome": "success"}},
            )
    return outcome

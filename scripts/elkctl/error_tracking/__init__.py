"""Error tracking: groups of error events (by `error.grouping_key`), triage state, alerts.

Pure decision logic lives in `model`, `rules`, `detect`, `escalation` and `ownership`; every
Elasticsearch request lives in `queries`; delivery in `channels`; the CLI in `commands`.
"""

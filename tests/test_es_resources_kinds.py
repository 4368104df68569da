"""`ElasticsearchStore` refuses a kind it does not manage, reading as writing."""

from __future__ import annotations

import pytest

from elkctl.es_resources import ElasticsearchStore


@pytest.mark.parametrize("call", [
    lambda store: store.get("pipeline", "logs"),
    lambda store: store.put("pipeline", "logs", {}),
])
def test_an_unknown_kind_is_refused_before_any_request(call):
    store = ElasticsearchStore(client=None)  # type: ignore[arg-type]  # never reached
    with pytest.raises(ValueError, match="unknown kind 'pipeline'"):
        call(store)

"""The batcher on its own: requests merged into calls up to the batch limit, each given its own results back, and a
failing call retried request by request, so that one bad request fails alone (a 500 for an unexpected error,
logged; a 422 for a user's mistake)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from zhbert.errors import UsageError
from zhbert.serve.batching import Batcher
from zhbert.serve.limits import ApiError
from zhbert.serve.metrics import Metrics


def run_all(batcher: Batcher, requests: list[list[str]]) -> list[object]:
    async def go() -> list[object]:
        return await asyncio.gather(*(batcher.submit(texts) for texts in requests), return_exceptions=True)

    batcher.start()
    try:
        return asyncio.run(go())
    finally:
        batcher.stop()


def test_requests_share_calls_up_to_the_limit_and_get_their_own_results():
    calls: list[list[str]] = []

    def run(texts: list[str], top_ks: list[int]) -> list[str]:
        calls.append(list(texts))
        return [t.upper() for t in texts]

    batcher = Batcher("m", run, max_batch=4, max_wait_s=0.2, max_queue=100, metrics=Metrics())
    requests = [["a"], ["b", "c"], ["d"], ["e", "f", "g"], ["h"]]
    results = run_all(batcher, requests)
    assert results == [[t.upper() for t in texts] for texts in requests]
    assert all(len(call) <= 4 for call in calls) and len(calls) < len(requests)
    assert sorted(t for call in calls for t in call) == list("abcdefgh")


def test_a_failing_request_fails_alone(caplog):
    def run(texts: list[str], top_ks: list[int]) -> list[str]:
        if "boom" in texts:
            raise RuntimeError("the model broke")
        if "bad" in texts:
            raise UsageError("texts[0] cannot be read")
        return texts

    batcher = Batcher("m", run, max_batch=8, max_wait_s=0.2, max_queue=100, metrics=Metrics())
    with caplog.at_level(logging.ERROR, logger="zhbert.serve"):
        ok, boom, bad, fine = run_all(batcher, [["x"], ["boom"], ["bad"], ["y", "z"]])
    assert ok == ["x"] and fine == ["y", "z"]
    assert isinstance(boom, ApiError) and boom.status == 500 and boom.code == "internal_error"
    assert "RuntimeError" in boom.message
    assert isinstance(bad, ApiError) and bad.status == 422 and bad.message == "texts[0] cannot be read"
    assert "model m failed" in caplog.text and "the model broke" in caplog.text


def test_a_full_queue_refuses_with_retry_after():
    batcher = Batcher("m", lambda texts, ks: texts, max_batch=8, max_wait_s=0.0, max_queue=1, metrics=Metrics())
    batcher.pending = 1  # one request waiting or running
    with pytest.raises(ApiError, match="model m has 1 requests queued") as refused:
        asyncio.run(batcher.submit(["x"]))
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "1"}

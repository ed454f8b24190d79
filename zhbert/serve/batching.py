"""Dynamic batching: the requests for one model that arrive within ``max_wait`` of each other share one predict
call of up to ``max_batch`` texts, run on the model's own worker thread, so the event loop never waits on a model.

The worker takes the first request waiting, then whatever else arrives until ``max_wait`` after that request came
in (a request that already waited while the model was busy waits no more) or the batch is full. Under load the
queue fills while a call runs, and the next call takes it at once: batches grow with the load, latency does not.
A call that fails is retried request by request, so one refused text fails its own request only.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..cores import heap_trimmer
from .limits import ApiError
from .metrics import Metrics

__all__ = ["Batcher"]

logger = logging.getLogger("zhbert.serve")

Run = Callable[[list[str], list[int]], list[Any]]  # texts and each one's top_k -> one result per text
TRIM_EVERY_S = 1.0  # how often the worker hands freed heap memory back to the system


@dataclass
class _Job:
    texts: list[str]
    top_k: int
    future: asyncio.Future[list[Any]]
    loop: asyncio.AbstractEventLoop
    arrived: float = field(default_factory=time.monotonic)


def _settle(future: asyncio.Future[list[Any]], result: list[Any] | None, error: BaseException | None) -> None:
    if future.done():  # the client went away
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result or [])


class Batcher:
    """One model's queue and worker thread.

    Args:
        name: the model's name (thread name, metrics label).
        run: the predict call, texts and each one's ``top_k`` in, one JSON-ready result per text out.
        max_batch: the most texts one call takes (a request with more runs alone).
        max_wait_s: how long the first request of a batch waits for others.
        max_queue: the most requests waiting or running; ``submit`` answers 503 beyond it.
    """

    def __init__(
        self, name: str, run: Run, max_batch: int, max_wait_s: float, max_queue: int, metrics: Metrics
    ) -> None:
        self.name, self.run, self.max_batch, self.max_wait_s, self.max_queue = (
            name,
            run,
            max_batch,
            max_wait_s,
            max_queue,
        )
        self.metrics = metrics
        self.pending = 0  # requests waiting or running; read and written on the event loop only
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=f"zhbert-model-{name}", daemon=True)
        self._trim = heap_trimmer()
        self._trimmed = time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then end the worker."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    async def submit(self, texts: list[str], top_k: int = 0) -> list[Any]:
        """The results of ``texts``, once a predict call has run them.

        Raises:
            ApiError: 503 when ``max_queue`` requests are already waiting or running.
        """
        if self.pending >= self.max_queue:
            raise ApiError(
                503, "overloaded", f"model {self.name} has {self.pending} requests queued, its limit: retry shortly",
                {"Retry-After": "1"},
            )  # fmt: skip
        loop = asyncio.get_running_loop()
        job = _Job(texts, top_k, loop.create_future(), loop)
        self.pending += 1
        self.metrics.queue_depth.labels(self.name).set(self.pending)
        try:
            self._queue.put(job)
            return await job.future
        finally:
            self.pending -= 1
            self.metrics.queue_depth.labels(self.name).set(self.pending)

    def _work(self) -> None:
        carry: _Job | None = None
        untrimmed = False  # calls since the last trim
        while True:
            if carry is None:
                try:
                    first = self._queue.get(timeout=TRIM_EVERY_S) if untrimmed else self._queue.get()
                except queue.Empty:  # idle: hand back what the last calls freed
                    self._trim_now()
                    untrimmed = False
                    continue
            else:
                first = carry
            carry = None
            if first is None:
                return
            jobs, size, stopping = [first], len(first.texts), False
            deadline = first.arrived + self.max_wait_s
            while size < self.max_batch:
                wait = deadline - time.monotonic()
                try:
                    job = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                if size + len(job.texts) > self.max_batch:
                    carry = job
                    break
                jobs.append(job)
                size += len(job.texts)
            self._run(jobs)
            untrimmed = True
            if time.monotonic() - self._trimmed > TRIM_EVERY_S:
                self._trim_now()
                untrimmed = False
            if stopping:
                return

    def _trim_now(self) -> None:
        if self._trim is not None:
            self._trim()
        self._trimmed = time.monotonic()

    def _run(self, jobs: list[_Job]) -> None:
        texts = [text for job in jobs for text in job.texts]
        start = time.perf_counter()
        try:
            results = self.run(texts, [job.top_k for job in jobs for _ in job.texts])
        except Exception as err:
            if len(jobs) > 1:  # find the request that failed; the others still get their results
                for job in jobs:
                    self._run([job])
                return
            self._fail(jobs[0], err)
            return
        self.metrics.batch_size.labels(self.name).observe(len(texts))
        self.metrics.batch_seconds.labels(self.name).observe(time.perf_counter() - start)
        at = 0
        for job in jobs:
            part = results[at : at + len(job.texts)]
            at += len(job.texts)
            job.loop.call_soon_threadsafe(_settle, job.future, part, None)

    def _fail(self, job: _Job, err: Exception) -> None:
        from ..errors import ZhbertError

        if isinstance(err, ZhbertError):
            error = ApiError(422, "unprocessable_text", str(err))
        else:
            logger.exception("model %s failed on a request of %d texts", self.name, len(job.texts), exc_info=err)
            error = ApiError(500, "internal_error", f"model {self.name} failed: {type(err).__name__} (logged)")
        job.loop.call_soon_threadsafe(_settle, job.future, None, error)

"""Dynamic batching for the HTTP service (``keyextract.serve``): texts of concurrent requests
coalesced into one call of a batch function, run in a worker thread.

The event loop only enqueues texts and awaits futures; one worker thread takes the oldest
waiting text and, with it, the other texts waiting under the same key (requests whose options
agree), up to ``max_batch`` texts and ``max_chars`` characters. A batch that is not full closes
once no text of its key has arrived for a quiet gap, and at the latest ``MAX_DELAY_FACTOR`` gaps
after its oldest text arrived. The gap is ``max_wait``, or ``WAIT_SHARE`` of the time recent
batches took (up to ``MAX_SHARE_GAP``) if that is longer, so that waiting for more texts adds at
most about 5% to a batch's time on any hardware. Under load the queue already holds a full batch
when the worker comes back, and no time is spent waiting; alone, a request waits one gap.
Clients that send their next request when the last is answered come back over some milliseconds
after a batch ends, and more on a busy machine: with 32 such clients on 2 shared cores
(bench/serve_load.py), 5 ms counted from the first text cut them into batches of 26 and 6, a
quiet gap of 5 or 10 ms into 31 and 1 or 29 and 3, and 5% of the batch's time (about 0.1 s there)
kept them whole. The scheme is that of Triton's dynamic batcher (``max_queue_delay_microseconds``)
and TorchServe (``batch_size``, ``max_batch_delay``), with the delay counted from the last arrival
and scaled to the batch.

The queue is bounded (``max_queue`` texts waiting): a request that does not fit is refused whole
(``QueueFull``), so memory stays bounded under overload.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

_log = logging.getLogger("keyextract.serve")
# Weight of the newest batch in the running estimate of texts per second (Retry-After).
_RATE_SMOOTHING = 0.2
#: A batch that is not full closes at the latest this many quiet gaps after its oldest text arrived.
MAX_DELAY_FACTOR = 4
#: The quiet gap is at least this share of the time recent batches took, up to MAX_SHARE_GAP seconds
#: (after a long text's batch, a lone request must not wait long).
WAIT_SHARE = 0.05
MAX_SHARE_GAP = 0.1


class QueueFull(Exception):
    """The queue cannot take a request's texts now; ``retry_after``: seconds after which it
    likely can (the waiting texts divided by the recent throughput, at least 1)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the queue is full; retry after {retry_after} s")
        self.retry_after = retry_after


class Closed(Exception):
    """The batcher is stopping and takes no new work."""


@dataclass(eq=False)
class Ticket:
    """One request's texts in the queue: ``future`` (of the event loop that submitted them) gets
    their outcomes, in order, once the last is done."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    outcomes: list
    tags: Sequence[Any]
    remaining: int
    cancelled: bool = False


@dataclass(eq=False)
class _Item:
    key: Hashable
    text: str
    ticket: Ticket
    index: int
    seq: int
    arrived: float = field(default_factory=time.monotonic)


class Batcher:
    """Coalesces texts from concurrent requests into calls ``run(key, texts, tags)``.

    ``run`` is called in the worker thread with texts that share ``key`` and returns one outcome
    per text (in order); it should not raise (an exception becomes the outcome of every text of
    the batch, through ``on_error(exc)``). ``tags[i]`` is what the submitter attached to
    ``texts[i]`` (for logging). ``warmup``, if given, runs first in the worker thread
    (loading encoders); ``ready`` is set when it has returned, ``warmup_error`` holds what it
    raised.

    Limits: ``max_batch`` texts and ``max_chars`` characters a call (a longer text goes alone),
    ``max_wait`` seconds without a new text (or ``WAIT_SHARE`` of the recent batches' time, up to
    ``MAX_SHARE_GAP``, if longer) before a batch that is not full closes, at most ``MAX_DELAY_FACTOR`` such gaps after
    its oldest text arrived; ``max_queue`` texts waiting.
    """

    def __init__(
        self,
        run: Callable[[Hashable, list[str], list[Any]], list],
        on_error: Callable[[BaseException], Any],
        *,
        max_batch: int = 32,
        max_chars: int = 200_000,
        max_wait: float = 0.005,
        max_queue: int = 256,
        warmup: Callable[[], None] | None = None,
    ) -> None:
        for name, value in (("max_batch", max_batch), ("max_chars", max_chars), ("max_queue", max_queue)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not 0 <= max_wait <= 10:
            raise ValueError(f"max_wait must be in [0, 10] seconds, got {max_wait!r}")
        self.run, self.on_error, self.warmup = run, on_error, warmup
        self.max_batch, self.max_chars, self.max_wait, self.max_queue = max_batch, max_chars, max_wait, max_queue
        self.ready = threading.Event()
        self.warmup_error: BaseException | None = None
        self._cond = threading.Condition()
        self._waiting: dict[Hashable, deque[_Item]] = {}
        self._queued = 0  # texts waiting (not yet taken into a batch)
        self._busy = 0  # texts in the batch being run
        self._seq = 0
        self._rate: float | None = None  # texts per second, recent batches
        self._batch_seconds = 0.0  # time a batch took, recent batches
        self._closing = False
        self._thread: threading.Thread | None = None

    # -- event loop side -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread (it runs ``warmup`` first)."""
        self._thread = threading.Thread(target=self._work, name="keyextract-batcher", daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, texts: Sequence[str], tags: Sequence[Any]) -> Ticket:
        """Queue ``texts`` (all or none) under ``key``; await ``ticket.future`` for their outcomes.

        Must be called from a running event loop. Raises ``QueueFull`` when fewer than
        ``len(texts)`` places are free, ``Closed`` once ``close`` was called.
        """
        loop = asyncio.get_running_loop()
        ticket = Ticket(loop, loop.create_future(), [None] * len(texts), tags, len(texts))
        if not texts:
            ticket.future.set_result([])
            return ticket
        with self._cond:
            if self._closing:
                raise Closed("the service is shutting down")
            if self._queued + len(texts) > self.max_queue:
                raise QueueFull(self._retry_after())
            queue = self._waiting.setdefault(key, deque())
            for i, text in enumerate(texts):
                queue.append(_Item(key, text, ticket, i, self._seq))
                self._seq += 1
            self._queued += len(texts)
            self._cond.notify()
        return ticket

    def cancel(self, ticket: Ticket) -> None:
        """Give up on ``ticket`` (its request timed out): its texts still waiting leave the queue,
        those being run finish and their outcomes are dropped."""
        with self._cond:
            ticket.cancelled = True
            for key in [k for k, q in self._waiting.items() if any(item.ticket is ticket for item in q)]:
                kept = deque(item for item in self._waiting[key] if item.ticket is not ticket)
                self._queued -= len(self._waiting[key]) - len(kept)
                if kept:
                    self._waiting[key] = kept
                else:
                    del self._waiting[key]

    def close(self, timeout: float | None = None) -> None:
        """Take no new texts, run those waiting, then stop the worker thread (wait for it up to
        ``timeout`` seconds)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def load(self) -> dict[str, int]:
        """``{"queued": texts waiting, "running": texts in the batch being run, "max_queue": ...}``."""
        with self._cond:
            return {"queued": self._queued, "running": self._busy, "max_queue": self.max_queue}

    def _retry_after(self) -> int:
        if not self._rate:
            return 1
        return max(1, math.ceil((self._queued + self._busy) / self._rate))

    # -- worker thread ---------------------------------------------------------------------------

    def _work(self) -> None:
        if self.warmup is not None:
            try:
                self.warmup()
            except BaseException as exc:  # noqa: BLE001 - reported by /ready; requests get it per text
                self.warmup_error = exc
                _log.error("warm-up failed: %s", exc)
        self.ready.set()
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._run(batch)

    def _next_batch(self) -> list[_Item] | None:
        """The next batch: the oldest waiting text and others of its key; None once closing and
        drained."""
        with self._cond:
            while True:
                while not self._waiting and not self._closing:
                    self._cond.wait()
                if not self._waiting:
                    return None
                key = min(self._waiting, key=lambda k: self._waiting[k][0].seq)
                gap = max(self.max_wait, min(WAIT_SHARE * self._batch_seconds, MAX_SHARE_GAP))
                latest = self._waiting[key][0].arrived + MAX_DELAY_FACTOR * gap
                while key in self._waiting and not self._full(self._waiting[key]) and not self._closing:
                    quiet = self._waiting[key][-1].arrived + gap
                    left = min(quiet, latest) - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                if key not in self._waiting:  # its requests were cancelled meanwhile
                    continue
                queue = self._waiting[key]
                batch = [queue.popleft()]
                chars = len(batch[0].text)
                while queue and len(batch) < self.max_batch and chars + len(queue[0].text) <= self.max_chars:
                    chars += len(queue[0].text)
                    batch.append(queue.popleft())
                if not queue:
                    del self._waiting[key]
                self._queued -= len(batch)
                self._busy = len(batch)
                return batch

    def _full(self, queue: deque[_Item]) -> bool:
        if len(queue) >= self.max_batch:
            return True
        chars = 0
        for item in queue:
            chars += len(item.text)
            if chars > self.max_chars:
                return True
        return False

    def _run(self, batch: list[_Item]) -> None:
        started = time.monotonic()
        _log.debug("batch of %d texts, waited %.1f ms for the first; %d texts waiting", len(batch),
                   1000 * (started - batch[0].arrived), self._queued)
        try:
            outcomes = self.run(batch[0].key, [item.text for item in batch],
                                [item.ticket.tags[item.index] for item in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"the batch function returned {len(outcomes)} outcomes for {len(batch)} texts")
        except Exception as exc:  # noqa: BLE001 - every text of the batch gets the error, the service goes on
            _log.exception("batch of %d texts failed", len(batch))
            outcomes = [self.on_error(exc)] * len(batch)
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = len(batch) / elapsed
        with self._cond:
            self._busy = 0
            if self._rate is None:
                self._rate, self._batch_seconds = rate, elapsed
            else:
                self._rate += _RATE_SMOOTHING * (rate - self._rate)
                self._batch_seconds += _RATE_SMOOTHING * (elapsed - self._batch_seconds)
        for item, outcome in zip(batch, outcomes):
            ticket = item.ticket
            ticket.outcomes[item.index] = outcome
            ticket.remaining -= 1
            if ticket.remaining == 0 and not ticket.cancelled:
                try:
                    ticket.loop.call_soon_threadsafe(_resolve, ticket.future, ticket.outcomes)
                except RuntimeError:  # its event loop is closed: nobody waits for it any more
                    pass


def _resolve(future: asyncio.Future, outcomes: list) -> None:
    if not future.done():  # not cancelled by a timeout meanwhile
        future.set_result(outcomes)

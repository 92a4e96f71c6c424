"""The dynamic batcher of the service (keyextract.batching), with a batch function that records
its calls: which texts go together, when a batch closes, the bounded queue, cancellation."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from keyextract.batching import Batcher, Closed, QueueFull


class Recorder:
    """A batch function: records ``(key, texts)`` of each call and answers each text upper-cased;
    ``hold`` (an Event, set by default) keeps a call from returning until it is set."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.started = threading.Event()
        self.hold = threading.Event()
        self.hold.set()
        self.fail_on = fail_on

    def __call__(self, key, texts, tags):
        self.calls.append((key, list(texts)))
        self.started.set()
        self.hold.wait(10)
        if self.fail_on in texts:
            raise RuntimeError(f"cannot take {self.fail_on}")
        return [t.upper() for t in texts]


def error_outcome(exc: BaseException) -> str:
    return f"error: {exc}"


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


def make(recorder: Recorder, **limits) -> Batcher:
    batcher = Batcher(recorder, error_outcome, **{"max_wait": 0.001, **limits})
    batcher.start()
    return batcher


def test_texts_waiting_with_the_same_key_share_a_call_and_keys_never_mix() -> None:
    recorder = Recorder()
    recorder.hold.clear()

    async def scenario():
        batcher = make(recorder, max_batch=8)
        first = batcher.submit("a", ["x0"], [None])
        await until(recorder.started.is_set)  # the worker is busy with x0
        tickets = [batcher.submit("a", ["x1", "x2"], [None, None]), batcher.submit("b", ["y1"], [None]),
                   batcher.submit("a", ["x3"], [None])]
        recorder.hold.set()
        results = await asyncio.gather(first.future, *(t.future for t in tickets))
        batcher.close()
        return results

    results = asyncio.run(scenario())
    assert recorder.calls == [("a", ["x0"]), ("a", ["x1", "x2", "x3"]), ("b", ["y1"])]
    assert results == [["X0"], ["X1", "X2"], ["Y1"], ["X3"]]


def test_a_full_batch_closes_at_once_and_a_lone_text_after_the_quiet_gap() -> None:
    recorder = Recorder()

    async def scenario():
        batcher = make(recorder, max_batch=2, max_wait=5.0)
        started = time.monotonic()
        full = await batcher.submit("a", ["p", "q"], [None, None]).future
        full_seconds = time.monotonic() - started
        batcher.close()
        batcher = make(recorder, max_batch=8, max_wait=0.3)
        started = time.monotonic()
        lone = await batcher.submit("a", ["r"], [None]).future
        lone_seconds = time.monotonic() - started
        batcher.close()
        return full, full_seconds, lone, lone_seconds

    full, full_seconds, lone, lone_seconds = asyncio.run(scenario())
    assert (full, lone) == (["P", "Q"], ["R"])
    assert full_seconds < 2.0  # did not wait the 5 s gap: the batch was full
    assert 0.3 <= lone_seconds < 3.0  # waited the gap for company, then ran alone


def test_a_batch_holds_at_most_max_chars_characters() -> None:
    recorder = Recorder()
    recorder.hold.clear()

    async def scenario():
        batcher = make(recorder, max_chars=10)
        first = batcher.submit("a", ["0"], [None])
        await until(recorder.started.is_set)
        rest = batcher.submit("a", ["aaaa", "bbbb", "cccc", "d" * 25], [None] * 4)
        recorder.hold.set()
        await asyncio.gather(first.future, rest.future)
        batcher.close()

    asyncio.run(scenario())
    assert [texts for _, texts in recorder.calls] == [["0"], ["aaaa", "bbbb"], ["cccc"], ["d" * 25]]


def test_the_queue_takes_a_request_whole_or_not_at_all() -> None:
    recorder = Recorder()
    recorder.hold.clear()

    async def scenario():
        batcher = make(recorder, max_queue=3)
        running = batcher.submit("a", ["busy"], [None])
        await until(recorder.started.is_set)
        waiting = batcher.submit("a", ["1", "2"], [None, None])
        with pytest.raises(QueueFull) as too_many:
            batcher.submit("a", ["3", "4"], [None, None])  # 2 + 2 > 3 places
        load = batcher.load()
        fits = batcher.submit("b", ["5"], [None])
        with pytest.raises(QueueFull):
            batcher.submit("a", ["6"], [None])
        recorder.hold.set()
        results = await asyncio.gather(running.future, waiting.future, fits.future)
        batcher.close()
        return too_many.value, load, results

    error, load, results = asyncio.run(scenario())
    assert error.retry_after >= 1
    assert load == {"queued": 2, "running": 1, "max_queue": 3}
    assert results == [["BUSY"], ["1", "2"], ["5"]]
    assert [texts for _, texts in recorder.calls] == [["busy"], ["1", "2"], ["5"]]


def test_a_cancelled_request_leaves_the_queue() -> None:
    recorder = Recorder()
    recorder.hold.clear()

    async def scenario():
        batcher = make(recorder)
        running = batcher.submit("a", ["busy"], [None])
        await until(recorder.started.is_set)
        given_up = batcher.submit("a", ["x", "y"], [None, None])
        kept = batcher.submit("a", ["z"], [None])
        batcher.cancel(given_up)
        load = batcher.load()
        recorder.hold.set()
        results = await asyncio.gather(running.future, kept.future)
        batcher.close()
        return load, results, given_up.future.done()

    load, results, given_up_done = asyncio.run(scenario())
    assert load["queued"] == 1
    assert results == [["BUSY"], ["Z"]]
    assert [texts for _, texts in recorder.calls] == [["busy"], ["z"]]
    assert not given_up_done


def test_a_failing_batch_gives_each_of_its_texts_the_error_and_the_worker_goes_on() -> None:
    recorder = Recorder(fail_on="bad")

    async def scenario():
        batcher = make(recorder)
        failed = await batcher.submit("a", ["bad", "good"], [None, None]).future
        later = await batcher.submit("a", ["fine"], [None]).future
        batcher.close()
        return failed, later

    failed, later = asyncio.run(scenario())
    assert failed == ["error: cannot take bad", "error: cannot take bad"]
    assert later == ["FINE"]


def test_close_runs_what_waits_then_refuses_new_texts() -> None:
    recorder = Recorder()
    recorder.hold.clear()

    async def scenario():
        batcher = make(recorder)
        running = batcher.submit("a", ["busy"], [None])
        await until(recorder.started.is_set)
        waiting = batcher.submit("a", ["w"], [None])
        closing = asyncio.get_running_loop().run_in_executor(None, batcher.close)
        await until(lambda: batcher._closing)
        with pytest.raises(Closed):
            batcher.submit("a", ["late"], [None])
        recorder.hold.set()
        await closing
        return await asyncio.gather(running.future, waiting.future), batcher._thread.is_alive()

    results, alive = asyncio.run(scenario())
    assert results == [["BUSY"], ["W"]]
    assert not alive


def test_ready_only_after_the_warmup_and_its_error_kept() -> None:
    release = threading.Event()

    def warmup() -> None:
        release.wait(10)
        raise OSError("no encoder here")

    batcher = Batcher(Recorder(), error_outcome, warmup=warmup)
    batcher.start()
    assert not batcher.ready.wait(0.2)
    release.set()
    assert batcher.ready.wait(10)
    assert str(batcher.warmup_error) == "no encoder here"
    batcher.close()


@pytest.mark.parametrize("limits, message", [
    ({"max_batch": 0}, "max_batch must be an integer >= 1, got 0"),
    ({"max_queue": 2.5}, "max_queue must be an integer >= 1, got 2.5"),
    ({"max_wait": -1}, "max_wait must be in [0, 10] seconds, got -1"),
])
def test_invalid_limits_are_named(limits, message) -> None:
    with pytest.raises(ValueError) as error:
        Batcher(Recorder(), error_outcome, **limits)
    assert str(error.value) == message

"""Progress bars and one-line notes on stderr, shared by the API, the encoder and the CLI.

Long work shows one bar per stage (``stage_bar``), in the order the stages run (``extractor``,
``encoder``): ``segmenting`` (characters; a text longer than ``extractor.BLOCK_CHARS``),
``tokenizing`` (characters; texts longer than ``encoder.TOKENIZE_CHARS``), ``encoding`` (encoder
windows) and ``phrases`` (isolated mode), with a line while the encoder loads
(``stage_status``). Each shows once its stage has run ``STAGE_DELAY`` seconds: what is long
depends on the machine, its load, the device and the model, so time decides, not a count of
work (the 16 forward passes over a 200 KiB text took 78 s on 2 busy cores, and got no bar when
25 passes, about 5 s on a quiet CPU, made long work). Each bar's estimate is that of its own
stage: successive bars rather than one weighted bar over the job, because the stages' relative
costs are not fixed either (on a CPU, encoding is most of the time; on a GPU the encoder is many
times faster while segmenting is not), so any fixed weighting would give a wrong estimate
somewhere.

Lines written while bars may be drawn go through ``write_line`` (``tqdm.write``), which clears
the bars, writes the line, and draws them again below it: a note never lands inside a bar.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# A stage's bar is drawn once the stage has run this many seconds (at its next update): soon
# enough to say what is happening, late enough that short work shows no flashing bar.
STAGE_DELAY = 1.0


def progress_bar(total: int, enabled: bool, unit: str = "doc", desc: str | None = None, delay: float = 0.0):
    """A tqdm bar on stderr that clears itself when done (a no-op when not ``enabled``).

    ``unit``: what ``total`` counts; ``desc``: the stage, shown before the bar
    (``segmenting``, ``encoding`` ...); ``delay``: seconds before it is first drawn (at an update;
    never, if the work ends sooner). Counts of ``char`` are shown scaled (``1.2M``).
    """
    from tqdm.auto import tqdm

    return tqdm(
        total=total, unit=unit, desc=desc, disable=not enabled, file=sys.stderr, leave=False,
        unit_scale=unit == "char", delay=delay,
    )


@contextmanager
def stage_bar(total: int, enabled: bool, unit: str, desc: str) -> Iterator:
    """The bar of one stage of long work, labelled ``desc``: a ``progress_bar`` drawn once the
    stage has run ``STAGE_DELAY`` seconds (by a timer thread, even before the stage's first
    update, which may be a forward pass away)."""
    with progress_bar(total, enabled, unit, desc, STAGE_DELAY) as bar:
        if not enabled:
            yield bar
            return
        with _after_delay(lambda: bar.update(0)):  # update(0): drawn, and cleared at the end
            yield bar


@contextmanager
def stage_status(text: str, enabled: bool) -> Iterator[None]:
    """While a stage that has nothing to count runs (loading an encoder): the line ``text`` on
    stderr, drawn once the stage has run ``STAGE_DELAY`` seconds and cleared when it ends;
    nothing when not ``enabled``."""
    if not enabled:
        yield
        return
    from tqdm.auto import tqdm

    lines: list = []
    try:
        with _after_delay(lambda: lines.append(tqdm(total=None, desc=text, bar_format="{desc}", file=sys.stderr, leave=False))):
            yield
    finally:
        for line in lines:
            line.close()


@contextmanager
def _after_delay(action) -> Iterator[None]:
    """Run ``action()`` in a timer thread once ``STAGE_DELAY`` seconds have passed, unless the
    block has ended by then."""
    lock, ended = threading.Lock(), []

    def run() -> None:
        with lock:
            if not ended:
                action()

    timer = threading.Timer(STAGE_DELAY, run)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            ended.append(True)


def write_line(line: str) -> None:
    """Write ``line`` and a line break to stderr, on a line of its own even while bars are drawn."""
    from tqdm.auto import tqdm

    tqdm.write(line, file=sys.stderr)


class _BarSafeLastResort(logging.Handler):
    """What Python's last-resort handler does (the bare message of a WARNING or worse record on
    stderr), through ``write_line``."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            write_line(self.format(record))
        except Exception:  # noqa: BLE001 - as logging does: a failed note must not stop the work
            self.handleError(record)


@contextmanager
def notes_beside_bars(enabled: bool) -> Iterator[None]:
    """While bars may be drawn (``enabled``): where no logging is configured for the
    ``keyextract`` loggers, their records that Python would print itself (WARNING or worse,
    the bare message) are written with ``write_line`` instead, so that they do not land inside a
    bar. Where logging is configured (an application's handlers, the CLI's), nothing changes."""
    log = logging.getLogger("keyextract")
    if not enabled or log.hasHandlers():
        yield
        return
    handler = _BarSafeLastResort()
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)

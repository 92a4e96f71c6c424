"""Progress bars and one-line notes on stderr, shared by the API, the encoder and the CLI.

Long work shows one bar per stage, in the order the stages run (``extractor``, ``encoder``):
``segmenting`` (characters; a text longer than ``extractor.BLOCK_CHARS``), ``tokenizing``
(characters; texts longer than ``encoder.LONG_TOKENIZE_CHARS`` in all), ``encoding`` (encoder
windows) and ``phrases`` (isolated mode; both when they take ``encoder.LONG_WORK_PASSES``
forward passes or more). Each bar's estimate is that of its own stage: successive bars rather
than one weighted bar over the job, because the stages' relative costs are not fixed (on 2 CPU
threads with all-MiniLM-L6-v2 segmenting costs about 5 s and encoding about 80-190 s per MB;
on a GPU the encoder is many times faster and segmenting can dominate), so any fixed weighting
would give a wrong estimate somewhere.

Lines written while bars may be drawn go through ``write_line`` (``tqdm.write``), which clears
the bars, writes the line, and draws them again below it: a note never lands inside a bar.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def progress_bar(total: int, enabled: bool, unit: str = "doc", desc: str | None = None):
    """A tqdm bar on stderr that clears itself when done (a no-op when not ``enabled``).

    ``unit``: what ``total`` counts; ``desc``: the stage, shown before the bar
    (``segmenting``, ``encoding`` ...). Counts of ``char`` are shown scaled (``1.2M``).
    """
    from tqdm.auto import tqdm

    return tqdm(
        total=total, unit=unit, desc=desc, disable=not enabled, file=sys.stderr, leave=False,
        unit_scale=unit == "char",
    )


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

"""Shared by the benchmarks: replace one ``## Section`` of BENCHMARKS.md, keeping the others;
the command line of a benchmark run over the dev sets (``bench/variants.py``, ``bench/shortlist.py``)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path


def replace_section(heading: str, section: str, path: Path) -> None:
    """Put ``section`` (which starts with ``heading``) in place of that section, or append it."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.write_text(new, encoding="utf-8")


def publish(heading: str, section: str, markdown: Path, report: dict, results: Path) -> None:
    """Write ``section`` into ``markdown`` (``replace_section``) and ``report`` as JSON to
    ``results``, and say so on stderr."""
    replace_section(heading, section, markdown)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {markdown.name} and {results.parent.name}/{results.name}", file=sys.stderr)


def emit(heading: str, section: str, markdown: Path, write: bool, report: dict | None = None,
         results: Path | None = None) -> None:
    """Print ``section``; if ``write``, put it in ``markdown``, and with a ``report`` also write
    that as JSON to ``results`` (``publish``)."""
    print(section)
    if not write:
        return
    if report is None:
        replace_section(heading, section, markdown)
    else:
        publish(heading, section, markdown, report, results)


def command_line(script: str, argv: Sequence[str] | None) -> str:
    """The command that ran ``script`` with ``argv`` (None: this process's arguments), for the report."""
    given = list(sys.argv[1:] if argv is None else argv)
    return f"python {script}" + (" " + shlex.join(given) if given else "")


def per_set_parser(description: str, sets: Iterable[str]) -> argparse.ArgumentParser:
    """A parser with the options of a run over dev sets: ``--sets``, ``--limit``, ``--top``,
    ``--threads``, ``--no-write``, ``--render``; ``parse_per_set`` checks them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sets", help=f"comma-separated (default all): {','.join(sets)}")
    parser.add_argument("--limit", type=int, help="first N documents of every set (default: bench/quality.py's per set)")
    parser.add_argument("--top", type=int, default=10, help="top_n extracted and k scored (default 10)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--render", metavar="JSON", type=Path, help="rebuild the section from a saved run; measure nothing")
    return parser


def parse_per_set(parser: argparse.ArgumentParser, argv: Sequence[str] | None, sets: Iterable[str]) -> argparse.Namespace:
    """Parse ``argv`` with a ``per_set_parser``: ``args.sets`` becomes a list of known sets
    (all by default); ``--top`` and ``--limit`` must be >= 1 (``parser.error`` otherwise)."""
    sets = list(sets)
    args = parser.parse_args(argv)
    args.sets = [s.strip() for s in (args.sets or ",".join(sets)).split(",") if s.strip()]
    unknown = sorted(set(args.sets) - set(sets))
    if unknown:
        parser.error(f"--sets: unknown {', '.join(unknown)}; choose from {','.join(sets)}")
    if args.top < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--top and --limit must be >= 1")
    return args

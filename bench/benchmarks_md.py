"""Shared by the benchmarks: replace one ``## Section`` of BENCHMARKS.md, keeping the others."""

from __future__ import annotations

import json
import sys
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

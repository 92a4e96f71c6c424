"""Before/after table of two ``bench/quality.py`` results: keyextract's micro (and macro) F1@5/10/15
per dev set in each, and the EmbedRank peer's in the later one.

    python bench/quality_compare.py bench/results/quality_a78c694.json bench/results/quality.json

Prints Markdown and writes it as the ``## Quality before and after`` section of BENCHMARKS.md
(other sections kept). Only sets and documents present in both runs are compared; the limits of
each run are printed so that a difference in documents shows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks_md import replace_section

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Quality before and after"
TOP = ("5", "10", "15")


def f1s(system: dict, average: str) -> list[float]:
    return [100 * system[average][k]["f1"] for k in TOP]


def cells(values: list[float]) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


def render(before: dict, after: dict, before_path: str, after_path: str) -> str:
    lines = [
        SECTION,
        "",
        f"keyextract's defaults at commit {before['keyextract_commit']} ({before['date']}) and at "
        f"{after['keyextract_commit']} ({after['date']}), each measured by `bench/quality.py` "
        "with all-MiniLM-L6-v2 (English) and multilingual-e5-small (Chinese, Portuguese); micro "
        "F1@5 / @10 / @15 (macro in brackets), and the EmbedRank peer of the later run.",
        "",
        "| set | documents | before | after | EmbedRank peer | after - peer (micro) |",
        "| --- | ---: | --- | --- | --- | --- |",
    ]
    for name, entry in after["sets"].items():
        old = before["sets"].get(name, {}).get("systems", {}).get("keyextract")
        new = entry["systems"].get("keyextract")
        peer = entry["systems"].get("embedrank")
        if new is None:
            continue
        docs = after["limits"].get(name)
        same = old is not None and before["limits"].get(name) == docs
        shown_old = f"{cells(f1s(old, 'micro'))} ({cells(f1s(old, 'macro'))})" if same else "not run on these documents"
        shown_peer = cells(f1s(peer, "micro")) if peer else "-"
        gap = cells([a - b for a, b in zip(f1s(new, "micro"), f1s(peer, "micro"))]) if peer else "-"
        lines.append(
            f"| {name} | {docs} | {shown_old} | {cells(f1s(new, 'micro'))} ({cells(f1s(new, 'macro'))}) | {shown_peer} | {gap} |"
        )
    lines += ["", f"Command: `python bench/quality_compare.py {before_path} {after_path}`", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.exit("usage: python bench/quality_compare.py BEFORE.json AFTER.json")
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv)
    report = render(before, after, *argv)
    print(report)
    replace_section(SECTION, report, ROOT / "BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Huge single tokens: segmentation time against prose of the same length, side by side.

A text that is one long word (a run of letters without spaces: a base64 blob, a DNA sequence,
a minified token) must cost no more than prose of the same length, which has thousands of
tokens. ``tests/test_robustness.py`` checks the behaviour (such a word is no keyphrase) on
200,000 characters and the time on 10,000 against prose; this script measures the growth side by
side over sizes (a quadratic regular expression once made 200,000 letters take 259 s).

For each size N: ``keyextract.segmentation.segment`` on N lowercase letters, on N uppercase
letters, and on N characters of prose (the abstracts of ``tests/data/abstracts.txt`` repeated),
best of ``--repeats``; then the ratio of the lowercase word to the prose, and how the lowercase
word's time grew from the previous size (2x the size: 2x the time if linear, 4x if quadratic).
``KeywordExtractor.extract`` on the lowercase word is timed once per size too (no encoder is
loaded for a text without candidates).

    python bench/huge_inputs.py                              # 5,000 to 200,000; writes ## Huge inputs
    python bench/huge_inputs.py --sizes 10000,200000 --no-write
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from benchmarks_md import command_line, emit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from keyextract import KeywordExtractor  # noqa: E402
from keyextract.segmentation import segment  # noqa: E402

SECTION = "## Huge inputs"


def prose(n_chars: int) -> str:
    """``n_chars`` characters of the test abstracts (titles and bodies), repeated as needed."""
    lines = (ROOT / "tests" / "data" / "abstracts.txt").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if line and not line.startswith("#"))
    return (text * (n_chars // len(text) + 1))[:n_chars]


def best_time(call, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - began)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,20000,50000,200000", help="comma-separated characters (default 5000,20000,50000,200000)")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs of each segmentation (default 3)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    extractor = KeywordExtractor("unused-no-candidates", lang="en")
    segment("warm up the tagger and the tables")
    rows, previous = [], None
    for n in sizes:
        lower = best_time(lambda: segment("a" * n), args.repeats)
        upper = best_time(lambda: segment("A" * n), args.repeats)
        text = prose(n)
        plain = best_time(lambda: segment(text), args.repeats)
        began = time.perf_counter()
        assert extractor.extract("a" * n) == []
        extract_s = time.perf_counter() - began
        growth = f"{lower / previous[1]:.1f}x for {n / previous[0]:.1f}x the size" if previous else ""
        rows.append([f"{n:,}", f"{lower:.3f}", f"{upper:.4f}", f"{plain:.4f}", f"**{lower / plain:.2f}x**",
                     growth, f"{extract_s:.3f}"])
        previous = (n, lower)
        print(" | ".join(rows[-1]), file=sys.stderr)
    header = ["characters", "one lowercase word (s)", "one uppercase word (s)", "prose (s)",
              "lowercase word / prose", "lowercase word's growth", "`extract`, lowercase word (s)"]
    table = "\n".join("| " + " | ".join(r) + " |" for r in [header, ["---:"] * len(header), *rows]) + "\n"
    load = os.getloadavg()[0]
    section = (
        f"{SECTION}\n\n"
        "`keyextract.segmentation.segment` on one word of N letters and on N characters of prose "
        f"(the test abstracts), best of {args.repeats}; `extract` once (it returns `[]`: no candidate).\n\n"
        f"{table}\n"
        "- Until commit 5cfd54e a run of lowercase letters was quadratic in its length (36 s for 40,000 "
        "letters, 141x prose): the camelCase alternative of `segmentation._EN_TOKEN_RE` was "
        "`[a-z]{2,}[a-z0-9]*(...)`, which tried every split of the run between its two quantifiers; "
        "`[a-z]{2}[a-z0-9]*` matches the same strings. A word of N letters now costs about what N "
        "characters of prose do, or less, and grows as prose does.\n"
        f"- Machine: {platform.machine()}, Python {platform.python_version()}, load average {load:.1f} "
        "at the end (shared with other jobs: times are indicative, ratios less so).\n"
        f"- Command: `{command_line('bench/huge_inputs.py', argv)}`\n"
    )
    emit(SECTION, section, ROOT / "BENCHMARKS.md", not args.no_write)


if __name__ == "__main__":
    main()

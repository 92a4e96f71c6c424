"""Markup and Markdown detection on the plain-text development sets, and its cost; extraction speed.

Every document of every set in ``../shared/data/dev`` must be read as plain text (so markup
handling cannot change the results there); the table gives how many were taken for HTML/XML
markup and for Markdown (0 expected), how many contain ``<`` at all, and the time
``looks_like_markup`` and ``looks_like_markdown`` took per document. The last rows time
``extract_text`` of both on generated pages and READMEs.

    python bench/markup.py            # prints the table, writes BENCHMARKS.md ## Markup
    python bench/markup.py --no-write
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from benchmarks_md import replace_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from keyextract import markdown  # noqa: E402
from keyextract.markup import extract_text, looks_like_markup  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dev"
SECTION = "## Markup"
REPEATS = 5  # detection is timed as the best of this many passes (the set, and each document)


def timing(detect, texts: list[str]) -> tuple[float, float]:
    """Seconds per document of ``detect`` (best of REPEATS passes over the set), and the
    slowest document's best of REPEATS."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for text in texts:
            detect(text)
        best = min(best, time.perf_counter() - start)
    per_doc = [float("inf")] * len(texts)
    for _ in range(REPEATS):
        for i, text in enumerate(texts):
            start = time.perf_counter()
            detect(text)
            per_doc[i] = min(per_doc[i], time.perf_counter() - start)
    return best / len(texts), max(per_doc)


def detection_rows() -> list[list[str]]:
    rows = []
    for path in sorted(DEV.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            texts = [json.loads(line)["text"] for line in fh]
        flagged = sum(1 for t in texts if looks_like_markup(t))
        flagged_md = sum(1 for t in texts if markdown.looks_like_markdown(t))
        mean, slowest = timing(looks_like_markup, texts)
        mean_md, slowest_md = timing(markdown.looks_like_markdown, texts)
        chars = sum(map(len, texts)) / len(texts)
        rows.append([
            path.stem, str(len(texts)), f"{chars:,.0f}", str(sum("<" in t for t in texts)),
            f"**{flagged}**", f"{1e6 * mean:.1f}", f"{1e6 * slowest:.0f}",
            f"**{flagged_md}**", f"{1e6 * mean_md:.1f}", f"{1e6 * slowest_md:.0f}",
        ])
    return rows


def page(paragraphs: int) -> str:
    """A page of ``paragraphs`` paragraphs in the usual wrapping (head, nav, lists, scripts)."""
    body = "".join(
        f'<div class="post" id="p{i}"><h2>Section {i}</h2><p>Solar&nbsp;panels convert <b>sun</b>light '
        f'into electricity &amp; heat; <a href="/wiki/Grid_{i}" title="Grid">grid operators</a> balance '
        f"supply and demand.</p><ul><li>Rooftop installations</li><li>Utility-scale farms</li></ul>"
        f"<script>track({i});</script></div>\n"
        for i in range(paragraphs)
    )
    return (f"<!DOCTYPE html><html><head><title>Energy</title><style>p {{ margin: 0 }}</style></head>"
            f"<body>{body}</body></html>")


def readme(sections: int) -> str:
    """A README of ``sections`` sections in the usual shape (heading, paragraph with emphasis,
    inline code and a link, a fenced code block, a list)."""
    return "# fastcache\n\n" + "".join(
        f"## Section {i}\n\n**fastcache** keeps *expensive* results in an LRU cache; call `cache.clear()` "
        f"or see [the docs](https://fastcache.io/{i} \"Docs\").\nIt runs &amp; scales.\n\n"
        f"```python\nfrom fastcache import Cache\n```\n\n- Thread-safe eviction\n- Time-to-live expiry\n\n"
        for i in range(sections)
    )


def extraction_rows() -> list[list[str]]:
    rows = []
    for kind, make, extract, sizes in (("HTML page", page, extract_text, (10, 1000, 20000)),
                                       ("Markdown README", readme, markdown.extract_text, (10, 1000, 20000))):
        for n in sizes:
            text = make(n)
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                out = extract(text)
                best = min(best, time.perf_counter() - start)
            rows.append([kind, f"{len(text):,}", f"{len(out.text):,}", f"{1e3 * best:.1f}", f"{len(text) / best / 1e6:.2f}"])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---"] + ["---:"] * (len(header) - 1)
    return "\n".join("| " + " | ".join(r) + " |" for r in [header, align, *rows]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    detection = table(
        ["set", "docs", "mean chars", "docs with `<`", "read as markup", "µs/doc (mean)", "µs (slowest doc)",
         "read as Markdown", "µs/doc (mean)", "µs (slowest doc)"],
        detection_rows(),
    )
    extraction = table(["input", "chars", "text chars", "ms", "MB/s"], extraction_rows())
    section = (
        f"{SECTION}\n\n"
        "`keyextract.markup.looks_like_markup` and `keyextract.markdown.looks_like_markdown` on every "
        "document of the development sets in `../shared/data/dev/`: none may be read as markup or "
        "Markdown, so that their handling leaves the results as they were. Time per document: best of "
        f"{REPEATS} passes over the set; slowest document: the largest of each document's best of {REPEATS}.\n\n"
        f"{detection}\n"
        "`extract_text` of `markup` on generated pages (a head with title and style; per paragraph a heading, "
        "a paragraph with references, inline tags and a link, a two-item list and a script) and of "
        "`markdown` on generated READMEs (per section a heading, a paragraph with emphasis, inline code, a "
        "link and a reference, a fenced code block and a two-item list), best of 3:\n\n"
        f"{extraction}\n"
        f"- Machine: {platform.machine()}, Python {platform.python_version()}; shared with other jobs, "
        "so times are indicative.\n"
        "- Command: `python bench/markup.py` (from the repository root; rewrites this section).\n"
    )
    print(section)
    if not args.no_write:
        replace_section(SECTION, section, ROOT / "BENCHMARKS.md")


if __name__ == "__main__":
    main()

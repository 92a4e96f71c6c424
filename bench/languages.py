"""Language identification: keyextract.languages.detect_language on every development set.

    python bench/languages.py              # 300 documents a set, writes BENCHMARKS.md
    python bench/languages.py --limit 50 --no-write

For each set, the share of documents identified as the set's language when the identifier
reads the whole document, its first sentence, or its first five words, what the others were
taken for, and the time per call (model loading excluded, reported apart). Replaces the
``## Language identification`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections import Counter
from pathlib import Path

from benchmarks_md import replace_section

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT.parent / "shared" / "data" / "dev"
SECTION = "## Language identification"
SETS = {
    "inspec_dev": "en", "kdd_withabstract": "en", "www_withabstract": "en", "500n_kpcrowd": "en",
    "semeval2010_train": "en", "nguyen2007": "en", "csl_zh_dev": "zh", "110_pt_bn_kp": "pt",
}
_SENTENCE_END = re.compile(r"[.!?。！？]\s")


def first_sentence(text: str) -> str:
    match = _SENTENCE_END.search(text, 0, 2000)
    return text[: match.start() + 1] if match else text[:200]


def first_words(text: str, n: int = 5) -> str:
    return " ".join(text.split()[:n])


VIEWS = {"document": lambda t: t, "first sentence": first_sentence, "first 5 words": first_words}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=300, help="documents per set (default 300)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from keyextract import languages

    start = time.perf_counter()
    languages._identifier()
    load = time.perf_counter() - start
    rows = []
    for name, lang in SETS.items():
        with open(DATA_DIR / f"{name}.jsonl", encoding="utf-8") as fh:
            texts = [json.loads(line)["text"] for line in fh][: args.limit]
        for view, cut in VIEWS.items():
            samples = [cut(t) for t in texts]
            start = time.perf_counter()
            found = [languages.detect_language(s) for s in samples]
            ms = 1000 * (time.perf_counter() - start) / len(samples)
            wrong = Counter(f for f in found if f != lang)
            right = 100 * (len(found) - sum(wrong.values())) / len(found)
            others = ", ".join(f"{code} {n}" for code, n in wrong.most_common(4)) or "-"
            rows.append(f"| {name} ({lang}) | {len(texts)} | {view} | {right:.1f} | {others} | {ms:.2f} |")
            print(rows[-1], flush=True)
    section = "\n".join([
        SECTION,
        "",
        f"`python bench/languages.py --limit {args.limit}` on {platform.machine()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores. `keyextract.languages.detect_language` "
        f"(py3langid with its probability floor and English-stopword check; Han text by script). "
        f"Model load {load:.2f} s, once per process. The machine is shared with other jobs: times are indicative.",
        "",
        "| set (language) | docs | text read | identified right (%) | taken for | ms a call |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ])
    if not args.no_write:
        replace_section(SECTION, section, ROOT / "BENCHMARKS.md")


if __name__ == "__main__":
    main()

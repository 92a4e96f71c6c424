"""Choosing keyextract's defaults leave-one-set-out over every dev set, from cached features.

    python bench/features.py --out bench/.cache/features/new      # once per candidate-stage change
    python bench/defaults.py --features bench/.cache/features/new --before bench/.cache/features/old

For every dev set left out in turn, the configuration of the ranking's parameters (priors' weights,
position scale, length prior, mode) that maximises the mean micro F1@10 over the *other* sets
is chosen from a grid and scored on the left-out set: the leave-one-set-out (LOSO) estimate of
what defaults chosen this way give on text unlike the dev sets. The shipped default is the
configuration chosen on all sets under the rule that no set may lose more than ``BOUND`` points
of micro F1@10 against the reference (``--reference``: the old weights with the new nesting
rule, which is a product decision exempt from the bound). Every table reports every set, micro
and macro F1@5/10/15. Rankings are replayed (``bench/replay.py``) from ``bench/features.py``'s
per-candidate arrays, so a grid of hundreds of configurations takes minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks_md import command_line, emit
from quality import LANG_OF_SET, read_set
from replay import BASELINE, Config, scores

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
RESULTS_JSON = ROOT / "bench" / "results" / "defaults.json"
SECTION = "## Defaults, leave one set out"
BOUND = 0.3  # points of micro F1@10 a kept change may cost any dev set
TOP = (5, 10, 15)
GRID = {
    "position_weight": (0.0, 0.15, 0.3, 0.5),
    "position_scale": (50.0, 150.0, 500.0),
    "frequency_weight": (0.0, 0.05, 0.1, 0.2),
    "attention_weight": (0.0, 0.1, 0.2, 0.3),
    "length_weight": (0.0, 0.02, 0.05, 0.1),
}


def load(folder: Path, sets: Sequence[str]) -> dict[str, tuple[list, list, str]]:
    """``{set: (features per document, gold per document, language)}`` of the sets cached in ``folder``."""
    out = {}
    for name in sets:
        path = folder / f"{name}.pkl"
        if not path.exists():
            continue
        with open(path, "rb") as fh:
            cached = pickle.load(fh)
        docs = cached["docs"]
        golds = [r["keyphrases"] for r in read_set(name, cached["limit"])]
        out[name] = (docs, golds, LANG_OF_SET[name])
    return out


def evaluate(data: dict, config: Config) -> dict[str, dict]:
    return {name: scores(docs, golds, lang, config, TOP) for name, (docs, golds, lang) in data.items()}


def grid(base: Config) -> list[Config]:
    names = list(GRID)
    return [base.but(**dict(zip(names, values))) for values in itertools.product(*GRID.values())]


def mean_micro10(result: dict[str, dict], sets: Sequence[str]) -> float:
    return sum(result[s]["micro"][10] for s in sets) / len(sets)


def choose(results: dict[Config, dict[str, dict]], sets: Sequence[str], reference: dict[str, dict]) -> Config:
    """The configuration of best mean micro F1@10 over ``sets`` among those that cost no set of
    ``sets`` more than ``BOUND`` points of micro F1@10 against ``reference`` (the reference
    itself is always allowed)."""
    allowed = [
        c for c, r in results.items()
        if all(r[s]["micro"][10] >= reference[s]["micro"][10] - BOUND for s in sets)
    ]
    return max(allowed, key=lambda c: (round(mean_micro10(results[c], sets), 6), -list(results).index(c)))


def run(data: dict, configs: list[Config], reference: Config) -> dict:
    """Every configuration on every set; the LOSO choices; the choice on all sets."""
    started = time.perf_counter()
    results: dict[Config, dict[str, dict]] = {}
    for k, c in enumerate(configs):
        results[c] = evaluate(data, c)
        if k % 25 == 0:
            print(f"  {k + 1}/{len(configs)} configurations, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if reference not in results:
        results[reference] = evaluate(data, reference)
    ref = results[reference]
    sets = list(data)
    loso = {}
    for held in sets:
        others = [s for s in sets if s != held]
        chosen = choose(results, others, ref)
        loso[held] = {"config": chosen, "scores": results[chosen][held]}
    final = choose(results, sets, ref)
    return {"results": results, "loso": loso, "final": final, "reference": reference}

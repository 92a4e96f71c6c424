"""Choosing keyextract's defaults leave-one-set-out over every dev set, from cached features.

    python bench/features.py                  # once per candidate-stage change: bench/.cache/features/<commit>
    python bench/defaults.py --features bench/.cache/features/<commit> --before bench/.cache/features/7208289

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
    "frequency_weight": (0.0, 0.05, 0.1, 0.2),
    "attention_weight": (0.0, 0.1, 0.2, 0.3),
    "length_weight": (0.0, 0.02, 0.05),
}
CONTEST_MARGINS = (0.0, 0.02, 0.05)


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


def _cells(r: dict) -> str:
    return (f"{r['micro'][5]:.1f} / {r['micro'][10]:.1f} / {r['micro'][15]:.1f} "
            f"({r['macro'][5]:.1f} / {r['macro'][10]:.1f} / {r['macro'][15]:.1f})")


def _knobs(c: Config, base: Config) -> str:
    changed = [f"{name}={getattr(c, name):g}" for name in (*GRID, "contest_margin") if getattr(c, name) != getattr(base, name)]
    return ", ".join(changed) or "as the reference"


def render(report: dict) -> str:
    sets = list(report["after"])
    ref = report["reference_config"]
    lines = [
        SECTION, "",
        "keyextract's ranking defaults chosen leave one set out (LOSO) over every dev set (`bench/defaults.py`), "
        "from per-candidate features cached by `bench/features.py` and rankings replayed with keyextract's own "
        "functions (`bench/replay.py`). For each set left out, the configuration of best mean micro F1@10 over the "
        f"other sets, among those that cost none of them more than {BOUND} points against the reference, is scored "
        "on the left-out set. The reference is the old weights with the new list rules (a list never shows one "
        "phrase twice, nor a phrase nested in, holding or overlapping a listed one), a product decision exempt from "
        "the bound; `before` is the previous default (commit 7208289) on its own candidates. Cells: micro F1@5 / @10 "
        "/ @15 (macro in brackets), %.",
        "", "```bash", report["command"], "```", "",
        f"- Date: {report['date'][:10]}; keyextract at commit `{report['commit']}` (features of "
        f"`{report['features_revision']}`); machine: {report['machine']}; {report['configs']} configurations; "
        f"run time {report['seconds'] / 60:.0f} min.",
        f"- Documents: " + ", ".join(f"{s} {n}" for s, n in report["documents"].items()) + " (papers: the first N, "
        "a fixed sample; every other set in full).",
        f"- Grid: " + "; ".join(f"{k} {', '.join(f'{v:g}' for v in vals)}" for k, vals in report["grid"].items()) + ".",
        f"- Reference: {ref}.",
        "", "### Every dev set, before and after", "",
        "| set | before (7208289) | reference: old weights, new list rules | after: the default chosen on all sets |",
        "| --- | --- | --- | --- |",
    ]
    for s in sets:
        before = report["before"].get(s)
        lines.append(f"| {s} | {_cells(before) if before else '-'} | {_cells(report['reference'][s])} | {_cells(report['after'][s])} |")
    lines += [
        "", f"The default chosen on all sets: {report['final_knobs']}.", "",
        "### Leave one set out", "",
        "| left-out set | chosen on the other sets | its score on the left-out set | reference on the left-out set |",
        "| --- | --- | --- | --- |",
    ]
    for s in sets:
        entry = report["loso"][s]
        lines.append(f"| {s} | {entry['knobs']} | {_cells(entry['scores'])} | {_cells(report['reference'][s])} |")
    lines += [
        "", "### One knob at a time from the reference (micro F1@10)", "",
        "| knob | value | " + " | ".join(sets) + " |",
        "| --- | ---: |" + " ---: |" * len(sets),
    ]
    for knob, rows in report["sweep"].items():
        for value, row in rows.items():
            lines.append(f"| {knob} | {value} | " + " | ".join(f"{row[s]:.1f}" for s in sets) + " |")
    lines += [
        "", "### What the list rules cost or gain (old weights, new candidates)", "",
        "| set | nested phrases kept (`keep_nested=True`) | the default list rules |",
        "| --- | --- | --- |",
    ]
    for s in sets:
        lines.append(f"| {s} | {_cells(report['keep_nested'][s])} | {_cells(report['reference'][s])} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=Path, required=True, help="folder of bench/features.py's cache (new code)")
    parser.add_argument("--before", type=Path, help="folder of the previous default's features (commit 7208289)")
    parser.add_argument("--sets", default=",".join(LANG_OF_SET))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    from quality import machine, revision

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    data = load(args.features, sets)
    started = time.perf_counter()
    reference = BASELINE.but(nested="block")
    configs = [c.but(contest_margin=m) for c in grid(reference) for m in CONTEST_MARGINS]
    out = run(data, configs, reference)
    results, final = out["results"], out["final"]
    sweep = {}
    for knob, values in {**GRID, "contest_margin": CONTEST_MARGINS}.items():
        sweep[knob] = {f"{v:g}": {s: results[reference.but(**{knob: v})][s]["micro"][10] for s in data} for v in values}
    before = evaluate(load(args.before, sets), BASELINE) if args.before else {}
    with open(args.features / f"{sets[0]}.pkl", "rb") as fh:
        features_revision = pickle.load(fh)["revision"]
    report = {
        "command": command_line("bench/defaults.py", argv), "date": dt.datetime.now().isoformat(),
        "commit": revision(), "machine": machine(), "features_revision": features_revision,
        "documents": {s: len(docs) for s, (docs, _, _) in data.items()},
        "grid": {**GRID, "contest_margin": CONTEST_MARGINS}, "configs": len(configs),
        "reference_config": repr(reference), "reference": results[reference], "after": results[final],
        "final": repr(final), "final_knobs": _knobs(final, reference),
        "loso": {s: {"knobs": _knobs(e["config"], reference), "config": repr(e["config"]), "scores": e["scores"]}
                 for s, e in out["loso"].items()},
        "sweep": sweep, "before": before, "keep_nested": evaluate(data, reference.but(nested="keep")),
        "seconds": time.perf_counter() - started,
    }
    emit(SECTION, render(report), BENCHMARKS_MD, not args.no_write, report, RESULTS_JSON)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A ranker learned from the dev sets' gold, leave one set out, against the hand-set weights.

    python bench/learned_ranker.py --features bench/.cache/features/new

For each dev set left out, a model is trained on every candidate of the other sets (label: the
candidate matches a gold keyphrase by the evaluation's normalisation; each set weighs the same)
and ranks the left-out set's candidates by its score, through the same contests and list rules
as keyextract (``ranking.contest_winners``, ``ranking.mmr``); the hand-set default, chosen
leave-one-set-out by ``bench/defaults.py``, ranks beside it. Models (scikit-learn):
logistic regression and gradient-boosted trees (``HistGradientBoostingClassifier``). Features,
cheap at run time: the cosine of the phrase alone and pooled in context to the document (also
as z-scores within the document), the position prior, log frequency, the attention z-score,
the spread of occurrences, the length in words (one-hot 1 / 2 / 3 / 4+), in-title (first
occurrence in a short first line), part-of-speech pattern (leading adjective, share of proper
nouns; Chinese: share of verbs, a leading verb) and specificity. The issue's rule: adopt it
only if it beats the hand-set weights on every set left out. Writes ``## Learned ranker`` of
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from benchmarks_md import command_line, emit
from defaults import TOP, load
from quality import LANG_OF_SET, machine, revision
from replay import BASELINE, Config, f1_table, rank_indices, units_of

from keyextract import ranking

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Learned ranker"
ADJECTIVES = {"JJ", "JJR", "JJS"}
PROPER = {"NNP", "NNPS"}
FEATURES = ("sim_isolated", "sim_context", "sim_isolated_z", "sim_context_z", "position", "log_frequency",
            "attention", "spread", "words_1", "words_2", "words_3", "words_4plus", "in_title", "adjective_first",
            "proper_share", "zh_verb_share", "zh_verb_first", "specificity")


def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    spread = x.std()
    return (x - x.mean()) / spread if spread > 1e-9 else np.zeros(len(x))


def features(d: dict) -> np.ndarray:
    """``(candidates, len(FEATURES))`` of one document's cached features."""
    n = len(d["phrases"])
    tokens = max(d["n_tokens"], 1)
    words = d["words"].astype(np.float64)
    tags = d["tags"]
    zh = d["lang"] == "zh"
    title = d["first"] < d["title_tokens"] if 0 < d["title_tokens"] <= 25 else np.zeros(n, bool)
    columns = {
        "sim_isolated": d["sim_isolated"], "sim_context": d["sim_context"],
        "sim_isolated_z": _z(d["sim_isolated"]), "sim_context_z": _z(d["sim_context"]),
        "position": 1.0 / (1.0 + d["first"] / 150.0),
        "log_frequency": np.log(np.maximum(d["count"], 1)),
        "attention": ranking.attention_prior(d["attention"], 1.0) if d["lang"] in ("en", "zh") else np.zeros(n),
        "spread": (d["last"] - d["first"]) / tokens,
        "words_1": words == 1, "words_2": words == 2, "words_3": words == 3, "words_4plus": words >= 4,
        "in_title": title,
        "adjective_first": [bool(t) and t[0] in ADJECTIVES for t in tags],
        "proper_share": [np.mean([x in PROPER for x in t]) if t else 0.0 for t in tags],
        "zh_verb_share": [np.mean([x.startswith("v") and x != "vn" for x in t]) if t and zh else 0.0 for t in tags],
        "zh_verb_first": [bool(t) and zh and t[0].startswith("v") for t in tags],
        "specificity": d["specificity"] - 1.0,
    }
    return np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in FEATURES])


def picks(d: dict, score: np.ndarray, top: int) -> list[int]:
    """Candidate indices of the top ``top`` by ``score``, through contests and the list rules."""
    idx = np.arange(len(score))
    winners = ranking.contest_winners(score, d["groups"])
    idx, score = idx[winners], score[winners]
    units = units_of(d)
    chosen = ranking.mmr(score, None, top, 0.0, [units[i] for i in idx], False, [d["spans"][i] for i in idx])
    return [int(idx[i]) for i, _ in chosen]


def model(kind: str):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=0)


def measure(data: dict, hand: Config) -> dict:
    matrices = {}
    for name, (docs, _, _) in data.items():
        present = [d for d in docs if d is not None]
        matrices[name] = (np.vstack([features(d) for d in present]), np.concatenate([d["is_gold"] for d in present]))
    out = {}
    for held, (docs, golds, lang) in data.items():
        others = [s for s in data if s != held]
        x = np.vstack([matrices[s][0] for s in others])
        y = np.concatenate([matrices[s][1] for s in others])
        weight = np.concatenate([np.full(len(matrices[s][1]), len(y) / (len(others) * len(matrices[s][1]))) for s in others])
        row = {"hand-set": f1_table([rank_indices(d, hand, max(TOP)) if d is not None else [] for d in docs], docs, golds, lang)}
        for kind in ("logistic", "boosted trees"):
            fitted = model(kind)
            fit_args = {"logisticregression__sample_weight": weight} if kind == "logistic" else {"sample_weight": weight}
            fitted.fit(x, y, **fit_args)
            picked = [picks(d, fitted.predict_proba(features(d))[:, 1], max(TOP)) if d is not None else [] for d in docs]
            row[kind] = f1_table(picked, docs, golds, lang)
        out[held] = row
        print(f"  {held}: " + "; ".join(f"{k} {v['micro'][10]:.1f}" for k, v in row.items()), file=sys.stderr)
    return out


def render(report: dict) -> str:
    lines = [
        SECTION, "",
        "A ranker learned from the dev sets' gold, leave one set out (`bench/learned_ranker.py`): trained on every "
        "candidate of the other sets (each set weighing the same), ranking the left-out set's candidates through the "
        "same contests and list rules; beside it the hand-set default. Micro F1@5/10/15, macro F1@10 in brackets.",
        "", "```bash", report["command"], "```", "",
        f"- Date: {report['date'][:10]}; keyextract at commit `{report['commit']}`; machine: {report['machine']}; "
        f"features of {report['features']}.",
        "",
        "| left-out set | hand-set default | logistic regression | boosted trees |",
        "| --- | --- | --- | --- |",
    ]
    for held, row in report["sets"].items():
        cells = [f"{r['micro'][5]:.1f} / {r['micro'][10]:.1f} / {r['micro'][15]:.1f} ({r['macro'][10]:.1f})" for r in row.values()]
        lines.append(f"| {held} | " + " | ".join(cells) + " |")
    beats = {k: all(row[k]["micro"][10] > row["hand-set"]["micro"][10] for row in report["sets"].values())
             for k in ("logistic", "boosted trees")}
    lines += ["", "Beats the hand-set default at micro F1@10 on every left-out set: " + "; ".join(
        f"{k}: {'yes' if v else 'no'}" for k, v in beats.items()) + ". "
        + ("Not adopted." if not any(beats.values()) else "Adopted where yes.")]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=Path, required=True, help="folder of bench/features.py's cache")
    parser.add_argument("--sets", default=",".join(LANG_OF_SET))
    parser.add_argument("--hand", default="", help="the hand-set default as key=value,... over replay.Config "
                        "(default: bench/defaults.py's choice, read from bench/results/defaults.json)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    data = load(args.features, [s.strip() for s in args.sets.split(",") if s.strip()])
    hand = BASELINE.but(nested="block")
    if args.hand:
        hand = hand.but(**{k: (float(v) if k != "mode" else v) for k, v in (kv.split("=") for kv in args.hand.split(","))})
    started = time.perf_counter()
    report = {
        "command": command_line("bench/learned_ranker.py", argv), "date": dt.datetime.now().isoformat(),
        "commit": revision(), "machine": machine(), "features": str(args.features), "hand": repr(hand),
        "sets": measure(data, hand), "seconds": time.perf_counter() - started,
    }
    emit(SECTION, render(report), ROOT / "BENCHMARKS.md", not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())

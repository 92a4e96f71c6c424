"""Fit the confidence models (``keyextract.calibration``) and report how they hold on unseen sets.

    python bench/calibrate.py                  # fit, write data/calibration.json and BENCHMARKS.md
    python bench/calibrate.py --no-write       # print the tables only

Training rows: every dev set's ranked lists, the top ``DEPTH`` keyphrases of each document,
labelled 1 when the keyphrase matches a gold one (``keyextract.evaluation.normalize_phrase``).

- ``keyphrases``: the lists of the default configuration replayed from the cached per-candidate
  features (``bench/features.py``, ``bench/replay.py``): all eight dev sets, Chinese (CSL) and
  Portuguese included;
- ``vocabulary``: the lists ``bench/vocabulary.py`` wrote (``bench/.cache/calibration``): KDD,
  WWW, Inspec and CSL tagged with the union of their gold keyphrases.

Model: logistic regression over ``calibration.FEATURES`` (standardised; scikit-learn, L2, C=1),
every set weighted alike whatever its size, then isotonic regression of its output on the same
rows. Reliability: for each set, a fit on the other sets only (leave one set out), scored on
the set: expected calibration error (ECE: the mean over ten equal-width confidence bins of
|observed precision - mean confidence|, weighted by the bin's rows) and observed precision per
bin. The model shipped is the fit on all sets.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from defaults import load  # noqa: E402
from quality import LANG_OF_SET, ROOT  # noqa: E402
from replay import Config, _normalised, rank_with_parts  # noqa: E402

from keyextract.calibration import FEATURES, features, lang_group, predict  # noqa: E402

FEATURE_CACHE = ROOT / "bench" / ".cache" / "features" / "7fb8abb"
VOCAB_CACHE = ROOT / "bench" / ".cache" / "calibration"
OUT = ROOT / "data" / "calibration.json"
DEPTH = 30
BINS = np.linspace(0.0, 1.0, 11)
SECTION = "## Confidence calibration"
DEFAULT = Config(nested="block", overlap=True)


def keyphrase_rows() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per set: features ``(rows, len(FEATURES))`` and labels of the default's top ``DEPTH``."""
    data = load(FEATURE_CACHE, list(LANG_OF_SET))
    out = {}
    for name, (docs, golds, lang) in data.items():
        xs, ys = [], []
        for d in docs:
            if d is None:
                continue
            picked, parts = rank_with_parts(d, DEFAULT, DEPTH)
            if not picked:
                continue
            norm, gold = _normalised(d)
            xs.append(features(parts, np.arange(1, len(picked) + 1), lang_group(lang if lang in ("en", "zh") else None)))
            ys.append(np.array([norm[i] in gold for i in picked], dtype=float))
        out[name] = (np.concatenate(xs), np.concatenate(ys))
    return out


def vocabulary_rows() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for path in sorted(VOCAB_CACHE.glob("vocabulary_*.pkl")):
        with open(path, "rb") as fh:
            cached = pickle.load(fh)
        xs, ys = [], []
        for doc in cached["documents"]:
            if not doc["parts"]:
                continue
            names = doc["parts"][0].keys()
            parts = {k: np.array([p[k] for p in doc["parts"]]) for k in names}
            xs.append(features(parts, np.arange(1, len(doc["parts"]) + 1), lang_group(cached["lang"])))
            ys.append(np.array(doc["gold"], dtype=float))
        out[cached["set"]] = (np.concatenate(xs), np.concatenate(ys))
    return out


def fit(rows: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """The model (as ``calibration.predict`` reads it) fitted on every set of ``rows``."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([r[0] for r in rows.values()])
    y = np.concatenate([r[1] for r in rows.values()])
    w = np.concatenate([np.full(len(r[1]), 1.0 / len(r[1])) for r in rows.values()])
    w *= len(w) / w.sum()
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    logistic = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y, sample_weight=w)
    model = {"features": list(FEATURES), "mean": mean.tolist(), "scale": scale.tolist(),
             "coef": logistic.coef_[0].tolist(), "intercept": float(logistic.intercept_[0])}
    raw = predict(model, x)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y, sample_weight=w)
    model["isotonic"] = {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
    return model


def reliability(p: np.ndarray, y: np.ndarray) -> dict:
    """ECE and per-bin (mean confidence, observed precision, rows)."""
    which = np.clip(np.digitize(p, BINS[1:-1]), 0, len(BINS) - 2)
    bins, ece = [], 0.0
    for b in range(len(BINS) - 1):
        inside = which == b
        n = int(inside.sum())
        if n:
            ece += n / len(p) * abs(y[inside].mean() - p[inside].mean())
        bins.append({"n": n, "confidence": float(p[inside].mean()) if n else None,
                     "precision": float(y[inside].mean()) if n else None})
    return {"ece": ece, "rows": len(p), "base_rate": float(y.mean()), "bins": bins}


def leave_one_out(rows: dict) -> dict:
    out = {}
    for held in rows:
        model = fit({k: v for k, v in rows.items() if k != held})
        x, y = rows[held]
        out[held] = reliability(predict(model, x), y)
    return out


def table(title: str, results: dict) -> list[str]:
    head = "| set | rows | gold share | ECE | " + " | ".join(f"{BINS[b]:.1f}-{BINS[b + 1]:.1f}" for b in range(10)) + " |"
    lines = [title, "", head, "|---|---:|---:|---:|" + "---:|" * 10]
    for name, r in results.items():
        cells = [f"{b['precision']:.2f} ({b['n']})" if b["n"] else "" for b in r["bins"]]
        lines.append(f"| {name} | {r['rows']} | {r['base_rate']:.2f} | {r['ece']:.3f} | " + " | ".join(cells) + " |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    commit = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    kinds = {"keyphrases": keyphrase_rows(), "vocabulary": vocabulary_rows()}
    models, lines = {}, [SECTION, "", f"Command: `python bench/calibrate.py` (commit {commit}). Each row: a fit on the "
                         "other sets only, scored on the set (leave one set out); cells: observed precision in each "
                         "confidence bin (rows in brackets). Keyphrases: the default's top 30 per document, replayed "
                         f"from the features cached at {FEATURE_CACHE.name}; vocabulary: the top 30 tags of "
                         "`bench/vocabulary.py`'s run. The model shipped (`data/calibration.json`) is fitted on all sets.", ""]
    for kind, rows in kinds.items():
        if len(rows) < 2:
            print(f"{kind}: rows of {len(rows)} set(s); leave one set out needs two", file=sys.stderr)
            continue
        models[kind] = fit(rows)
        models[kind]["fitted_on"] = {k: int(len(v[1])) for k, v in rows.items()}
        models[kind]["commit"] = commit
        lines += table(f"{kind.capitalize()} ({'with' if kind == 'vocabulary' else 'without'} a vocabulary):",
                       leave_one_out(rows))
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        OUT.write_text(json.dumps(models, indent=1) + "\n", encoding="utf-8")
        from vocabulary import write_section

        write_section(text)


if __name__ == "__main__":
    main()

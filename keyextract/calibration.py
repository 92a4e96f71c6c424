"""Confidences: a keyphrase's score made a probability that a threshold can trust.

A score is a sum of parts (``Keyword.parts``) with no fixed range: it ranks the candidates of
one document, but 0.8 means different things in two documents. ``confidence`` maps a
keyphrase's parts, its rank in the list and its score's and cosine's distances to the document's best to the
share of keyphrases with those features that annotators chose, on the dev sets: a logistic
regression (Platt 1999; scikit-learn's ``LogisticRegression``) over standardised features,
followed by isotonic regression of its output (Zadrozny & Elkan 2002; scikit-learn's
``IsotonicRegression``) to straighten what the logistic shape leaves. The fitted coefficients
and the isotonic steps ship in ``data/calibration.json``, written by ``bench/calibrate.py``:
one model for keyphrases of the text, one for tags of a vocabulary.

The confidence is what the dev sets' annotators would have said. Where gold lists are long
(news, 500N-KPCrowd: some 40 keyphrases a story) a keyphrase is more often "right" than where
they are short (KDD abstracts: 4); BENCHMARKS.md shows how a fit that never saw a set holds on
it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

from ._data import data_path

#: The models: ``"keyphrases"`` (phrases of the text) and ``"vocabulary"`` (tags).
KINDS = ("keyphrases", "vocabulary")
#: Parts of a score (missing parts count 0): all make the score, and all but ``similarity``
#: enter the features as they are. The cosine's scale is the encoder's (all-MiniLM-L6-v2's
#: cosines spread over [0, 0.7], multilingual-e5-small's crowd into [0.7, 0.9]), so it enters
#: only as its distance to the best of the document (``similarity_gap``), as the score does
#: (``gap``): with the raw cosine and score, a fit on English sets (MiniLM) gave every Chinese
#: tag (e5) a confidence near 1 (ECE 0.50 on CSL left out).
PARTS = ("similarity", "position", "frequency", "attention", "specificity", "length", "absent", "inside")
#: Every feature, in the order the coefficients are stored.
FEATURES = ("gap", "similarity_gap", *PARTS[1:], "log_rank", "zh", "untagged")


def features(parts: dict[str, np.ndarray], ranks: np.ndarray, lang_group: str) -> np.ndarray:
    """``(n, len(FEATURES))`` features of ``n`` keyphrases of one document.

    ``parts``: each part's ``(n,)`` values (``Keyword.parts``; absent parts are 0); ``ranks``:
    ``(n,)`` 1 for the best; ``lang_group``: ``"en"``, ``"zh"`` or ``"untagged"``. ``gap`` is
    the score (the sum of ``PARTS``) minus the best score among the ``n``, ``similarity_gap``
    the cosine minus the best cosine among them.
    """
    n = len(ranks)
    columns = {name: np.asarray(parts.get(name, np.zeros(n)), dtype=np.float64) for name in PARTS}
    score = sum(columns.values()) if n else np.zeros(0)
    columns["gap"] = score - (score.max() if n else 0.0)
    columns["similarity_gap"] = columns["similarity"] - (columns["similarity"].max() if n else 0.0)
    columns["log_rank"] = np.log(np.asarray(ranks, dtype=np.float64))
    columns["zh"] = np.full(n, float(lang_group == "zh"))
    columns["untagged"] = np.full(n, float(lang_group == "untagged"))
    return np.stack([columns[name] for name in FEATURES], axis=1) if n else np.zeros((0, len(FEATURES)))


@cache
def load_models(path: str | None = None) -> dict:
    """The shipped models (``data/calibration.json``), or those of ``path``."""
    source = Path(path) if path else data_path("calibration.json")
    return json.loads(Path(source).read_text(encoding="utf-8"))


def predict(model: dict, x: np.ndarray) -> np.ndarray:
    """``(n,)`` confidences in [0, 1] of feature rows ``x`` ``(n, len(FEATURES))`` under
    ``model`` (a dict as ``bench/calibrate.py`` writes: ``mean``, ``scale``, ``coef``,
    ``intercept``, and ``isotonic`` ``{"x": [...], "y": [...]}``)."""
    if len(x) == 0:
        return np.zeros(0)
    z = (x - np.asarray(model["mean"])) / np.asarray(model["scale"])
    logit = z @ np.asarray(model["coef"]) + float(model["intercept"])
    p = 1.0 / (1.0 + np.exp(-np.clip(logit, -40, 40)))
    steps = model.get("isotonic")
    if steps:
        p = np.interp(p, steps["x"], steps["y"])
    return np.clip(p, 0.0, 1.0)


def confidences(parts: dict[str, np.ndarray], ranks: np.ndarray, lang_group: str, kind: str = "keyphrases") -> np.ndarray:
    """``(n,)`` confidences of ``n`` keyphrases of one document (``features``), rounded to 4
    decimals, under the shipped model of ``kind`` (one of ``KINDS``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return np.round(predict(load_models()[kind], features(parts, ranks, lang_group)), 4)


def lang_group(handled: str | None) -> str:
    """``"en"``, ``"zh"`` or ``"untagged"`` for a handled language (``languages.handled_language``)."""
    return handled if handled in ("en", "zh") else "untagged"

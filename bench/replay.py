"""Replaying keyextract's ranking offline from cached per-candidate features (``bench/features.py``).

``rank(doc, config, top)`` gives the keyphrases that ``KeywordExtractor.extract_batch`` returns for
the document under ``config`` (the extractor's parameters and a few internal ones), calling the
same functions of ``keyextract.ranking``; ``scores(docs, config)`` scores a set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from keyextract import ranking
from keyextract.candidates import noun_lemma
from keyextract.ranking import nesting_units
from keyextract.evaluation import normalize_phrase


@dataclass(frozen=True)
class Config:
    """What the replay varies. Defaults: keyextract's defaults before this round."""

    mode: str = "isolated"  # "isolated" | "context" | "mapped" (similarity from ``sim_mapped``)
    shortlist: bool = True  # isolated mode: only the 3 * top + 5 best in context encoded alone
    position_weight: float = 0.3
    position_scale: float = 150.0
    frequency_weight: float = 0.05
    attention_weight: float = 0.2
    specificity_weight: float = ranking.SPECIFICITY_WEIGHT
    length_weight: float = 0.0  # taken off per word beyond the first
    inside_weight: float = 0.0  # taken off times the share of occurrences inside a longer candidate's
    contest_margin: float = 0.0  # in contests only: taken off per word beyond the first
    max_words: int | None = None  # drop candidates longer than this (None: as extracted)
    nested: str = "penalty"  # "penalty": the old rule (Chinese/untagged -0.02); "block": never nested
    overlap: bool = True  # with "block": also block a candidate whose occurrence overlaps a pick's

    def but(self, **changes) -> Config:
        return replace(self, **changes)


BASELINE = Config()


def parts(d: dict, c: Config, similarity: np.ndarray) -> dict[str, np.ndarray]:
    """The relevance parts of every candidate of ``d`` with ``similarity`` as the cosine part."""
    n = len(d["phrases"])
    out = {
        "similarity": similarity.astype(np.float64),
        "position": c.position_weight / (1.0 + d["first"].astype(np.float64) / c.position_scale),
        "frequency": ranking.frequency_prior(d["count"], c.frequency_weight),
        "attention": np.zeros(n),
        "specificity": c.specificity_weight * (d["specificity"] - 1.0),
        "length": np.zeros(n),
    }
    if c.length_weight:
        out["words"] = -c.length_weight * (d["words"].astype(np.float64) - 1.0)
    if c.inside_weight:
        out["inside"] = -c.inside_weight * d["inside"]
    if d["lang"] in ("en", "zh"):
        out["attention"] = ranking.attention_prior(d["attention"], c.attention_weight)
    else:
        lengths = np.array([len(k.split()) for k in d["keys"]])
        offsets = np.empty(n)
        for length in np.unique(lengths):
            same = lengths == length
            offsets[same] = -similarity[same].astype(np.float64).mean()
        out["length"] = offsets
    return out


def rank(d: dict | None, c: Config, top: int) -> list[str]:
    """The top ``top`` phrases of document features ``d`` under ``c``."""
    return [d["phrases"][i] for i in rank_indices(d, c, top)] if d is not None else []


def rank_indices(d: dict, c: Config, top: int) -> list[int]:
    """Indices (into ``d``'s candidates) of the top ``top`` under ``c``."""
    return rank_with_parts(d, c, top)[0]


def rank_with_parts(d: dict, c: Config, top: int) -> tuple[list[int], dict[str, np.ndarray]]:
    """``rank_indices`` and the score parts of the picks, ``(len(picks),)`` each."""
    tagged = d["lang"] in ("en", "zh")
    keep = np.ones(len(d["phrases"]), bool)
    if c.mode == "context":
        keep &= d["found"]
    if c.max_words is not None:
        keep &= d["words"] <= c.max_words
    idx = np.flatnonzero(keep)
    if c.mode == "context":
        p = parts(_take(d, idx), c, d["sim_context"][idx])
    elif c.mode == "mapped":
        p = parts(_take(d, idx), c, d["sim_mapped"][idx])
    elif tagged and c.shortlist:
        p = parts(_take(d, idx), c, d["sim_context"][idx])
        take = ranking.shortlist(sum(p.values()), 3 * top + 5)
        idx, p = idx[take], {k: v[take] for k, v in p.items()}
        p["similarity"] = d["sim_isolated"][idx].astype(np.float64)
    else:
        p = parts(_take(d, idx), c, d["sim_isolated"][idx])
    relevance = sum(p.values())
    judged = relevance - c.contest_margin * (d["words"][idx] - 1) if c.contest_margin else relevance
    winners = ranking.contest_winners(judged, [d["groups"][i] for i in idx])
    if "free" in d:
        winners |= d["free"][idx]
    idx, relevance = idx[winners], relevance[winners]
    p = {k: v[winners] for k, v in p.items()}
    if c.nested == "penalty":
        if d["lang"] == "en":
            rows = np.lexsort((np.arange(len(idx)), -relevance))[:top]
        else:
            rows = np.array(_old_nested_penalty(relevance, [d["spans"][i] for i in idx], top), dtype=int)
    elif c.nested in ("block", "keep"):
        units = units_of(d)
        spans = [d["spans"][i] for i in idx] if c.overlap else None
        picks = ranking.mmr(relevance, None, top, 0.0, [units[i] for i in idx], c.nested == "keep", spans)
        rows = np.array([i for i, _ in picks], dtype=int)
    else:
        raise ValueError(f"unknown nested policy {c.nested!r}")
    return [int(idx[i]) for i in rows], {k: v[rows] for k, v in p.items()}


def _take(d: dict, idx: np.ndarray) -> dict:
    return {
        "lang": d["lang"], "phrases": [d["phrases"][i] for i in idx], "keys": [d["keys"][i] for i in idx],
        "words": d["words"][idx], "inside": inside_of(d)[idx],
        "first": d["first"][idx], "count": d["count"][idx], "attention": d["attention"][idx],
        "specificity": d["specificity"][idx],
    }


def inside_of(d: dict) -> np.ndarray:
    """Per candidate, the share of its occurrences that lie strictly inside an occurrence of
    another candidate (cached in ``d``): 1 for a piece never seen on its own."""
    if "_inside" not in d:
        owner = np.concatenate([np.full(len(sp), k) for k, sp in enumerate(d["spans"])]) if d["spans"] else np.zeros(0, int)
        spans = np.concatenate(d["spans"]) if d["spans"] else np.zeros((0, 2), int)
        order = np.lexsort((-spans[:, 1], spans[:, 0])) if len(spans) else np.zeros(0, int)
        inside = np.zeros(len(spans), bool)
        reach, reach_start = -1, -1
        for o in order:
            s0, e0 = spans[o]
            if e0 <= reach and (s0, e0) != (reach_start, reach) :
                inside[o] = True
            if e0 > reach:
                reach, reach_start = e0, s0
        counts = np.bincount(owner, minlength=len(d["spans"])).astype(float)
        d["_inside"] = np.bincount(owner, weights=inside, minlength=len(d["spans"])) / np.maximum(counts, 1)
    return d["_inside"]


def units_of(d: dict) -> list[tuple[str, ...]]:
    """``ranking.nesting_units`` of each candidate's key, as the extractor computes them (cached in ``d``)."""
    if "_units" not in d:
        word_form = noun_lemma if d["lang"] in ("en", "zh") else None
        d["_units"] = [nesting_units(k, word_form) for k in d["keys"]]
    return d["_units"]


def _normalised(d: dict) -> tuple[list[str], set[str]]:
    """The evaluation's normal form of each candidate, and the gold set (cached in ``d``)."""
    if "_norm" not in d:
        d["_norm"] = [normalize_phrase(p, d["lang"]) for p in d["phrases"]]
        d["_gold"] = {g for g in (normalize_phrase(x, d["lang"]) for x in d["gold"]) if g}
    return d["_norm"], d["_gold"]


def scores(docs: list[dict | None], golds: list[list[str]], lang: str, c: Config, top=(5, 10, 15)) -> dict:
    """Micro and macro F1 (%) at each k of ``top`` on a set, as ``keyextract.evaluation.score``
    computes them (predicted duplicates after normalisation count once; documents without gold
    skipped): ``{"micro": {k: f1}, "macro": {k: f1}}``."""
    return f1_table([rank_indices(d, c, max(top)) if d is not None else [] for d in docs], docs, golds, lang, top)


def f1_table(picked: list[list[int]], docs, golds, lang: str, top=(5, 10, 15)) -> dict:
    """``scores`` for candidate indices already picked per document."""
    acc = {k: [0, 0, 0, 0.0] for k in top}  # hits, predicted, gold, sum of F1
    counted = 0
    for d, gold, idx in zip(docs, golds, picked):
        if d is None:
            gold_set = {g for g in (normalize_phrase(x, lang) for x in gold) if g}
            norms: list[str] = []
        else:
            norms, gold_set = _normalised(d)
        if not gold_set:
            continue
        counted += 1
        ranked = list(dict.fromkeys(n for n in (norms[i] for i in idx) if n))
        for k in top:
            hits = sum(1 for p in ranked[:k] if p in gold_set)
            predicted = len(ranked[:k])
            a = acc[k]
            a[0] += hits
            a[1] += predicted
            a[2] += len(gold_set)
            p, r = (hits / predicted if predicted else 0.0), hits / len(gold_set)
            a[3] += 2 * p * r / (p + r) if p + r else 0.0
    out = {"micro": {}, "macro": {}}
    for k, (hits, predicted, gold, f1_sum) in acc.items():
        p, r = (hits / predicted if predicted else 0.0), (hits / gold if gold else 0.0)
        out["micro"][k] = 100 * (2 * p * r / (p + r) if p + r else 0.0)
        out["macro"][k] = 100 * f1_sum / max(counted, 1)
    return out


# -- the rule before this round, to replay the old default -------------------------------------

OLD_NESTED_PENALTY = 0.02


def _old_nested_penalty(relevance: np.ndarray, spans: list[np.ndarray], top: int) -> list[int]:
    """Greedy picks by relevance minus 0.02 for a candidate with an occurrence inside (or
    holding) an occurrence of an earlier pick: keyextract's rule for Chinese and untagged
    phrases before nesting was blocked (commit 4fc9573, ``ranking._penalize_nested``)."""
    n = len(relevance)
    nested = np.zeros((n, n), bool)
    order = sorted((int(s), -int(e), j) for j, sp in enumerate(spans) for s, e in sp)
    open_spans: list[tuple[int, int]] = []
    for start, neg_end, j in order:
        end = -neg_end
        open_spans = [(e, i) for e, i in open_spans if e > start]
        for e, i in open_spans:
            if e >= end and i != j:
                nested[i, j] = nested[j, i] = True
        open_spans.append((end, j))
    penalty = np.zeros(n)
    remaining = np.ones(n, bool)
    picks: list[int] = []
    while len(picks) < min(top, n):
        score = np.where(remaining, relevance - penalty, -np.inf)
        pick = int(np.argmax(score))
        picks.append(pick)
        remaining[pick] = False
        penalty[nested[pick]] = OLD_NESTED_PENALTY
    return picks

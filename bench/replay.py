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
from keyextract.evaluation import score


@dataclass(frozen=True)
class Config:
    """What the replay varies. Defaults: keyextract's defaults before this round."""

    mode: str = "isolated"  # "isolated" | "context"
    shortlist: bool = True  # isolated mode: only the 3 * top + 5 best in context encoded alone
    position_weight: float = 0.3
    position_scale: float = 150.0
    frequency_weight: float = 0.05
    attention_weight: float = 0.2
    specificity_weight: float = ranking.SPECIFICITY_WEIGHT
    max_words: int | None = None  # drop candidates longer than this (None: as extracted)
    nested: str = "penalty"  # "penalty": the old rule (Chinese/untagged -0.02); "block": never nested

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
    if d is None:
        return []
    tagged = d["lang"] in ("en", "zh")
    keep = np.ones(len(d["phrases"]), bool)
    if c.mode == "context":
        keep &= d["found"]
    if c.max_words is not None:
        keep &= d["words"] <= c.max_words
    idx = np.flatnonzero(keep)
    if c.mode == "context":
        p = parts(_take(d, idx), c, d["sim_context"][idx])
    elif tagged and c.shortlist:
        p = parts(_take(d, idx), c, d["sim_context"][idx])
        take = ranking.shortlist(sum(p.values()), 3 * top + 5)
        idx, p = idx[take], {k: v[take] for k, v in p.items()}
        p["similarity"] = d["sim_isolated"][idx].astype(np.float64)
    else:
        p = parts(_take(d, idx), c, d["sim_isolated"][idx])
    relevance = sum(p.values())
    winners = ranking.contest_winners(relevance, [d["groups"][i] for i in idx])
    idx, relevance = idx[winners], relevance[winners]
    if c.nested == "penalty":
        if d["lang"] == "en":
            order = np.lexsort((np.arange(len(idx)), -relevance))[:top]
            return [d["phrases"][idx[i]] for i in order]
        return [d["phrases"][idx[i]] for i in _old_nested_penalty(relevance, [d["spans"][i] for i in idx], top)]
    if c.nested in ("block", "keep"):
        word_form = noun_lemma if d["lang"] in ("en", "zh") else None
        units = [nesting_units(d["keys"][i], word_form) for i in idx]
        picks = ranking.mmr(relevance, None, top, 0.0, units, keep_nested=c.nested == "keep")
        return [d["phrases"][idx[i]] for i, _ in picks]
    raise ValueError(f"unknown nested policy {c.nested!r}")


def _take(d: dict, idx: np.ndarray) -> dict:
    return {
        "lang": d["lang"], "phrases": [d["phrases"][i] for i in idx], "keys": [d["keys"][i] for i in idx],
        "first": d["first"][idx], "count": d["count"][idx], "attention": d["attention"][idx],
        "specificity": d["specificity"][idx],
    }


def scores(docs: list[dict | None], golds: list[list[str]], lang: str, c: Config, top=(5, 10, 15)) -> dict:
    """Micro and macro F1 (%) at each k of ``top`` on a set: ``{"micro": {k: f1}, "macro": {...}}``."""
    predictions = [rank(d, c, max(top)) for d in docs]
    result = score(predictions, golds, [lang] * len(docs), top=top)
    return {"micro": {s.k: 100 * s.f1 for s in result.micro}, "macro": {s.k: 100 * s.f1 for s in result.macro}}


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

"""Ranking: cosine similarity to the document plus priors, diversified with MMR.

A candidate's relevance is its cosine similarity to the document plus priors: an early first
occurrence (title, abstract, introduction; cf. PositionRank, Florescu & Caragea 2017),
frequency, and the attention the encoder itself pays to the phrase's tokens in its pass over
the document (SAMRank, Kang & Shin 2023). Of the contenders for one English noun phrase (the
phrase and its sub-spans, ``Candidate.groups``) only the most relevant is kept
(``contest_winners``). MMR (Carbonell & Goldstein, 1998) then picks, one at a time, the
candidate that maximises ``(1 - diversity) * relevance - diversity * max sim(candidate,
already picked)``. A list never shows one phrase twice (two surface forms of one phrase), nor,
by default, a phrase nested in another it shows or overlapping one in the text
(``nesting_units``, ``mmr``): of a phrase and its parts or other cuts (半导体产业, 半导体,
台湾半导体; incremental garbage collection, garbage collection) only the most relevant is
listed.

For candidates that are plain n-grams (languages without a tagger) the cosine is first centred
by phrase length (``length_offsets``): a mean-pooled phrase vector of more words lies closer to
the document's whatever the words, so each length competes against its own average.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

import numpy as np

# The position prior halves for a phrase first seen this many tokens into the document:
# about an abstract's length, so title and abstract phrases of a paper count most.
POSITION_SCALE = 150.0
# Weight of the specificity prior (``Candidate.specificity``, jieba's IDF of a Chinese phrase's
# most common word over the median IDF): on CSL it lifted F1@5 by 0.7 points (weights 0.05 to
# 0.1 alike; 0.2 lost at F1@5). English candidates all have specificity 1: no effect there.
SPECIFICITY_WEIGHT = 0.05
# Weight of the attention prior (``attention_prior``): a z-score, so the weight is in standard
# deviations of the document's candidates whatever the encoder's attention scale. Measured on
# the English dev sets with all-MiniLM-L6-v2 (micro F1@10, with contending sub-spans): 0.1, 0.2
# and 0.3 gave Inspec 31.9/32.4/32.7, KDD 18.1/18.4/18.0, WWW 15.3/15.1/14.9, 500N 12.1/12.2/12.2.
ATTENTION_WEIGHT = 0.2


# Rows of candidate vectors normalised at a time by ``cosines``: bounds its temporary copy.
COSINE_ROWS = 4096


def cosines(vectors: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``(n,)`` float64 cosine of each of ``vectors`` ``(n, dim)`` to ``vector`` ``(dim,)`` (0
    for a zero vector): scikit-learn's ``cosine_similarity``, taken ``COSINE_ROWS`` rows at a
    time so that its normalised copy of the rows never holds all of them (a long document has
    100,000 candidates and more: 150 MB of float32 vectors with 384 dimensions).
    """
    from sklearn.metrics.pairwise import cosine_similarity  # deferred: importing sklearn takes ~1 s

    out = np.zeros(len(vectors))
    for i in range(0, len(vectors), COSINE_ROWS):
        out[i : i + COSINE_ROWS] = cosine_similarity(vectors[i : i + COSINE_ROWS], vector.reshape(1, -1))[:, 0]
    return out


def position_prior(first_tokens: np.ndarray, weight: float) -> np.ndarray:
    """``weight / (1 + first/150)`` per candidate, ``first`` the index of its first token in
    the document (``Candidate.first_token``). Shapes ``(n,)`` -> ``(n,)``."""
    return weight / (1.0 + np.asarray(first_tokens, dtype=np.float64) / POSITION_SCALE)


def frequency_prior(counts: np.ndarray, weight: float) -> np.ndarray:
    """``weight * log(count)`` per candidate, ``count`` its occurrences (at least 1 counted).
    Shapes ``(n,)`` -> ``(n,)``."""
    return weight * np.log(np.maximum(np.asarray(counts, dtype=np.float64), 1.0))


def attention_prior(attention: np.ndarray, weight: float = ATTENTION_WEIGHT) -> np.ndarray:
    """``weight * z(log attention)`` per candidate: the z-score within the document of the log
    of the last-layer attention its tokens receive, summed over its occurrences
    (``TokenVectors.pooled_attention``, or ``encoder.span_attention`` of token outputs;
    SAMRank's global attention, Kang & Shin 2023). Shapes ``(n,)`` -> ``(n,)``; all zeros when the document has fewer than two candidates, no attention (an
    encoder without a probe-able attention layer) or equal values.

    Summing over tokens and occurrences favours phrases the encoder attends to often and long;
    the log keeps one very frequent phrase from swamping the rest.
    """
    attention = np.asarray(attention, dtype=np.float64)
    if len(attention) < 2 or not attention.any():
        return np.zeros(len(attention))
    logs = np.log(attention + 1e-6)
    spread = logs.std()
    if spread < 1e-9:
        return np.zeros(len(attention))
    return weight * (logs - logs.mean()) / spread


def contest_winners(relevance: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """``(n,)`` bool: the candidates still in the ranking once each contest is decided.

    ``groups[k]`` lists the contests (English noun-phrase occurrences) candidate ``k`` enters;
    each contest keeps its most relevant contender (ties to the lower index), so ``deep neural
    network training`` yields the one of its sub-spans that fits the document best. A candidate
    that wins any contest stays; one that enters none (Chinese, untagged) always stays.
    """
    n = len(relevance)
    if n == 0:
        return np.zeros(0, bool)
    lengths = np.array([len(g) for g in groups], dtype=np.int64)
    keep = lengths == 0
    if lengths.any():
        owner = np.repeat(np.arange(n), lengths)
        contests = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
        # by contest, then most relevant, then lowest index: each contest's first row wins
        order = np.lexsort((owner, -np.asarray(relevance, dtype=np.float64)[owner], contests))
        ranked = contests[order]
        first = np.ones(len(order), bool)
        first[1:] = ranked[1:] != ranked[:-1]
        keep[owner[order[first]]] = True
    return keep


def shortlist(relevance: np.ndarray, size: int) -> np.ndarray:
    """Indices of the ``size`` most relevant candidates, in their original (document) order;
    ties go to the lower index. All indices when there are not more than ``size``. Shape
    ``(n,)`` -> ``(min(n, size),)``.

    The extractor's isolated mode encodes alone only these, ranked first by their in-context
    relevance (the phrase vector pooled from the document pass): a cheap score that finds the
    candidates able to reach the top, so that the costly per-phrase passes go to them alone.
    """
    relevance = np.asarray(relevance, dtype=np.float64)
    if len(relevance) <= size:
        return np.arange(len(relevance))
    return np.sort(np.lexsort((np.arange(len(relevance)), -relevance))[:size])


def specificity_prior(specificity: np.ndarray) -> np.ndarray:
    """``SPECIFICITY_WEIGHT * (specificity - 1)`` per candidate: 0 for a candidate of
    specificity 1 (every English phrase), negative for a Chinese phrase holding a common word,
    positive for one whose words are all rarer than jieba's median. The specificity (``Candidate.specificity``) comes
    from jieba's IDF table, the statistic of ``jieba.analyse.extract_tags``."""
    return SPECIFICITY_WEIGHT * (np.asarray(specificity, dtype=np.float64) - 1.0)


def length_offsets(doc_vector: np.ndarray, candidate_vectors: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per candidate, minus the mean cosine to the document of the candidates of its length.

    Added to the relevance (cosine + priors), it centres each length's cosines on zero within
    the document. Shapes: ``(dim,)``, ``(n, dim)``, ``(n,)`` -> ``(n,)``. On 110-PT-BN-KP with
    multilingual-e5-small it lifted micro F1@5/10/15 of untagged n-grams from 15.7/23.6/26.9 to
    17.9/26.2/29.0; on 100 English 500N-KPCrowd stories, with such n-grams, F1@10 from 12.0 to 13.2.
    """
    if len(candidate_vectors) == 0:
        return np.zeros(0)
    cosine = cosines(candidate_vectors, doc_vector)
    lengths = np.asarray(lengths)
    offsets = np.empty(len(cosine))
    for length in np.unique(lengths):
        same = lengths == length
        offsets[same] = -cosine[same].mean()
    return offsets


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_UNIT_RE = re.compile(f"[{_HAN}]|[^\\s{_HAN}]+")


def nesting_units(key: str, word_form: Callable[[str], str] | None = None) -> tuple[str, ...]:
    """The units in which one phrase is found inside another: each Chinese character, and each
    other run of non-space characters (a word, ``C++``, ``time-based``), put in ``word_form``
    (a lemmatizer's or stemmer's) when given. ``key`` is a candidate's key (case-folded,
    simplified script, half-width). ``"neural networks"`` -> ``("neural", "network")`` with a
    noun lemmatizer; ``"python调用"`` -> ``("python", "调", "用")``.
    """
    units = _UNIT_RE.findall(key)
    if word_form is not None:
        units = [u if len(u) == 1 and not u.isascii() else word_form(u) for u in units]
    return tuple(units)


def _inner(units: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Every contiguous run of ``units`` shorter than the whole."""
    n = len(units)
    for length in range(1, n):
        for i in range(n - length + 1):
            yield units[i : i + length]


class _Listed:
    """The phrases picked so far, and whether another may join them (``allows``).

    A phrase may not join when its units equal a pick's (the same phrase, another surface form:
    ``algorithm`` after ``algorithms``), nor, unless ``keep_nested``, when they are a contiguous
    run of a pick's units or contain a pick's (``garbage collection`` and ``incremental garbage
    collection``; 半导体 and 台湾半导体产业), or when one of its occurrences overlaps one of a
    pick's in the text (``spans``): two cuts of one stretch (台湾半导体 and 半导体产业 of
    台湾半导体产业; ``deep neural network`` and ``neural network training``).
    """

    def __init__(self, units: Sequence[tuple[str, ...]], keep_nested: bool, spans: Sequence | None) -> None:
        self.units, self.keep_nested, self.spans = units, keep_nested, spans
        self.picked: set[tuple[str, ...]] = set()
        self.inside_picked: set[tuple[str, ...]] = set()
        self.picked_spans = np.zeros((0, 2), np.int64)
        self.starts = self.reach = np.zeros(0, np.int64)  # picked spans by start; their ends' running max

    def allows(self, i: int) -> bool:
        units = self.units[i]
        if units in self.picked:
            return False
        if self.keep_nested:
            return True
        if units in self.inside_picked or any(run in self.picked for run in _inner(units)):
            return False
        return not (self.spans is not None and self._overlaps(i))

    def _overlaps(self, i: int) -> bool:
        if not len(self.starts):
            return False
        spans = np.asarray(self.spans[i], dtype=np.int64).reshape(-1, 2)
        before = np.searchsorted(self.starts, spans[:, 1], side="left")  # picked spans starting before each end
        return bool(((before > 0) & (self.reach[np.maximum(before - 1, 0)] > spans[:, 0])).any())

    def add(self, i: int) -> None:
        self.picked.add(self.units[i])
        if self.keep_nested:
            return
        self.inside_picked.update(_inner(self.units[i]))
        if self.spans is not None:
            joined = np.concatenate([self.picked_spans, np.asarray(self.spans[i], dtype=np.int64).reshape(-1, 2)])
            self.picked_spans = joined[np.argsort(joined[:, 0], kind="stable")]
            self.starts = self.picked_spans[:, 0]
            self.reach = np.maximum.accumulate(self.picked_spans[:, 1])


def mmr(
    relevance: np.ndarray,
    candidate_vectors: np.ndarray | None,
    top_n: int,
    diversity: float = 0.0,
    units: Sequence[tuple[str, ...]] | None = None,
    keep_nested: bool = False,
    spans: Sequence | None = None,
) -> list[tuple[int, float]]:
    """Select up to ``top_n`` candidates; return ``(index, relevance)``, most relevant first.

    ``relevance``: ``(n,)``, each candidate's cosine to the document plus its priors.
    ``diversity`` in [0, 1]: 0 is pure relevance ranking; above 0, MMR (Carbonell & Goldstein
    1998) decides *which* candidates are selected (each pick maximises ``(1 - diversity) *
    relevance - diversity * max cosine to the picks``, over ``candidate_vectors`` ``(n, dim)``,
    which only diversity above 0 needs), and the selected set is returned sorted by relevance,
    as KeyBERT does. Ties go to the lower index, so the order is deterministic (callers pass
    candidates in order of first occurrence).

    ``units`` (``nesting_units`` of each candidate's key): a candidate whose units equal a
    pick's is never selected (one phrase, two surface forms), nor, unless ``keep_nested``, one
    nested in a pick or holding one (of a phrase and its parts, the most relevant is shown), nor
    one with an occurrence overlapping a pick's in the text, where ``spans`` (each candidate's
    character spans, ``(k, 2)``) are given. Fewer than ``top_n`` come back when no other
    candidate may join. Raises ``ValueError`` for ``diversity`` outside [0, 1] or a negative
    ``top_n``.
    """
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be in [0, 1], got {diversity}")
    if top_n < 0:
        raise ValueError(f"top_n must be >= 0, got {top_n}")
    relevance = np.asarray(relevance, dtype=np.float64)
    n = len(relevance)
    if n == 0 or top_n == 0:
        return []
    listed = _Listed(units, keep_nested, spans) if units is not None else None
    selected: list[int] = []
    if diversity == 0.0:
        for i in np.lexsort((np.arange(n), -relevance)).tolist():
            if listed is None or listed.allows(i):
                selected.append(i)
                if listed is not None:
                    listed.add(i)
                if len(selected) == top_n:
                    break
        return [(i, float(relevance[i])) for i in selected]
    remaining = np.ones(n, bool)
    max_sim = np.zeros(n)
    while len(selected) < top_n and remaining.any():
        score = np.where(remaining, (1 - diversity) * relevance - diversity * max_sim, -np.inf)
        pick = None
        for i in np.lexsort((np.arange(n), -score)).tolist():
            if not remaining[i]:
                break
            remaining[i] = False  # picked now, or blocked for good: picks only add blocks
            if listed is None or listed.allows(i):
                pick = i
                break
        if pick is None:
            break
        similarity = cosines(candidate_vectors, candidate_vectors[pick])
        max_sim = similarity if not selected else np.maximum(max_sim, similarity)
        selected.append(pick)
        if listed is not None:
            listed.add(pick)
    selected.sort(key=lambda i: (-relevance[i], i))
    return [(i, float(relevance[i])) for i in selected]

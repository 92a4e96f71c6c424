"""Ranking: cosine similarity to the document plus priors, diversified with MMR.

A candidate's relevance is its cosine similarity to the document plus priors: an early first
occurrence (title, abstract, introduction; cf. PositionRank, Florescu & Caragea 2017),
frequency, and the attention the encoder itself pays to the phrase's tokens in its pass over
the document (SAMRank, Kang & Shin 2023). Of the contenders for one English noun phrase (the
phrase and its sub-spans, ``Candidate.groups``) only the most relevant is kept
(``contest_winners``). MMR (Carbonell & Goldstein, 1998) then picks, one at a time, the
candidate that maximises ``(1 - diversity) * relevance - diversity * max sim(candidate,
already picked)``.

For candidates that are plain n-grams (languages without a tagger) the cosine is first centred
by phrase length (``length_offsets``): a mean-pooled phrase vector of more words lies closer to
the document's whatever the words, so each length competes against its own average.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The position prior halves for a phrase first seen this many tokens into the document:
# about an abstract's length, so title and abstract phrases of a paper count most.
POSITION_SCALE = 150.0
# Weight of the specificity prior (``Candidate.specificity``, jieba's IDF of a Chinese phrase's
# most common word over the median IDF): on CSL it lifted F1@5 by 0.7 points (weights 0.05 to
# 0.1 alike; 0.2 lost at F1@5). English candidates all have specificity 1: no effect there.
SPECIFICITY_WEIGHT = 0.05
# Score taken off a candidate nested in (or holding) a candidate already picked, with
# diversity 0: 半导体 after 半导体产业 (with diversity > 0 MMR skips nested candidates). Small on purpose: CSL's gold holds almost no nested pairs, yet removing every
# nested candidate from the top cost 2.6 F1@5 points (the container and its part hedge the
# phrase boundary); 0.02 lifted F1@5 by 0.24 and cut nested pairs in the top 5 from 3.15 to
# 2.35 a document (0.05 cut them to 1.3 and lost 0.5).
NESTED_PENALTY = 0.02
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


def nested_pairs(spans_per_candidate: Sequence[Sequence[tuple[int, int]]]) -> np.ndarray:
    """``(n, n)`` symmetric sparse bool matrix (``scipy.sparse.csr_matrix``): True where an
    occurrence of one candidate lies inside an occurrence of the other (character spans).

    These are the windows that proposing sub-spans of a phrase opens onto it: 半导体 and
    台湾半导体 inside 台湾半导体产业. Candidates that occur apart (English ``networks`` in one
    sentence, ``neural networks`` in another) are not nested: English candidates are whole
    noun phrases, and there the key-based alternative cost 0.5 F1@5 on KDD. One sweep over the
    spans sorted by start, keeping those still open.
    """
    from scipy import sparse

    n = len(spans_per_candidate)
    pairs: set[tuple[int, int]] = set()
    order = sorted((s, -e, j) for j, spans in enumerate(spans_per_candidate) for s, e in spans)
    open_spans: list[tuple[int, int]] = []  # (end, candidate) of spans that started earlier
    for start, neg_end, j in order:
        end = -neg_end
        open_spans = [(e, i) for e, i in open_spans if e > start]
        for e, i in open_spans:  # started at or before ``start``; longer if it started there
            if e >= end and i != j:
                pairs.update(((i, j), (j, i)))
        open_spans.append((end, j))
    rows, cols = (np.array(side, dtype=np.int64) for side in zip(*pairs)) if pairs else (np.zeros(0, np.int64),) * 2
    # sparse: a dense (n, n) matrix took 1.6 GB for the 40,000 candidates of a 4 MB text
    return sparse.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(n, n))


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


def mmr(
    doc_vector: np.ndarray,
    candidate_vectors: np.ndarray,
    top_n: int,
    diversity: float = 0.0,
    prior: np.ndarray | None = None,
    nested: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """Select ``top_n`` candidates; return ``(index, score)``, best score first.

    Relevance is the cosine to the document plus ``prior`` (if given). ``diversity`` in
    [0, 1]: 0 is pure relevance ranking; above 0, MMR decides *which* candidates are selected
    (each pick maximises ``(1 - diversity) * relevance - diversity * max sim to the picks``),
    and the selected set is returned sorted by relevance, the score callers show, as KeyBERT
    does. Ties go to the lower index, so the order is deterministic (callers pass candidates in
    order of first occurrence).

    ``nested`` (from :func:`nested_pairs`) marks candidates that contain one another. With
    diversity 0 the candidates are then picked one at a time by relevance minus
    ``NESTED_PENALTY`` if nested with an earlier pick (the score returned is that
    difference). With diversity above 0 the caller asks for different keyphrases: a candidate
    nested with a pick is not picked while any other candidate is left. (Counting a nested
    pair as similarity 1 was not enough: multilingual-e5's cosines between any two phrases of
    a text are about 0.85, so 1 barely stands out, and on CSL it left 2.8 nested pairs in the
    top 5 at diversity 0.5.)
    """
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be in [0, 1], got {diversity}")
    if top_n < 0:
        raise ValueError(f"top_n must be >= 0, got {top_n}")
    n = len(candidate_vectors)
    if n == 0 or top_n == 0:
        return []
    relevance = cosines(candidate_vectors, doc_vector)
    if prior is not None:
        relevance = relevance + prior
    top_n = min(top_n, n)
    if diversity == 0.0 and nested is not None:
        return _penalize_nested(relevance, nested, top_n)
    if diversity == 0.0:
        order = np.lexsort((np.arange(n), -relevance))[:top_n]
        return [(int(i), float(relevance[i])) for i in order]
    def similarity(i: int) -> np.ndarray:  # one row at a time: an (n, n) matrix grows as n^2
        return cosines(candidate_vectors, candidate_vectors[i])

    selected = [int(np.argmax(relevance))]
    remaining = np.ones(n, bool)
    remaining[selected[0]] = False
    max_sim = similarity(selected[0])
    blocked = _row(nested, selected[0]) if nested is not None else np.zeros(n, bool)
    while len(selected) < top_n:
        score = (1 - diversity) * relevance - diversity * max_sim
        allowed = remaining & ~blocked if (remaining & ~blocked).any() else remaining
        score[~allowed] = -np.inf
        pick = int(np.argmax(score))
        selected.append(pick)
        remaining[pick] = False
        np.maximum(max_sim, similarity(pick), out=max_sim)
        if nested is not None:
            blocked |= _row(nested, pick)
    selected.sort(key=lambda i: (-relevance[i], i))
    return [(i, float(relevance[i])) for i in selected]


def _penalize_nested(relevance: np.ndarray, nested: np.ndarray, top_n: int) -> list[tuple[int, float]]:
    """Greedy picks by ``relevance - NESTED_PENALTY * (nested with a pick)``, best first.

    A penalty once applied stays, so the scores of the picks never increase: the selection
    order is the order of the scores returned. Ties go to the lower index.
    """
    penalty = np.zeros(len(relevance))
    remaining = np.ones(len(relevance), bool)
    picks: list[tuple[int, float]] = []
    while len(picks) < top_n:
        score = np.where(remaining, relevance - penalty, -np.inf)
        pick = int(np.argmax(score))
        picks.append((pick, float(score[pick])))
        remaining[pick] = False
        penalty[_row(nested, pick)] = NESTED_PENALTY
    return picks


def _row(nested, i: int) -> np.ndarray:
    """Row ``i`` of a ``nested_pairs`` matrix (sparse, or a dense array) as a dense bool array."""
    return nested[[i]].toarray()[0] if hasattr(nested, "toarray") else np.array(nested[i], bool)

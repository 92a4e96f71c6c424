"""Ranking: cosine similarity to the document plus priors, diversified with MMR.

A candidate's relevance is its cosine similarity to the document plus two priors that the
keyphrase literature has long found to matter, most of all on long documents: an early first
occurrence (title, abstract, introduction; cf. PositionRank, Florescu & Caragea 2017) and
frequency. MMR (Carbonell & Goldstein, 1998) then picks, one at a time, the candidate that
maximises ``(1 - diversity) * relevance - diversity * max sim(candidate, already picked)``.

For candidates that are plain n-grams (languages without a tagger) the cosine is first centred
by phrase length (``length_offsets``): a mean-pooled phrase vector of more words lies closer to
the document's whatever the words, so each length competes against its own average.
"""

from __future__ import annotations

import numpy as np

# The position prior halves for a phrase first seen this many tokens into the document:
# about an abstract's length, so title and abstract phrases of a paper count most.
POSITION_SCALE = 150.0


def priors(
    first_tokens: np.ndarray, counts: np.ndarray, position_weight: float, frequency_weight: float
) -> np.ndarray:
    """``position_weight / (1 + first/150) + frequency_weight * log(count)`` per candidate."""
    first = np.asarray(first_tokens, dtype=np.float64)
    count = np.maximum(np.asarray(counts, dtype=np.float64), 1.0)
    return position_weight / (1.0 + first / POSITION_SCALE) + frequency_weight * np.log(count)


def length_offsets(doc_vector: np.ndarray, candidate_vectors: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per candidate, minus the mean cosine to the document of the candidates of its length.

    Added to the relevance (cosine + priors), it centres each length's cosines on zero within
    the document. Shapes: ``(dim,)``, ``(n, dim)``, ``(n,)`` -> ``(n,)``. On 110-PT-BN-KP with
    multilingual-e5-small it lifted micro F1@5/10/15 of untagged n-grams from 15.7/23.6/26.9 to
    17.9/26.2/29.0; on 100 English 500N-KPCrowd stories, with such n-grams, F1@10 from 12.0 to 13.2.
    """
    if len(candidate_vectors) == 0:
        return np.zeros(0)
    from sklearn.metrics.pairwise import cosine_similarity

    cosine = cosine_similarity(candidate_vectors, doc_vector.reshape(1, -1))[:, 0]
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
) -> list[tuple[int, float]]:
    """Select ``top_n`` candidates; return ``(index, relevance)``, best relevance first.

    Relevance is the cosine to the document plus ``prior`` (if given). ``diversity`` in
    [0, 1]: 0 is pure relevance ranking; above 0, MMR decides *which* candidates are selected
    (each pick maximises ``(1 - diversity) * relevance - diversity * max sim to the picks``),
    and the selected set is returned sorted by relevance, the score callers show, as KeyBERT
    does. Ties go to the lower index, so the order is deterministic (callers pass candidates in
    order of first occurrence).
    """
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be in [0, 1], got {diversity}")
    if top_n < 0:
        raise ValueError(f"top_n must be >= 0, got {top_n}")
    n = len(candidate_vectors)
    if n == 0 or top_n == 0:
        return []
    from sklearn.metrics.pairwise import cosine_similarity  # deferred: importing sklearn takes ~1 s

    relevance = cosine_similarity(candidate_vectors, doc_vector.reshape(1, -1))[:, 0]
    if prior is not None:
        relevance = relevance + prior
    top_n = min(top_n, n)
    if diversity == 0.0:
        order = np.lexsort((np.arange(n), -relevance))[:top_n]
        return [(int(i), float(relevance[i])) for i in order]
    pairwise = cosine_similarity(candidate_vectors)
    selected = [int(np.argmax(relevance))]
    remaining = np.ones(n, bool)
    remaining[selected[0]] = False
    max_sim = pairwise[selected[0]].copy()
    while len(selected) < top_n:
        score = (1 - diversity) * relevance - diversity * max_sim
        score[~remaining] = -np.inf
        pick = int(np.argmax(score))
        selected.append(pick)
        remaining[pick] = False
        np.maximum(max_sim, pairwise[pick], out=max_sim)
    selected.sort(key=lambda i: (-relevance[i], i))
    return [(i, float(relevance[i])) for i in selected]

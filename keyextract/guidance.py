"""Guided extraction: seed keywords that steer the ranking toward a topic.

KeyBERT (Grootendorst 2020, ``extract_keywords(seed_keywords=...)``) moves the document vector a
quarter of the way toward the seeds' mean vector and ranks by cosine to it. keyextract's score
adds priors to that cosine (an early first occurrence, the encoder's attention), and moving the
document vector was too weak against them: in a two-topic document, seeding the second topic
left the first one's phrases on top even with the vector moved three quarters of the way. So the
seeds get a part of the score of their own, ``seed``: ``SEED_WEIGHT`` times the z-score, among
the candidates ranked (in isolated mode: the shortlist), of each one's cosine to its nearest seed (each seed
encoded alone), as the attention prior is a z-score (``ranking.attention_prior``): the weight is
in standard deviations whatever the encoder's cosine scale. The nearest seed, not the seeds'
mean, so that seeds naming two topics steer toward either. Without seeds there is no such
part, and the ranking is the unguided one, unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Weight of the ``seed`` part, in standard deviations of the cosines to the seeds (on a
#: two-topic test document, 0.3 put each seeded topic's phrases above the other's).
SEED_WEIGHT = 0.3


def seed_prior(candidate_vectors: np.ndarray, seed_vectors: np.ndarray, weight: float = SEED_WEIGHT) -> np.ndarray:
    """``(n,)``: ``weight`` times the z-score, among the ``n`` candidates, of each one's highest
    cosine to the ``seed_vectors`` ``(k, dim)``; ``candidate_vectors`` ``(n, dim)``. Zeros when
    there are no seeds, or fewer than two candidates, or all cosines are equal."""
    n = len(candidate_vectors)
    if n == 0 or len(seed_vectors) == 0:
        return np.zeros(n)
    from sklearn.metrics.pairwise import cosine_similarity

    nearest = cosine_similarity(np.asarray(candidate_vectors), np.asarray(seed_vectors)).max(axis=1).astype(np.float64)
    spread = nearest.std()
    return weight * (nearest - nearest.mean()) / spread if spread > 1e-9 else np.zeros(n)


def per_text(value, n_texts: int, name: str) -> list[tuple[str, ...]] | None:
    """``value`` given for ``n_texts`` texts as one list of str a text: ``None`` stays ``None``;
    a list of str applies to every text; a list of ``n_texts`` lists of str gives each its
    own. Raises ``ValueError`` naming ``name`` for any other shape (a bare str, a list of
    another length, items that are not str)."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list of str, or one list of str per text, got {type(value).__name__}")
    if all(isinstance(v, str) for v in value):
        return [tuple(value)] * n_texts
    if len(value) != n_texts:
        raise ValueError(f"{name} must be a list of str, or one list of str per text ({n_texts} texts), got {len(value)} lists")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str) or not isinstance(item, Sequence) or not all(isinstance(v, str) for v in item):
            raise ValueError(f"{name}[{i}] must be a list of str, got {type(item).__name__}")
        out.append(tuple(item))
    return out

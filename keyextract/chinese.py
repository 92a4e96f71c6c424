"""Chinese segmentation: script and width normalisation, jieba with a user dictionary, Latin terms.

jieba's dictionary and tagger know simplified Chinese and half-width Latin. Before a Chinese
stretch reaches jieba it is therefore normalised character for character: full-width ASCII
(``ＰＹＴＨＯＮ``) becomes half-width and traditional characters become simplified (OpenCC's
``t2s`` conversion), so ``半導體產業在臺灣`` is cut and tagged as ``半导体产业在台湾`` is. The
normalised string has the length of the original, so every jieba word maps back to the
original characters: tokens keep the user's text and spans, and the normalised form in
``Token.norm``.

Latin technical terms inside Chinese text (``TF-IDF``, ``HTTP/2``, ``C++``, ``GPT-4``,
``PPARα``), which jieba cuts at every hyphen, slash and digit, are joined back into one token
of kind ``"term"``.

A user dictionary (jieba's format: ``word [frequency] [tag]`` a line) goes into a
``jieba.Tokenizer`` of its own, never into jieba's global one that other code in the process
shares; tokenizers are cached per dictionary content.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path

from .errors import InputError
from .types import Token

#: One entry of a user dictionary: word, frequency (None: jieba suggests one), tag (None: keep).
UserDictEntry = tuple[str, "int | None", "str | None"]

# The Han range jieba segments (its re_han); a conversion that leaves it is not taken.
_JIEBA_HAN_RE = re.compile("[\u4e00-\u9fd5]")
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Latin words and digits joined by hyphens, slashes, dots or apostrophes, Greek letters
# included (PPARα, TNF-α), trailing + and # (C++, C#) and a leading dot (.NET).
_TERM_RE = re.compile(
    r"(?<![A-Za-z0-9\u0370-\u03ff])\.?[A-Za-z0-9\u0370-\u03ff]+(?:[-/.'&][A-Za-z0-9\u0370-\u03ff]+)*[+#]*"
)
_LATIN_LETTER_RE = re.compile(r"[A-Za-z]")
# jieba tags of verbs: a Latin term right after one is its object, not part of a phrase with it.
ZH_VERBS = frozenset({"v", "vd", "vn", "vg", "vi", "vq"})
_TAG_RE = re.compile(r"[a-z]+")

_jieba_lock = threading.Lock()


# --- normalisation ---------------------------------------------------------------------------


@cache
def _t2s():
    """OpenCC's traditional-to-simplified converter, loaded once."""
    import opencc

    return opencc.OpenCC("t2s")


def normalize(chunk: str) -> str:
    """``chunk`` with full-width ASCII made half-width and traditional characters simplified.

    The result has exactly the length of ``chunk`` and character ``i`` of it stands for
    character ``i`` of ``chunk``: OpenCC's phrase-aware conversion is taken when it keeps the
    length (it almost always does), else each character is converted alone; a character whose
    conversion is not one character of jieba's Han range stays as it is.
    """
    half = chunk.translate(_FULLWIDTH)
    converter = _t2s()
    whole = converter.convert(half)
    if len(whole) != len(half):
        whole = "".join(_one_char(converter.convert(ch), ch) for ch in half)
    if whole == half:
        return half
    return "".join(_one_char(new, old) for new, old in zip(whole, half))


def _one_char(new: str, old: str) -> str:
    if new == old or len(new) != 1 or not _JIEBA_HAN_RE.match(new):
        return old
    return new


# --- specificity -----------------------------------------------------------------------------


@cache
def _idf_table() -> tuple[dict[str, float], float]:
    """jieba's IDF table (``jieba/analyse/idf.txt``, shipped with jieba) and its median."""
    import jieba.analyse

    return jieba.analyse.default_tfidf.idf_freq, jieba.analyse.default_tfidf.median_idf


def idf(word: str) -> float:
    """jieba's inverse document frequency of ``word`` (simplified form); a word not in the
    table gets the median, as ``jieba.analyse.extract_tags`` gives it."""
    table, median = _idf_table()
    return table.get(word, median)


def specificity(word: str) -> float:
    """``idf(word)`` over the median IDF: about 0.15 for 是, 0.3 for 进行, 0.6 for 模型, 1 for rare words."""
    return idf(word) / _idf_table()[1]


# --- user dictionary -------------------------------------------------------------------------


def parse_user_dict(lines: Iterable[str], source: str = "user_dict") -> tuple[UserDictEntry, ...]:
    """Parse jieba's user dictionary format: ``word [frequency] [tag]`` a line.

    The frequency is a positive integer, the tag a lowercase jieba tag (``n``, ``nz``, ``v``,
    ...); blank lines are skipped. Raises :class:`InputError` naming ``source`` and the line
    of the first malformed entry.
    """
    entries: list[UserDictEntry] = []
    for number, line in enumerate(lines, 1):
        if not isinstance(line, str):
            raise InputError(f"{source}: line {number}: expected a string, got {type(line).__name__}")
        fields = line.lstrip("\ufeff").split()
        if not fields:
            continue
        word, rest = fields[0], fields[1:]
        freq: int | None = None
        tag: str | None = None
        if rest and rest[0].isascii() and rest[0].isdigit():
            freq = int(rest.pop(0))
            if freq < 1:
                raise InputError(
                    f"{source}: line {number}: frequency must be >= 1, got {freq} "
                    "(jieba's 0 deletes a word in every tokenizer of the process; keyextract does not do that)"
                )
        if rest and _TAG_RE.fullmatch(rest[0]):
            tag = rest.pop(0)
        if rest:
            raise InputError(
                f"{source}: line {number}: expected 'word [frequency] [tag]' "
                f"(frequency an integer, tag a lowercase jieba tag such as n or nz), got {line.strip()!r}"
            )
        entries.append((word, freq, tag))
    return tuple(entries)


def read_user_dict(path: str | os.PathLike) -> tuple[UserDictEntry, ...]:
    """Read and parse a user dictionary file (UTF-8); one-line :class:`InputError` if it cannot."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: user dictionary is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read user dictionary ({exc.strerror or exc})") from None
    return parse_user_dict(text.splitlines(), str(path))


def load_user_dict(user_dict) -> tuple[UserDictEntry, ...] | None:
    """Entries of ``user_dict``: a file path, an iterable of lines or of ``(word, freq, tag)``."""
    if user_dict is None:
        return None
    if isinstance(user_dict, (str, os.PathLike)):
        return read_user_dict(user_dict)
    items = list(user_dict)
    if all(isinstance(item, tuple) and len(item) == 3 for item in items):
        lines = [" ".join(str(f) for f in item if f is not None) for item in items]
        return parse_user_dict(lines)
    return parse_user_dict(items)


# --- jieba -----------------------------------------------------------------------------------


@lru_cache(maxsize=4)  # bounded: each holds a jieba dictionary (tens of MB)
def _posseg(entries: tuple[UserDictEntry, ...] | None):
    """A jieba POS tokenizer: the global one, or a fresh one holding ``entries`` (cached)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    with _jieba_lock:
        jieba.initialize()
        if not entries:
            return jieba.posseg.dt
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word, freq, tag in entries:
            # jieba sees simplified, half-width text: a traditional entry must match it too
            for form in dict.fromkeys((normalize(word), word)):
                tokenizer.add_word(form, freq, tag)
        return jieba.posseg.POSTokenizer(tokenizer)


def segment_chinese(
    text: str, start: int, end: int, user_dict: tuple[UserDictEntry, ...] | None = None
) -> Iterator[Token]:
    """Tokens of ``text[start:end]``: jieba words of the normalised chunk, Latin terms joined.

    Whitespace is dropped; each token's span points into ``text`` (the user's characters),
    ``norm`` holds its simplified half-width form when that differs.
    """
    chunk = text[start:end]
    normed = normalize(chunk)
    words: list[tuple[int, int, str]] = []
    pos = 0
    for pair in _posseg(user_dict).cut(normed):
        found = normed.find(pair.word, pos)
        if found < 0:  # jieba never rewrites text, but never trust a span we did not find
            continue
        pos = found + len(pair.word)
        if not pair.word.isspace():
            words.append((found, pos, pair.flag))
    for s, e, flag, kind in _join_terms(normed, words):
        original = chunk[s:e]
        norm = normed[s:e]
        yield Token(original, start + s, start + e, flag, "zh", None if norm == original else norm, kind)


def _join_terms(normed: str, words: list[tuple[int, int, str]]) -> Iterator[tuple[int, int, str, str]]:
    """Words as ``(start, end, tag, kind)``, the jieba words of each Latin term made one.

    A term is joined only where jieba's words start and end with it (a dictionary word such as
    ``T恤`` that runs into Chinese characters is left alone). Its tag is ``eng``, jieba's tag of
    Latin words, and its kind ``"term"``.
    """
    terms = [
        (m.start(), m.end()) for m in _TERM_RE.finditer(normed) if _LATIN_LETTER_RE.search(m.group())
    ]
    starts = {s: k for k, (s, _, _) in enumerate(words)}
    ends = {e: k for k, (_, e, _) in enumerate(words)}
    joined: dict[int, tuple[int, int]] = {}  # first word index -> (last word index, term end)
    for s, e in terms:
        if s in starts and e in ends:
            joined[starts[s]] = (ends[e], e)
    k = 0
    while k < len(words):
        if k in joined:
            last, e = joined[k]
            yield words[k][0], e, "eng", "term"
            k = last + 1
        else:
            yield (*words[k], "word")
            k += 1

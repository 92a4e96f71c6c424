"""Segmentation: language detection, tokenization with character spans, and POS tagging.

Chinese stretches go to jieba (with its part-of-speech tags; ``chinese.py`` normalises
traditional and full-width text, joins Latin terms and applies user dictionaries); the rest goes
to NLTK: a regular expression tokenizer and NLTK's averaged-perceptron tagger. Text in a language
without a tagger (``languages.UNTAGGED``) is tokenized alone, without tags (``segment_untagged``).
Every token keeps its span in the original text, which is what lets candidates be located in the
encoder's token stream later.
"""

from __future__ import annotations

import re
import sys
from functools import cache

import regex

from .chinese import UserDictEntry, segment_chinese
from .languages import LANGS, TAGGED, UNTAGGED  # noqa: F401 - LANGS: the values of lang=
from .types import Token

# Han ideographs (with extensions and compatibility forms), CJK punctuation and fullwidth forms.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ffff"
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_NON_CJK_RUN_RE = re.compile(f"[^{_CJK}]+")
_LATIN_WORD_RE = re.compile(r"[^\W\d_]{2,}")
# Words (letters/digits joined by inner hyphens or dots: "real-time", "3.5"), clitics, punctuation.
_EN_TOKEN_PATTERN = r"\w+(?:[-.]\w+)*|'\w+|[^\w\s]"
_SENTENCE_END = frozenset(".!?;")

# A stretch without Chinese characters needs this many Latin words to be segmented as English;
# shorter ones ("BERT" in "基于BERT模型") stay inside the Chinese text, where jieba tags them "eng".
MIN_ENGLISH_WORDS = 4


def script_language(text: str) -> str:
    """Return ``"zh"`` when Chinese characters outnumber Latin words, else ``"en"``."""
    han = len(_HAN_RE.findall(text))
    latin_words = len(_LATIN_WORD_RE.findall(_HAN_RE.sub(" ", text)))
    return "zh" if han > 0 and han >= latin_words else "en"


def split_scripts(text: str) -> list[tuple[str, int, int]]:
    """Split ``text`` into ``(script, start, end)`` chunks, each routed to one segmenter."""
    chunks: list[tuple[str, int, int]] = []

    def add(script: str, start: int, end: int) -> None:
        if start >= end:
            return
        if chunks and chunks[-1][0] == script and chunks[-1][2] == start:
            chunks[-1] = (script, chunks[-1][1], end)
        else:
            chunks.append((script, start, end))

    pos = 0
    for match in _NON_CJK_RUN_RE.finditer(text):
        add("zh", pos, match.start())
        words = len(_LATIN_WORD_RE.findall(match.group()))
        whole_text = match.start() == 0 and match.end() == len(text)
        add("en" if whole_text or words >= MIN_ENGLISH_WORDS else "zh", match.start(), match.end())
        pos = match.end()
    add("zh", pos, len(text))
    return chunks


def segment(
    text: str, lang: str | None = None, *, user_dict: tuple[UserDictEntry, ...] | None = None
) -> list[Token]:
    """Tokenize and tag ``text``; tokens are in text order and never overlap.

    ``lang``: ``None``, ``"en"`` or ``"zh"`` split the text into Chinese and Latin stretches
    for jieba and NLTK; any other language code goes to ``segment_untagged``. ``user_dict``:
    entries (``chinese.load_user_dict``) that jieba uses for this call only.
    """
    if lang is not None and lang not in TAGGED:
        return segment_untagged(text, lang)
    tokens: list[Token] = []
    for script, start, end in split_scripts(text):
        if script == "zh":
            tokens.extend(segment_chinese(text, start, end, user_dict))
        else:
            tokens.extend(_segment_english(text, start, end))
    return tokens


# --- English -------------------------------------------------------------------------------

_warned_no_tagger = False


@cache
def _en_tokenizer():
    from nltk.tokenize import RegexpTokenizer

    return RegexpTokenizer(_EN_TOKEN_PATTERN)


@cache
def english_tagger():
    """NLTK's averaged-perceptron tagger, loaded once; ``None`` if its data cannot be had.

    When the data are missing the tagger is fetched with ``nltk.download``; if that fails too,
    candidates fall back to stopword-delimited n-grams and a warning is printed once.
    """
    from nltk.tag.perceptron import PerceptronTagger

    try:
        return _with_dense_weights(PerceptronTagger(lang="eng"))
    except LookupError:
        pass
    try:
        import nltk

        if nltk.download("averaged_perceptron_tagger_eng", quiet=True, raise_on_error=False):
            return _with_dense_weights(PerceptronTagger(lang="eng"))
    except Exception:  # noqa: BLE001 - any download failure means "no tagger"
        pass
    _warn_no_tagger()
    return None


def _with_dense_weights(tagger):
    """The tagger with its perceptron's ``predict`` done on a dense weight matrix.

    NLTK's ``predict`` loops in Python over every class of every feature, and was 60% of the
    time keyextract spends outside the encoder; the dense version gives the same tags.
    """
    tagger.model = _DensePerceptron(tagger.model)
    return tagger


class _DensePerceptron:
    """NLTK's ``AveragedPerceptron.predict`` over a (features x classes) float64 matrix.

    Scores are summed feature by feature in NLTK's order, and ties go to the alphabetically last
    class as in NLTK, so the chosen tags are NLTK's own.
    """

    def __init__(self, model) -> None:
        import numpy as np

        self._np = np
        self.classes = model.classes
        self._labels = sorted(model.classes)
        column = {label: j for j, label in enumerate(self._labels)}
        self._row = {feat: i for i, feat in enumerate(model.weights)}
        self._weights = np.zeros((len(self._row), len(self._labels)), np.float64)
        for feat, weights in model.weights.items():
            for label, weight in weights.items():
                self._weights[self._row[feat], column[label]] = weight

    def predict(self, features: dict, return_conf: bool = False):
        """Best label for ``features`` (name -> count), and its softmax confidence if asked."""
        np = self._np
        rows, values = [], []
        for feat, value in features.items():
            row = self._row.get(feat)
            if row is not None and value != 0:
                rows.append(row)
                values.append(value)
        # rows are added one after another, in NLTK's order: the same sums to the last bit
        if values.count(1) == len(values):  # each feature once (also no feature): no products
            scores = self._weights[rows].sum(axis=0)
        else:
            scores = (self._weights[rows] * np.array(values, np.float64)[:, None]).sum(axis=0)
        best = len(scores) - 1 - int(np.argmax(scores[::-1]))  # ties: the last label
        conf = None
        if return_conf:
            exps = np.exp(scores)
            conf = float(exps.max() / exps.sum())
        return self._labels[best], conf


def _warn_no_tagger() -> None:
    global _warned_no_tagger
    if not _warned_no_tagger:
        _warned_no_tagger = True
        print(
            "keyextract: warning: NLTK's English POS tagger (averaged_perceptron_tagger_eng) is "
            "not installed and could not be downloaded; English candidates fall back to "
            "stopword-delimited n-grams. Install it with: "
            "python -m nltk.downloader averaged_perceptron_tagger_eng",
            file=sys.stderr,
        )


def _segment_english(text: str, start: int, end: int) -> list[Token]:
    """NLTK tokens with Penn Treebank tags, tagged sentence by sentence."""
    chunk = text[start:end]
    spans = [(s + start, e + start) for s, e in _en_tokenizer().span_tokenize(chunk)]
    words = [text[s:e] for s, e in spans]
    tagger = english_tagger()
    if tagger is None:
        return [Token(w, s, e, None, "en") for w, (s, e) in zip(words, spans)]
    sentences: list[list[str]] = [[]]
    for word in words:
        sentences[-1].append(word)
        if word in _SENTENCE_END:
            sentences.append([])
    tags = [tag for sent in tagger.tag_sents([s for s in sentences if s]) for _, tag in sent]
    return [Token(w, s, e, t, "en") for w, (s, e), t in zip(words, spans, tags)]


# --- Languages without a tagger ------------------------------------------------------------

_APOSTROPHES = "'\u2019"
# URLs and e-mail addresses (never part of a phrase), words (letters, combining marks and
# digits, joined by inner hyphens and apostrophes: "guarda-chuva", "Diz-se", "aujourd'hui",
# "COVID-19"), and any other character on its own.
_UNTAGGED_TOKEN_RE = regex.compile(
    r"""
    (?P<nonprose>(?:[a-z][a-z0-9+.-]*://|www\d?\.)[^\s<>"'()\[\]{}]*[^\s<>"'()\[\]{}.,;:!?]
        |[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
    |(?P<word>[\p{L}\p{M}\p{N}]+(?:[-\u2010'\u2019][\p{L}\p{M}\p{N}]+)*)
    |(?P<other>\S)
    """,
    regex.VERBOSE | regex.IGNORECASE,
)
_LINE_BREAK_RE = re.compile(r"\n\s*")


def segment_untagged(text: str, lang: str) -> list[Token]:
    """Tokens of ``text`` in ``lang``, a language without a tagger: ``pos`` is ``None`` and
    ``script`` is ``lang``.

    Words keep inner hyphens and apostrophes; an elided clitic of the language
    (``languages.Language.elisions``: French ``l'``, ``qu'``; Italian ``dell'``) becomes a token
    of its own (``l'énergie`` -> ``l'`` + ``énergie``), normalised without its apostrophe. A
    word's ``norm`` has straight apostrophes. URLs and e-mail addresses are ``nonprose``. A token
    after a line break that ends a phrase (``phrase_line_breaks``) has ``break_before``.
    """
    elisions = UNTAGGED[lang].elisions if lang in UNTAGGED else frozenset()
    breaks = phrase_line_breaks(text)
    tokens: list[Token] = []
    b = 0
    for match in _UNTAGGED_TOKEN_RE.finditer(text):
        start, end = match.span()
        while b < len(breaks) and breaks[b] < start:
            b += 1
        broken = bool(tokens) and b > 0 and breaks[b - 1] >= tokens[-1].end
        kind = "nonprose" if match.lastgroup == "nonprose" else "word"
        word = match.group()
        if kind == "word" and elisions:
            cut = _elision_end(word, elisions)
            if cut:
                tokens.append(Token(word[:cut], start, start + cut, None, lang, word[: cut - 1], "word", broken))
                start, word, broken = start + cut, word[cut:], False
        norm = word.replace("\u2019", "'") if "\u2019" in word else None
        tokens.append(Token(word, start, end, None, lang, norm, kind, broken))
    return tokens


def _elision_end(word: str, elisions: frozenset[str]) -> int:
    """Length of the elided clitic (with its apostrophe) that ``word`` starts with, or 0."""
    for i, ch in enumerate(word):
        if ch in _APOSTROPHES:
            return i + 1 if word[:i].casefold() in elisions and i + 1 < len(word) else 0
        if not ch.isalpha():
            return 0
    return 0


def phrase_line_breaks(text: str) -> list[int]:
    """Offsets of the line breaks that end a phrase: each blank line, and each line break
    whose next line does not start with a lowercase letter (hard-wrapped prose continues)."""
    breaks = []
    for match in _LINE_BREAK_RE.finditer(text):
        gap = match.group()
        following = text[match.end() : match.end() + 1]
        if gap.count("\n") > 1 or not following.islower():
            breaks.append(match.start())
    return breaks

"""Plain data passed between the pipeline stages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

#: Character offsets ``[start, end)`` into a text.
Span = tuple[int, int]


class PageSpan(NamedTuple):
    """Where a keyphrase occurs in a PDF: ``page`` (1 for the first) and the character offsets
    ``[start, end)`` in that page's text as keyextract extracted it (``Document.pages[page - 1]``)."""

    page: int
    start: int
    end: int


class _Packed(Sequence):
    """Integers held in one int64 numpy array (``array``) that read as a sequence of Python
    ints (``_width`` 0) or of tuples of ``_width`` ints, and equal any sequence of the same
    values: a list of such objects takes 7 times the memory (issue 13: memory flat in document
    length)."""

    __slots__ = ("array",)
    _width = 0

    def __init__(self, items: Iterable | np.ndarray = ()) -> None:
        array = np.asarray(items if isinstance(items, np.ndarray) else list(items), dtype=np.int64)
        self.array = array.reshape(-1, self._width) if self._width else array.reshape(-1)

    def shifted(self, by: int):
        """These values plus ``by``."""
        return type(self)(self.array + by)

    def __len__(self) -> int:
        return len(self.array)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:  # np.asarray without a Python object per value
        return self.array if dtype is None else self.array.astype(dtype, copy=False)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(self.array[index])
        value = self.array[index].tolist()
        return tuple(value) if self._width else value

    def __iter__(self) -> Iterator:
        values = self.array.tolist()
        return iter(map(tuple, values) if self._width else values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return np.array_equal(self.array, other.array)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == [tuple(v) if self._width else v for v in other]
        return NotImplemented

    __hash__ = None  # mutable, as the list it stands for

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class Spans(_Packed):
    """Character spans ``(start, end)`` of a candidate's occurrences: an ``(n, 2)`` int64
    array, 16 bytes an occurrence where a list of tuples of ints takes about 120. A long
    document has millions of occurrences (about one per 20 characters of English prose), which
    its candidates keep until ranking."""

    __slots__ = ()
    _width = 2


class Contests(_Packed):
    """The numbers of the English noun-phrase occurrences a candidate contends in
    (``Candidate.groups``), one int64 each."""

    __slots__ = ()


#: Token kinds. ``word``: ordinary word or punctuation. ``term``: a technical token kept whole
#: and treated as a noun (``5G``, ``C++``, ``C#``, ``.NET``, ``HTTP/2``, ``U.S.``). ``nonprose``:
#: a URL, e-mail address, file path, hash or code identifier: never part of a keyphrase.
TOKEN_KINDS = ("word", "term", "nonprose")


@dataclass(frozen=True)
class Token:
    """A word of the document with its character span ``text[start:end]`` and POS tag.

    ``pos`` is ``None`` when no tagger was available. ``script`` is ``"en"`` for tokens
    segmented by the English (NLTK) segmenter and ``"zh"`` for jieba's. ``norm`` is the form
    the token was tagged and is matched in when that differs from ``text`` (straight
    apostrophes, half-width Latin, simplified Chinese), else ``None``. ``kind`` is one of
    ``TOKEN_KINDS``. ``break_before`` is True when a phrase boundary without a token of its own
    lies between this token and the previous one (a line break that ends a title, heading, list
    item or paragraph): no candidate spans it.
    """

    text: str
    start: int
    end: int
    pos: str | None
    script: str
    norm: str | None = None
    kind: str = "word"
    break_before: bool = False


@dataclass
class Candidate:
    """A candidate keyphrase: its display form, the key that merges its variants, its
    occurrences, the index of its first token in the document (for the position prior), and
    its specificity (for Chinese phrases, the lowest IDF of its words relative to jieba's
    median IDF; 1.0 for phrases without Chinese words), and the numbers of the English noun
    phrase occurrences in which it contends with the phrase's other sub-spans (the ranking
    keeps only the best-scoring contender of each; empty: it is ranked on its own, as Chinese
    and untagged candidates are)."""

    phrase: str
    key: str
    spans: Spans = field(default_factory=Spans)
    first_token: int = 0
    specificity: float = 1.0
    groups: Contests = field(default_factory=Contests)


@dataclass(frozen=True)
class Keyword:
    """An extracted keyphrase, its relevance score, the character spans of its occurrences and
    the parts its score is the sum of.

    ``spans``: ``(start, end)`` offsets into the text as given (for HTML, XML and Markdown: into
    the markup; for a Word document: into ``Document.text``), or for a PDF ``PageSpan(page,
    start, end)`` offsets into the text of one page (``Document.span``).

    ``parts`` (each rounded to 6 decimals, so their sum matches ``score`` to about 1e-5):

    - ``similarity``: cosine similarity of the phrase's vector to the document's, in [-1, 1];
    - ``position``: ``position_weight / (1 + first / 150)``, ``first`` the index of the
      phrase's first word in the document (``ranking.position_prior``);
    - ``frequency``: ``frequency_weight * log(occurrences)`` (``ranking.frequency_prior``);
    - ``attention``: ``attention_weight`` times the z-score, among the document's candidates,
      of the log of the attention the encoder's last layer pays to the phrase's tokens
      (``ranking.attention_prior``; SAMRank);
    - ``specificity``: below 0 for a Chinese phrase holding a common word, above 0 for one of
      rare words, 0 without Chinese words (``ranking.specificity_prior``, jieba's IDF table);
    - ``length``: for languages without a tagger, minus the mean similarity of the candidates
      of the phrase's length (``ranking.length_offsets``); 0 otherwise;
    - ``nested``: ``-ranking.NESTED_PENALTY`` for a Chinese or untagged phrase that contains or
      is part of a better pick (diversity 0); 0 otherwise.

    - ``seed``: with seed keywords only, ``guidance.SEED_WEIGHT`` times the cosine of the phrase
      to its nearest seed, as a z-score among the candidates (``keyextract.guidance``);
    - ``absent``: for a tag of a vocabulary, ``-vocabulary.ABSENT_PENALTY`` when none of its
      labels occurs in the text, 0 when one does (``keyextract.vocabulary``);
    - ``inside``: for a tag, ``-vocabulary.INSIDE_PENALTY`` times the share of its occurrences
      that lie inside another present tag's (``vocabulary.inside_share``).

    Higher is more relevant. Scores compare within one document; across documents only the
    ``similarity`` part has a fixed scale, and ``confidence`` is the number to threshold.

    ``confidence``: in [0, 1], the share of keyphrases of that confidence that annotators chose
    on the dev sets (``keyextract.calibration``); rounded to 4 decimals. ``id``: with a
    vocabulary, the tag's id (``phrase`` is then its preferred label); else ``None``.
    """

    phrase: str
    score: float
    spans: tuple[Span | PageSpan, ...]
    parts: dict[str, float] = field(default_factory=dict, compare=False)
    confidence: float | None = field(default=None, compare=False)
    id: str | None = None

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (spans as lists, ``[start, end]`` or ``[page, start, end]``;
        parts as a dict; ``id`` only for a vocabulary's tag)."""
        out = {"phrase": self.phrase}
        if self.id is not None:
            out["id"] = self.id
        out.update(score=self.score, confidence=self.confidence, spans=[list(s) for s in self.spans], parts=dict(self.parts))
        return out

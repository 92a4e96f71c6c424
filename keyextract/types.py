"""Plain data passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]


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
    median IDF; 1.0 for phrases without Chinese words)."""

    phrase: str
    key: str
    spans: list[Span] = field(default_factory=list)
    first_token: int = 0
    specificity: float = 1.0


@dataclass(frozen=True)
class Keyword:
    """An extracted keyphrase, its relevance score and the character spans of its occurrences.

    ``score`` is the cosine similarity to the document plus the position and frequency priors,
    for Chinese phrases minus a specificity prior (``ranking.specificity_prior``), and minus
    ``ranking.NESTED_PENALTY`` for a phrase that contains or is part of a better one; for an
    English phrase not nested in another it is exactly the cosine when both prior weights are
    0. Higher is more relevant.
    """

    phrase: str
    score: float
    spans: tuple[Span, ...]

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (spans as lists)."""
        return {"phrase": self.phrase, "score": self.score, "spans": [list(s) for s in self.spans]}

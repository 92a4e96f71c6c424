"""A spaCy pipeline component (the ``spacy`` extra): ``nlp.add_pipe("keyextract")``.

>>> import spacy
>>> nlp = spacy.blank("en")
>>> nlp.add_pipe("keyextract", config={"top_n": 5, "model": "path/to/encoder"})
>>> doc = nlp(text)
>>> [(kp.phrase, kp.score, kp.spans) for kp in doc._.keyphrases]    # best first

The factory is announced under spaCy's ``spacy_factories`` entry point, so once keyextract is
installed ``nlp.add_pipe("keyextract")`` and ``spacy.load`` find it without an import of
keyextract (spaCy imports the entry points' modules when it makes a ``Language``).

Config: ``top_n`` (keyphrases per document, default 5) and every keyword parameter of
``KeywordExtractor`` (``model``, ``lang``, ``mode``, ``diversity``, ``max_words``,
``stopwords``, ``batch_size``, ...: whatever the installed version's constructor takes, read
from its signature), with its default. An unknown name is refused by spaCy ("unexpected
argument: 'mdoe'"); a value of the wrong type or out of range raises ``ValueError`` naming the
option, when the component is added. ``batch_size`` is the extractor's (encoder windows per
forward pass); the ``batch_size`` of ``nlp.pipe`` is the number of documents per
``extract_batch`` call. Values must be what a spaCy config holds (strings, numbers, booleans,
null, lists, dicts): ``stopwords`` a list of words or a file's path, ``user_dict`` a file's path
or a list of lines. ``nlp.to_disk`` writes this config (the component has no weights of its
own; the encoder is loaded again from ``model`` after ``spacy.load``).

Each document's text goes through ``KeywordExtractor.extract_batch`` as it is, and its keyphrases
are those ``extract_batch`` gives for that text: ``nlp.pipe(texts, batch_size=...)`` makes one
``extract_batch`` call per batch of documents. keyextract segments and tags the text itself and
does not read the pipeline's tokens or part-of-speech tags: its candidate patterns were chosen
on its own tagger's conventions (a more accurate tagger of other conventions lost 0.5 to 1 point
of F1 on the scientific dev sets: BENCHMARKS.md, "Tagging: effect on keyphrase F1"), a blank
pipeline has no tags to give, and its own segmentation and tagging are 6-7% of ``extract_batch``'s
time on Inspec abstracts in the default mode (BENCHMARKS.md, "Where the time goes"), most of it
in a thread beside the encoder: less than that is what reading the pipeline's tags could save. The same text thus gets the same keyphrases whatever the pipeline.

``doc._.keyphrases`` is ``None`` for a document the component has not processed, else a list of
``Keyphrase``, best first. The keyphrases are kept in ``doc.user_data`` as plain records
(``Keyword.to_dict()``), so ``Doc.to_bytes`` and ``DocBin(store_user_data=True)`` carry them; the
``Span`` objects are made when ``doc._.keyphrases`` is read.
"""

from __future__ import annotations

try:
    from spacy.language import Language
    from spacy.tokens import Doc, Span
    from spacy.util import minibatch
except ImportError as _exc:  # pragma: no cover - exercised by installing without the extra
    raise ImportError(
        f"keyextract.spacy needs spaCy ({_exc.name or _exc} is missing): pip install spacy "
        "(or install keyextract with its spacy extra)"
    ) from _exc

import inspect
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from . import KeywordExtractor

#: Name of the factory (``nlp.add_pipe(FACTORY)``) and of the entry point that announces it.
FACTORY = "keyextract"
#: Keyphrases per document when the config does not say.
DEFAULT_TOP_N = 5
#: Where a processed document keeps its keyphrases: ``Keyword.to_dict()`` of each, best first.
USER_DATA_KEY = "keyextract.keyphrases"
_SCALARS = (str, int, float, bool, type(None))
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}


@dataclass(frozen=True)
class Keyphrase:
    """A keyphrase of a ``Doc``: ``phrase``, ``score`` and ``parts`` as in ``keyextract.Keyword``;
    ``spans``: the spaCy ``Span`` of each occurrence, in text order; ``offsets``: the character
    offsets ``(start, end)`` of each occurrence, as the extractor found them (``doc.text[start:
    end]``); ``confidence``: the keyword's confidence where the extractor gives one, else None.

    A span covers the tokens that hold any character of its occurrence
    (``doc.char_span(start, end, alignment_mode="expand")``): where the pipeline's tokens do not
    break where the phrase does (a tokenizer that keeps ``networks,`` whole), the span is wider
    than the phrase, and ``offsets`` hold its exact extent.
    """

    phrase: str
    score: float
    spans: tuple[Span, ...]
    offsets: tuple[tuple[int, int], ...]
    parts: dict[str, float]
    confidence: float | None = None


def _keyphrases(doc: Doc) -> list[Keyphrase] | None:
    """Getter of ``Doc._.keyphrases``: the records in ``doc.user_data``, with token spans."""
    records = doc.user_data.get(USER_DATA_KEY)
    if records is None:
        return None
    return [
        Keyphrase(
            phrase=r["phrase"], score=r["score"],
            spans=tuple(doc.char_span(s, e, alignment_mode="expand") for s, e in r["spans"]),
            offsets=tuple((s, e) for s, e in r["spans"]), parts=dict(r["parts"]), confidence=r.get("confidence"),
        )
        for r in records
    ]


class KeyphraseComponent:
    """The pipeline component: sets the keyphrases of each document (``Doc._.keyphrases``).

    ``extractor``: the ``KeywordExtractor`` it calls (its encoder loads on the first document);
    ``top_n``: keyphrases per document. Making one sets the ``Doc._.keyphrases`` extension
    (replacing an extension of that name another package may have set).
    """

    def __init__(self, name: str, extractor: KeywordExtractor, top_n: int) -> None:
        self.name = name
        self.extractor = extractor
        self.top_n = top_n
        Doc.set_extension("keyphrases", getter=_keyphrases, force=True)

    def __call__(self, doc: Doc) -> Doc:
        """Set ``doc``'s keyphrases (one ``extract_batch`` call of one text)."""
        return next(self.pipe([doc], batch_size=1))

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Set the keyphrases of each document of ``stream``, one ``extract_batch`` call per
        ``batch_size`` documents (``nlp.pipe`` passes its own ``batch_size``); yields the
        documents in order."""
        for docs in minibatch(stream, size=batch_size):
            found = self.extractor.extract_batch([doc.text for doc in docs], top_n=self.top_n, progress=False)
            for doc, keywords in zip(docs, found):
                doc.user_data[USER_DATA_KEY] = [kw.to_dict() for kw in keywords]
            yield from docs


def _extractor_options() -> list[inspect.Parameter]:
    """The keyword parameters of ``KeywordExtractor``, keyword-only, each annotated with its
    type where that is a union of scalars (``str | None``) and ``Any`` otherwise."""
    hints = typing.get_type_hints(KeywordExtractor.__init__)
    options = []
    for p in list(inspect.signature(KeywordExtractor.__init__).parameters.values())[1:]:
        allowed = _scalar_types(hints.get(p.name, Any))
        annotation = hints[p.name] if allowed else Any
        options.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
    return options


def _scalar_types(hint: Any) -> tuple[type, ...] | None:
    """The types of ``hint`` if it is a scalar type or a union of them, else None."""
    if hint in _SCALARS:
        return (hint,)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and all(a in _SCALARS for a in typing.get_args(hint)):
        return typing.get_args(hint)
    return None


def _check_type(name: str, value: Any, hint: Any) -> None:
    """Raise ``ValueError`` naming option ``name`` if ``value`` is not of ``hint`` (a scalar type
    or union of them; an int counts as a float, a bool as neither)."""
    allowed = _scalar_types(hint)
    if allowed is None:
        return
    kind = bool if isinstance(value, bool) else (int if isinstance(value, int) else type(value))
    if kind in allowed or (kind is int and float in allowed):
        return
    wanted = " or ".join(_TYPE_NAMES[t] for t in allowed)
    raise ValueError(f"keyextract component: {name} must be {wanted}, got {value!r}")


def make_keyextract(nlp: Language, name: str, **config: Any) -> KeyphraseComponent:
    """Factory of the ``keyextract`` component (spaCy calls it; its signature, set below, lists
    ``top_n`` and ``KeywordExtractor``'s parameters). Raises ``ValueError`` naming the option for a
    value of the wrong type or out of range, and ``keyextract.InputError`` for a user dictionary
    file that cannot be read (a stopword file is read, and its errors raised, at the first
    document)."""
    for option, value in config.items():
        _check_type(option, value, _HINTS[option])
    top_n = config.pop("top_n")
    extractor = KeywordExtractor(**config)
    try:
        extractor.extract_batch([], top_n=top_n)  # validates every option; loads nothing
    except ValueError as exc:
        raise ValueError(f"keyextract component: {exc}") from None
    return KeyphraseComponent(name, extractor, top_n)


_OPTIONS = [inspect.Parameter("top_n", inspect.Parameter.KEYWORD_ONLY, default=DEFAULT_TOP_N, annotation=int)]
_OPTIONS += _extractor_options()
_HINTS = {p.name: p.annotation for p in _OPTIONS}
make_keyextract.__signature__ = inspect.Signature(
    [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=t) for n, t in (("nlp", Language), ("name", str))]
    + _OPTIONS,
    return_annotation=KeyphraseComponent,
)
make_keyextract.__annotations__ = {"nlp": Language, "name": str, **_HINTS, "return": KeyphraseComponent}
Language.factory(
    FACTORY, default_config={p.name: p.default for p in _OPTIONS}, assigns=["doc._.keyphrases"],
)(make_keyextract)

__all__ = ["FACTORY", "Keyphrase", "KeyphraseComponent", "make_keyextract"]

"""The public extractor: segmentation -> candidates -> encoder -> ranking."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from .calibration import confidences, lang_group
from .candidates import display_form, extract_candidates, untagged_candidates
from .chinese import UserDictEntry, load_user_dict
from .documents import MARKUP_MODES, Document, text_document
from .guidance import per_text, seed_prior
from .languages import (
    UNTAGGED, detect_language, handled_language, language_note, validate_lang, word_lemmatizer, word_reading,
)
from .progress import notes_beside_bars, progress_bar, stage_bar, stage_status
from .ranking import (
    ATTENTION_WEIGHT, attention_prior, contest_winners, cosines, frequency_prior, length_offsets, mmr, nesting_units,
    position_prior, shortlist, specificity_prior,
)
from .segmentation import segment
from .stopwords import load_stopwords, read_stopword_file
from .phrasemap import MapFitter, PhraseMap, static_vectors
from .textmap import mark_line_breaks
from .types import Candidate, Contests, Keyword, Spans
from .vocabulary import (
    ABSENT_PENALTY, INSIDE_PENALTY, UNCAPPED_TAGS, inside_share, Vocabulary, best_tags, label_vectors, load_vocabulary, tag_occurrences,
)

DEFAULT_MODELS = {
    "en": "sentence-transformers/paraphrase-albert-small-v2",
    "zh": "voidful/albert_chinese_base",
}
#: Default encoder of every other language (``languages.UNTAGGED``, Japanese, and languages
#: keyextract has no stopword list for): multilingual-e5-small (Wang et al. 2024), 100 languages.
DEFAULT_MULTILINGUAL_MODEL = "intfloat/multilingual-e5-small"
# Which language was found in a document, said once per language and extractor: INFO for a
# language handled without a tagger, WARNING for one keyextract has no stopword list for.
_log = logging.getLogger("keyextract.languages")
MODES = ("mapped", "context", "isolated")
DEFAULT_DIVERSITY = 0.0
# Defaults chosen on all dev sets together (BENCHMARKS.md): isolated phrase vectors rank
# better than in-context ones, and mapped ones (``keyextract.phrasemap``) nearly as well at the
# cost of in-context ones; the priors lift long papers most.
DEFAULT_MODE = "mapped"
# Mapped mode maps English phrases only. On CSL the map was within 0.2 micro F1@10 of isolated
# mode, but on everyday Chinese text it let the pieces of a compound outrank it (新能源 and
# 汽车产业 above 新能源汽车产业), as context mode does; on 110-PT-BN-KP (n-gram candidates) it lost
# 0.9. Those documents are ranked as in isolated mode (BENCHMARKS.md, "Phrase map").
DEFAULT_POSITION_WEIGHT = 0.3
DEFAULT_FREQUENCY_WEIGHT = 0.05
DEFAULT_ATTENTION_WEIGHT = ATTENTION_WEIGHT
# Longest candidate, in words, by language (``max_words=None``). English noun phrases are
# proposed whole up to 5 words with their sub-spans contending (``candidates._phrases_in_run``):
# on the English dev sets 5 beat 3 (Inspec micro F1@10 +0.4 with whole phrases only). Chinese
# and untagged languages keep 3, the length their candidate patterns were measured with.
DEFAULT_MAX_WORDS = {"en": 5}
FALLBACK_MAX_WORDS = 3
# extract_batch works through its texts, shortest first, in chunks of at most this many texts
# and characters: enough to batch the encoder well, few enough to bound the memory of a chunk's
# candidates and encoder windows and to move a progress bar.
CHUNK_DOCS = 128
FIRST_CHUNK_DOCS = 16
CHUNK_CHARS = 500_000
# A longer text is segmented and its candidates selected in blocks of about this many
# characters (``_blocks``), so that its tokens are never all held at once; its keyphrases are
# those of the whole text but where a sentence or a phrase's surface forms straddle blocks.
BLOCK_CHARS = 100_000
# Encoder windows per forward pass. On CPU small batches win: on 500 Inspec abstracts with
# all-MiniLM-L6-v2 and 2 threads the bare forward pass took 11.8-12.2 s with 8, 12.3-12.4 s
# with 16, 13.9-14.9 s with 32; extract_batch with 8 was 3-7% faster than with 16 in both
# modes, fp32 and int8.
DEFAULT_BATCH_SIZE = 8
# Isolated mode encodes alone only a document's SHORTLIST_FACTOR * top_n + SHORTLIST_MARGIN best
# candidates by their in-context score (``shortlist``): on the English dev sets (300 Inspec, 150
# KDD and 150 WWW abstracts, 40 500N stories, 8 SemEval and 10 Nguyen2007 papers, top 5, 10 and
# 15) that kept 98.8-100% of the exhaustive top-N and micro F1 within 0.23 points of it, where
# 2 * top_n + 5 lost up to 0.5 (KDD @5, 500N @15, Nguyen2007 @10).
SHORTLIST_FACTOR = 3
SHORTLIST_MARGIN = 5


@dataclass
class _Prepared:
    """One document after the CPU stages, waiting for its encoder."""

    document: Document  # its text is the one segmented; spans map back through it
    lang: str
    model: str
    candidates: list[Candidate]
    seeds: tuple[str, ...] = ()
    seed_vectors: np.ndarray | None = None  # the seeds', each encoded alone (``_guide``)
    vocabulary: Vocabulary | None = None  # tags instead of phrases (``KeywordExtractor.vocabulary``, ``candidates=``)
    tags: dict[int, tuple[np.ndarray, int]] | None = None  # present tags: spans, first token

    @property
    def text(self) -> str:
        return self.document.text


class KeywordExtractor:
    """Extract keyphrases by ranking candidate phrases against the document with an encoder.

    The constructor only stores its parameters; encoders load on first use, once, and are
    reused by every later call (``encoders_`` maps model name to loaded encoder, ``models_``
    each language seen to the name of the encoder its documents went through).

    Parameters:
        model: hub name or local folder of a transformers encoder; ``None`` picks the default
            of each document's language: an ALBERT for English and Chinese (``DEFAULT_MODELS``),
            multilingual-e5-small for the others (``DEFAULT_MULTILINGUAL_MODEL``); where that
            cannot be had (not cached and the Hub unreachable), an encoder embedded in an
            installed package (``keyextract.offline``), with a note (a WARNING of the
            ``keyextract.offline`` logger: on stderr unless logging is configured; see
            ``extract_batch`` to silence it). A named model is never replaced: it loads or
            raises ``ModelLoadError``.
        lang: ``"auto"`` (detect per document, ``languages.detect_language``), ``"en"``,
            ``"zh"``, or the ISO 639-1 code of a language handled without a tagger
            (``languages.UNTAGGED``: ``"pt"``, ``"fr"``, ``"de"`` ...; ``languages.LANGS`` lists
            them all). English and Chinese text is tagged (Chinese and Latin stretches go to
            jieba and NLTK respectively); other languages get stopword- and punctuation-
            delimited phrases (``candidates.untagged_candidates``). A detected language other
            than English and Chinese is logged once per extractor on the
            ``keyextract.languages`` logger: INFO when handled, WARNING when keyextract has no
            stopword list for it (its candidates are then plain n-grams between punctuation).
        diversity: MMR trade-off in [0, 1]; 0 ranks by relevance alone.
        keep_nested: list phrases nested in, holding or overlapping (in the text) a phrase
            already listed, such as ``garbage collection`` after ``incremental garbage
            collection`` or 半导体 and 台湾半导体 after 半导体产业. By default (False) of a phrase
            and its parts or other cuts only the most relevant is listed (``ranking.mmr``), so a
            document with few candidates may get fewer than ``top_n``. One phrase is never
            listed twice (in two surface forms), either way.
        max_words: longest candidate phrase, in words (in a language without a tagger, words
            that are not stopwords: a linker such as the ``de`` of ``força de paz`` does not
            count); ``None`` (default): 5 for English (``DEFAULT_MAX_WORDS``), 3 otherwise.
        mode: ``"mapped"`` (default) takes each English phrase's vector from the one pass over
            the document (the mean of its tokens' vectors) and maps it to what encoding the
            phrase alone would give (``keyextract.phrasemap``: a linear map per encoder,
            shipped for the offline encoders, fitted from the first documents and cached for
            others); documents in other languages, and all documents while a map is being
            fitted, are ranked as in isolated mode (see ``DEFAULT_MODE``). ``"isolated"``
            encodes the best candidates alone (as EmbedRank and KeyBERT do; about twice mapped
            mode's time on abstracts; BENCHMARKS.md, "Phrase map", compares their quality set
            by set); ``"context"`` uses the in-context vectors as they are (as fast as mapped
            mode, 2.8 points of micro F1@10 lower than isolated mode on SemEval papers).
        exhaustive: in isolated mode, encode every candidate alone. By default (False) only a
            shortlist is: the ``3 * top_n + 5`` candidates of a document that score best with
            their in-context vectors (pooled from the document pass, priors included;
            ``SHORTLIST_FACTOR``, ``SHORTLIST_MARGIN``); the others cannot be returned. On the
            dev sets the shortlist kept 98.8-100% of the exhaustive top-N at a fraction of the
            encoder work on long documents (BENCHMARKS.md). Since the shortlist grows with top_n,
            the first k keyphrases of a larger top_n may differ from a run with top_n = k where
            the in-context and isolated scores disagree; ``exhaustive=True`` makes every list a
            prefix of the longer ones. Documents in languages without a tagger always encode
            every candidate (their length centring, ``ranking.length_offsets``, averages over
            all of them).
        position_weight: weight of the prior for an early first occurrence (0 disables it).
        frequency_weight: weight of the prior for frequent phrases (0 disables it).
        attention_weight: weight of the prior for phrases the encoder attends to in its pass
            over the document (``ranking.attention_prior``), for English and Chinese phrases;
            0 disables it and skips computing the attention.
        stopwords: extra stopwords (an iterable of words, or the path of a file).
        user_dict: words jieba should know, for this extractor only (jieba's global dictionary
            is left alone): the path of a file in jieba's user-dictionary format (UTF-8,
            ``word [frequency] [tag]`` a line), an iterable of such lines, or of
            ``(word, frequency or None, tag or None)`` tuples. Traditional or full-width
            entries also match their simplified, half-width forms. A file that cannot be read
            or parsed raises ``keyextract.InputError`` naming the file and line.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        batch_size: encoder windows per forward pass (phrases in isolated mode go 32 times as
            many to a pass, being a few tokens long).
        max_length: encoder window in tokens; ``None`` uses the model's own limit.
        quantize: dynamic int8 quantization of the encoder's linear layers (CPU): faster,
            slightly different scores.
        markup: how a ``str`` is read: ``"auto"`` as HTML/XML or Markdown when its content
            says so (``documents.text_format``), ``"html"`` always as HTML/XML, ``"markdown"``
            always as Markdown, ``"none"`` as plain text exactly as given (with ``"auto"``, plain
            text has its HTML character references decoded: ``textmap.decode_references``).
            Markup is turned into text first
            (``markup.extract_text``: tags, comments, scripts and styles dropped, references
            decoded; ``markdown.extract_text``: code, URLs and markers dropped; each block a
            line of its own); keyphrases are found in that text and shown as it reads, and
            their spans point into the markup as given, so ``text[start:end]`` may hold tags,
            references or Markdown markers between the words. A ``Document`` (from
            ``read_document``: PDF, Word, or a text file) is read as it says, whatever
            ``markup`` is.
        vocabulary: return tags of a controlled vocabulary instead of phrases of the text
            (``keyextract.vocabulary``): a list of terms, the path of a file with one term a
            line, or of a TSV file ``id<TAB>preferred label[<TAB>alternative label ...]``, or a
            ``Vocabulary``. Tags whose labels occur in the text and tags that fit it without
            occurring are ranked together; each ``Keyword`` has the tag's ``id``, its preferred
            label as ``phrase``, and the spans of its labels' occurrences. Label vectors are
            computed once per encoder and vocabulary and cached on disk
            (``vocabulary.label_vectors``). A bad file raises ``InputError`` naming the file
            and line (when first used).
        seed_keywords: words or phrases that steer every document's ranking toward their topic
            (``keyextract.guidance``: a ``seed`` part of the score, the cosine to the nearest
            seed, as a z-score); ``extract_batch(seed_keywords=...)`` gives them per call or per document.
        min_confidence: return only keyphrases whose ``confidence`` is at least this (in [0,
            1]; ``keyextract.calibration``); ``top_n`` then caps the list, or, given as
            ``None``, does not.
    """

    def __init__(
        self,
        model: str | None = None,
        lang: str = "auto",
        *,
        diversity: float = DEFAULT_DIVERSITY,
        keep_nested: bool = False,
        max_words: int | None = None,
        mode: str = DEFAULT_MODE,
        exhaustive: bool = False,
        position_weight: float = DEFAULT_POSITION_WEIGHT,
        frequency_weight: float = DEFAULT_FREQUENCY_WEIGHT,
        attention_weight: float = DEFAULT_ATTENTION_WEIGHT,
        stopwords: Iterable[str] | str | None = None,
        user_dict: Iterable[str] | Iterable[tuple] | str | os.PathLike | None = None,
        device: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_length: int | None = None,
        quantize: bool = False,
        markup: str = "auto",
        vocabulary: Vocabulary | str | os.PathLike | Iterable[str] | None = None,
        seed_keywords: Sequence[str] | None = None,
        min_confidence: float | None = None,
    ) -> None:
        self.model = model
        self.lang = lang
        self.diversity = diversity
        self.keep_nested = keep_nested
        self.max_words = max_words
        self.mode = mode
        self.exhaustive = exhaustive
        self.position_weight = position_weight
        self.frequency_weight = frequency_weight
        self.attention_weight = attention_weight
        self.stopwords = stopwords
        self.user_dict = user_dict
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.quantize = quantize
        self.markup = markup
        self.vocabulary = vocabulary
        self.seed_keywords = seed_keywords
        self.min_confidence = min_confidence

    # -- public API -----------------------------------------------------------------------

    def extract(
        self,
        text: str | Document,
        top_n: int | None = 5,
        *,
        seed_keywords: Sequence[str] | None = None,
        candidates: Sequence[str] | None = None,
    ) -> list[Keyword]:
        """Return the ``top_n`` keyphrases of ``text`` (a string, or a ``Document`` from
        ``read_document``), best first (empty list if it has none). ``seed_keywords`` and
        ``candidates``: one list of str for this text (see ``extract_batch``)."""
        return self.extract_batch(
            [text], top_n=top_n, seed_keywords=seed_keywords, candidates=[candidates] if candidates is not None else None
        )[0]

    def extract_batch(
        self,
        texts: Sequence[str | Document],
        top_n: int | None = 5,
        batch_size: int | None = None,
        progress: bool | None = None,
        *,
        seed_keywords: Sequence[str] | Sequence[Sequence[str]] | None = None,
        candidates: Sequence[str] | Sequence[Sequence[str]] | None = None,
    ) -> list[list[Keyword]]:
        """Keyphrases of each text (a string or a ``Document``), in input order; encoder
        windows of many texts share passes.

        ``top_n``: the most keyphrases a text gets; ``None`` for no cap, only with
        ``min_confidence``. ``seed_keywords``: one list of str for every text, or one list a
        text, replacing the extractor's ``seed_keywords`` (``keyextract.guidance``).
        ``candidates``: the phrases to rank instead of the text's own, one list a text (or one
        list for all): ranked as a vocabulary's tags are (``keyextract.vocabulary``; a phrase
        that occurs gets its spans and priors, one that does not is ranked by its cosine to the
        document less ``vocabulary.ABSENT_PENALTY``); KeyBERT's ``candidates``, which also
        ranks phrases that do not occur. Not with a ``vocabulary``. Raises ``ValueError`` for
        either of another shape.

        Texts are processed shortest first, so that each forward pass holds windows of similar
        length (less padding).

        ``progress``: bars on stderr for long work (``keyextract.progress``): one over the
        documents (more than ``CHUNK_DOCS`` texts when ``None``), and one per stage as it runs,
        once the stage has run ``progress.STAGE_DELAY`` (1) seconds: ``segmenting`` (characters,
        a text longer than ``BLOCK_CHARS``), ``tokenizing`` (characters, texts longer than
        ``encoder.TOKENIZE_CHARS``), ``encoding`` (windows) and ``phrases`` (isolated mode).
        ``None`` (default): those bars only when stderr is a terminal; ``True``: also when it is
        not (a notebook, a log file: tqdm then writes carriage returns there); ``False``: none.

        Notes (the offline encoder that replaces a default, ``keyextract.offline``; languages
        found, ``keyextract.languages``) are records of the ``keyextract`` logger. Where no
        logging is configured, those of level WARNING (the offline encoder's) are printed on
        stderr as Python prints them, each on a line of its own; silence them with
        ``logging.getLogger("keyextract").setLevel(logging.ERROR)``, or configure logging to
        route them.
        """
        self._validate(top_n, batch_size)
        self._user_dict()  # a bad dictionary file fails here, before any work
        texts = list(texts)
        for text in texts:
            if not isinstance(text, (str, Document)):
                raise TypeError(f"text must be str or Document, got {type(text).__name__}")
        seeds = per_text(seed_keywords if seed_keywords is not None else self.seed_keywords, len(texts), "seed_keywords")
        lists = per_text(candidates, len(texts), "candidates")
        if lists is not None and self.vocabulary is not None:
            raise ValueError("candidates cannot be given to an extractor with a vocabulary")
        vocabularies = [replace(load_vocabulary(c), persist=False) if c else _NO_CANDIDATES for c in lists] if lists is not None else None
        if vocabularies is None and self.vocabulary is not None:
            vocabularies = [self._vocabulary()] * len(texts)
        show_docs = progress if progress is not None else len(texts) > CHUNK_DOCS and sys.stderr.isatty()
        # within a chunk: bars for long encoder work, when asked for or on a terminal
        within = progress if progress is not None else sys.stderr.isatty()
        results: list[list[Keyword]] = [[] for _ in texts]
        lengths = [len(t.text) if isinstance(t, Document) else len(t) for t in texts]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        def prepare(chunk: list[int]) -> list[_Prepared]:
            return self._prepare_chunk(
                [texts[i] for i in chunk], within, [seeds[i] for i in chunk] if seeds else None,
                [vocabularies[i] for i in chunk] if vocabularies else None,
            )

        chunks = list(_chunks(order, lengths))
        # The CPU stages of the next chunk run in a thread while the encoder works on this one
        # (torch leaves Python's lock while it computes): on 200 Inspec abstracts with one torch
        # thread that hid about half of segmentation, tagging and candidates.
        with notes_beside_bars(show_docs or within), progress_bar(len(texts), show_docs) as bar, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyextract-prepare") as pool:
            upcoming = None
            for k, chunk in enumerate(chunks):
                # the first chunk (and so a single one: a long text's stage bars stay alone) in this thread
                prepared = upcoming.result() if upcoming is not None else prepare(chunk)
                upcoming = pool.submit(prepare, chunks[k + 1]) if k + 1 < len(chunks) else None
                try:
                    keywords = self._rank_chunk(prepared, top_n, batch_size or self.batch_size, within)
                except BaseException:
                    if upcoming is not None:
                        upcoming.cancel()
                    raise
                for i, found in zip(chunk, keywords):
                    results[i] = found
                bar.update(len(chunk))
        return results

    def _prepare_chunk(
        self,
        texts: list[str | Document],
        progress: bool = False,
        seeds: list[tuple[str, ...]] | None = None,
        vocabularies: list[Vocabulary | None] | None = None,
    ) -> list[_Prepared]:
        """The CPU stages (``_prepare``) for a chunk of texts.

        ``progress``: show a bar over each stage of a long text (see ``extract_batch``).
        ``seeds``, ``vocabularies``: per text, its seed keywords and the vocabulary whose tags
        it gets (``_NO_CANDIDATES``: an empty ``candidates`` list, no keyphrases).
        """
        prepared = []
        for k, text in enumerate(texts):
            vocabulary = vocabularies[k] if vocabularies else None
            doc = self._prepare(text, progress, vocabulary)
            prepared.append(replace(doc, seeds=seeds[k] if seeds else ()))
        return prepared

    def _rank_chunk(
        self, prepared: list[_Prepared], top_n: int | None, batch_size: int, progress: bool = False
    ) -> list[list[Keyword]]:
        """The encoder and ranking stages for a prepared chunk, its encoder work batched together."""
        results: list[list[Keyword]] = [[] for _ in prepared]
        by_model: dict[str, list[int]] = {}
        for i, doc in enumerate(prepared):
            if doc.candidates or (doc.vocabulary is not None and doc.text.strip()):
                by_model.setdefault(doc.model, []).append(i)
        for model, indices in by_model.items():
            docs = [prepared[i] for i in indices]
            encoder = self._encoder(model, docs[0].lang, progress)
            self.models_.update((doc.lang, encoder.name) for doc in docs)
            rank = self._rank_tags if docs[0].vocabulary is not None else self._rank
            for i, keywords in zip(indices, rank(encoder, docs, top_n, batch_size, progress)):
                results[i] = keywords
        return results

    def language(self, text: str | Document) -> str:
        """The language that picks the encoder for ``text``: ``lang``, or the one detected in
        its text (after markup is stripped, as ``extract`` does)."""
        return self._language_of_plain(self._document(text).text)

    # -- stages ---------------------------------------------------------------------------

    def _validate(self, top_n: int | None, batch_size: int | None) -> None:
        """Check parameters where they are used, naming the parameter and the allowed values."""
        validate_lang(self.lang)
        if self.markup not in MARKUP_MODES:
            raise ValueError(f"markup must be one of {MARKUP_MODES}, got {self.markup!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if not 0.0 <= self.diversity <= 1.0:
            raise ValueError(f"diversity must be in [0, 1], got {self.diversity}")
        if not isinstance(self.keep_nested, bool):
            raise ValueError(f"keep_nested must be True or False, got {self.keep_nested!r}")
        for name in ("position_weight", "frequency_weight", "attention_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 10.0:
                raise ValueError(f"{name} must be a number in [0, 10], got {value!r}")
        if self.max_words is not None and (not isinstance(self.max_words, int) or self.max_words < 1):
            raise ValueError(f"max_words must be None or an integer >= 1, got {self.max_words!r}")
        if self.min_confidence is not None and (
            isinstance(self.min_confidence, bool) or not isinstance(self.min_confidence, (int, float))
            or not 0.0 <= self.min_confidence <= 1.0
        ):
            raise ValueError(f"min_confidence must be None or a number in [0, 1], got {self.min_confidence!r}")
        if top_n is None and self.min_confidence is None:
            raise ValueError("top_n=None (no cap) needs min_confidence")
        if top_n is not None and (not isinstance(top_n, int) or top_n < 1):
            raise ValueError(f"top_n must be an integer >= 1, got {top_n!r}")
        for name, value in (("batch_size", batch_size), ("batch_size", self.batch_size)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")

    def _extra_stopwords(self) -> frozenset[str]:
        """The caller's extra stopwords, case-folded (cached as ``extra_stopwords_``)."""
        if not hasattr(self, "extra_stopwords_"):
            extra: Iterable[str] = ()
            if isinstance(self.stopwords, str):
                extra = read_stopword_file(self.stopwords)
            elif self.stopwords is not None:
                extra = {w.casefold() for w in self.stopwords}
            self.extra_stopwords_ = frozenset(extra)
        return self.extra_stopwords_

    def _stopwords(self) -> frozenset[str]:
        """Shipped English and Chinese lists plus the caller's extras (cached as ``stopwords_``)."""
        if not hasattr(self, "stopwords_"):
            self.stopwords_ = load_stopwords("en") | load_stopwords("zh") | self._extra_stopwords()
        return self.stopwords_

    def _user_dict(self) -> tuple[UserDictEntry, ...] | None:
        """The user dictionary's entries, read and checked once (cached as ``user_dict_``)."""
        if not hasattr(self, "user_dict_"):
            self.user_dict_ = load_user_dict(self.user_dict)
        return self.user_dict_

    def _prepare(self, text: str | Document, progress: bool = False, vocabulary: Vocabulary | None = None) -> _Prepared:
        """Segment ``text`` (the text of its markup, if it is marked up) and select its
        candidates, or with a ``vocabulary`` find its labels' occurrences; pick the encoder for
        its language. ``progress``: a ``segmenting`` bar (``progress.stage_bar``) over the
        characters of a text of more than one block (``BLOCK_CHARS``)."""
        document = self._document(text)
        text = document.text
        lang = self._language_of_plain(text)
        model = self.model or DEFAULT_MODELS.get(lang, DEFAULT_MULTILINGUAL_MODEL)
        if vocabulary is _NO_CANDIDATES or not text.strip():  # candidates=[]: nothing to rank
            return _Prepared(document, lang, model, [])
        if self.lang == "auto":
            self._note_language(lang)
        handled = handled_language(lang)
        with stage_bar(len(text), progress and len(text) > BLOCK_CHARS, "char", "segmenting") as bar:
            if vocabulary is not None:
                tags = self._tags_in(text, lang, handled, document.lines_are_blocks, vocabulary, bar)
                return _Prepared(document, lang, model, [], vocabulary=vocabulary, tags=tags)
            candidates = _merged(text, self._block_candidates(text, lang, handled, document.lines_are_blocks, bar))
        return _Prepared(document, lang, model, candidates)

    def _tags_in(
        self, text: str, lang: str, handled: str | None, lines_are_blocks: bool, vocabulary: Vocabulary, bar=None
    ) -> dict[int, tuple[np.ndarray, int]]:
        """The tags of ``vocabulary`` whose labels occur in ``text``, block by block
        (``_blocks``): tag number -> (spans, first token) (``vocabulary.tag_occurrences``)."""
        index = vocabulary.index(handled or "")
        found: dict[int, tuple[list, int]] = {}
        tokens_before = 0
        for start, end in _blocks(text):
            tokens = segment(text[start:end], handled or lang, user_dict=self._user_dict())
            if lines_are_blocks:
                tokens = mark_line_breaks(text[start:end], tokens)
            for label, (spans, first) in index.find(tokens, tokens_before).items():
                occurrences, earliest = found.setdefault(label, ([], first))
                occurrences.extend((s + start, e + start) for s, e in spans)
            tokens_before += len(tokens)
            if bar is not None:
                bar.update(end - start)
        return tag_occurrences(vocabulary, found)

    def _block_candidates(
        self, text: str, lang: str, handled: str | None, lines_are_blocks: bool, bar=None
    ) -> Iterator[list[Candidate]]:
        """The candidates of each of ``text``'s blocks (``_blocks``), placed in the whole text.
        ``bar`` (a ``progress_bar``) counts the characters of each block as it is taken in."""
        tokens_before = groups_before = 0
        for start, end in _blocks(text):
            found, n_tokens = self._candidates(text[start:end], lang, handled, lines_are_blocks)
            yield [_shifted(c, start, tokens_before, groups_before) for c in found] if start else found
            tokens_before += n_tokens
            groups_before += 1 + max((int(c.groups.array.max()) for c in found if c.groups), default=-1)
            if bar is not None:
                bar.update(end - start)
        if bar is not None:  # _merged then joins the blocks' occurrences (a few % of the stage)
            bar.set_postfix_str("merging blocks")

    def _candidates(self, text: str, lang: str, handled: str | None, lines_are_blocks: bool) -> tuple[list[Candidate], int]:
        """Segment ``text`` (a whole text or a block of one) and select its candidates; also
        the number of its tokens. The tokens are dropped here."""
        tokens = segment(text, handled or lang, user_dict=self._user_dict())
        if lines_are_blocks:
            tokens = mark_line_breaks(text, tokens)
        max_words = self.max_words or DEFAULT_MAX_WORDS.get(handled, FALLBACK_MAX_WORDS)
        if handled in ("en", "zh"):
            return extract_candidates(text, tokens, self._stopwords(), max_words), len(tokens)
        linkers = UNTAGGED[handled].linkers if handled is not None else frozenset()
        lemma = word_lemmatizer(handled) if handled is not None else None
        candidates = untagged_candidates(text, tokens, self._untagged_stopwords(handled), max_words, linkers, lemma)
        return candidates, len(tokens)

    def _untagged_stopwords(self, lang: str | None) -> frozenset[str]:
        """The shipped list of ``lang`` (none when ``None``), its elided clitics and the
        caller's extras (cached in ``untagged_stopwords_``)."""
        if not hasattr(self, "untagged_stopwords_"):
            self.untagged_stopwords_: dict[str | None, frozenset[str]] = {}
        if lang not in self.untagged_stopwords_:
            words = self._extra_stopwords()
            if lang is not None:
                words |= load_stopwords(lang) | UNTAGGED[lang].elisions
            self.untagged_stopwords_[lang] = words
        return self.untagged_stopwords_[lang]

    def _note_language(self, lang: str) -> None:
        """Log, once per language, that a document in a language other than en/zh was found."""
        if lang in ("en", "zh"):
            return
        if not hasattr(self, "languages_noted_"):
            self.languages_noted_: set[str] = set()
        if lang not in self.languages_noted_:
            self.languages_noted_.add(lang)
            _log.log(logging.INFO if lang in UNTAGGED else logging.WARNING, "%s", language_note(lang))

    def _document(self, text: str | Document) -> Document:
        """``text`` as a document: a string read as ``markup`` says (``documents.text_document``);
        lone surrogates read as U+FFFD (``_valid_unicode``)."""
        if isinstance(text, Document):
            valid = _valid_unicode(text.text)
            return text if valid is text.text else replace(text, text=valid)
        return text_document(_valid_unicode(text), self.markup)

    def _language_of_plain(self, text: str) -> str:
        return detect_language(text) if self.lang == "auto" else self.lang

    def _encoder(self, model: str, lang: str, progress: bool = False):
        """The loaded encoder for ``model``: loaded on first use, shared within the process.

        A default model (``self.model is None``) that cannot be had is replaced by the
        embedded encoder for ``lang``. ``progress``: a line on stderr while a load takes long
        (``progress.stage_status``).
        """
        from .encoder import load_encoder
        from .offline import load_default_encoder

        if not hasattr(self, "encoders_"):
            self.encoders_: dict = {}
            self.models_: dict[str, str] = {}
        if model not in self.encoders_:
            with stage_status(f"loading the encoder {model}", progress):
                if self.model is None:
                    encoder = load_default_encoder(model, lang, self.device, self.max_length, self.quantize)
                else:
                    encoder = load_encoder(model, self.device, self.max_length, self.quantize)
            self.encoders_[model] = encoder
        return self.encoders_[model]

    def _rank(
        self, encoder, docs: list[_Prepared], top_n: int, batch_size: int, progress: bool = False
    ) -> list[list[Keyword]]:
        """Embed candidates (in context or alone) and pick ``top_n`` of each document by MMR.

        Isolated mode: the document pass also pools each candidate in context, which scores
        them cheaply; only each document's shortlist (``shortlist``) is then encoded alone,
        unless ``exhaustive``. A shortlisted candidate's parts are those an exhaustive run gives
        it (priors computed over all the document's candidates, similarity of its own vector).
        """
        tagged = [handled_language(d.lang) in ("en", "zh") for d in docs]
        english = [handled_language(d.lang) == "en" for d in docs]
        fitter = self._phrase_map(encoder) if self.mode == "mapped" and any(english) else None
        phrase_map = fitter.get() if fitter is not None else None
        # per document: "context" (in-context vectors), "mapped" (in-context vectors through the
        # phrase map) or "isolated" (phrases encoded alone). Mapped mode maps English phrases
        # only (see DEFAULT_MODE) and ranks the others as isolated mode does, and so too all
        # documents while a map is being fitted.
        kinds = [
            self.mode if self.mode != "mapped" else ("mapped" if e and phrase_map is not None else "isolated")
            for e in english
        ]
        attention = self.attention_weight > 0 and any(tagged)
        shortlisting = [k == "isolated" and not self.exhaustive and t for k, t in zip(kinds, tagged)]
        # pooled in context (window by window, no token vectors kept): every candidate in
        # context and mapped mode, the candidates of shortlisting documents in isolated mode,
        # and in any mode those whose attention prior is wanted (the attention is pooled alongside)
        spans = [
            [c.spans for c in d.candidates] if kind != "isolated" or short or (attention and t) else []
            for d, kind, short, t in zip(docs, kinds, shortlisting, tagged)
        ]
        encoded = encoder.encode(
            [d.text for d in docs], False, batch_size, progress=progress,
            spans=spans if any(spans) else None, attention=attention,
        )
        docs = self._guide(encoder, docs, batch_size)
        scored = []  # per document: its candidates still in the running, their parts, their vectors
        mapped = [k for k, kind in enumerate(kinds) if kind == "mapped"]
        mapped_vectors = dict(zip(mapped, self._mapped_vectors(encoder, phrase_map, [docs[k] for k in mapped], [encoded[k] for k in mapped], batch_size)))
        for k, (doc, enc, short, kind) in enumerate(zip(docs, encoded, shortlisting, kinds)):
            if kind == "mapped":
                vectors = mapped_vectors.pop(k)
                scored.append((doc.candidates, self._score_parts(doc, enc, doc.candidates, vectors, enc.pooled_attention), vectors))
            elif kind == "context":
                if enc.found.all():  # no copy of the pooled vectors (n x dim)
                    kept, vectors, attention_sums = doc.candidates, enc.pooled, enc.pooled_attention
                else:
                    kept = [c for c, ok in zip(doc.candidates, enc.found) if ok]
                    vectors = enc.pooled[enc.found]
                    attention_sums = enc.pooled_attention[enc.found] if enc.pooled_attention is not None else None
                scored.append((kept, self._score_parts(doc, enc, kept, vectors, attention_sums), vectors))
            elif short:
                parts = self._score_parts(doc, enc, doc.candidates, enc.pooled, enc.pooled_attention)
                take = shortlist(sum(parts.values()), self._shortlist_size(doc, parts, top_n))
                scored.append(([doc.candidates[i] for i in take], {name: v[take] for name, v in parts.items()}, take))
            else:
                scored.append((doc.candidates, None, None))
        alone = [k for k, kind in enumerate(kinds) if kind == "isolated"]
        if alone:  # the phrases of the whole chunk share forward passes
            phrase_vectors = encoder.embed([c.phrase for k in alone for c in scored[k][0]], batch_size, progress=progress)
            row = 0
            for k in alone:
                doc, enc, (kept, parts, take) = docs[k], encoded[k], scored[k]
                vectors = phrase_vectors[row : row + len(kept)]
                row += len(kept)
                if parts is None:
                    parts = self._score_parts(doc, enc, kept, vectors, enc.pooled_attention)
                else:  # shortlisted: the in-context similarity gives way to the phrase's own
                    parts["similarity"] = cosines(vectors, enc.doc_vector)
                    if doc.seed_vectors is not None:
                        parts["seed"] = seed_prior(vectors, doc.seed_vectors)
                    if fitter is not None and fitter.collecting:  # a lazy fit's data: the shortlist's pairs of vectors
                        found = enc.found[take]
                        static, pieces = static_vectors(encoder, [c.phrase for c, ok in zip(kept, found) if ok])
                        fitter.add(enc.pooled[take][found], vectors[found], enc.doc_vector, static, pieces)
                scored[k] = (kept, parts, vectors)
        results = []
        for k, (doc, enc) in enumerate(zip(docs, encoded)):
            kept, parts, vectors = scored[k]
            scored[k] = enc.pooled = None  # the contests' losers' vectors go with them below
            relevance = sum(parts.values())
            winners = contest_winners(relevance, [c.groups for c in kept])
            kept = [c for c, ok in zip(kept, winners) if ok]
            parts = {name: values[winners] for name, values in parts.items()}
            vectors, relevance = vectors[winners], relevance[winners]
            word_form = word_reading(handled_language(doc.lang) or "")
            units = [nesting_units(c.key, word_form) for c in kept]
            picks = mmr(relevance, vectors, top_n or len(kept), self.diversity, units, self.keep_nested, [c.spans for c in kept])
            results.append(self._keywords(doc, picks, parts, [c.phrase for c in kept], [c.spans for c in kept]))
        return results

    def _phrase_map(self, encoder) -> MapFitter:
        """The phrase map of ``encoder`` (``phrasemap.MapFitter``: shipped, cached, or being
        fitted), one per encoder and process (kept on the encoder, shared by extractors)."""
        fitter = getattr(encoder, "phrase_map_", None)
        if fitter is None:
            fitter = encoder.phrase_map_ = MapFitter(encoder)
        return fitter

    def _mapped_vectors(
        self, encoder, phrase_map: PhraseMap | None, docs: list[_Prepared], encoded: list, batch_size: int
    ) -> list[np.ndarray]:
        """Per document, ``(n, dim)`` vectors of its ``n`` candidates: in-context vectors through
        ``phrase_map`` (the static vectors of all documents' phrases in one call); a candidate
        with no token of its own in the document pass (``found`` False) is encoded alone."""
        if not docs:
            return []
        found_phrases = [c.phrase for doc, enc in zip(docs, encoded) for c, ok in zip(doc.candidates, enc.found) if ok]
        static, pieces = static_vectors(encoder, found_phrases)
        lost = encoder.embed([c.phrase for doc, enc in zip(docs, encoded) for c, ok in zip(doc.candidates, enc.found) if not ok], batch_size)
        out, row, lost_row = [], 0, 0
        for doc, enc in zip(docs, encoded):
            found = enc.found
            vectors = np.empty((len(doc.candidates), encoder.dim), np.float32)
            n_found = int(found.sum())
            if n_found:
                vectors[found] = phrase_map(enc.pooled[found], enc.doc_vector, static[row : row + n_found], pieces[row : row + n_found])
            row += n_found
            n_lost = len(found) - n_found
            if n_lost:
                vectors[~found] = lost[lost_row : lost_row + n_lost]
            lost_row += n_lost
            out.append(vectors)
        return out

    def _shortlist_size(self, doc: _Prepared, parts: dict[str, np.ndarray], top_n: int | None) -> int:
        """How many candidates isolated mode encodes alone: ``3 * top_n + 5``; without a cap
        (``top_n`` None, ``min_confidence`` set) ``3 * k + 5``, ``k`` the candidates whose
        confidence from their in-context parts reaches ``min_confidence``."""
        if top_n is None:
            relevance = sum(parts.values())
            ranks = np.empty(len(relevance))
            ranks[np.lexsort((np.arange(len(relevance)), -relevance))] = np.arange(1, len(relevance) + 1)
            confident = confidences(parts, ranks, lang_group(handled_language(doc.lang)))
            top_n = max(1, int((confident >= self.min_confidence).sum()))
        return SHORTLIST_FACTOR * top_n + SHORTLIST_MARGIN

    def _keywords(
        self,
        doc: _Prepared,
        picks: list[tuple[int, float]],
        parts: dict[str, np.ndarray],
        phrases: Sequence[str],
        spans: Sequence,
        ids: Sequence[str] | None = None,
    ) -> list[Keyword]:
        """The picks (``ranking.mmr``'s ``(index, relevance)``, best first) as keywords with
        their confidence (``calibration.confidences``), those below ``min_confidence`` left out.
        ``parts``, ``phrases``, ``spans``, ``ids``: per candidate (or tag)."""
        if not picks:
            return []
        rows = np.array([i for i, _ in picks])
        kind = "vocabulary" if ids is not None else "keyphrases"
        confidence = confidences(
            {name: values[rows] for name, values in parts.items()}, np.arange(1, len(rows) + 1),
            lang_group(handled_language(doc.lang)), kind,
        )
        span = doc.document.span
        keywords = []
        for (i, score), conf in zip(picks, confidence.tolist()):
            if self.min_confidence is not None and conf < self.min_confidence:
                continue
            shown = {name: round(float(values[i]), 6) for name, values in parts.items()}
            keywords.append(Keyword(
                phrases[i], round(score, 6), tuple(span(*s) for s in spans[i]), shown, conf,
                ids[i] if ids is not None else None,
            ))
        return keywords

    def _guide(self, encoder, docs: list[_Prepared], batch_size: int) -> list[_Prepared]:
        """``docs`` with the vectors of their seed keywords (``guidance.seed_prior``)."""
        return [replace(d, seed_vectors=encoder.embed(list(d.seeds), batch_size)) if d.seeds else d for d in docs]

    def _vocabulary(self) -> Vocabulary:
        """The extractor's vocabulary, read once (cached as ``vocabulary_``)."""
        if not hasattr(self, "vocabulary_"):
            self.vocabulary_ = load_vocabulary(self.vocabulary)
        return self.vocabulary_

    def _label_vectors(self, vocabulary: Vocabulary, encoder, batch_size: int, progress: bool) -> np.ndarray:
        """Unit label vectors of ``vocabulary``: the extractor's own from the disk cache
        (``vocabulary.label_vectors``, kept in ``label_vectors_`` per encoder); a ``candidates``
        list's from the encoder's phrase cache (``Encoder.embed``)."""
        if vocabulary is not getattr(self, "vocabulary_", None):
            vectors = encoder.embed(list(vocabulary.labels), batch_size)
            return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        if not hasattr(self, "label_vectors_"):
            self.label_vectors_: dict[str, np.ndarray] = {}
        if encoder.name not in self.label_vectors_:
            self.label_vectors_[encoder.name] = label_vectors(vocabulary, encoder, batch_size, progress)
        return self.label_vectors_[encoder.name]

    def _rank_tags(
        self, encoder, docs: list[_Prepared], top_n: int | None, batch_size: int, progress: bool = False
    ) -> list[list[Keyword]]:
        """Rank each document's vocabulary tags (``keyextract.vocabulary``): the tags whose
        labels are nearest the document vector and those found in the text, scored as
        ``Keyword.parts`` says (priors for present tags, ``absent`` for the others), and pick
        ``top_n`` by MMR over their label vectors."""
        attention = self.attention_weight > 0
        spans = [[Spans(sp) for sp, _ in d.tags.values()] for d in docs]
        encoded = encoder.encode(
            [d.text for d in docs], False, batch_size, progress=progress,
            spans=spans if any(spans) else None, attention=attention and any(spans),
        )
        docs = self._guide(encoder, docs, batch_size)
        # cosine of every label to every document of one vocabulary: one matrix product
        similarities: list[np.ndarray | None] = [None] * len(docs)
        groups: dict[int, list[int]] = {}
        for k, doc in enumerate(docs):
            groups.setdefault(id(doc.vocabulary), []).append(k)
        label_vectors_of = {}
        for members in groups.values():
            vocabulary = docs[members[0]].vocabulary
            vectors = label_vectors_of[id(vocabulary)] = self._label_vectors(vocabulary, encoder, batch_size, progress)
            doc_vectors = np.stack([encoded[k].doc_vector for k in members]).astype(np.float32)
            doc_vectors /= np.maximum(np.linalg.norm(doc_vectors, axis=1, keepdims=True), 1e-12)
            product = doc_vectors @ np.asarray(vectors).T
            for row, k in enumerate(members):
                similarities[k] = product[row]
        results = []
        for doc, enc, similarity_of_labels in zip(docs, encoded, similarities):
            vocabulary = doc.vocabulary
            vectors = label_vectors_of[id(vocabulary)]
            present = list(doc.tags)
            size = SHORTLIST_FACTOR * (top_n or UNCAPPED_TAGS) + SHORTLIST_MARGIN
            tags, similarity, best_label = best_tags(vocabulary, similarity_of_labels, present, size)
            is_present = np.isin(tags, present)
            first = np.array([doc.tags[t][1] if p else 0 for t, p in zip(tags.tolist(), is_present)], dtype=np.float64)
            counts = np.array([len(doc.tags[t][0]) if p else 1 for t, p in zip(tags.tolist(), is_present)], dtype=np.float64)
            attention_sums = np.zeros(len(tags))
            if attention and present and enc.pooled_attention is not None:
                row = {t: k for k, t in enumerate(present)}
                attention_sums[is_present] = enc.pooled_attention[[row[t] for t in tags[is_present].tolist()]]
            attention_part = np.zeros(len(tags))
            attention_part[is_present] = attention_prior(attention_sums[is_present], self.attention_weight)
            parts = {
                "similarity": similarity,
                "position": np.where(is_present, position_prior(first, self.position_weight), 0.0),
                "frequency": np.where(is_present, frequency_prior(counts, self.frequency_weight), 0.0),
                "attention": attention_part,
                "absent": np.where(is_present, 0.0, -ABSENT_PENALTY),
            }
            parts["inside"] = -INSIDE_PENALTY * inside_share([doc.tags[t][0] if p else None for t, p in zip(tags.tolist(), is_present)])
            if doc.seed_vectors is not None:
                parts["seed"] = seed_prior(np.asarray(vectors[best_label]), doc.seed_vectors)
            relevance = sum(parts.values())
            word_form = word_reading(handled_language(doc.lang) or "")
            lang = handled_language(doc.lang) or ""
            units = [nesting_units(" ".join(vocabulary.preferred_units(t, lang)), word_form) for t in tags.tolist()]
            tag_spans = [doc.tags[t][0] if p else np.zeros((0, 2), np.int64) for t, p in zip(tags.tolist(), is_present)]
            picks = mmr(relevance, np.asarray(vectors[best_label]), top_n or len(tags), self.diversity, units,
                        self.keep_nested, tag_spans)
            results.append(self._keywords(
                doc, picks, parts, [vocabulary.preferred[t] for t in tags.tolist()],
                [[tuple(s) for s in sp.tolist()] for sp in tag_spans], [vocabulary.ids[t] for t in tags.tolist()],
            ))
        return results

    def _score_parts(
        self, doc: _Prepared, enc, candidates: list[Candidate], vectors: np.ndarray, attention: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        """Each candidate's relevance in parts (``Keyword.parts``), ``(n,)`` each.

        ``vectors``: the candidates' ``(n, dim)``; ``attention``: the last-layer attention their
        tokens receive in the document pass (``(n,)``, ``TokenVectors.pooled_attention``), or
        None where none was computed.
        """
        n = len(candidates)
        similarity = cosines(vectors, enc.doc_vector)
        first = np.array([c.first_token for c in candidates], dtype=np.float64)
        counts = np.array([len(c.spans) for c in candidates], dtype=np.float64)
        parts = {
            "similarity": similarity,
            "position": position_prior(first, self.position_weight),
            "frequency": frequency_prior(counts, self.frequency_weight),
            "attention": np.zeros(n),
            "specificity": specificity_prior(np.array([c.specificity for c in candidates], dtype=np.float64)),
            "length": np.zeros(n),
        }
        if handled_language(doc.lang) in ("en", "zh"):
            # Not for n-grams: attention summed over a phrase's tokens favours longer n-grams,
            # the bias length_offsets removes; on 110-PT-BN-KP it cost 2.5 micro F1@5 and 3.4 @10.
            parts["attention"] = attention_prior(attention if attention is not None else np.zeros(n), self.attention_weight)
        elif n:  # n-grams: centre each length
            lengths = np.array([len(c.key.split()) for c in candidates])
            parts["length"] = length_offsets(enc.doc_vector, vectors, lengths)
        if doc.seed_vectors is not None:
            parts["seed"] = seed_prior(vectors, doc.seed_vectors)
        return parts


# ``candidates=[]`` for a text: it gets no keyphrases.
_NO_CANDIDATES = Vocabulary((), (), (), np.zeros(0, np.int64), (), "candidates")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans ``[start, end)`` that cut ``text`` into blocks of about ``BLOCK_CHARS``: after a
    blank line (a paragraph's end) where there is one in the second half of the block, else after
    a line break, else after a space. One block for a text that is not longer.

    A long text is segmented and its candidates selected block by block, so that tokens (Python
    objects, about 70 bytes per character of text) are never held for the whole text.
    """
    blocks, start = [], 0
    while len(text) - start > BLOCK_CHARS:
        limit = start + BLOCK_CHARS
        cut = -1
        for boundary in ("\n\n", "\n", " "):
            found = text.rfind(boundary, start + BLOCK_CHARS // 2, limit)
            if found >= 0:
                cut = found + len(boundary)
                break
        cut = cut if cut > start else limit
        blocks.append((start, cut))
        start = cut
    blocks.append((start, len(text)))
    return blocks


def _shifted(candidate: Candidate, chars: int, tokens: int, groups: int) -> Candidate:
    """A block's candidate with its spans, first token and contests placed in the whole text."""
    return replace(candidate, spans=candidate.spans.shifted(chars),
                   first_token=candidate.first_token + tokens, groups=candidate.groups.shifted(groups))


def _merged(text: str, blocks: Iterable[list[Candidate]]) -> list[Candidate]:
    """One candidate per key over the blocks, as ``extract_candidates`` makes them for a whole
    text: all occurrences, the first block's first token, the surface form of most occurrences
    (then fewest capitals, then earliest) shown.

    Only one block's candidates are held at a time: of each block, the candidates of new keys
    are kept, and the occurrences and contests of all as flat integer arrays with their keys
    (32 bytes an occurrence with its contest). At the end these are sorted by key once, and
    each candidate's spans and contests are views of the two sorted arrays (24 bytes).
    """
    index: dict[str, int] = {}
    merged: list[Candidate] = []
    blocks_seen: list[int] = []  # blocks each key occurs in
    owners, spans, contest_owners, contests = [], [], [], []
    for block in blocks:
        keys = []
        for candidate in block:
            k = index.setdefault(candidate.key, len(merged))
            if k == len(merged):
                merged.append(candidate)
                blocks_seen.append(0)
            blocks_seen[k] += 1
            keys.append(k)
        if not block:
            continue
        keys = np.array(keys, np.int32)
        owners.append(np.repeat(keys, [len(c.spans) for c in block]))
        spans.append(np.concatenate([c.spans.array for c in block]))
        contest_owners.append(np.repeat(keys, [len(c.groups) for c in block]))
        contests.append(np.concatenate([c.groups.array for c in block]))
    if len(owners) <= 1:  # one block: its candidates as they are
        return merged
    all_spans = _grouped(owners, spans, len(merged))
    all_contests = _grouped(contest_owners, contests, len(merged))
    for k, candidate in enumerate(merged):  # every key's spans a view: the blocks' arrays go
        spans_k = Spans(all_spans[k])
        phrase = _shown_form(text, spans_k) if blocks_seen[k] > 1 else candidate.phrase
        merged[k] = replace(candidate, phrase=phrase, spans=spans_k, groups=Contests(all_contests[k]))
    merged.sort(key=lambda c: c.spans[0])
    return merged


def _grouped(owners: list[np.ndarray], values: list[np.ndarray], n: int) -> list[np.ndarray]:
    """The blocks' ``values`` split by their ``owners`` (each of ``0 .. n - 1``), keeping their
    order within an owner: views of one sorted array. Empties both lists as it goes, so that
    the blocks' arrays and their joined copies are not all held at once."""
    owner = np.concatenate(owners)
    owners.clear()
    counts = np.bincount(owner, minlength=n)
    order = np.argsort(owner, kind="stable")
    del owner
    joined = np.concatenate(values)
    values.clear()
    return np.split(joined[order], np.cumsum(counts)[:-1])


def _shown_form(text: str, spans: Spans) -> str:
    """The surface form of most of ``spans`` (then fewest capitals, then earliest)."""
    forms = [" ".join(text[s:e].split()) for s, e in spans]
    first_seen: dict[str, int] = {}
    for (s, _), form in zip(spans, forms):
        first_seen.setdefault(form, s)
    return display_form(Counter(forms), first_seen)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_unicode(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (the replacement character).

    A ``str`` may hold surrogates (``errors="surrogateescape"`` makes them of undecodable
    bytes), which the stages' libraries (the tokenizer, OpenCC) refuse as invalid Unicode. One
    code point for another keeps every character offset, so spans still point into ``text``.
    """
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _chunks(order: list[int], lengths: list[int]) -> Iterator[list[int]]:
    """Consecutive runs of ``order`` holding at most ``CHUNK_DOCS`` texts (the first at most
    ``FIRST_CHUNK_DOCS``, so that the encoder starts early and the other chunks' CPU stages run
    beside it) and ``CHUNK_CHARS`` characters (``lengths`` of the texts; a longer text makes a
    chunk of its own)."""
    chunk: list[int] = []
    chars = 0
    limit = min(FIRST_CHUNK_DOCS, CHUNK_DOCS)
    for i in order:
        if chunk and (len(chunk) == limit or chars + lengths[i] > CHUNK_CHARS):
            limit = CHUNK_DOCS
            yield chunk
            chunk, chars = [], 0
        chunk.append(i)
        chars += lengths[i]
    if chunk:
        yield chunk


def extract_keywords(text: str, top_n: int = 5, model: str | None = None, **options) -> list[Keyword]:
    """One-shot convenience: ``KeywordExtractor(model, **options).extract(text, top_n)``.

    The encoder is loaded on the first call and reused by later ones in the same process.
    """
    return KeywordExtractor(model, **options).extract(text, top_n=top_n)


__all__ = [
    "KeywordExtractor", "extract_keywords", "DEFAULT_MODELS", "DEFAULT_MULTILINGUAL_MODEL", "DEFAULT_BATCH_SIZE",
]

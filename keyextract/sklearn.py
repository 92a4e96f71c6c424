"""A scikit-learn vectorizer of keyphrases: ``KeyphraseVectorizer``.

>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.feature_extraction.text import TfidfTransformer
>>> from sklearn.decomposition import NMF
>>> from keyextract.sklearn import KeyphraseVectorizer
>>> topics = make_pipeline(KeyphraseVectorizer(top_n=10, min_df=2), TfidfTransformer(), NMF(5))
>>> doc_topics = topics.fit_transform(abstracts)     # (n_documents, 5)

A drop-in for ``CountVectorizer`` whose features are the documents' keyphrases: ``fit`` runs
``KeywordExtractor.extract_batch`` over the corpus and keeps as vocabulary the keyphrases found
(those of enough, and not too many, documents: ``min_df``, ``max_df``, ``max_features``);
``transform`` extracts the keyphrases of new documents and gives a sparse documents x
keyphrases matrix. Documents in any language keyextract handles (English, Chinese and some 50
others, detected per document) go in the same corpus.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import Document, Keyword, KeywordExtractor

VALUES = ("counts", "scores")
#: The keyword parameters of the installed ``KeywordExtractor`` and their defaults: each is also
#: a parameter of ``KeyphraseVectorizer``.
EXTRACTOR_OPTIONS = {
    p.name: p.default for p in list(inspect.signature(KeywordExtractor.__init__).parameters.values())[1:]
}


class KeyphraseVectorizer(TransformerMixin, BaseEstimator):
    """Convert documents to a sparse matrix of their keyphrases (scikit-learn transformer).

    The constructor only stores its parameters; the encoder loads at the first ``fit`` or
    ``transform`` and is shared within the process (``keyextract.KeywordExtractor``), so clones
    (grid search, cross-validation) load it once. Pickles hold the parameters and the vocabulary,
    never the encoder's weights.

    Parameters:
        top_n: keyphrases extracted per document (``KeywordExtractor.extract_batch``); a
            document's row holds those of them that are in the vocabulary.
        min_df: keep keyphrases of at least this many training documents (an int), or of at
            least this proportion of them (a float in [0, 1]). A keyphrase "of" a document is one
            of its ``top_n`` keyphrases, as ``CountVectorizer`` counts a term's documents.
        max_df: keep keyphrases of at most this many (int) or this proportion (float in [0, 1])
            of the training documents.
        max_features: keep only this many keyphrases (after ``min_df``/``max_df``): those with
            the most occurrences in the training documents they are keyphrases of (ties
            alphabetical), as ``CountVectorizer`` does; ``None``: all.
        values: ``"counts"``: a cell is the number of occurrences of the keyphrase in the
            document (int64, ``len(Keyword.spans)``); ``"scores"``: its score
            (``Keyword.score``, float64; scores compare within a document and are in practice
            positive, but not bounded below).
        lowercase: fold keyphrases to lower case, so that ``Neural networks`` and ``neural
            networks`` are one feature (whitespace runs are always read as one space).
        **options: any keyword parameter of ``KeywordExtractor`` (``model``, ``lang``, ``mode``,
            ``diversity``, ``max_words``, ``stopwords``, ``batch_size``, ...; the names are
            those of the installed version, ``EXTRACTOR_OPTIONS``), each a parameter of this
            estimator (``get_params``, ``set_params``) with the extractor's default.

    Attributes:
        vocabulary_: keyphrase -> column index, columns in alphabetical order.

    Raises (at ``fit``): ``ValueError`` naming the parameter for an invalid value (the
    extractor's options are checked by ``KeywordExtractor``), or when no keyphrase remains;
    ``TypeError`` for a document that is neither ``str`` nor ``keyextract.Document``.
    """

    def __init__(
        self,
        *,
        top_n: int = 10,
        min_df: float | int = 1,
        max_df: float | int = 1.0,
        max_features: int | None = None,
        values: str = "counts",
        lowercase: bool = True,
        **options,
    ) -> None:
        unknown = [name for name in options if name not in EXTRACTOR_OPTIONS]
        if unknown:
            raise TypeError(f"KeyphraseVectorizer got an unexpected keyword argument {unknown[0]!r}")
        self.top_n = top_n
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.values = values
        self.lowercase = lowercase
        for name, default in EXTRACTOR_OPTIONS.items():
            setattr(self, name, options.get(name, default))

    def fit(self, raw_documents: Iterable[str | Document], y=None) -> KeyphraseVectorizer:
        """Learn the vocabulary: the keyphrases of the documents, filtered by ``min_df``,
        ``max_df`` and ``max_features``. ``y`` is ignored. Returns self."""
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents: Iterable[str | Document], y=None) -> sp.csr_matrix:
        """Learn the vocabulary and return the documents' matrix, ``(n_documents,
        n_keyphrases)`` (one extraction, as ``fit(X).transform(X)`` gives). ``y`` is ignored."""
        self._validate()
        found = self._keyphrases(raw_documents)
        self.vocabulary_ = self._learn(found)
        return self._matrix(found)

    def transform(self, raw_documents: Iterable[str | Document]) -> sp.csr_matrix:
        """The documents' keyphrases as a sparse ``(n_documents, n_keyphrases)`` matrix
        (``values``); keyphrases outside the vocabulary are left out."""
        check_is_fitted(self, "vocabulary_")
        self._validate()
        return self._matrix(self._keyphrases(raw_documents))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The keyphrases of the columns, ``(n_keyphrases,)`` of ``str`` (dtype object)."""
        check_is_fitted(self, "vocabulary_")
        return np.asarray(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    # -- steps ----------------------------------------------------------------------------

    def _validate(self) -> None:
        """Check this estimator's own parameters, naming the parameter and the allowed values."""
        for name in ("min_df", "max_df"):
            value = getattr(self, name)
            integer = isinstance(value, Integral)
            if isinstance(value, bool) or not (value >= 0 if integer else isinstance(value, Real) and 0.0 <= value <= 1.0):
                raise ValueError(f"{name} must be an integer >= 0 or a float in [0, 1], got {value!r}")
        if self.max_features is not None and (
            not isinstance(self.max_features, Integral) or isinstance(self.max_features, bool) or self.max_features < 1
        ):
            raise ValueError(f"max_features must be None or an integer >= 1, got {self.max_features!r}")
        if self.values not in VALUES:
            raise ValueError(f"values must be one of {VALUES}, got {self.values!r}")
        if not isinstance(self.lowercase, bool):
            raise ValueError(f"lowercase must be True or False, got {self.lowercase!r}")

    def _keyphrases(self, raw_documents: Iterable[str | Document]) -> list[dict[str, tuple[int, float]]]:
        """Each document's keyphrases as ``{feature: (occurrences, score)}``."""
        if isinstance(raw_documents, (str, Document)):
            raise ValueError(f"raw_documents must be an iterable of documents, got one {type(raw_documents).__name__}")
        extractor = KeywordExtractor(**{name: getattr(self, name) for name in EXTRACTOR_OPTIONS})
        return [self._features(keywords) for keywords in extractor.extract_batch(list(raw_documents), top_n=self.top_n)]

    def _features(self, keywords: list[Keyword]) -> dict[str, tuple[int, float]]:
        """``{feature: (occurrences, score)}`` of one document; keyphrases that read as the same
        feature add their occurrences and keep the best score."""
        features: dict[str, tuple[int, float]] = {}
        for kw in keywords:
            feature = " ".join(kw.phrase.split())
            feature = feature.lower() if self.lowercase else feature
            count, score = features.get(feature, (0, kw.score))
            features[feature] = (count + len(kw.spans), max(score, kw.score))
        return features

    def _learn(self, found: list[dict[str, tuple[int, float]]]) -> dict[str, int]:
        """The vocabulary (feature -> column, alphabetical) of the training documents' features."""
        documents: dict[str, int] = {}
        occurrences: dict[str, int] = {}
        for features in found:
            for feature, (count, _) in features.items():
                documents[feature] = documents.get(feature, 0) + 1
                occurrences[feature] = occurrences.get(feature, 0) + count
        if not documents:
            raise ValueError("no keyphrases in the training documents: empty vocabulary")
        n = len(found)
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n
        if high < low:
            raise ValueError(f"max_df ({self.max_df!r}) corresponds to fewer documents than min_df ({self.min_df!r})")
        kept = sorted(f for f, d in documents.items() if low <= d <= high)
        if self.max_features is not None:
            kept = sorted(sorted(kept, key=lambda f: -occurrences[f])[: self.max_features])
        if not kept:
            raise ValueError("no keyphrases remain after min_df and max_df: try a lower min_df or a higher max_df")
        return {feature: column for column, feature in enumerate(kept)}

    def _matrix(self, found: list[dict[str, tuple[int, float]]]) -> sp.csr_matrix:
        """The ``(len(found), len(vocabulary_))`` matrix of the documents' features' values."""
        scores = self.values == "scores"
        rows, columns, cells = [], [], []
        for row, features in enumerate(found):
            for feature, (count, score) in features.items():
                column = self.vocabulary_.get(feature)
                if column is not None:
                    rows.append(row)
                    columns.append(column)
                    cells.append(score if scores else count)
        dtype = np.float64 if scores else np.int64
        matrix = sp.csr_matrix(
            (np.asarray(cells, dtype=dtype), (rows, columns)), shape=(len(found), len(self.vocabulary_)), dtype=dtype,
        )
        matrix.sort_indices()
        return matrix


# scikit-learn reads an estimator's parameters from its constructor's signature: this one's own
# and, keyword-only, each of KeywordExtractor's with its default.
KeyphraseVectorizer.__init__.__signature__ = inspect.Signature(
    [p for p in inspect.signature(KeyphraseVectorizer.__init__).parameters.values() if p.kind != p.VAR_KEYWORD]
    + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=d) for name, d in EXTRACTOR_OPTIONS.items()]
)

__all__ = ["EXTRACTOR_OPTIONS", "KeyphraseVectorizer", "VALUES"]

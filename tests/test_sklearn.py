"""keyextract.sklearn.KeyphraseVectorizer: vocabulary and matrix on hand-made keyphrases, the
estimator contract (parameters, clone, pickle, scikit-learn's estimator checks), and the real
pipeline on the tiny English encoder."""

from __future__ import annotations

import inspect
import pickle
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import NMF
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

import keyextract.sklearn as ksk
from keyextract import Keyword, KeywordExtractor
from keyextract.sklearn import EXTRACTOR_OPTIONS, KeyphraseVectorizer

from conftest import abstract_texts

OWN = {"top_n": 10, "min_df": 1, "max_df": 1.0, "max_features": None, "values": "counts", "lowercase": True}


def kw(phrase: str, score: float, occurrences: int) -> Keyword:
    return Keyword(phrase, score, tuple((10 * i, 10 * i + 5) for i in range(occurrences)))


# What the fake extractor finds in each document: (phrase, score, occurrences), best first.
FOUND = {
    "d1": [kw("Neural networks", 0.9, 2), kw("graph", 0.5, 1)],
    "d2": [kw("neural  networks", 0.8, 1), kw("kernel methods", 0.7, 3)],
    "d3": [kw("kernel methods", 0.6, 1), kw("graph", 0.4, 2), kw("spectral clustering", 0.3, 1)],
    "d4": [],
}
DOCS = list(FOUND)


class FakeExtractor:
    """Stands for KeywordExtractor: records its options and calls, returns FOUND."""

    made: list[dict] = []
    calls: list[tuple[list[str], int]] = []

    def __init__(self, **options) -> None:
        FakeExtractor.made.append(options)

    def extract_batch(self, texts, top_n=5):
        FakeExtractor.calls.append((list(texts), top_n))
        return [FOUND[t][:top_n] for t in texts]


@pytest.fixture
def fake(monkeypatch):
    FakeExtractor.made, FakeExtractor.calls = [], []
    monkeypatch.setattr(ksk, "KeywordExtractor", FakeExtractor)
    return FakeExtractor


def test_vocabulary_and_matrix_of_counts_and_scores(fake) -> None:
    vec = KeyphraseVectorizer(top_n=5)
    counts = vec.fit_transform(DOCS)
    assert vec.vocabulary_ == {"graph": 0, "kernel methods": 1, "neural networks": 2, "spectral clustering": 3}
    assert list(vec.get_feature_names_out()) == ["graph", "kernel methods", "neural networks", "spectral clustering"]
    assert vec.get_feature_names_out().dtype == object
    assert counts.dtype == np.int64 and counts.format == "csr"
    assert counts.toarray().tolist() == [[1, 0, 2, 0], [0, 3, 1, 0], [2, 1, 0, 1], [0, 0, 0, 0]]
    scores = KeyphraseVectorizer(top_n=5, values="scores").fit_transform(DOCS)
    assert scores.dtype == np.float64
    assert scores.toarray().tolist() == [[0.5, 0, 0.9, 0], [0, 0.7, 0.8, 0], [0.4, 0.6, 0, 0.3], [0, 0, 0, 0]]
    # one extraction per call, all documents at once, with the vectorizer's top_n
    assert fake.calls == [(DOCS, 5), (DOCS, 5)]
    # transform: keyphrases outside the vocabulary are left out
    vec = KeyphraseVectorizer(min_df=2).fit(DOCS)
    assert list(vec.get_feature_names_out()) == ["graph", "kernel methods", "neural networks"]
    assert vec.transform(["d3", "d1"]).toarray().tolist() == [[2, 1, 0], [1, 0, 2]]
    # top_n limits what each document contributes
    assert list(KeyphraseVectorizer(top_n=1).fit(DOCS).get_feature_names_out()) == ["kernel methods", "neural networks"]


@pytest.mark.parametrize(
    "params, features",
    [
        ({"min_df": 2}, ["graph", "kernel methods", "neural networks"]),
        ({"min_df": 0.5}, ["graph", "kernel methods", "neural networks"]),  # 0.5 of 4 documents
        ({"max_df": 1}, ["spectral clustering"]),
        ({"max_df": 0.25}, ["spectral clustering"]),
        # most occurrences: kernel methods 4, then graph and neural networks 3 each (alphabetical)
        ({"max_features": 2}, ["graph", "kernel methods"]),
        ({"max_features": 1}, ["kernel methods"]),
        ({"lowercase": False}, ["Neural networks", "graph", "kernel methods", "neural networks", "spectral clustering"]),
    ],
)
def test_min_df_max_df_max_features_lowercase(fake, params, features) -> None:
    assert list(KeyphraseVectorizer(**params).fit(DOCS).get_feature_names_out()) == features


@pytest.mark.parametrize(
    "params, message",
    [
        ({"min_df": -1}, "min_df must be an integer >= 0 or a float in [0, 1], got -1"),
        ({"max_df": 1.5}, "max_df must be an integer >= 0 or a float in [0, 1], got 1.5"),
        ({"max_df": True}, "max_df must be an integer >= 0 or a float in [0, 1], got True"),
        ({"max_features": 0}, "max_features must be None or an integer >= 1, got 0"),
        ({"values": "tfidf"}, "values must be one of ('counts', 'scores'), got 'tfidf'"),
        ({"lowercase": "yes"}, "lowercase must be True or False, got 'yes'"),
        ({"min_df": 3}, "no keyphrases remain after min_df and max_df: try a lower min_df or a higher max_df"),
        ({"min_df": 0.9, "max_df": 0.1}, "max_df (0.1) corresponds to fewer documents than min_df (0.9)"),
    ],
)
def test_bad_parameters_name_the_parameter(fake, params, message) -> None:
    with pytest.raises(ValueError) as caught:
        KeyphraseVectorizer(**params).fit(DOCS)
    assert str(caught.value) == message


def test_bad_input_and_empty_vocabulary(fake) -> None:
    with pytest.raises(ValueError) as caught:
        KeyphraseVectorizer().fit("d1")
    assert str(caught.value) == "raw_documents must be an iterable of documents, got one str"
    with pytest.raises(ValueError) as caught:
        KeyphraseVectorizer().fit(["d4"])
    assert str(caught.value) == "no keyphrases in the training documents: empty vocabulary"
    with pytest.raises(ValueError) as caught:
        KeyphraseVectorizer().fit([])
    assert str(caught.value) == "no keyphrases in the training documents: empty vocabulary"
    with pytest.raises(NotFittedError):
        KeyphraseVectorizer().transform(["d1"])
    with pytest.raises(NotFittedError):
        KeyphraseVectorizer().get_feature_names_out()


def test_the_extractor_options_are_parameters(fake) -> None:
    """Every keyword parameter of KeywordExtractor is one of the vectorizer's, with its default,
    whatever the installed version adds (read from its signature), and reaches the extractor."""
    extractor_params = list(inspect.signature(KeywordExtractor.__init__).parameters.values())[1:]
    assert EXTRACTOR_OPTIONS == {p.name: p.default for p in extractor_params}
    assert not set(OWN) & set(EXTRACTOR_OPTIONS)  # no extractor option shadows one of the vectorizer's
    vec = KeyphraseVectorizer()
    assert vec.get_params() == {**OWN, **EXTRACTOR_OPTIONS}
    assert list(inspect.signature(KeyphraseVectorizer).parameters) == list(OWN) + list(EXTRACTOR_OPTIONS)
    vec.set_params(mode="context", max_words=2, stopwords=["graph"], top_n=3)
    assert vec.get_params()["mode"] == "context" and vec.get_params()["top_n"] == 3
    vec.fit(DOCS)
    assert fake.made == [{**EXTRACTOR_OPTIONS, "mode": "context", "max_words": 2, "stopwords": ["graph"]}]
    assert fake.calls[-1][1] == 3
    with pytest.raises(TypeError) as caught:
        KeyphraseVectorizer(mdoe="context")
    assert str(caught.value) == "KeyphraseVectorizer got an unexpected keyword argument 'mdoe'"
    with pytest.raises(ValueError) as caught:
        vec.set_params(mdoe="context")
    assert "Invalid parameter 'mdoe'" in str(caught.value)


def test_extractor_validation_errors_come_through() -> None:
    with pytest.raises(ValueError) as caught:
        KeyphraseVectorizer(mode="fast").fit(["a text"])
    assert str(caught.value) == "mode must be one of ('mapped', 'context', 'isolated'), got 'fast'"
    with pytest.raises(ValueError) as caught:
        KeyphraseVectorizer(top_n=0).fit(["a text"])
    assert str(caught.value) == "top_n must be an integer >= 1, got 0"


def test_clone_keeps_parameters_not_vocabulary(fake) -> None:
    vec = KeyphraseVectorizer(top_n=4, min_df=2, mode="context", diversity=0.5).fit(DOCS)
    copy = clone(vec)
    assert copy.get_params() == vec.get_params()
    assert not hasattr(copy, "vocabulary_")
    assert repr(copy) == "KeyphraseVectorizer(diversity=0.5, min_df=2, mode='context', top_n=4)"


# --- on the tiny English encoder ------------------------------------------------------------------

CORPUS = abstract_texts(12)


def test_matrix_is_the_keyphrases_of_extract_batch(en_model_dir) -> None:
    vec = KeyphraseVectorizer(model=en_model_dir, top_n=4, values="scores")
    matrix = vec.fit_transform(CORPUS)
    found = KeywordExtractor(en_model_dir).extract_batch(CORPUS, top_n=4)
    assert set(vec.vocabulary_) == {" ".join(k.phrase.split()).lower() for ks in found for k in ks}
    for row, keywords in zip(matrix.toarray(), found):
        expected = {vec.vocabulary_[" ".join(k.phrase.split()).lower()]: k.score for k in keywords}
        assert {int(c): float(row[c]) for c in np.flatnonzero(row)} == expected
    # fit then transform gives what fit_transform gave
    again = KeyphraseVectorizer(model=en_model_dir, top_n=4, values="scores").fit(CORPUS)
    assert again.vocabulary_ == vec.vocabulary_
    assert (again.transform(CORPUS) != matrix).nnz == 0


def test_pickle_holds_no_weights(en_model_dir, tmp_path) -> None:
    vec = KeyphraseVectorizer(model=en_model_dir, top_n=4).fit(CORPUS)
    before = vec.transform(CORPUS[:3])
    data = pickle.dumps(vec)
    weights = sum(f.stat().st_size for f in Path(en_model_dir).iterdir())
    # the parameters and a vocabulary of at most 48 phrases: 1.8 KB; the tiny model alone is 500 KB
    assert len(data) < 4000 < weights
    assert b"torch" not in data and b"Encoder" not in data
    restored = pickle.loads(data)
    assert restored.get_params() == vec.get_params() and restored.vocabulary_ == vec.vocabulary_
    assert (restored.transform(CORPUS[:3]) != before).nnz == 0


def test_in_a_pipeline_with_tfidf_and_nmf_and_with_a_classifier(en_model_dir) -> None:
    topics = make_pipeline(
        KeyphraseVectorizer(model=en_model_dir, top_n=4), TfidfTransformer(), NMF(2, init="nndsvda", random_state=0)
    )
    doc_topics = topics.fit_transform(CORPUS)
    n_features = len(topics[0].vocabulary_)
    assert doc_topics.shape == (12, 2) and topics[-1].components_.shape == (2, n_features)
    assert (doc_topics >= 0).all()
    labels = [i % 2 for i in range(12)]
    classifier = make_pipeline(KeyphraseVectorizer(model=en_model_dir, top_n=4), LogisticRegression())
    classifier.fit(CORPUS, labels)
    assert classifier.predict(CORPUS[:4]).shape == (4,)
    assert set(classifier.predict(CORPUS)) <= {0, 1}


# --- scikit-learn's estimator checks ---------------------------------------------------------------
#
# check_estimator runs none of its checks on an estimator whose input is text (it warns "Can't test
# estimator ... which requires input of type" for tags.input_tags.two_d_array False), so the checks
# are called one by one. Those that need no data run on the vectorizer as it is (AS_IS). Those
# that fit on a numeric array, but whose property holds for any transformer (idempotent fit,
# invariance to sample order and subsets, pickling, not changing parameters, y ignored, ...) run
# on ROWS_AS_TEXTS, a subclass that reads each row of the array as one of 30 abstract titles
# (chosen by the row's bytes) and is otherwise the vectorizer itself (VIA_TEXTS).
#
# Not run, because they test what a text transformer does not have:
# - sample weights (check_sample_weights_*, check_all_zero_sample_weights_error,
#   check_sample_weight_equivalence_*): fit takes no sample_weight, as CountVectorizer's does not;
# - numeric input: check_estimators_dtypes, check_dtype_object, check_complex_data,
#   check_estimators_nan_inf, check_estimator_sparse_*, check_f_contiguous_array_estimator,
#   check_positive_only_tag_during_fit, check_fit1d, check_fit2d_1feature, check_fit2d_predict1d,
#   check_transformer_preserve_dtypes, check_inplace_ensure_writeable, check_array_api_*;
# - a number of features: check_n_features_in (n_features_in_ is not set, as CountVectorizer
#   does not), check_transformer_general and check_transformer_data_not_an_array (they end by
#   requiring an error for a different number of columns in transform; their other assertions,
#   fit_transform equal to fit then transform, are check_pipeline_consistency's and
#   test_matrix_is_the_keyphrases_of_extract_batch's), the zero-features half of
#   check_estimators_empty_data_messages (the zero-samples half is test_bad_input_and_empty_vocabulary);
# - check_param_validation: scikit-learn's private parameter-constraint framework
#   (_parameter_constraints); the parameters are validated at fit with messages naming them
#   (test_bad_parameters_name_the_parameter);
# - check_set_output_transform_* and check_global_*_output: pandas or polars output of a dense
#   matrix; the output is sparse, as CountVectorizer's;
# - checks of classifiers, regressors, clusterers, outlier detectors and pairwise estimators,
#   and check_transformers_unfitted_stateless (the vectorizer needs fitting).

AS_IS = [
    "check_estimator_cloneable", "check_estimator_repr", "check_estimator_tags_renamed", "check_valid_tag_types",
    "check_no_attributes_set_in_init", "check_parameters_default_constructible", "check_get_params_invariance",
    "check_set_params", "check_do_not_raise_errors_in_init_or_set_params", "check_mixin_order",
    "check_transformers_unfitted", "check_get_feature_names_out_error", "check_transformer_n_iter",
]
VIA_TEXTS = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self", "check_fit_check_is_fitted", "check_fit_idempotent",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_estimators_pickle",
    "check_pipeline_consistency", "check_dict_unchanged", "check_fit2d_1sample", "check_readonly_memmap_input",
    "check_requires_y_none",
]
TITLES = [t.split("\n")[0] for t in abstract_texts(30)]


class RowsAsTexts(KeyphraseVectorizer):
    """The vectorizer, reading each row of a numeric array as one of TITLES."""

    @staticmethod
    def _texts(X) -> list[str]:
        return [TITLES[zlib.crc32(np.ascontiguousarray(row).tobytes()) % len(TITLES)] for row in np.asarray(X)]

    def fit(self, X, y=None):
        return super().fit(self._texts(X))

    def fit_transform(self, X, y=None):
        return super().fit_transform(self._texts(X))

    def transform(self, X):
        return super().transform(self._texts(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array, tags.input_tags.string = True, False
        return tags


def test_tags_say_text_input() -> None:
    tags = KeyphraseVectorizer().__sklearn_tags__()
    assert (tags.input_tags.string, tags.input_tags.two_d_array, tags.requires_fit) == (True, False, True)
    with pytest.warns(estimator_checks.SkipTestWarning, match="Can't test estimator KeyphraseVectorizer"):
        estimator_checks.check_estimator(KeyphraseVectorizer())


@pytest.mark.parametrize("check", AS_IS + VIA_TEXTS)
def test_sklearn_estimator_check(en_model_dir, check) -> None:
    estimator = (KeyphraseVectorizer if check in AS_IS else RowsAsTexts)(model=en_model_dir, top_n=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(estimator_checks, check)("KeyphraseVectorizer", estimator)

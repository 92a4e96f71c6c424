"""Seed keywords (keyextract.guidance) and confidences (keyextract.calibration, min_confidence)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keyextract import KeywordExtractor
from keyextract.calibration import FEATURES, confidences, features, predict
from keyextract.guidance import SEED_WEIGHT, per_text, seed_prior

# Two topics in alternate sentences: a harbour and a library.
TWO_TOPICS = (
    "The town plans two projects this year. "
    "At the harbour, engineers will dredge the shipping channel for larger cargo vessels. "
    "At the public library, the reading room will get new bookshelves for the poetry collection. "
    "The port authority will rebuild the container terminal. "
    "The librarians will host children's literature evenings."
)
HARBOUR = {"harbour", "shipping channel", "cargo vessels", "larger cargo vessels", "container terminal", "port authority"}
LIBRARY = {"public library", "reading room", "bookshelves", "poetry collection", "librarians",
           "children's literature evenings"}


def test_seed_prior_is_a_z_score_of_the_nearest_seed():
    candidates = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    seeds = np.array([[1.0, 0.0], [0.0, 2.0]])
    nearest = np.array([1.0, 1.0, np.sqrt(0.5)])
    expected = SEED_WEIGHT * (nearest - nearest.mean()) / nearest.std()
    np.testing.assert_allclose(seed_prior(candidates, seeds), expected)
    assert seed_prior(candidates, np.zeros((0, 2))).tolist() == [0.0, 0.0, 0.0]
    assert seed_prior(candidates[:1], seeds).tolist() == [0.0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("harbour", "seed_keywords must be a list of str, or one list of str per text, got str"),
        ([["harbour"]], "seed_keywords must be a list of str, or one list of str per text (2 texts), got 1 lists"),
        ([["harbour"], [3]], "seed_keywords[1] must be a list of str, got list"),
        (7, "seed_keywords must be a list of str, or one list of str per text, got int"),
    ],
)
def test_seed_keywords_of_the_wrong_shape(value, message):
    with pytest.raises(ValueError) as info:
        per_text(value, 2, "seed_keywords")
    assert str(info.value) == message


def test_seed_keywords_one_list_for_all_or_one_per_text():
    assert per_text(["a", "b"], 2, "seed_keywords") == [("a", "b"), ("a", "b")]
    assert per_text([["a"], []], 2, "seed_keywords") == [("a",), ()]
    assert per_text(None, 2, "seed_keywords") is None


def test_seeding_a_topic_puts_its_phrases_above_the_others(minilm_dir):
    extractor = KeywordExtractor(model=minilm_dir, lang="en")
    plain = [k.phrase for k in extractor.extract(TWO_TOPICS, top_n=8)]
    assert plain == ["town", "shipping channel", "container terminal", "projects", "public library", "harbour",
                     "larger cargo vessels", "bookshelves"]
    # no seeds, an empty list of seeds: the unguided ranking, with no seed part
    assert extractor.extract(TWO_TOPICS, top_n=8, seed_keywords=[]) == extractor.extract(TWO_TOPICS, top_n=8)
    assert "seed" not in extractor.extract(TWO_TOPICS)[0].parts
    for seeds, topic, other in ((["ships", "maritime transport"], HARBOUR, LIBRARY), (["books", "reading"], LIBRARY, HARBOUR)):
        found = [k.phrase for k in extractor.extract(TWO_TOPICS, top_n=8, seed_keywords=seeds)]
        ranks_topic = [r for r, p in enumerate(found) if p in topic]
        ranks_other = [r for r, p in enumerate(found) if p in other]
        assert len(ranks_topic) >= 4 and max(ranks_topic) < min(ranks_other, default=99), (seeds, found)
    # one list a text, in a batch: each text steered its own way
    ships, books = extractor.extract_batch([TWO_TOPICS, TWO_TOPICS], top_n=3, seed_keywords=[["ships"], ["books"]])
    assert {k.phrase for k in ships} <= HARBOUR | {"town", "projects"} and books[0].phrase in LIBRARY
    # the extractor's own seeds, replaced by a call's
    seeded = KeywordExtractor(model=minilm_dir, lang="en", seed_keywords=["books", "reading"])
    assert seeded.extract(TWO_TOPICS, top_n=1)[0].phrase in LIBRARY
    assert seeded.extract(TWO_TOPICS, top_n=1, seed_keywords=["ships", "maritime transport"])[0].phrase in HARBOUR


# --- confidences --------------------------------------------------------------------------------


def test_features_of_a_document():
    parts = {"similarity": np.array([0.5, 0.25]), "position": np.array([0.25, 0.0]), "absent": np.array([0.0, -0.1])}
    x = features(parts, np.array([1, 2]), "zh")
    row = dict(zip(FEATURES, x[0]))
    assert row == {"gap": 0.0, "similarity_gap": 0.0, "position": 0.25, "frequency": 0.0, "attention": 0.0,
                   "specificity": 0.0, "length": 0.0, "absent": 0.0, "inside": 0.0, "log_rank": 0.0, "zh": 1.0,
                   "untagged": 0.0}
    second = dict(zip(FEATURES, x[1]))
    assert (second["gap"], second["similarity_gap"], second["absent"], second["log_rank"]) == pytest.approx(
        (-0.6, -0.25, -0.1, np.log(2)))


def test_predict_is_logistic_then_isotonic():
    n = len(FEATURES)
    model = {"mean": [0.0] * n, "scale": [1.0] * n, "coef": [1.0] + [0.0] * (n - 1), "intercept": 0.0}
    x = np.zeros((2, n))
    x[1, 0] = np.log(3)  # logit log 3 -> 0.75
    np.testing.assert_allclose(predict(model, x), [0.5, 0.75])
    model["isotonic"] = {"x": [0.0, 0.6, 1.0], "y": [0.1, 0.3, 0.9]}
    np.testing.assert_allclose(predict(model, x), [0.1 + 0.2 * 0.5 / 0.6, 0.3 + 0.6 * 0.15 / 0.4])


def test_the_shipped_models_are_fitted_on_every_dev_set():
    from keyextract._data import data_path

    models = json.loads(data_path("calibration.json").read_text())
    assert set(models) == {"keyphrases", "vocabulary"}
    for model in models.values():
        assert model["features"] == list(FEATURES) and len(model["coef"]) == len(FEATURES)
        assert model["isotonic"]["y"] == sorted(model["isotonic"]["y"])
    assert set(models["keyphrases"]["fitted_on"]) == {
        "inspec_dev", "semeval2010_train", "nguyen2007", "kdd_withabstract", "www_withabstract", "500n_kpcrowd",
        "csl_zh_dev", "110_pt_bn_kp",
    }
    assert set(models["vocabulary"]["fitted_on"]) == {"kdd_withabstract", "www_withabstract", "inspec_dev", "csl_zh_dev"}
    with pytest.raises(ValueError, match=r"^kind must be one of \('keyphrases', 'vocabulary'\), got 'other'$"):
        confidences({}, np.array([1]), "en", "other")


def test_min_confidence_keeps_what_reaches_it(en_model_dir):
    text = ("Coral reefs and ocean warming. Marine heatwaves cause coral bleaching on shallow reefs, and sensor "
            "networks record water temperature across the reef flat.")
    full = KeywordExtractor(model=en_model_dir, lang="en").extract(text, top_n=30)
    assert all(0.0 <= k.confidence <= 1.0 for k in full)
    threshold = sorted(k.confidence for k in full)[len(full) // 2]
    kept = KeywordExtractor(model=en_model_dir, lang="en", min_confidence=threshold).extract(text, top_n=None)
    assert kept == [k for k in full if k.confidence >= threshold]
    capped = KeywordExtractor(model=en_model_dir, lang="en", min_confidence=threshold).extract(text, top_n=2)
    assert capped == [k for k in full[:2] if k.confidence >= threshold]


@pytest.mark.parametrize(
    ("options", "top_n", "message"),
    [
        ({"min_confidence": 1.5}, 5, "min_confidence must be None or a number in [0, 1], got 1.5"),
        ({"min_confidence": -0.1}, 5, "min_confidence must be None or a number in [0, 1], got -0.1"),
        ({"min_confidence": True}, 5, "min_confidence must be None or a number in [0, 1], got True"),
        ({}, None, "top_n=None (no cap) needs min_confidence"),
    ],
)
def test_bad_min_confidence(en_model_dir, options, top_n, message):
    with pytest.raises(ValueError) as info:
        KeywordExtractor(model=en_model_dir, lang="en", **options).extract("Coral reefs.", top_n=top_n)
    assert str(info.value) == message


def test_cli_min_confidence_and_seeds(en_model_dir, tmp_path, cli):
    doc = tmp_path / "doc.txt"
    doc.write_text(TWO_TOPICS, encoding="utf-8")
    proc = cli(doc, "--model", en_model_dir, "--format", "json", "--top", "30")
    every = json.loads(proc.stdout)[0]["keywords"]
    threshold = sorted(k["confidence"] for k in every)[len(every) // 2]
    proc = cli(doc, "--model", en_model_dir, "--format", "json", "--min-confidence", str(threshold))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["keywords"] == [k for k in every if k["confidence"] >= threshold]
    bad = cli(doc, "--model", en_model_dir, "--min-confidence", "2")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.strip().splitlines()[-1] == "keyextract: error: argument --min-confidence: must be in [0, 1], got 2 (see keyextract --help)"
    seeded = cli(doc, "--model", en_model_dir, "--format", "json", "--seed", "books", "--seed", "reading")
    assert all("seed" in k["parts"] for k in json.loads(seeded.stdout)[0]["keywords"])

"""Phrase maps (keyextract.phrasemap) and mapped mode, the default."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from conftest import abstract_texts
from keyextract import KeywordExtractor, phrasemap
from keyextract.encoder import Encoder
from keyextract.ranking import cosines


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _synthetic(n: int, dim: int = 6, static_dim: int = 4, seed: int = 0):
    """Phrases whose isolated vector is an exact linear function of the map's inputs."""
    rng = np.random.default_rng(seed)
    context, documents, static = _unit(rng.normal(size=(n, dim))), _unit(rng.normal(size=(n, dim))), _unit(rng.normal(size=(n, static_dim)))
    pieces = rng.integers(1, 5, size=n)
    truth = rng.normal(size=(2 * dim + static_dim + phrasemap.LENGTH_FEATURES, dim))
    return context, documents, static, pieces, truth


def test_fit_recovers_a_linear_map():
    context, documents, static, pieces, truth = _synthetic(400)
    isolated = _unit(phrasemap.map_inputs(context, documents, static, pieces) @ truth)
    fitted = phrasemap.fit(context, _unit(isolated), documents, static, pieces, "f", alpha=1e-6)
    mapped = _unit(fitted(context, documents, static, pieces))
    assert fitted.phrases == 400
    assert fitted.weights.shape == (2 * 6 + 4 + phrasemap.LENGTH_FEATURES + 1, 6)
    assert np.min(np.sum(mapped * isolated, axis=1)) > 0.97  # unit targets: the fit is to the direction
    # the map applied block by block is the product of its inputs and weights
    by_product = phrasemap.map_inputs(context, documents, static, pieces) @ fitted.weights[:-1] + fitted.weights[-1]
    assert np.allclose(fitted(context, documents, static, pieces), by_product, atol=1e-5)
    one_document = fitted(context[:3], documents[0], static[:3], pieces[:3])
    assert np.allclose(one_document, phrasemap.map_inputs(context[:3], documents[0], static[:3], pieces[:3]) @ fitted.weights[:-1] + fitted.weights[-1], atol=1e-5)


def test_map_inputs_layout():
    x = phrasemap.map_inputs(np.array([[3.0, 4.0]]), np.array([0.0, 2.0]), np.array([[1.0, 0.0, 0.0]]), np.array([2]))
    assert x.dtype == np.float32
    assert x.tolist() == np.array([[0.6, 0.8, 0.0, 1.0, 1.0, 0.0, 0.0, 0.5, 0.0, 1.0, 0.0]], np.float32).tolist()


def test_fit_needs_two_phrases():
    context, documents, static, pieces, _ = _synthetic(1)
    with pytest.raises(ValueError, match="at least 2 phrases, got 1"):
        phrasemap.fit(context, context, documents, static, pieces, "f")


def test_save_and_load_round_trip(tmp_path):
    context, documents, static, pieces, truth = _synthetic(50)
    fitted = phrasemap.fit(context, context, documents, static, pieces, "abc")
    fitted.save(tmp_path / "m.npz")
    loaded = phrasemap.PhraseMap.load(tmp_path / "m.npz")
    assert (loaded.fingerprint, loaded.phrases) == ("abc", 50)
    assert np.array_equal(loaded.weights, fitted.weights.astype(np.float16).astype(np.float32))


def test_a_map_of_another_encoder_is_refused():
    context, documents, static, pieces, _ = _synthetic(10)
    fitted = phrasemap.fit(context, context, documents, static, pieces, "f")
    with pytest.raises(ValueError, match="expects 20 inputs, got 18"):
        fitted(context[:, :5], documents[:, :5], static, pieces)


def test_fingerprint_follows_the_weights_not_the_name(en_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(en_model_dir, copy)
    first, second = Encoder(en_model_dir, device="cpu"), Encoder(str(copy), device="cpu")
    assert phrasemap.fingerprint(first) == phrasemap.fingerprint(second)
    with second._torch.no_grad():
        next(second.model.parameters())[0, 0] += 1.0
    assert phrasemap.fingerprint(first) != phrasemap.fingerprint(second)


def test_static_vectors_are_mean_input_embeddings(en_model_dir):
    encoder = Encoder(en_model_dir, device="cpu")
    static, pieces = phrasemap.static_vectors(encoder, ["neural network", "graph"])
    table = encoder.model.get_input_embeddings().weight.detach().numpy()
    ids = encoder.tokenizer(["neural network", "graph"], add_special_tokens=False)["input_ids"]
    assert pieces.tolist() == [len(ids[0]), len(ids[1])]
    assert np.allclose(static[0], table[ids[0]].mean(axis=0), atol=1e-6)
    assert np.allclose(static[1], table[ids[1]].mean(axis=0), atol=1e-6)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("KEYEXTRACT_NO_CACHE", raising=False)
    return tmp_path


def test_lazy_fit_then_mapped_vectors(en_model_dir, cache_home, monkeypatch, caplog):
    """An encoder without a map: isolated mode's lists until FIT_PHRASES pairs, then a map fitted,
    saved, and found by a fresh encoder, whose similarities are the mapped vectors' cosines."""
    import shutil

    # a copy: an encoder of its own, so that the fitted map stays out of the other tests' encoder
    en_model_dir = str(shutil.copytree(en_model_dir, cache_home / "model"))
    monkeypatch.setenv("KEYEXTRACT_FIT_PHRASES", "60")
    texts = abstract_texts(12)
    isolated = KeywordExtractor(en_model_dir, lang="en", mode="isolated").extract_batch(texts, top_n=5)
    mapped = KeywordExtractor(en_model_dir, lang="en")
    assert mapped.mode == "mapped"
    with caplog.at_level(logging.INFO, logger="keyextract.phrasemap"):
        first = mapped.extract_batch(texts, top_n=5)
    assert first == isolated  # no map yet: ranked as isolated mode, the shortlists fit one
    saved = list((cache_home / "keyextract" / "phrase_maps").glob("*.npz"))
    assert len(saved) == 1
    assert [r.getMessage().split(";")[0] for r in caplog.records if r.levelno == logging.WARNING] == [
        f"fitted the phrase map of encoder {en_model_dir} on {phrasemap.PhraseMap.load(saved[0]).phrases} phrases"
    ]
    fresh = KeywordExtractor(en_model_dir, lang="en")
    again = fresh.extract_batch(texts[:2], top_n=5)
    encoder = fresh.encoders_[en_model_dir]
    fitter = encoder.phrase_map_
    assert fitter.get() is not None and fitter.get().fingerprint == phrasemap.fingerprint(encoder)
    doc = fresh._prepare(texts[0])
    enc = encoder.encode([doc.text], False, spans=[[c.spans for c in doc.candidates]])[0]
    vectors = fresh._mapped_vectors(encoder, fitter.get(), [doc], [enc], 8)[0]
    similarity = dict(zip([c.phrase for c in doc.candidates], cosines(vectors, enc.doc_vector)))
    assert [k.parts["similarity"] for k in again[0]] == [round(float(similarity[k.phrase]), 6) for k in again[0]]


def test_untagged_languages_rank_as_isolated_mode(en_model_dir, cache_home):
    text = ("A força de paz das Nações Unidas chegou ontem à capital. O governo recebeu a força de paz "
            "com uma cerimónia no palácio presidencial, e a missão das Nações Unidas começa hoje.")
    isolated = KeywordExtractor(en_model_dir, lang="pt", mode="isolated").extract(text, top_n=5)
    assert KeywordExtractor(en_model_dir, lang="pt").extract(text, top_n=5) == isolated


def test_unreadable_cached_map_is_ignored(en_model_dir, cache_home, caplog):
    encoder = Encoder(en_model_dir, device="cpu")
    path = cache_home / "keyextract" / "phrase_maps" / f"{phrasemap.fingerprint(encoder)[:24]}.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a map")
    with caplog.at_level(logging.WARNING, logger="keyextract.phrasemap"):
        assert phrasemap.MapFitter(encoder).get() is None
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [f"ignoring the unreadable phrase map {path}"]


def test_minilm_ships_a_map(minilm_dir, caplog):
    """The offline English encoder finds its shipped map: no lazy fit, nothing logged."""
    with caplog.at_level(logging.INFO, logger="keyextract.phrasemap"):
        fitter = phrasemap.MapFitter(Encoder(minilm_dir, device="cpu"))
    assert fitter.get() is not None and fitter.get().phrases > 100_000
    assert caplog.records == []


def test_lazy_fitting_off(en_model_dir, cache_home, monkeypatch):
    import shutil

    model = str(shutil.copytree(en_model_dir, cache_home / "model"))  # an encoder of its own, no fitter yet
    monkeypatch.setenv("KEYEXTRACT_FIT_PHRASES", "0")
    extractor = KeywordExtractor(model, lang="en")
    extractor.extract_batch(abstract_texts(12), top_n=5)
    assert extractor.encoders_[model].phrase_map_.get() is None
    assert not (cache_home / "keyextract" / "phrase_maps").exists()


def test_bad_fit_phrases_setting(monkeypatch):
    monkeypatch.setenv("KEYEXTRACT_FIT_PHRASES", "-3")
    with pytest.raises(ValueError, match="KEYEXTRACT_FIT_PHRASES must be a whole number >= 0, got '-3'"):
        phrasemap.fit_phrases()


def test_cli_rejects_an_unknown_mode(cli):
    result = cli("--mode", "bogus", "-")
    assert result.returncode == 2
    assert "invalid choice: 'bogus' (choose from 'mapped', 'context', 'isolated')" in result.stderr

"""Encoder: matching tokenizer, mask-aware pooling, windows that cover long documents."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from keyextract import encoder as encoder_module
from keyextract import progress as progress_module
from keyextract.encoder import Encoder, TokenVectors, pool_spans
from keyextract.errors import ModelLoadError
from keyextract.types import Spans

from conftest import EN_WINDOW, abstract_texts


@pytest.fixture(scope="module")
def en(en_model_dir) -> Encoder:
    return Encoder(en_model_dir, device="cpu")


@pytest.fixture(scope="module")
def zh(zh_model_dir) -> Encoder:
    return Encoder(zh_model_dir, device="cpu")


def forward(encoder: Encoder, ids: list[int]) -> np.ndarray:
    """Hidden states of one unpadded sequence, computed directly with the model."""
    with torch.inference_mode():
        out = encoder.model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long))
    return out.last_hidden_state[0].numpy()


@pytest.mark.parametrize("vocab", ["real", "generated"])
def test_chinese_checkpoint_gets_its_wordpiece_tokenizer(vocab: str, request) -> None:
    """albert_chinese_tiny's own vocabulary (../shared), and the one conftest builds without it."""
    zh = Encoder(request.getfixturevalue(f"zh_{vocab}_model_dir"), device="cpu")
    assert "Bert" in type(zh.tokenizer).__name__
    ids = zh.tokenizer("自然语言", add_special_tokens=False)["input_ids"]
    assert zh.tokenizer.convert_ids_to_tokens(ids) == ["自", "然", "语", "言"]
    assert (zh.prefix, zh.suffix) == ([101], [102])  # [CLS], [SEP] of the Chinese BERT vocab
    assert zh.max_length == 512


def test_english_checkpoint_gets_its_sentencepiece_tokenizer(en: Encoder) -> None:
    assert "Albert" in type(en.tokenizer).__name__
    ids = en.tokenizer("neural networks", add_special_tokens=False)["input_ids"]
    assert en.tokenizer.convert_ids_to_tokens(ids)[0].startswith("\u2581")
    assert (en.prefix, en.suffix) == ([2], [3])
    assert (en.max_length, en.capacity) == (EN_WINDOW, EN_WINDOW - 2)


def test_max_length_can_be_lowered(en_model_dir) -> None:
    assert Encoder(en_model_dir, device="cpu", max_length=16).capacity == 14


def test_pooling_equals_hand_computation_and_ignores_padding(en: Encoder) -> None:
    short, longer = "neural networks", "support vector machines for text classification of abstracts"
    ids = en.tokenizer(short)["input_ids"]
    hidden = forward(en, ids)
    short_alone, = en.encode([short])
    short_padded = en.encode([longer, short])[1]  # batched with a longer text: padded
    for got in (short_alone, short_padded):
        np.testing.assert_allclose(got.doc_vector, hidden.mean(axis=0), atol=1e-5)
        np.testing.assert_allclose(got.vectors, hidden[1:-1], atol=1e-5)
        assert got.offsets.tolist() == [list(o) for o in en.tokenizer(short, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]]
    # a pooling that forgot the mask would average the padding positions in too
    width = len(en.tokenizer(longer)["input_ids"])
    padded = ids + [en.tokenizer.pad_token_id] * (width - len(ids))
    with torch.inference_mode():
        naive = en.model(input_ids=torch.tensor([padded])).last_hidden_state[0].numpy().mean(axis=0)
    assert not np.allclose(naive, short_padded.doc_vector, atol=1e-3)


def test_windows_cover_every_token_with_overlap(en: Encoder) -> None:
    cap, stride = en.capacity, en.stride
    assert (cap, stride) == (62, 47)
    assert en.windows(0) == [(0, 0)]
    assert en.windows(62) == [(0, 62)]
    assert en.windows(186) == [(0, 62), (47, 109), (94, 156), (124, 186)]
    for n in (63, 100, 186, 1000):
        wins = en.windows(n)
        covered = np.zeros(n, int)
        for s, e in wins:
            assert e - s == cap
            covered[s:e] += 1
        assert covered.min() >= 1 and wins[-1][1] == n
        assert all(b[0] < a[1] for a, b in zip(wins, wins[1:]))  # consecutive windows overlap


def test_document_three_times_the_window_is_encoded_in_full(en: Encoder) -> None:
    text = " ".join(abstract_texts(3))
    ids = en.tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) >= 3 * en.max_length
    (got,) = en.encode([text])
    assert got.vectors.shape == (len(ids), 32)
    assert np.abs(got.vectors).sum(axis=1).min() > 0  # every token has a vector
    wins = en.windows(len(ids))
    first = forward(en, en.prefix + ids[: en.capacity] + en.suffix)
    np.testing.assert_allclose(got.vectors[: wins[1][0]], first[1 : 1 + wins[1][0]], atol=1e-5)
    s, e = wins[-1]
    last = forward(en, en.prefix + ids[s:e] + en.suffix)
    only_last = wins[-2][1]  # tokens after the second-to-last window are only in the last one
    np.testing.assert_allclose(got.vectors[only_last:], last[1 + only_last - s : 1 + e - s], atol=1e-5)
    # the document vector is the masked mean over all positions of all windows
    all_hidden = [forward(en, en.prefix + ids[a:b] + en.suffix) for a, b in wins]
    np.testing.assert_allclose(got.doc_vector, np.concatenate(all_hidden).mean(axis=0), atol=1e-5)


def test_batched_encoding_equals_one_by_one(en: Encoder) -> None:
    texts = abstract_texts(6) + ["short text", " ".join(abstract_texts(8)[6:])]
    together = en.encode(texts, batch_size=3)
    for text, got in zip(texts, together):
        (alone,) = en.encode([text])
        np.testing.assert_allclose(got.vectors, alone.vectors, atol=1e-5)
        np.testing.assert_allclose(got.doc_vector, alone.doc_vector, atol=1e-5)


def test_without_tokens_only_the_doc_vectors_are_returned(en: Encoder) -> None:
    texts = abstract_texts(3)
    for full, bare in zip(en.encode(texts), en.encode(texts, with_tokens=False)):
        assert bare.vectors.shape == (0, 32)
        assert bare.offsets.shape == (0, 2)
        np.testing.assert_allclose(bare.doc_vector, full.doc_vector, atol=1e-6)


def test_embed_is_the_doc_vector_of_each_text_alone(en: Encoder) -> None:
    vecs = en.embed(["neural networks", "keyphrase extraction from abstracts"])
    np.testing.assert_allclose(vecs[1], forward(en, en.tokenizer("keyphrase extraction from abstracts")["input_ids"]).mean(axis=0), atol=1e-5)
    assert en.embed([]).shape == (0, 32)


class CountingModel:
    """Stands in for ``Encoder.model``: counts forward calls and the rows they carry."""

    def __init__(self, model) -> None:
        self.model, self.calls, self.rows = model, 0, 0

    def __call__(self, **kwargs):
        self.calls += 1
        self.rows += kwargs["input_ids"].shape[0]
        return self.model(**kwargs)


def test_embed_reuses_recent_phrases_and_evicts_the_least_recent(en: Encoder, monkeypatch) -> None:
    counting = CountingModel(en.model)
    monkeypatch.setattr(en, "model", counting)
    monkeypatch.setattr(encoder_module, "PHRASE_CACHE", 2)
    en._phrases.clear()
    first = en.embed(["alpha beta", "gamma", "alpha beta"])
    assert (counting.calls, counting.rows) == (1, 2)  # a repeated phrase is encoded once
    np.testing.assert_array_equal(first[0], first[2])
    again = en.embed(["gamma", "alpha beta"])
    assert (counting.calls, counting.rows) == (1, 2)  # both came from the cache
    np.testing.assert_array_equal(again, first[[1, 0]])
    en.embed(["delta"])
    assert list(en._phrases) == ["alpha beta", "delta"]  # "gamma" was the least recently used
    en.embed(["gamma"])
    assert (counting.calls, counting.rows) == (3, 4)
    en._phrases.clear()


def test_pool_spans_hand_computation() -> None:
    tokens = TokenVectors(
        offsets=np.array([[0, 3], [4, 7], [7, 9], [10, 15]]),
        vectors=np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [4.0, 0.0]], np.float32),
        doc_vector=np.zeros(2, np.float32),
    )
    vectors, found = pool_spans(tokens, [[(4, 9)], [(0, 3), (10, 15)], [(3, 4)], [(5, 8)]])
    assert found.tolist() == [True, True, False, True]
    np.testing.assert_allclose(vectors, [[1.0, 1.5], [2.5, 0.0], [0.0, 0.0], [1.0, 1.5]])


def test_pool_spans_weights_every_token_of_every_occurrence() -> None:
    tokens = TokenVectors(
        offsets=np.array([[0, 2], [2, 4], [5, 7]]),
        vectors=np.array([[3.0], [6.0], [0.0]], np.float32),
        doc_vector=np.zeros(1, np.float32),
    )
    vectors, _ = pool_spans(tokens, [[(0, 4), (5, 7)]])
    np.testing.assert_allclose(vectors, [[3.0]])  # (3 + 6 + 0) / 3 tokens


def test_spans_pooled_window_by_window_equal_pool_spans(en: Encoder) -> None:
    """encode(spans=...) sums each item's tokens as windows leave the encoder: the same vectors
    as pool_spans over the kept token vectors, for texts of one and of many (overlapping)
    windows, with an item found nowhere, one spanning two windows and one in every window."""
    long_text = " ".join(abstract_texts(8))
    short = "Neural networks learn keyphrases."
    n_windows = len(en.windows(len(en.tokenizer(long_text, add_special_tokens=False)["input_ids"])))
    assert n_windows >= 5
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", long_text)]
    items = [[words[0]], [words[10], words[500]], [(words[60][0], words[200][1])], [(len(long_text), len(long_text))],
             [w for w in words[::25]]]
    spans = [items, [Spans([(0, 6)]), Spans([(7, 15), (16, 21)])]]  # lists of pairs, or packed
    kept = en.encode([long_text, short], batch_size=3, attention=True)
    pooled = en.encode([long_text, short], with_tokens=False, batch_size=3, spans=spans, attention=True)
    for tv, streamed, spans_of_text in zip(kept, pooled, spans):
        # nothing per token is kept: the attention too is summed per item as windows go
        assert streamed.vectors.shape == (0, en.dim) and streamed.offsets.shape == (0, 2)
        assert streamed.attention.shape == (0,) and tv.attention.shape == (len(tv.offsets),)
        np.testing.assert_allclose(streamed.doc_vector, tv.doc_vector, atol=1e-6)
        vectors, found = pool_spans(tv, spans_of_text)
        assert streamed.found.tolist() == found.tolist()
        np.testing.assert_allclose(streamed.pooled, vectors, atol=2e-5)
        np.testing.assert_allclose(streamed.pooled_attention, encoder_module.span_attention(tv, spans_of_text), rtol=1e-5)
    assert pooled[0].found.tolist() == [True, True, True, False, True]
    assert pooled[0].pooled_attention[3] == 0 and (np.delete(pooled[0].pooled_attention, 3) > 0).all()


@pytest.mark.parametrize("name", ["/nonexistent/model/dir", "./tests"])
def test_unusable_model_paths_raise_model_load_error(name: str) -> None:
    with pytest.raises(ModelLoadError, match="cannot load model"):
        Encoder(name, device="cpu")


def test_batches_are_consecutive_groups_of_batch_size(en: Encoder) -> None:
    jobs = [(0, 0, 62), (1, 0, 62)] + [(2 + i, 0, 10) for i in range(25)]
    assert [len(b) for b in en._batches(jobs, batch_size=10)] == [10, 10, 7]
    assert [j for b in en._batches(jobs, 10) for j in b] == jobs


def test_progress_bars_over_windows_and_phrases_of_long_work(en: Encoder, monkeypatch, capsys) -> None:
    text = " ".join(abstract_texts(3))
    n_windows = len(en.windows(len(en.tokenizer(text, add_special_tokens=False)["input_ids"])))
    assert n_windows >= 4
    monkeypatch.setattr(progress_module, "STAGE_DELAY", 0)  # every stage runs long enough for a bar
    en.encode([text], batch_size=1, progress=True)
    err = capsys.readouterr().err
    assert f"encoding:   0%|" in err and f"0/{n_windows} [00:00<?, ?window/s]" in err
    en.encode([text], batch_size=1)  # not asked for
    assert capsys.readouterr().err == ""
    phrases = [f"phrase number {i}" for i in range(70)]
    en._phrases.clear()
    en.embed(phrases, batch_size=1, progress=True)
    err = capsys.readouterr().err
    assert "phrases:   0%|" in err and "0/70 [00:00<?, ?phrase/s]" in err
    monkeypatch.setattr(progress_module, "STAGE_DELAY", 3600)  # ends before its bar is due: none
    en._phrases.clear()
    en.embed(phrases, batch_size=1, progress=True)
    en.encode([text], batch_size=1, progress=True)
    assert capsys.readouterr().err == ""
    en._phrases.clear()


def eager_received(encoder: Encoder, ids: list[int]) -> np.ndarray:
    """SAMRank's global attention of one unpadded window, from the model's own eager attention
    weights: mean over heads of the attention each position receives, summed over queries."""
    kernel = encoder.model.config._attn_implementation
    encoder.model.config._attn_implementation = "eager"
    try:
        with torch.inference_mode():
            out = encoder.model(input_ids=torch.tensor([ids]), output_attentions=True)
    finally:
        encoder.model.config._attn_implementation = kernel
    return out.attentions[-1][0].sum(dim=1).mean(dim=0).numpy()


@pytest.mark.parametrize("which", ["en", "zh"])
def test_attention_equals_the_models_own_last_layer_weights_in_a_padded_batch(which, request) -> None:
    encoder = request.getfixturevalue(which)
    texts = ["short text about graphs", abstract_texts(1)[0][:150]] if which == "en" else ["图神经网络", "本文研究机器翻译系统的性能评价方法。"]
    got = encoder.encode(texts, with_tokens=False, attention=True)
    for text, result in zip(texts, got):
        ids = encoder.tokenizer(text, add_special_tokens=False)["input_ids"]
        assert len(ids) <= encoder.capacity  # one window: no averaging over windows
        expected = eager_received(encoder, encoder.prefix + ids + encoder.suffix)[len(encoder.prefix) : len(encoder.prefix) + len(ids)]
        np.testing.assert_allclose(result.attention, expected, rtol=1e-4, atol=1e-6)
        assert result.offsets.shape == (len(ids), 2)  # offsets come with the attention
        assert result.vectors.shape == (0, encoder.dim)


def test_attention_is_empty_unless_asked_for_and_windows_average_it(en: Encoder) -> None:
    long_text = " ".join(abstract_texts(8)[6:])
    (plain,) = en.encode([long_text], with_tokens=False)
    assert plain.attention.shape == (0,)
    (full,) = en.encode([long_text], attention=True)
    n = len(en.tokenizer(long_text, add_special_tokens=False)["input_ids"])
    assert len(en.windows(n)) > 1 and full.attention.shape == (n,)
    # the first tokens lie in the first window only: their attention is that window's
    first = en.windows(n)[0]
    ids = en.tokenizer(long_text, add_special_tokens=False)["input_ids"][first[0] : first[1]]
    p = len(en.prefix)
    window = eager_received(en, en.prefix + ids + en.suffix)[p : p + len(ids)]
    np.testing.assert_allclose(full.attention[: en.stride], window[: en.stride], rtol=1e-4, atol=1e-6)


def test_models_without_query_key_projections_get_no_attention(tmp_path) -> None:
    from transformers import DistilBertConfig, DistilBertModel

    probe = encoder_module._AttentionProbe(
        DistilBertModel(DistilBertConfig(vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=32))
    )
    assert probe.available is False


def test_span_attention_sums_the_tokens_of_every_occurrence() -> None:
    tokens = TokenVectors(
        offsets=np.array([[0, 3], [4, 8], [9, 12]]), vectors=np.zeros((0, 2), np.float32),
        doc_vector=np.zeros(2, np.float32), attention=np.array([1.0, 2.0, 4.0], np.float32),
    )
    got = encoder_module.span_attention(tokens, [[(0, 8)], [(4, 8), (9, 12)], [(20, 25)]])
    assert got.tolist() == [3.0, 6.0, 0.0]
    bare = TokenVectors(tokens.offsets, tokens.vectors, tokens.doc_vector)
    assert encoder_module.span_attention(bare, [[(0, 8)]]).tolist() == [0.0]


@pytest.mark.parametrize("which", ["en", "minilm"])
def test_long_text_tokenized_in_pieces_as_a_whole(en: Encoder, minilm_dir, monkeypatch, which) -> None:
    """Pieces cut after whitespace, each with context around it: the tokens and offsets of the
    whole text, for SentencePiece (ALBERT) and WordPiece (MiniLM) tokenizers alike."""
    encoder = en if which == "en" else Encoder(minilm_dir, device="cpu")
    text = "\n\n".join(abstract_texts(12))
    text += "  double  spaces,\ttabs\n lines \n\n\n and " + "x" * 200 + " a long token."
    whole = encoder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    monkeypatch.setattr(encoder_module, "TOKENIZE_CHARS", 500)
    ids, offsets = encoder._tokenize([text, "short text"], with_offsets=True)
    assert ids[0].tolist() == whole["input_ids"]
    assert offsets[0].tolist() == [list(o) for o in whole["offset_mapping"]]
    assert ids[1].tolist() == encoder.tokenizer("short text", add_special_tokens=False)["input_ids"]
    assert len(text) > 20 * 500

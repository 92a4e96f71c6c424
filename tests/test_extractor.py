"""The public API: lazy loading, extract/extract_batch agreement, modes, languages, validation."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

import keyextract
from keyextract import Keyword, KeywordExtractor, extract_keywords
from keyextract import encoder as encoder_module
from keyextract import extractor as extractor_module

from conftest import abstract_texts, same_phrase

EN_TEXT = (
    "Support vector machines are widely used for text classification. We compare support vector "
    "machines with neural networks on keyphrase extraction from scientific abstracts, and show that "
    "neural networks with attention improve keyphrase extraction."
)
ZH_TEXT = "本文研究机器翻译系统的性能评价方法。我们提出一种基于神经网络的机器翻译模型,并在新闻语料上验证了该模型的有效性。"


def normalise(s: str) -> str:
    return " ".join(s.split()).casefold()


PARTS = ["similarity", "position", "frequency", "attention", "specificity", "length"]


def check_keywords(text: str, keywords: list[Keyword]) -> None:
    for k in keywords:
        # the score is the sum of its parts: a cosine, default priors in their ranges
        assert type(k.score) is float and list(k.parts) == PARTS
        assert k.score == pytest.approx(sum(k.parts.values()), abs=1e-5)
        assert -1.0 <= k.parts["similarity"] <= 1.0 and 0.0 < k.parts["position"] <= 0.3
        assert k.parts["frequency"] == pytest.approx(0.05 * math.log(len(k.spans)), abs=1e-6)
        assert abs(k.parts["specificity"]) < 0.5
        assert k.spans and all(same_phrase(text[s:e], k.phrase) for s, e in k.spans)
    assert len({normalise(k.phrase) for k in keywords}) == len(keywords)


def test_constructor_only_stores_and_the_model_loads_once(en_model_dir, monkeypatch) -> None:
    loads = []
    real_init = encoder_module.Encoder.__init__

    def counting_init(self, *args, **kwargs):
        loads.append(args[0])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(encoder_module.Encoder, "__init__", counting_init)
    monkeypatch.setattr(encoder_module, "_LOADED", {})
    ke = KeywordExtractor(en_model_dir, diversity=0.3, max_words=2)
    assert (ke.model, ke.diversity, ke.max_words) == (en_model_dir, 0.3, 2)
    assert not hasattr(ke, "encoders_") and loads == []
    ke.extract(EN_TEXT)
    ke.extract(EN_TEXT)
    ke.extract_batch([EN_TEXT, EN_TEXT])
    # another extractor and the one-shot function reuse the process's encoder
    KeywordExtractor(en_model_dir).extract(EN_TEXT)
    extract_keywords(EN_TEXT, model=en_model_dir)
    assert loads == [en_model_dir]


def test_extract_returns_top_n_keywords_sorted_with_valid_spans(en_model_dir) -> None:
    ke = KeywordExtractor(en_model_dir)
    keywords = ke.extract(EN_TEXT, top_n=4)
    assert len(keywords) == 4
    check_keywords(EN_TEXT, keywords)
    assert [k.score for k in keywords] == sorted((k.score for k in keywords), reverse=True)
    by_phrase = {normalise(k.phrase): k for k in ke.extract(EN_TEXT, top_n=100)}
    assert by_phrase["support vector machines"].spans == ((0, 23), (76, 99))
    assert by_phrase["keyphrase extraction"].spans == ((124, 144), (225, 245))


def test_top_n_beyond_the_candidates_returns_all_of_them(en_model_dir) -> None:
    from keyextract.candidates import extract_candidates
    from keyextract.segmentation import segment

    # one-word phrases: no noun phrase has two contenders, so every candidate is ranked
    ke = KeywordExtractor(en_model_dir, max_words=1)
    n = len(extract_candidates(EN_TEXT, segment(EN_TEXT), ke._stopwords(), 1))
    assert len(ke.extract(EN_TEXT, top_n=1000)) == n


def test_extract_batch_equals_one_by_one(en_model_dir) -> None:
    texts = abstract_texts(8) + [EN_TEXT, "", "the of and"]
    ke = KeywordExtractor(en_model_dir, diversity=0.4, batch_size=3)
    batched = ke.extract_batch(texts, top_n=6, batch_size=5)
    single = [ke.extract(t, top_n=6) for t in texts]
    for b, s in zip(batched, single):
        assert [k.phrase for k in b] == [k.phrase for k in s]
        assert [k.score for k in b] == pytest.approx([k.score for k in s], abs=1e-5)
    assert batched[-2:] == [[], []]


@pytest.mark.parametrize("mode", ["context", "isolated", "mapped"])
def test_extract_batch_in_many_chunks_keeps_input_order(en_model_dir, monkeypatch, mode) -> None:
    """Chunks after the first are prepared in a thread while the encoder works on the one before."""
    texts = abstract_texts(7) + ["", EN_TEXT[:80], EN_TEXT]
    monkeypatch.setattr(extractor_module, "CHUNK_DOCS", 3)
    monkeypatch.setattr(extractor_module, "CHUNK_CHARS", 900)
    ke = KeywordExtractor(en_model_dir, mode=mode)
    batched = ke.extract_batch(texts, top_n=5)
    single = [ke.extract(t, top_n=5) for t in texts]
    assert [[k.phrase for k in b] for b in batched] == [[k.phrase for k in s] for s in single]
    for b, s in zip(batched, single):
        assert [k.score for k in b] == pytest.approx([k.score for k in s], abs=1e-5)
    assert batched[7] == []


def test_chunks_go_shortest_first_within_doc_and_char_bounds(monkeypatch) -> None:
    monkeypatch.setattr(extractor_module, "CHUNK_DOCS", 2)
    monkeypatch.setattr(extractor_module, "CHUNK_CHARS", 10)
    monkeypatch.setattr(extractor_module, "FIRST_CHUNK_DOCS", 1)
    texts = ["aaaa", "b", "cccccccccccc", "dd", "eee"]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    # the first chunk holds FIRST_CHUNK_DOCS texts, the others CHUNK_DOCS and CHUNK_CHARS at most
    assert list(extractor_module._chunks(order, [len(t) for t in texts])) == [[1], [3, 4], [0], [2]]


def test_isolated_mode_encodes_each_phrase_alone(en_model_dir) -> None:
    context = KeywordExtractor(en_model_dir, mode="context").extract(EN_TEXT, top_n=50)
    isolated = KeywordExtractor(en_model_dir, mode="isolated").extract(EN_TEXT, top_n=50)
    check_keywords(EN_TEXT, isolated)
    assert sorted(k.phrase for k in context) == sorted(k.phrase for k in isolated)
    assert [k.score for k in context] != [k.score for k in isolated]


def _spy_embed(monkeypatch) -> list[list[str]]:
    """Record the phrases each ``Encoder.embed`` call encodes alone."""
    calls: list[list[str]] = []
    real = encoder_module.Encoder.embed

    def embed(self, texts, *args, **kwargs):
        calls.append(list(texts))
        return real(self, texts, *args, **kwargs)

    monkeypatch.setattr(encoder_module.Encoder, "embed", embed)
    return calls


def test_isolated_mode_encodes_alone_only_the_shortlist(en_model_dir, monkeypatch) -> None:
    from keyextract.ranking import shortlist

    text = " ".join(abstract_texts(3))
    exhaustive = KeywordExtractor(en_model_dir, exhaustive=True)
    every = {k.phrase: k for k in exhaustive.extract(text, top_n=1000)}
    calls = _spy_embed(monkeypatch)
    ke = KeywordExtractor(en_model_dir)
    top = ke.extract(text, top_n=3)
    candidates = ke._prepare(text).candidates
    assert len(candidates) > 3 * 3 + 5
    # the 14 candidates that score best with their in-context vectors, in document order
    (encoder,) = ke.encoders_.values()
    (doc,) = encoder.encode([text], False, spans=[[c.spans for c in candidates]], attention=True)
    cheap = sum(ke._score_parts(ke._prepare(text), doc, candidates, doc.pooled, doc.pooled_attention).values())
    assert calls == [[candidates[i].phrase for i in shortlist(cheap, 14)]]
    assert len(calls[0]) == 14
    # a shortlisted candidate's score and parts are those the exhaustive run gives it
    assert len(top) == 3 and {k.phrase for k in top} <= set(calls[0])
    for k in top:
        if k.phrase in every:
            assert (k.score, k.parts) == (every[k.phrase].score, every[k.phrase].parts)
    assert sum(k.phrase in every for k in top) >= 2
    # exhaustive: every candidate alone
    calls.clear()
    KeywordExtractor(en_model_dir, exhaustive=True).extract(text, top_n=3)
    assert calls == [[c.phrase for c in candidates]]


def test_languages_without_a_tagger_encode_every_candidate(en_model_dir, monkeypatch) -> None:
    calls = _spy_embed(monkeypatch)
    ke = KeywordExtractor(en_model_dir, lang="pt")
    assert len(ke.extract(PT_TEXT, top_n=2)) == 2
    candidates = ke._prepare(PT_TEXT).candidates
    assert len(candidates) > 2 * 3 + 5
    assert calls == [[c.phrase for c in candidates]]


def test_long_document_keeps_phrases_from_its_end(en_model_dir) -> None:
    text = " ".join(abstract_texts(5)) + " Finally we discuss quantum chromodynamics."
    keywords = KeywordExtractor(en_model_dir).extract(text, top_n=10_000)
    assert "quantum chromodynamics" in {k.phrase for k in keywords}


def test_chinese_and_mixed_documents(zh_model_dir) -> None:
    ke = KeywordExtractor(zh_model_dir, keep_nested=True)  # every candidate listed
    keywords = ke.extract(ZH_TEXT, top_n=100)
    check_keywords(ZH_TEXT, keywords)
    phrases = {k.phrase for k in keywords}
    assert {"研究机器翻译系统", "性能评价方法", "神经网络", "机器翻译模型", "新闻语料"} <= phrases
    mixed = ZH_TEXT + " We evaluate the translation models on news corpora."
    mixed_phrases = {k.phrase for k in ke.extract(mixed, top_n=100)}
    assert {"机器翻译模型", "translation models", "news corpora"} <= mixed_phrases


def test_auto_language_picks_the_default_model_per_document(en_model_dir, zh_model_dir, monkeypatch) -> None:
    monkeypatch.setattr(extractor_module, "DEFAULT_MODELS", {"en": en_model_dir, "zh": zh_model_dir})
    ke = KeywordExtractor()
    results = ke.extract_batch([EN_TEXT, ZH_TEXT])
    assert set(ke.encoders_) == {en_model_dir, zh_model_dir}
    assert all(r for r in results)
    forced = KeywordExtractor(lang="en")
    forced.extract(ZH_TEXT)
    assert set(forced.encoders_) == {en_model_dir}


PT_TEXT = (
    "O presidente da Câmara de Lisboa anunciou hoje um conjunto de medidas para combater a seca. "
    "As medidas incluem restrições à rega de jardins. O presidente da Câmara pediu à população "
    "que poupe água durante a seca."
)
TH_TEXT = "รัฐบาลประกาศมาตรการใหม่ เพื่อช่วยเหลือเกษตรกร ที่ได้รับผลกระทบจากภัยแล้ง"


def test_other_languages_get_their_stopwords_and_the_multilingual_default(en_model_dir, monkeypatch) -> None:
    ke = KeywordExtractor(lang="pt")
    assert ke._prepare(PT_TEXT).model == extractor_module.DEFAULT_MULTILINGUAL_MODEL == "intfloat/multilingual-e5-small"
    assert KeywordExtractor()._prepare(PT_TEXT).model == "intfloat/multilingual-e5-small"
    assert KeywordExtractor()._prepare(EN_TEXT).model == extractor_module.DEFAULT_MODELS["en"]
    keywords = KeywordExtractor(en_model_dir, lang="pt", keep_nested=True).extract(PT_TEXT, top_n=100)
    check_keywords(PT_TEXT, keywords)
    phrases = {k.phrase for k in keywords}
    assert {"presidente da Câmara", "Câmara de Lisboa", "seca", "rega de jardins"} <= phrases
    # Portuguese stopwords never start or end a phrase; English-path noun phrases are gone
    assert not any(p.split()[0].casefold() in {"o", "de", "da", "um", "que"} for p in phrases)
    # the extractor's own stopwords apply to every language
    extra = KeywordExtractor(en_model_dir, lang="pt", stopwords=["seca"], keep_nested=True).extract(PT_TEXT, top_n=100)
    assert not any("seca" in k.phrase for k in extra)


def test_a_detected_language_is_logged_once(en_model_dir, caplog) -> None:
    ke = KeywordExtractor(en_model_dir)
    with caplog.at_level(logging.INFO, logger="keyextract.languages"):
        ke.extract_batch([PT_TEXT, EN_TEXT, PT_TEXT])
        ke.extract(PT_TEXT)
        assert ke.extract(TH_TEXT, top_n=3)  # no stopword list: still keyphrases
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "Portuguese (pt) detected; handled without a part-of-speech tagger"),
        ("WARNING", "Thai (th) detected; keyextract has no stopword list for it: candidates are word n-grams between punctuation"),
    ]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="keyextract.languages"):
        KeywordExtractor(en_model_dir, lang="pt").extract(PT_TEXT)  # asked for, not detected
    assert caplog.records == []


def test_stopword_option_accepts_words_or_a_file(en_model_dir, tmp_path) -> None:
    path = tmp_path / "stop.txt"
    path.write_text("# mine\nVector\n", encoding="utf-8")
    for extra in (["vector"], str(path)):
        phrases = {k.phrase for k in KeywordExtractor(en_model_dir, stopwords=extra).extract(EN_TEXT, top_n=100)}
        assert not any("vector" in p.lower() for p in phrases)
        assert "machines" in phrases


def test_unusable_text_gives_no_keywords(en_model_dir) -> None:
    ke = KeywordExtractor(en_model_dir)
    assert ke.extract("") == [] and ke.extract("   \n\t") == [] and ke.extract("the of and it 42 !!") == []


@pytest.mark.parametrize(
    ("options", "call", "message"),
    [
        ({"lang": "xx"}, {}, "lang must be one of: auto, en, zh, af, "),
        ({"mode": "fast"}, {}, "mode must be one of"),
        ({"diversity": 1.5}, {}, "diversity must be in"),
        ({"max_words": 0}, {}, "max_words must be"),
        ({}, {"top_n": 0}, "top_n must be"),
        ({"batch_size": 0}, {}, "batch_size must be"),
        ({"position_weight": -1}, {}, "position_weight must be"),
        ({"frequency_weight": "x"}, {}, "frequency_weight must be"),
        ({"attention_weight": 11}, {}, "attention_weight must be"),
        ({"max_words": 2.5}, {}, "max_words must be None or an integer >= 1"),
    ],
)
def test_invalid_parameters_are_named(en_model_dir, options, call, message) -> None:
    with pytest.raises(ValueError, match=message):
        KeywordExtractor(en_model_dir, **options).extract(EN_TEXT, **call)


def test_non_string_text_is_a_type_error(en_model_dir) -> None:
    with pytest.raises(TypeError, match="text must be str"):
        KeywordExtractor(en_model_dir).extract(b"bytes")  # type: ignore[arg-type]
    ke = KeywordExtractor(en_model_dir)
    with pytest.raises(TypeError, match="text must be str or Document, got int"):
        ke.extract_batch([EN_TEXT, 3])  # type: ignore[list-item]
    assert not hasattr(ke, "encoders_")  # refused before any work


def test_without_priors_the_score_is_the_cosine(en_model_dir) -> None:
    ke = KeywordExtractor(en_model_dir, position_weight=0, frequency_weight=0, attention_weight=0, mode="context")
    keywords = ke.extract(EN_TEXT, top_n=100)
    (encoder,) = ke.encoders_.values()
    from keyextract.encoder import pool_spans

    (tv,) = encoder.encode([EN_TEXT])
    by_phrase = {k.phrase: k for k in keywords}
    vectors, _ = pool_spans(tv, [by_phrase["neural networks"].spans])
    cosine = float(vectors[0] @ tv.doc_vector / (np.linalg.norm(vectors[0]) * np.linalg.norm(tv.doc_vector)))
    assert by_phrase["neural networks"].score == pytest.approx(cosine, abs=1e-5)


def test_score_parts_are_the_cosine_and_the_priors_recomputed(en_model_dir) -> None:
    from keyextract.encoder import span_attention
    from keyextract.ranking import attention_prior

    ke = KeywordExtractor(en_model_dir)
    keywords = ke.extract(EN_TEXT, top_n=100)
    (encoder,) = ke.encoders_.values()
    candidates = ke._prepare(EN_TEXT).candidates
    (doc,) = encoder.encode([EN_TEXT], with_tokens=False, attention=True)
    attention = dict(zip([c.phrase for c in candidates], attention_prior(span_attention(doc, [c.spans for c in candidates]), 0.2)))
    first = {c.phrase: c.first_token for c in candidates}
    for k in keywords:
        vector = encoder.embed([k.phrase])[0]
        cosine = float(vector @ doc.doc_vector / (np.linalg.norm(vector) * np.linalg.norm(doc.doc_vector)))
        assert k.parts["similarity"] == pytest.approx(cosine, abs=1e-5)
        assert k.parts["position"] == pytest.approx(0.3 / (1 + first[k.phrase] / 150), abs=1e-6)
        assert k.parts["attention"] == pytest.approx(attention[k.phrase], abs=1e-5)
        assert k.parts["length"] == k.parts["specificity"] == 0.0
    assert k.to_dict()["parts"] == k.parts
    # the attention prior is a z-score over the candidates: it spreads both ways
    assert min(attention.values()) < 0 < max(attention.values())
    # without its weight the attention is not even computed
    for k in KeywordExtractor(en_model_dir, attention_weight=0).extract(EN_TEXT, top_n=100):
        assert k.parts["attention"] == 0.0


def test_only_the_best_contender_of_each_noun_phrase_is_ranked(en_model_dir, monkeypatch) -> None:
    decided = []

    def spy(relevance, groups):
        keep = contest_winners(relevance, groups)
        decided.append((relevance, groups, keep))
        return keep

    from keyextract.ranking import contest_winners

    monkeypatch.setattr(extractor_module, "contest_winners", spy)
    ke = KeywordExtractor(en_model_dir)
    shown = [k.phrase for k in ke.extract(EN_TEXT, top_n=100)]
    candidates = ke._prepare(EN_TEXT).candidates
    ((relevance, groups, keep),) = decided
    assert groups == [c.groups for c in candidates]
    assert sorted(shown) == sorted(c.phrase for c, kept in zip(candidates, keep) if kept)
    # some contest had several contenders, and lost some
    assert any(sum(g in c.groups for c in candidates) > 1 for g in {g for c in candidates for g in c.groups})
    assert not keep.all()
    for g in {g for c in candidates for g in c.groups}:  # each contest's most relevant contender is shown
        contenders = [k for k, c in enumerate(candidates) if g in c.groups]
        assert candidates[max(contenders, key=lambda k: (relevance[k], -k))].phrase in shown


def test_position_prior_lifts_early_phrases(en_model_dir) -> None:
    plain = KeywordExtractor(en_model_dir, position_weight=0, frequency_weight=0).extract(EN_TEXT, top_n=100)
    early = KeywordExtractor(en_model_dir, position_weight=5, frequency_weight=0).extract(EN_TEXT, top_n=100)
    assert early[0].spans[0][0] == min(k.spans[0][0] for k in early)  # a large weight: first phrase wins
    assert [k.phrase for k in plain] != [k.phrase for k in early]


def test_extract_keywords_convenience_and_public_surface(en_model_dir) -> None:
    keywords = extract_keywords(EN_TEXT, top_n=3, model=en_model_dir, diversity=0.5)
    assert len(keywords) == 3 and all(isinstance(k, Keyword) for k in keywords)
    assert keywords[0].to_dict()["spans"] == [list(s) for s in keywords[0].spans]
    assert set(keyextract.__all__) >= {"KeywordExtractor", "Keyword", "extract_keywords", "__version__"}


def test_quantized_encoder_gives_close_scores(en_model_dir) -> None:
    from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

    ke = KeywordExtractor(en_model_dir, quantize=True, device="cpu")
    quantized = ke.extract(EN_TEXT, top_n=100)
    (encoder,) = ke.encoders_.values()
    assert any(isinstance(m, QuantizedLinear) for m in encoder.model.modules())
    plain = {k.phrase: k.score for k in KeywordExtractor(en_model_dir, device="cpu").extract(EN_TEXT, top_n=100)}
    assert {k.phrase for k in quantized} == set(plain)
    assert max(abs(k.score - plain[k.phrase]) for k in quantized) < 0.1


def test_progress_bar_only_when_asked(en_model_dir, capsys) -> None:
    ke = KeywordExtractor(en_model_dir)
    ke.extract_batch([EN_TEXT] * 3, progress=True)
    assert "0/3 [" in capsys.readouterr().err  # a tqdm bar over the 3 documents
    ke.extract_batch([EN_TEXT] * 3)  # default: only for long jobs on a terminal
    assert capsys.readouterr().err == ""


def test_long_text_prepared_in_blocks_as_a_whole(monkeypatch) -> None:
    """A text longer than BLOCK_CHARS is segmented block by block (cut after paragraphs): the
    candidates are those of the whole text, occurrences, first tokens and shown forms alike."""
    from keyextract.extractor import _blocks

    text = "\n\n".join(abstract_texts(60))
    text += "\n\n" + "Neural Networks learn. " * 3  # a form that is rarer than another in one block only
    ke = KeywordExtractor("unused", lang="en")
    whole = ke._prepare(text).candidates
    monkeypatch.setattr(extractor_module, "BLOCK_CHARS", 8_000)
    blocks = _blocks(text)
    assert len(blocks) >= 5 and blocks[0][0] == 0 and blocks[-1][1] == len(text)
    assert all(text[end - 2 : end] == "\n\n" for _, end in blocks[:-1])
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    in_blocks = ke._prepare(text).candidates
    assert [(c.phrase, c.key, c.spans, c.first_token) for c in in_blocks] == [
        (c.phrase, c.key, c.spans, c.first_token) for c in whole
    ]
    assert sum(len(c.spans) > 1 and c.spans[-1][0] - c.spans[0][0] > 8_000 for c in whole) > 20


def test_blocks_cut_after_a_line_or_a_space_without_paragraphs(monkeypatch) -> None:
    from keyextract.extractor import _blocks

    monkeypatch.setattr(extractor_module, "BLOCK_CHARS", 10)
    assert _blocks("abcdefgh\nijklmnop qrstu") == [(0, 9), (9, 18), (18, 23)]
    assert _blocks("x" * 25) == [(0, 10), (10, 20), (20, 25)]
    assert _blocks("short") == [(0, 5)]

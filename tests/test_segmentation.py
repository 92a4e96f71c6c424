"""Segmentation: language detection, script routing, spans and POS tags."""

from __future__ import annotations

import pytest

from keyextract import segmentation
from keyextract.segmentation import _DensePerceptron, english_tagger, script_language, segment, split_scripts

from conftest import read_dev


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Support vector machines classify data.", "en"),
        ("我们研究了机器翻译系统的性能。", "zh"),
        ("本文提出基于BERT模型的关键词抽取方法。", "zh"),
        ("We evaluate BERT on 中文 text with many English words here.", "en"),
        ("", "en"),
        ("12345 !!!", "en"),
    ],
)
def test_script_language(text: str, lang: str) -> None:
    assert script_language(text) == lang


def test_split_scripts_keeps_short_latin_inside_chinese() -> None:
    text = "本文提出基于BERT模型的方法, and we evaluate keyphrase extraction systems."
    assert split_scripts(text) == [("zh", 0, 15), ("en", 15, len(text))]


def test_split_scripts_pure_english_is_one_chunk() -> None:
    assert split_scripts("A B.") == [("en", 0, 4)]


def test_english_tokens_spans_and_tags() -> None:
    text = "Support vector machines classify high-dimensional data quickly."
    assert [(t.text, t.start, t.end, t.pos, t.script) for t in segment(text)] == [
        ("Support", 0, 7, "NNP", "en"),
        ("vector", 8, 14, "NN", "en"),
        ("machines", 15, 23, "NNS", "en"),
        ("classify", 24, 32, "VBP", "en"),
        ("high-dimensional", 33, 49, "JJ", "en"),
        ("data", 50, 54, "NNS", "en"),
        ("quickly", 55, 62, "RB", "en"),
        (".", 62, 63, ".", "en"),
    ]


def test_chinese_tokens_spans_and_tags() -> None:
    text = "我们研究了机器翻译系统的性能。"
    assert [(t.text, t.start, t.end, t.pos, t.script) for t in segment(text)] == [
        ("我们", 0, 2, "r", "zh"),
        ("研究", 2, 4, "vn", "zh"),
        ("了", 4, 5, "ul", "zh"),
        ("机器翻译", 5, 9, "l", "zh"),
        ("系统", 9, 11, "n", "zh"),
        ("的", 11, 12, "uj", "zh"),
        ("性能", 12, 14, "n", "zh"),
        ("。", 14, 15, "x", "zh"),
    ]


def test_mixed_text_spans_point_into_the_text() -> None:
    text = "本文提出基于BERT模型的关键词抽取方法,\n and we evaluate  keyphrase extraction systems on Chinese abstracts. 😀 ok"
    tokens = segment(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:]))
    assert {t.script for t in tokens} == {"zh", "en"}
    assert ("BERT", "eng") in {(t.text, t.pos) for t in tokens}
    assert ("extraction", "NN") in {(t.text, t.pos) for t in tokens}


def test_missing_tagger_falls_back_and_warns_once(monkeypatch, capsys) -> None:
    import nltk
    from nltk.tag import perceptron

    def no_tagger(*args, **kwargs):
        raise LookupError("averaged_perceptron_tagger_eng not found")

    monkeypatch.setattr(perceptron, "PerceptronTagger", no_tagger)
    monkeypatch.setattr(nltk, "download", lambda *a, **k: False)
    monkeypatch.setattr(segmentation, "_warned_no_tagger", False)
    segmentation.english_tagger.cache_clear()
    try:
        first = segment("Neural networks learn.")
        segment("Second text.")
    finally:
        segmentation.english_tagger.cache_clear()
    assert [(t.text, t.pos) for t in first] == [("Neural", None), ("networks", None), ("learn", None), (".", None)]
    err = capsys.readouterr().err
    assert err.count("warning") == 1
    assert "averaged_perceptron_tagger_eng" in err


def test_dense_tagger_gives_nltks_tags() -> None:
    from nltk.tag.perceptron import PerceptronTagger

    sentences = [r["text"].split() for r in read_dev("inspec_dev", 40)]
    expected = PerceptronTagger(lang="eng").tag_sents(sentences)
    assert english_tagger().tag_sents(sentences) == expected


@pytest.mark.parametrize(
    ("features", "label"),
    [
        ({"f1": 1}, "VB"),  # NN and VB tie: the alphabetically last wins, as in NLTK
        ({"f1": 1, "f2": 3}, "JJ"),  # counts scale the weights: JJ 1.5 against 1.0
        ({"f1": 0, "f2": 1}, "JJ"),  # a zero count is ignored
        ({"unknown": 1}, "VB"),  # no known feature: every class scores 0
        ({"f1": 1, "f3": 1}, "NN"),  # NN 1.5 against VB 0.75
    ],
)
def test_dense_perceptron_predicts_as_nltk(features: dict, label: str) -> None:
    from nltk.tag.perceptron import AveragedPerceptron

    model = AveragedPerceptron()
    model.classes = {"NN", "VB", "JJ"}
    model.weights = {"f1": {"NN": 1.0, "VB": 1.0}, "f2": {"JJ": 0.5}, "f3": {"NN": 0.5, "VB": -0.25}}
    dense = _DensePerceptron(model)
    assert model.predict(dict(features))[0] == label
    assert dense.predict(dict(features))[0] == label
    assert dense.predict(dict(features), return_conf=True)[1] == pytest.approx(model.predict(dict(features), return_conf=True)[1])


# --- languages without a tagger -----------------------------------------------------------


def _untagged(text: str, lang: str) -> list[tuple]:
    return [(t.text, t.start, t.end, t.norm, t.kind, t.break_before) for t in segment(text, lang)]


def test_untagged_words_keep_accents_hyphens_apostrophes_and_digits() -> None:
    text = "Diz-se que o guarda-chuva d’água custa 12,5 euros (COVID-19)."
    assert _untagged(text, "pt") == [
        ("Diz-se", 0, 6, None, "word", False),
        ("que", 7, 10, None, "word", False),
        ("o", 11, 12, None, "word", False),
        ("guarda-chuva", 13, 25, None, "word", False),
        ("d’água", 26, 32, "d'água", "word", False),  # no elision in Portuguese: one word
        ("custa", 33, 38, None, "word", False),
        ("12", 39, 41, None, "word", False),
        (",", 41, 42, None, "word", False),
        ("5", 42, 43, None, "word", False),
        ("euros", 44, 49, None, "word", False),
        ("(", 50, 51, None, "word", False),
        ("COVID-19", 51, 59, None, "word", False),
        (")", 59, 60, None, "word", False),
        (".", 60, 61, None, "word", False),
    ]
    assert {(t.pos, t.script) for t in segment(text, "pt")} == {(None, "pt")}


def test_untagged_french_elisions_are_split_but_not_aujourdhui() -> None:
    text = "Aujourd'hui l'énergie qu’il faut, jusqu'à presqu'île."
    assert [(t.text, t.norm) for t in segment(text, "fr")] == [
        ("Aujourd'hui", None), ("l'", "l"), ("énergie", None), ("qu’", "qu"), ("il", None),
        ("faut", None), (",", None), ("jusqu'", "jusqu"), ("à", None), ("presqu'", "presqu"),
        ("île", None), (".", None),
    ]


def test_untagged_scripts_with_combining_marks_stay_whole_words() -> None:
    assert [t.text for t in segment("सरकार ने किसानों के लिए", "hi")] == ["सरकार", "ने", "किसानों", "के", "लिए"]


def test_untagged_urls_emails_and_phrase_ending_line_breaks() -> None:
    text = "Relatório anual\nVeja https://exemplo.pt/a?b=1 ou escreva a ana@exemplo.pt sobre a\nreunião."
    tokens = segment(text, "pt")
    assert [(t.text, t.kind) for t in tokens if t.kind == "nonprose"] == [
        ("https://exemplo.pt/a?b=1", "nonprose"), ("ana@exemplo.pt", "nonprose")]
    # "Veja" starts a new line after a title; "reunião" continues a sentence wrapped mid-way
    assert [t.text for t in tokens if t.break_before] == ["Veja"]

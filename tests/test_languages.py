"""Languages: identification, the supported codes, the notes, and the shipped stopword lists."""

from __future__ import annotations

import pytest

from keyextract.languages import (
    LANGS,
    UNTAGGED,
    detect_language,
    handled_language,
    language_name,
    language_note,
    validate_lang,
)
from keyextract.stopwords import load_stopwords, shipped_languages

from conftest import read_dev


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("O presidente da Câmara anunciou hoje novas medidas contra a seca.", "pt"),
        ("Le gouvernement a présenté aujourd'hui un plan contre le bruit urbain.", "fr"),
        ("Die Bundesregierung will den Ausbau der Solarenergie beschleunigen.", "de"),
        ("El ayuntamiento aprobó ayer el nuevo plan de movilidad urbana.", "es"),
        ("Il consiglio comunale ha approvato il bilancio per il prossimo anno.", "it"),
        ("De gemeente wil meer woningen bouwen voor jonge gezinnen.", "nl"),
        ("Regeringen vill satsa mer pengar på järnvägen i norra Sverige.", "sv"),
        ("Rząd zapowiedział nowe przepisy dotyczące ochrony środowiska.", "pl"),
        ("Правительство объявило о новых мерах поддержки малого бизнеса.", "ru"),
        ("Hükümet yeni ekonomik tedbirleri bugün açıkladı.", "tr"),
        ("Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία.", "el"),
        ("أعلنت الحكومة اليوم عن خطة جديدة لدعم التعليم في المناطق الريفية.", "ar"),
        ("सरकार ने आज किसानों के लिए नई योजना की घोषणा की।", "hi"),
        ("정부는 오늘 새로운 경제 대책을 발표했다.", "ko"),
        # languages keyextract has no stopword list for, or no word segmenter
        ("รัฐบาลประกาศมาตรการใหม่เพื่อช่วยเหลือเกษตรกร", "th"),
        ("Mae'r llywodraeth wedi cyhoeddi cynllun newydd i gefnogi ffermwyr yng Nghymru eleni.", "cy"),
        ("政府は今日、新しい経済対策を発表しました。中小企業への支援が含まれています。", "ja"),
        # Chinese by its characters, with or without Latin terms
        ("本文提出基于BERT模型的关键词抽取方法。", "zh"),
        # English, however technical or short; nothing identifiable is English too
        ("Deep convolutional neural networks for FPGA-based image classification.", "en"),
        ("We propose a CNN accelerator on FPGA with Winograd transforms, HLS pipelining and INT8 "
         "quantization; on ResNet-50 the design reaches 2.1 TOPS at 150 MHz.", "en"),
        ("Bayesian nonparametric clustering with Dirichlet process mixtures.", "en"),
        ("", "en"),
        ("12345 !!!", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(("name", "lang", "limit"), [
    ("inspec_dev", "en", 100), ("500n_kpcrowd", "en", 50), ("csl_zh_dev", "zh", 100), ("110_pt_bn_kp", "pt", 110),
])
def test_dev_sets_keep_their_language(name: str, lang: str, limit: int) -> None:
    assert {detect_language(r["text"]) for r in read_dev(name, limit)} == {lang}


def test_detection_reads_only_the_start_of_a_long_text() -> None:
    portuguese = "O presidente da Câmara anunciou hoje novas medidas contra a seca. " * 50
    assert detect_language(portuguese + "The rest of this long document is written in English. " * 500) == "pt"


def test_langs_are_auto_the_tagged_and_every_shipped_list() -> None:
    assert LANGS[:3] == ("auto", "en", "zh")
    assert set(LANGS[3:]) == set(UNTAGGED) == set(shipped_languages()) - {"en", "zh"}
    assert {"pt", "fr", "de", "es", "it", "nl", "ru", "ar", "hi", "ko"} <= set(UNTAGGED)
    assert len(UNTAGGED) >= 30


def test_validate_lang_names_the_allowed_values() -> None:
    validate_lang("pt")
    with pytest.raises(ValueError, match=r"^lang must be one of: auto, en, zh, af, .*, zu; got 'xx'$"):
        validate_lang("xx")


@pytest.mark.parametrize(("code", "handled", "note"), [
    ("pt", "pt", "Portuguese (pt) detected; handled without a part-of-speech tagger"),
    ("ja", "zh", "Japanese (ja) detected; keyextract has no Japanese segmenter: its Chinese characters go to jieba"),
    ("th", None, "Thai (th) detected; keyextract has no stopword list for it: candidates are word n-grams between punctuation"),
    ("xyz", None, "xyz (xyz) detected; keyextract has no stopword list for it: candidates are word n-grams between punctuation"),
])
def test_handled_language_and_note(code: str, handled: str | None, note: str) -> None:
    assert handled_language(code) == handled
    assert language_note(code) == note


def test_names() -> None:
    assert [language_name(c) for c in ("en", "zh", "pt", "de", "th", "qq")] == [
        "English", "Chinese", "Portuguese", "German", "Thai", "qq"]


def test_stopword_lists_hold_function_words_not_content_words() -> None:
    assert {"de", "da", "que", "hoje", "ontem", "dois"} <= load_stopwords("pt")
    assert not {"presidente", "câmara", "governo"} & load_stopwords("pt")
    assert {"le", "la", "des", "l", "d"} <= load_stopwords("fr") and "énergie" not in load_stopwords("fr")
    assert {"der", "die", "und"} <= load_stopwords("de") and "solarenergie" not in load_stopwords("de")
    # every linker can only join words because it is a stopword of its language
    for lang in UNTAGGED.values():
        assert lang.linkers <= load_stopwords(lang.code) | lang.elisions, lang.code


def test_the_list_rule_reads_variants_simplemma_leaves_apart_as_one_word() -> None:
    from keyextract.languages import word_reading

    read = word_reading("pt")
    # simplemma: agredidos -> agredido but agredido -> agredir; madeiras stays madeiras
    assert read("agredido") == read("agredir") == "agred"
    assert read("madeiras") == read("madeira") == "madeir"
    assert read("communications") == read("communication")  # a spliced-in English word
    assert read("os") != read("o")  # short words keep their s
    assert word_reading("xx")("cats") == "cat"  # no stemmer: the final s alone


def test_a_portuguese_list_never_shows_two_readings_of_one_word(en_model_dir) -> None:
    from keyextract import KeywordExtractor
    from keyextract.languages import word_reading

    text = ("As madeiras da ilha foram exportadas. A Madeira desenvolveu a indústria das madeiras. "
            "Os homens foram agredidos ontem; um homem agredido foi levado ao hospital.")
    read = word_reading("pt")

    def readings(**options) -> list[tuple[str, ...]]:
        found = KeywordExtractor(en_model_dir, lang="pt", **options).extract(text, top_n=20)
        return [tuple(read(w) for w in k.phrase.casefold().split()) for k in found]

    plain, kept = readings(), readings(keep_nested=True)
    assert len(plain) == len(set(plain))
    assert not [(a, b) for a in plain for b in plain if a != b and set(a) <= set(b)]
    assert len(kept) > len(plain)  # the rule is what removed the others

"""Arbitrary Unicode never crashes the API, and whatever comes back is well formed."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyextract import KeywordExtractor

from conftest import same_phrase

WORDS = [
    "neural", "networks", "the", "of", "and", "Support", "vector", "machines", "2023", "3.5",
    "e-mail", "U.S.", "naïve", "Ærø", "机器翻译", "系统", "的", "。", "😀", "👩‍👩‍👧", "\u200b",
    "\x00", "\x07", "\ufeff", "\u202e", "tab\there", "line\nbreak", "x" * 300, "é" * 80,
    "--", "...", "'s", "n't", "http://example.com/a?b=c", "ｆｕｌｌｗｉｄｔｈ", "\U0002a6a5",
    "\ud800", "net\udcffwork",
]
texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(WORDS), max_size=80).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=40).map("".join),
)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def extractors(en_model_dir, zh_model_dir) -> dict[str, KeywordExtractor]:
    return {
        "en": KeywordExtractor(en_model_dir, diversity=0.5),
        "zh": KeywordExtractor(zh_model_dir),
        "isolated": KeywordExtractor(en_model_dir, mode="isolated"),
    }


def check(text: str, keywords) -> None:
    assert len(keywords) <= 7
    for k in keywords:
        assert isinstance(k.phrase, str) and k.phrase.strip() == k.phrase and k.phrase
        assert type(k.score) is float and math.isfinite(k.score)
        for s, e in k.spans:
            assert 0 <= s < e <= len(text)
            assert same_phrase(text[s:e], k.phrase)


@SETTINGS
@given(text=texts)
def test_any_text_english_model(extractors, text: str) -> None:
    check(text, extractors["en"].extract(text, top_n=7))


@SETTINGS
@given(text=texts)
def test_any_text_chinese_model(extractors, text: str) -> None:
    check(text, extractors["zh"].extract(text, top_n=7))


@settings(max_examples=40, deadline=None)
@given(batch=st.lists(texts, min_size=1, max_size=5))
def test_any_batch_isolated_mode(extractors, batch: list[str]) -> None:
    for text, keywords in zip(batch, extractors["isolated"].extract_batch(batch, top_n=7, batch_size=2)):
        check(text, keywords)


def test_huge_single_token_and_all_stopwords(extractors) -> None:
    huge = "a" * 200_000  # bench/huge_inputs.py measures such tokens against prose
    assert extractors["en"].extract(huge) == []  # one 200,000-character token is no phrase
    assert extractors["en"].extract("the and of it is was " * 500) == []
    emoji = "😀 " * 1000 + "keyphrase extraction"
    assert [k.phrase for k in extractors["en"].extract(emoji)] == ["keyphrase extraction"]


def test_a_long_word_is_tokenized_in_linear_time() -> None:
    """A run of 10,000 letters costs no more than 10,000 characters of prose (one token against 1,400)."""
    from keyextract.segmentation import english_tokens

    prose = ("neural networks learn " * 500)[:10_000]
    began = time.perf_counter()
    english_tokens(prose)
    prose_s = time.perf_counter() - began
    began = time.perf_counter()
    english_tokens("a" * 10_000)
    word_s = time.perf_counter() - began
    assert word_s < 2 * prose_s + 0.05, (word_s, prose_s)


@pytest.mark.parametrize("mode", ["context", "isolated"])
def test_lone_surrogates_read_as_unknown_characters(en_model_dir, mode) -> None:
    """A str may hold lone surrogates (``errors="surrogateescape"``), which the tokenizer refuses:
    each is read as U+FFFD, so results and spans are those of that text."""
    extractor = KeywordExtractor(en_model_dir, mode=mode)
    text = "Neural \udcff networks learn keyphrase extraction from co\ud800rpora of scientific abstracts."
    replaced = text.replace("\udcff", "\ufffd").replace("\ud800", "\ufffd")
    got, want = extractor.extract_batch([text, replaced], top_n=10)
    assert [(k.phrase, k.spans) for k in got] == [(k.phrase, k.spans) for k in want]
    assert "networks" in {k.phrase for k in got}
    for k in got:
        check(text, [k])

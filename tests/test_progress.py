"""Feedback on long work: a bar for each stage from segmenting on. Tiny encoders."""

from __future__ import annotations

import re

import pytest
from conftest import read_dev

from keyextract import KeywordExtractor
from keyextract import encoder as encoder_module
from keyextract import extractor as extractor_module

STAGES = ("segmenting", "tokenizing", "encoding", "phrases")
# A "long" text here: over this many characters it is segmented in blocks and tokenized in
# pieces (both 100,000 in use), and at least 3 forward passes of encoder work get a bar (25 in
# use), so that a text of 25 abstracts shows every stage in seconds.
LONG = 8_000
PASSES = 3


@pytest.fixture(scope="module")
def long_doc(tmp_path_factory) -> str:
    """25 abstracts, some 25,000 characters of English: blocks and pieces of ``LONG``."""
    path = tmp_path_factory.mktemp("long") / "long.txt"
    path.write_text("\n\n".join(r["text"] for r in read_dev("inspec_dev", 25)), encoding="utf-8")
    assert len(path.read_text(encoding="utf-8")) > 2 * LONG
    return str(path)


@pytest.fixture
def long_is_short(monkeypatch) -> None:
    monkeypatch.setattr(extractor_module, "BLOCK_CHARS", LONG)
    monkeypatch.setattr(encoder_module, "TOKENIZE_CHARS", LONG)
    monkeypatch.setattr(encoder_module, "LONG_TOKENIZE_CHARS", LONG)
    monkeypatch.setattr(encoder_module, "LONG_WORK_PASSES", PASSES)


def first_seen(output: str, names) -> list[int]:
    """Where each of ``names`` first shows as a bar's label (``name: NN%|``) in ``output``."""
    return [output.find(f"{name}: ") if re.search(rf"{name}:\s+\d+%\|", output) else -1 for name in names]


def test_a_long_text_shows_a_bar_for_each_stage_in_turn(en_model_dir, long_doc, long_is_short, capsys) -> None:
    text = open(long_doc, encoding="utf-8").read()
    ke = KeywordExtractor(en_model_dir, lang="en", exhaustive=True)  # exhaustive: many phrases
    ke.extract_batch([text], progress=True)
    err = capsys.readouterr().err
    seen = first_seen(err, STAGES)
    assert -1 not in seen and seen == sorted(seen), err[:3000]  # all four, in the order they run
    # segmenting counts characters, scaled, and says when it joins the blocks
    assert re.search(rf"segmenting: 100%\|[^|]+\| {len(text) / 1000:.1f}k/{len(text) / 1000:.1f}k \[.*merging blocks\]", err)

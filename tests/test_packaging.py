"""The stopword lists and the tagger's weights ship inside the wheel, so a non-editable install finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from keyextract.stopwords import load_stopwords

from conftest import ROOT


def test_stopword_lists_load() -> None:
    en, zh = load_stopwords("en"), load_stopwords("zh")
    assert {"the", "of", "however", "which"} <= en and "network" not in en
    assert {"的", "我们", "本文"} <= zh and "模型" not in zh


def test_wheel_contains_stopwords_and_entry_point(tmp_path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("keyextract-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert {
        "keyextract/data/stopwords/en.txt", "keyextract/data/stopwords/zh.txt", "keyextract/cli.py",
        "keyextract/data/tagger/en_perceptron.npz", "keyextract/data/tagger/LICENSE",
    } <= names
    assert "keyextract = keyextract.cli:main" in entry_points

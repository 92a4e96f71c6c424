"""Keyphrases for large document tables on Apache Spark (the ``spark`` extra: pyspark, pandas, pyarrow).

>>> from keyextract.spark import with_keyphrases
>>> tagged = with_keyphrases(df, "text", top_n=5, model="/shared/models/all-MiniLM-L6-v2")
>>> tagged.select("id", "keyphrases").show()   # array<struct<phrase: string, score: double>>

The column is computed by an iterator pandas UDF: each Spark task streams Arrow batches of the
text column through one Python worker, which keeps its ``KeywordExtractor`` (and so its loaded
encoder) in a module-level cache, so a worker loads the model once and reuses it across batches
and across tasks (Spark reuses Python workers by default). Null, empty and non-string texts get
an empty array; a document that makes the pipeline fail gets an empty array too, and the rest of
its batch keeps its keyphrases. A model that cannot be loaded fails the job, with the message
of ``keyextract.ModelLoadError``.

``run_spark_command`` is the logic of ``keyextract spark INPUT OUTPUT``: read Parquet or JSON
lines, add the column, write the same (or the other) format.
"""

from __future__ import annotations

try:
    import pandas as pd
    import pyarrow  # noqa: F401 - pandas UDFs move data through Arrow
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    from pyspark.sql.functions import pandas_udf
except ImportError as _exc:  # pragma: no cover - exercised by a test that hides pyspark
    raise ImportError(
        f"keyextract.spark needs pyspark, pandas and pyarrow ({_exc.name or _exc} is missing): "
        "pip install pyspark pandas pyarrow (or install keyextract with its spark extra)"
    ) from _exc

import argparse
import logging
import os
import sys
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from .chinese import load_user_dict
from .errors import EXIT_INPUT, EXIT_USAGE, InputError, KeyextractError, ModelLoadError
from .extractor import KeywordExtractor
from .stopwords import read_stopword_file

#: Type of the keyphrase column.
KEYPHRASES_TYPE = T.ArrayType(
    T.StructType([T.StructField("phrase", T.StringType()), T.StructField("score", T.DoubleType())])
)
#: Documents per ``extract_batch`` call inside a worker. Arrow batches hold up to 10,000 rows
#: (``spark.sql.execution.arrow.maxRecordsPerBatch``); taking them in slices bounds the memory
#: of the token vectors and limits the retry after a failure to one slice.
DOCS_PER_CALL = 128
#: Extractors kept per Python worker (one per distinct setting; each holds its encoders).
_CACHE_SIZE = 4
FORMATS = ("parquet", "jsonl")
_SUFFIXES = {
    ".parquet": "parquet", ".parq": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl",
}
_COMPRESSIONS = (".gz", ".bz2", ".deflate", ".lz4", ".snappy", ".zst")

_log = logging.getLogger("keyextract.spark")
_EXTRACTORS: OrderedDict[tuple, KeywordExtractor] = OrderedDict()


# -- library ------------------------------------------------------------------------------------


def with_keyphrases(
    df,
    text_col: str = "text",
    output_col: str = "keyphrases",
    *,
    top_n: int = 5,
    model: str | None = None,
    lang: str | None = None,
    diversity: float | None = None,
    batch_size: int | None = None,
    extractor: KeywordExtractor | None = None,
    **options,
):
    """Return ``df`` with a column ``output_col`` of the keyphrases of ``text_col``.

    Arguments:
        df: a Spark DataFrame.
        text_col: the column of documents (strings).
        output_col: the new column, ``array<struct<phrase: string, score: double>>``, best
            keyphrase first; an existing column of that name is replaced.
        top_n: keyphrases per document.
        model, lang, diversity: as for ``KeywordExtractor`` (``None``: its defaults); ``model``
            must be loadable on every executor (a folder they all see, or a hub name in their
            cache).
        batch_size: encoder windows per forward pass (default: the extractor's, 8).
        extractor: a configured ``KeywordExtractor`` to use instead of ``model``/``lang``/
            ``diversity``/``options``; its parameters (not its loaded encoders) are shipped to
            the executors, and a subclass must be importable there.
        options: other ``KeywordExtractor`` parameters (``mode``, ``max_words``, ``stopwords``,
            ``device``, ``max_length``, ...).

    Returns:
        A DataFrame with every column of ``df`` and the keyphrase column. Lazy, like any
        ``withColumn``: the work happens when it is written or collected.

    Raises:
        ValueError: a missing ``text_col``, an invalid parameter.
        keyextract.InputError: a stopword or user dictionary file that cannot be read.
    """
    given = {k: v for k, v in (("model", model), ("lang", lang), ("diversity", diversity)) if v is not None}
    if extractor is None:
        extractor = KeywordExtractor(**given, **options)
    elif given or options:
        raise ValueError("pass either extractor or model/lang/diversity/options, not both")
    if not isinstance(extractor, KeywordExtractor):
        raise ValueError(f"extractor must be a KeywordExtractor, got {type(extractor).__name__}")
    if not isinstance(output_col, str) or not output_col:
        raise ValueError(f"output_col must be a non-empty column name, got {output_col!r}")
    extractor.extract_batch([], top_n=top_n, batch_size=batch_size)  # validates, loads nothing
    field = _field(df, text_col)
    text = F.col(_quote(text_col))
    if not isinstance(field.dataType, T.StringType):
        warnings.warn(
            f"column {text_col!r} has type {field.dataType.simpleString()}, not string: "
            "every row gets an empty keyphrase array", stacklevel=2,
        )
        text = F.lit(None).cast(T.StringType())
    factory = (type(extractor), _shippable_params(extractor))

    def keyphrases(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        # Runs on the executors; everything it needs lives at module level there.
        return _tag_batches(batches, factory, top_n, batch_size)

    udf = pandas_udf(keyphrases, KEYPHRASES_TYPE)  # type: ignore[call-overload]
    return df.withColumn(output_col, udf(text))


def _field(df, name: str):
    """The top-level field ``name`` of ``df`` (ValueError naming the columns there are)."""
    for field in df.schema.fields:
        if field.name == name:
            return field
    columns = ", ".join(df.columns) or "none"
    raise ValueError(f"no column {name!r} in the DataFrame (columns: {columns}); pick one with text_col")


def _quote(name: str) -> str:
    """A column name as a Spark identifier, so dots and spaces in it are taken literally."""
    return "`" + name.replace("`", "``") + "`"


def _shippable_params(extractor: KeywordExtractor) -> dict:
    """The constructor parameters of ``extractor``, hashable and readable on any executor.

    Loaded state (attributes ending in ``_``) stays behind; stopword and user dictionary
    files are read here, on the driver, because executors may not see the path.
    """
    params = {k: v for k, v in vars(extractor).items() if not k.endswith("_")}
    stopwords = params.get("stopwords")
    if isinstance(stopwords, str):
        stopwords = read_stopword_file(stopwords)
    if stopwords is not None:
        params["stopwords"] = tuple(sorted({w.casefold() for w in stopwords}))
    if params.get("user_dict") is not None:
        params["user_dict"] = load_user_dict(params["user_dict"])
    return params


# -- worker side --------------------------------------------------------------------------------


def _cached_extractor(cls: type, params: dict) -> KeywordExtractor:
    """One extractor per setting and Python worker: its encoder loads once, on first use."""
    key = (cls.__module__, cls.__qualname__, tuple(sorted(params.items())))
    extractor = _EXTRACTORS.get(key)
    if extractor is None:
        extractor = cls(**params)
        _EXTRACTORS[key] = extractor
        while len(_EXTRACTORS) > _CACHE_SIZE:
            _EXTRACTORS.popitem(last=False)
    else:
        _EXTRACTORS.move_to_end(key)
    return extractor


def _tag_batches(
    batches: Iterator[pd.Series], factory: tuple, top_n: int, batch_size: int | None
) -> Iterator[pd.Series]:
    """The body of the pandas UDF: one output Series per Arrow batch of texts."""
    extractor = _cached_extractor(*factory)
    for texts in batches:
        yield pd.Series(tag_texts(extractor, texts.tolist(), top_n, batch_size), index=texts.index)


def tag_texts(
    extractor: KeywordExtractor, values: list, top_n: int = 5, batch_size: int | None = None
) -> list[list[dict]]:
    """Keyphrases of each value as ``[{"phrase", "score"}, ...]``; never raises for a bad row.

    Null, non-string and blank values get ``[]`` without reaching the extractor. The others go
    through ``extract_batch`` ``DOCS_PER_CALL`` at a time; if a call fails, its documents are
    retried in halves down to single documents, so a document that fails gets ``[]`` (logged)
    and the others keep their keyphrases. ``ModelLoadError`` is not a bad row: it propagates and fails the job.
    """
    out: list[list[dict]] = [[] for _ in values]
    todo = [i for i, v in enumerate(values) if isinstance(v, str) and v.strip()]
    for start in range(0, len(todo), DOCS_PER_CALL):
        rows = todo[start : start + DOCS_PER_CALL]
        for i, keywords in zip(rows, _extract_rows(extractor, [values[i] for i in rows], top_n, batch_size)):
            out[i] = [{"phrase": k.phrase, "score": float(k.score)} for k in keywords]
    return out


def _extract_rows(extractor: KeywordExtractor, texts: list[str], top_n: int, batch_size: int | None) -> list:
    """``extract_batch`` of ``texts``; if it fails, each half is retried the same way, down to
    the documents that fail alone (``[]``, logged). Halving finds one bad document among 128
    in 15 calls instead of 129, and the good ones stay in batches (faster than one by one).
    """
    try:
        return extractor.extract_batch(texts, top_n=top_n, batch_size=batch_size)
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - isolate the bad row below
        if len(texts) == 1:
            _log.warning("keyextract: a document failed (%s: %s); it gets no keyphrases", type(exc).__name__, exc)
            return [[]]
    half = len(texts) // 2
    return (_extract_rows(extractor, texts[:half], top_n, batch_size)
            + _extract_rows(extractor, texts[half:], top_n, batch_size))


# -- command: keyextract spark INPUT OUTPUT -----------------------------------------------------


def detect_format(path: str) -> str | None:
    """``"parquet"`` or ``"jsonl"`` from a file's extension or a folder's data files; else None.

    Raises InputError for a folder that mixes both.
    """
    if not os.path.isdir(path):
        return _format_of_name(path)
    found = set()
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        found.update(_format_of_name(f) for f in files if not f.startswith(("_", ".")))
    found.discard(None)
    if len(found) > 1:
        raise InputError(f"{path}: folder holds both Parquet and JSON files; pass --format")
    return found.pop() if found else None


def _format_of_name(name: str) -> str | None:
    root, ext = os.path.splitext(name.lower())
    if ext in _COMPRESSIONS:
        root, ext = os.path.splitext(root)
    return _SUFFIXES.get(ext)


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def _local(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


def _error(message: str) -> None:
    print(f"keyextract: error: {message}", file=sys.stderr)


def _job_error(exc: BaseException) -> str:
    """One line out of a Spark/Py4J exception (whose text holds whole Python and JVM traces)."""
    text = str(exc)
    for line in text.splitlines():
        if "ModelLoadError: " in line:
            return line.split("ModelLoadError: ", 1)[1].strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= 400 else first[:400] + "..."


@contextmanager
def _session(master: str | None, conf: list[tuple[str, str]]):
    """The active SparkSession, or a new one, stopped on leaving.

    A new local session's Python workers run this interpreter (which has keyextract), unless
    the user chose one with ``PYSPARK_PYTHON`` or ``spark.pyspark.python``.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = "local[*]"  # run by hand, not by spark-submit (which sets the master itself)
    builder = SparkSession.builder.appName("keyextract")
    if master:
        builder = builder.master(master)
    for key, value in conf:
        builder = builder.config(key, value)
    with _worker_python((master or "").startswith("local"), dict(conf).get("spark.pyspark.python")):
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()


@contextmanager
def _worker_python(local: bool, configured: str | None):
    """Make the Python workers of the session created inside run the right interpreter.

    PySpark starts its workers with ``SparkContext.pythonExec``, which it takes from the
    environment variable ``PYSPARK_PYTHON`` (default ``python3``, looked up on the PATH) when
    the context is created; the setting ``spark.pyspark.python`` reaches that variable only when
    spark-submit launches the driver. So ``venv/bin/keyextract spark`` run from a shell where
    another ``python3`` comes first gave the workers that one, without keyextract or pandas.
    Here the variable is set while the context starts: to ``spark.pyspark.python`` if the user
    gave it, else, for a local master, to this interpreter; a ``PYSPARK_PYTHON`` the user set
    is kept.
    """
    chosen = configured or (sys.executable if local and not os.environ.get("PYSPARK_PYTHON") else None)
    if chosen is None:
        yield
        return
    before = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = chosen
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYSPARK_PYTHON"]
        else:
            os.environ["PYSPARK_PYTHON"] = before


def run_spark_command(args: argparse.Namespace, extractor: KeywordExtractor) -> int:
    """``keyextract spark INPUT OUTPUT``: returns the exit status; errors are one line on stderr.

    ``args`` comes from ``keyextract.cli._run_spark``'s parser; 1 means the input could not be
    read or has no usable text column, 2 a bad option, an existing output or an unusable model.
    """
    with warnings.catch_warnings():
        # pandas 3 works for what we use; the notice is noise on a command's stderr.
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
        return _run_command(args, extractor)


def _run_command(args: argparse.Namespace, extractor: KeywordExtractor) -> int:
    from pyspark.errors import PySparkException
    from py4j.protocol import Py4JError

    if _is_local(args.input) and not os.path.exists(_local(args.input)):
        _error(f"{args.input}: no such file or folder")
        return EXIT_INPUT
    try:
        in_format = args.format or (
            detect_format(_local(args.input)) if _is_local(args.input) else _format_of_name(args.input.rstrip("/"))
        )
    except InputError as exc:
        _error(str(exc))
        return EXIT_USAGE
    if in_format is None:
        _error(f"{args.input}: cannot tell its format from its name or files; pass --format parquet or --format jsonl")
        return EXIT_USAGE
    out_format = args.output_format or in_format
    if _is_local(args.output) and os.path.exists(_local(args.output)) and not args.overwrite:
        _error(f"{args.output}: already exists; pass --overwrite to replace it")
        return EXIT_USAGE

    with _session(args.master, args.conf) as spark:
        reader = spark.read
        try:
            df = reader.parquet(args.input) if in_format == "parquet" else reader.json(args.input)
        except (PySparkException, Py4JError) as exc:
            _error(f"{args.input}: cannot read it as {in_format}: {_job_error(exc)}")
            return EXIT_INPUT
        if args.text_col not in df.columns:
            _error(f"{args.input}: no column {args.text_col!r} (columns: {', '.join(df.columns) or 'none'}); "
                   "pick one with --text-col")
            return EXIT_INPUT
        if args.output_col in df.columns:
            _error(f"{args.input} already has a column {args.output_col!r}; name the new one with --output-col")
            return EXIT_USAGE
        dtype = df.schema[args.text_col].dataType
        if not isinstance(dtype, T.StringType):
            _error(f"{args.input}: column {args.text_col!r} has type {dtype.simpleString()}, not string")
            return EXIT_INPUT
        partitions = args.partitions
        if partitions is None:
            # A small input is read as one partition: spread it over the cores.
            wanted = spark.sparkContext.defaultParallelism
            partitions = wanted if df.rdd.getNumPartitions() < wanted else None
        if partitions:
            df = df.repartition(partitions)
        try:
            tagged = with_keyphrases(df, args.text_col, args.output_col, top_n=args.top,
                                     batch_size=args.batch_size, extractor=extractor)
        except (ValueError, KeyextractError) as exc:
            _error(str(exc))
            return EXIT_USAGE
        writer = tagged.write.mode("overwrite" if args.overwrite else "errorifexists")
        try:
            if out_format == "parquet":
                writer.parquet(args.output)
            else:
                writer.option("ignoreNullFields", "false").json(args.output)
        except (PySparkException, Py4JError) as exc:
            message = _job_error(exc)
            model_error = "ModelLoadError: " in str(exc)
            _error(message if model_error else f"Spark job failed: {message}")
            return EXIT_USAGE if model_error else EXIT_INPUT
    return 0


__all__ = ["KEYPHRASES_TYPE", "detect_format", "run_spark_command", "tag_texts", "with_keyphrases"]

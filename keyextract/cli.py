"""Command line: ``keyextract FILE... --top 5``. Parses arguments, reads inputs, calls the API."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Sequence

from . import __version__
from .documents import DEFAULT_MAX_BYTES, MARKUP_MODES, Document, read_document
from .errors import EXIT_INPUT, EXIT_USAGE, InputError, KeyextractError
from .extractor import DEFAULT_BATCH_SIZE, DEFAULT_MODE, MODES, progress_bar
from .highlight import PAGE_END, highlight_ansi, html_section, page_start, paint, use_color
from .languages import LANGS, language_note
from .progress import write_line

FORMATS = ("text", "json", "jsonl", "tsv", "html")
# Files are read and extracted this many at a time, and their results written at once: enough
# for the encoder to batch windows of similar length (32 at a time ran about 10% slower).
FILES_PER_BATCH = 128
# The command's own notes (decoding, languages found, no candidates); with the library's, they go
# to stderr through _NoteHandler, or nowhere with -q (``_route_notes``).
_notes = logging.getLogger("keyextract.cli")

USAGE = """keyextract [options] FILE [FILE ...]
       keyextract eval DATA.jsonl [options]      precision, recall, F1 against gold keyphrases
       keyextract spark INPUT OUTPUT [options]   a keyphrase column for a table, with Apache Spark
       keyextract serve [options]                an HTTP service and a web page
       (keyextract eval --help, keyextract spark --help, keyextract serve --help: their options)"""

EPILOG = """\
examples:
  keyextract paper.txt --top 5
  keyextract a.txt b.txt --format jsonl > keyphrases.jsonl
  cat article.txt | keyextract - --lang zh
  keyextract doc.txt --model ./models/albert-small --diversity 0.5 --max-words 4
  keyextract page.html --format json       # markup stripped; spans point into page.html
  keyextract a.txt page.html --format html > marked.html   # one page, keyphrases marked
  keyextract paper.txt --highlight          # the text with its keyphrases in colour, then the list
  keyextract README.md paper.pdf report.docx   # Markdown, PDF (pdf extra), Word (docx extra)
  keyextract eval gold.jsonl --top 5 10
  keyextract spark docs.parquet tagged/ --text-col abstract

Default encoders: %(en)s (English),
%(zh)s (Chinese) and %(multilingual)s (other languages),
from the Hugging Face cache or the Hub. Where one cannot be had (not cached, Hub unreachable),
an encoder carried by an installed package stands in (all-MiniLM-L6-v2 for English,
multilingual-e5-small for the others; the offline extra) and a note on stderr says so.
--format json/jsonl name each document's encoder. A --model that cannot be loaded is an error.
Languages (--lang): auto (detected per document), en, zh, and, without a part-of-speech tagger,
%(untagged)s.
On a terminal, each stage that runs longer than a second shows a progress bar (segmenting,
tokenizing, encoding, phrases); -q shows no bars and no notes (errors and warnings still print).
Exit status: 0 on success, 1 if some input could not be read, 2 on bad options or model errors.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"keyextract: error: {message} (see keyextract --help)\n")


def _int_at_least(minimum: int):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {number}")
        return number

    return parse


def _float_range(low: float, high: float):
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number in [{low:g}, {high:g}], got {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be in [{low:g}, {high:g}], got {value}")
        return number

    return parse


_unit_interval = _float_range(0, 1)


def _language(value: str) -> str:
    if value not in LANGS:
        raise argparse.ArgumentTypeError(f"unknown language {value!r}; allowed: {', '.join(LANGS)}")
    return value


def add_extraction_options(parser: argparse.ArgumentParser) -> None:
    """Model and extraction options, shared by the main command and its subcommands."""
    parser.add_argument("--lang", type=_language, default="auto", metavar="CODE",
                        help="document language: auto (default: detected per document), en, zh, or the "
                        "ISO 639-1 code of another language (pt, fr, de ...; listed below)")
    parser.add_argument("--model", help="encoder: Hugging Face Hub name or local folder "
                        "(default: ALBERT for English and Chinese, multilingual-e5-small for other languages)")
    parser.add_argument("--mode", choices=MODES, default=DEFAULT_MODE,
                        help="mapped (default): English phrase vectors from the document pass mapped to those of the "
                        "phrase alone (keyextract.phrasemap; other languages as isolated); isolated: encode the best "
                        "phrases alone (slower on short texts); context: phrase vectors from the document pass as they are")
    parser.add_argument("--exhaustive", action="store_true",
                        help="isolated mode: encode every candidate alone, not only the 3 x top + 5 that score best "
                        "in context (slower; the shortlist keeps the same keyphrases almost always)")
    parser.add_argument("--position-weight", type=_float_range(0, 10), default=None,
                        help="weight of the early-occurrence prior (default 0.3; 0 disables it)")
    parser.add_argument("--frequency-weight", type=_float_range(0, 10), default=None,
                        help="weight of the frequency prior (default 0.05; 0 disables it)")
    parser.add_argument("--attention-weight", type=_float_range(0, 10), default=None,
                        help="weight of the prior for phrases the encoder attends to (default 0.2; 0 disables it)")
    parser.add_argument("--diversity", type=_unit_interval, default=None,
                        help="MMR diversity in [0, 1]; 0 ranks by relevance only (default 0)")
    parser.add_argument("--keep-nested", action="store_true",
                        help="also list phrases nested in, holding or overlapping a listed one (by default of a phrase "
                        "and its parts only the best is listed); one phrase is never listed twice")
    parser.add_argument("--max-words", type=_int_at_least(1), default=None,
                        help="longest phrase in words (default 5 for English, 3 for other languages)")
    parser.add_argument("--stopwords", metavar="FILE", help="extra stopwords, one per line (UTF-8)")
    parser.add_argument("--user-dict", metavar="FILE",
                        help="Chinese words for jieba, in its user-dictionary format: 'word [frequency] [tag]' a line (UTF-8)")
    parser.add_argument("--vocabulary", metavar="FILE",
                        help="tag with a controlled vocabulary: one term a line, or TSV 'id<TAB>preferred label"
                        "[<TAB>alternative label ...]' (UTF-8); returns its tags, found in the text or fitting it")
    parser.add_argument("--seed", action="append", metavar="PHRASE", dest="seeds",
                        help="steer the ranking toward this phrase's topic (repeat for several)")
    parser.add_argument("--min-confidence", type=_unit_interval, default=None, metavar="P",
                        help="only keyphrases with confidence >= P in [0, 1]; without --top, as many as reach it")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="where the encoder runs (default auto)")
    parser.add_argument("--batch-size", type=_int_at_least(1), default=DEFAULT_BATCH_SIZE,
                        help=f"encoder windows per forward pass (default {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--quantize", action="store_true", help="int8 dynamic quantization of the encoder (CPU): faster")
    parser.add_argument("--markup", choices=MARKUP_MODES, default="auto",
                        help="how text is read: auto (default: files named .html/.htm/.xhtml/.xml as HTML/XML, "
                        ".md/.markdown as Markdown, other files and table rows by content; plain text with its &rsquo;-style "
                        "references decoded), html, markdown, or none (plain text as given); "
                        "PDF and Word files are recognised whatever it says")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars and no notes on stderr (errors and warnings are still printed)")


def make_extractor(args: argparse.Namespace):
    """A KeywordExtractor from parsed extraction options (raises InputError for a bad stopword
    or user dictionary file)."""
    from .chinese import read_user_dict
    from .extractor import KeywordExtractor
    from .stopwords import read_stopword_file

    from .vocabulary import load_vocabulary

    extra = read_stopword_file(args.stopwords) if args.stopwords else None
    user_dict = read_user_dict(args.user_dict) if args.user_dict else None
    vocabulary = load_vocabulary(args.vocabulary) if getattr(args, "vocabulary", None) else None
    options = {
        name: getattr(args, name)
        for name in ("diversity", "position_weight", "frequency_weight", "attention_weight")
        if getattr(args, name) is not None
    }
    return KeywordExtractor(
        model=args.model, lang=args.lang, max_words=args.max_words, mode=args.mode, exhaustive=args.exhaustive,
        keep_nested=args.keep_nested,
        stopwords=extra, user_dict=user_dict, device=args.device, batch_size=args.batch_size,
        quantize=args.quantize, markup=args.markup, vocabulary=vocabulary, seed_keywords=getattr(args, "seeds", None),
        min_confidence=getattr(args, "min_confidence", None), **options,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the main command."""
    from .extractor import DEFAULT_MODELS, DEFAULT_MULTILINGUAL_MODEL

    untagged = textwrap.fill(", ".join(code for code in LANGS if code not in ("auto", "en", "zh")), 95)
    parser = _Parser(
        prog="keyextract",
        usage=USAGE,
        description="Extract keyphrases from documents (English, Chinese and some 50 other languages) "
        "with transformer embeddings.",
        epilog=EPILOG % {**DEFAULT_MODELS, "multilingual": DEFAULT_MULTILINGUAL_MODEL, "untagged": untagged},
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="documents to read (text, HTML/XML, Markdown, PDF, Word .docx); - reads stdin")
    parser.add_argument("-n", "--top", type=_int_at_least(1), default=None,
                        help="keyphrases per document (default 5; with --min-confidence, no cap unless given)")
    parser.add_argument("--candidates", metavar="FILE",
                        help="rank these phrases (one a line, UTF-8) for every document instead of its own candidates")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text",
                        help="output format (default text); html: one self-contained page, each document "
                        "with its keyphrases marked")
    parser.add_argument("--highlight", action="store_true",
                        help="--format text: print each document's text with its keyphrases in colour before "
                        "its list (plain where stdout is not a terminal or NO_COLOR is set)")
    add_extraction_options(parser)
    parser.add_argument("--max-mb", type=_int_at_least(1), default=DEFAULT_MAX_BYTES // (1024 * 1024),
                        help="refuse inputs larger than this many MiB (default %(default)s)")
    parser.add_argument("--version", action="version", version=f"keyextract {__version__}")
    return parser


def json_record(source: str, keywords: list, model: str | None) -> dict:
    """One document's object in ``--format json``/``jsonl`` output (and in the answers of
    ``keyextract serve``): ``{"source", "model", "keywords": [Keyword.to_dict(), ...]}``."""
    return {"source": source, "model": model, "keywords": [k.to_dict() for k in keywords]}


def encoder_names(extractor, documents: Sequence, results: Sequence[list]) -> list[str | None]:
    """The name of the encoder that ranked each document's phrases (``extractor.models_`` of its
    language), or None for a document without keyphrases; ``results`` as ``extract_batch``
    returned them for ``documents``."""
    return [extractor.models_.get(extractor.language(d)) if found else None for d, found in zip(documents, results)]


class _Writer:
    """Writes each document's result as soon as it is ready, in one of ``FORMATS``.

    The tsv header, json's opening bracket and html's page head come with the first document
    written, so that a run in which every input failed prints nothing on stdout (not an empty
    table or list that would read as "no keyphrases found"); ``finish`` closes what was opened.
    """

    def __init__(self, fmt: str, multiple: bool, highlight: bool = False, title: str = "keyextract") -> None:
        self.fmt, self.multiple, self.count = fmt, multiple, 0
        self.highlight, self.title = highlight, title
        self.color = highlight and use_color(sys.stdout)

    def write(self, source: str, keywords: list, model: str | None = None, document: Document | None = None) -> None:
        """One document's keyphrases; ``model`` names its encoder (json/jsonl; None if none ran);
        ``document`` is marked up with them (html, and text with --highlight)."""
        if self.count == 0:
            opening = {"tsv": "source\trank\tphrase\tscore\tconfidence\tid\n", "json": "[",
                       "html": page_start(self.title)}
            self._out(opening.get(self.fmt, ""))
        record = json_record(source, keywords, model)
        if self.fmt == "json":
            body = json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            self._out(("," if self.count else "") + "\n  " + body)
        elif self.fmt == "jsonl":
            self._out(json.dumps(record, ensure_ascii=False) + "\n")
        elif self.fmt == "tsv":
            self._out("".join(f"{source}\t{r}\t{k.phrase}\t{k.score:.6f}\t{_number(k.confidence)}\t{k.id or ''}\n"
                              for r, k in enumerate(keywords, 1)))
        elif self.fmt == "html":
            self._out(html_section(source, document, keywords))
        else:
            header = [f"==> {source} <=="] if self.multiple else []
            if self.highlight:  # the text, then a blank line and the list
                text = highlight_ansi(document, keywords, color=self.color).rstrip()
                header.append(text + ("\n" if keywords else ""))
            lines = header + [
                f"{k.score:.4f}  {paint(k.phrase, r) if self.color else k.phrase}"
                + (f"  [{k.id}]" if k.id is not None and k.id != k.phrase else "")
                for r, k in enumerate(keywords, 1)
            ]
            if not lines:
                return
            self._out(("\n" if self.count else "") + "\n".join(lines) + "\n")
        self.count += 1

    def finish(self) -> None:
        if self.fmt == "json" and self.count:
            self._out("\n]\n")
        elif self.fmt == "html" and self.count:
            self._out(PAGE_END)

    @staticmethod
    def _out(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status (errors are printed as one line on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval"]:
        return _run_eval(argv[1:])
    if argv[:1] == ["spark"]:
        return _run_spark(argv[1:])
    if argv[:1] == ["serve"]:
        return _run_serve(argv[1:])
    parser = build_parser()
    args = parser.parse_intermixed_args(argv)
    if args.highlight and args.format != "text":
        parser.error(f"--highlight goes with --format text, not {args.format}"
                     + (" (--format html marks the keyphrases itself)" if args.format == "html" else ""))
    try:
        extractor = make_extractor(args)
        _check_model(args.model)
        candidates = _read_candidates(args.candidates) if args.candidates else None
        if candidates is not None and args.vocabulary:
            raise InputError("--candidates and --vocabulary cannot be combined")
    except KeyextractError as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.files.count("-") > 1:
        print("keyextract: error: stdin (-) can be given only once", file=sys.stderr)
        return EXIT_USAGE

    top = args.top if args.top is not None or args.min_confidence is not None else 5
    names = ["<stdin>" if path == "-" else path for path in args.files]
    title = "keyextract: " + (names[0] if len(names) == 1 else f"{len(names)} documents")
    writer = _Writer(args.format, len(args.files) > 1, args.highlight, title)
    status = 0
    _route_notes(args.quiet, languages_of=None)  # languages: said below, once each, naming the file
    noted: set[str] = set()
    show_bar = len(args.files) > 1 and not args.quiet and sys.stderr.isatty()
    with progress_bar(len(args.files), show_bar, unit="file") as bar:
        for start in range(0, len(args.files), FILES_PER_BATCH):
            group = args.files[start : start + FILES_PER_BATCH]
            sources, documents = [], []
            for path in group:
                try:
                    document = read_document(path, markup=args.markup, max_bytes=args.max_mb * 1024 * 1024)
                except InputError as exc:
                    bar.write(f"keyextract: error: {exc}", file=sys.stderr)
                    status = EXIT_INPUT
                    continue
                source = "<stdin>" if path == "-" else path
                if document.encoding not in (None, "utf-8", "utf-8-sig"):
                    _notes.info("%s decoded as %s", source, document.encoding.upper())
                sources.append(source)
                documents.append(document)
            if args.lang == "auto":
                _note_languages(extractor, sources, documents, noted)
            try:
                # documents: the caller's bar over files; within a long document, the extractor's bars
                results = extractor.extract_batch(
                    documents, top_n=top, progress=False if args.quiet else None, candidates=candidates,
                )
            except KeyextractError as exc:
                bar.write(f"keyextract: error: {exc}", file=sys.stderr)
                writer.finish()  # the results of earlier groups stay well-formed
                return EXIT_USAGE
            models = encoder_names(extractor, documents, results)
            for source, keywords, model, document in zip(sources, results, models, documents):
                if not keywords:
                    _notes.info("%s: no keyphrase candidates found", source)
                writer.write(source, keywords, model, document)
            bar.update(len(group))
    writer.finish()
    return status


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _read_candidates(path: str) -> list[str]:
    """The phrases of a --candidates file, one a line (blank lines skipped); InputError naming
    the file for one that cannot be read, is not UTF-8 or has none."""
    from .vocabulary import read_lines

    phrases = [line.strip() for line in read_lines(path, "candidates") if line.strip()]
    if not phrases:
        raise InputError(f"candidates {path}: no phrases")
    return phrases


def _check_model(model: str | None) -> None:
    """Fail before reading any input on a --model that cannot load here (ModelLoadError)."""
    if model is not None:
        from .encoder import locate_model

        locate_model(model)


def _note_languages(extractor, sources: list[str], documents: list, noted: set[str]) -> None:
    """One note for each language other than English and Chinese found in ``documents`` and
    not in ``noted`` (which is updated): ``keyextract: note: FILE: Portuguese (pt) detected; ...``."""
    for source, document in zip(sources, documents):
        lang = extractor.language(document)
        if lang not in ("en", "zh") and lang not in noted and document.text.strip():
            noted.add(lang)
            _notes.info("%s: %s", source, language_note(lang))


class _NoteHandler(logging.Handler):
    """Writes log records to stderr as ``keyextract: note: [SOURCE: ]MESSAGE``, each on a line
    of its own even while progress bars are drawn (``progress.write_line``)."""

    def __init__(self, source: str | None = None) -> None:
        super().__init__(logging.INFO)
        self.source = source

    def emit(self, record: logging.LogRecord) -> None:
        try:
            write_line("keyextract: note: " + (f"{self.source}: " if self.source else "") + record.getMessage())
        except Exception:  # noqa: BLE001 - as logging does: a failed note must not stop the work
            self.handleError(record)


def _route_notes(quiet: bool, languages_of: str | None) -> None:
    """Send the notes (records of the ``keyextract`` loggers: the offline encoder, the
    command's own) to stderr through ``_NoteHandler``, or nowhere when ``quiet`` (-q). Those of
    ``keyextract.languages`` name ``languages_of`` (a data file), or go nowhere when it is
    ``None`` (the caller says them itself, naming each file)."""
    routes = {"keyextract": None, "keyextract.languages": languages_of}
    for name, source in routes.items():
        log = logging.getLogger(name)
        for handler in [h for h in log.handlers if isinstance(h, (_NoteHandler, logging.NullHandler))]:
            log.removeHandler(handler)
        shown = not quiet and (name == "keyextract" or source is not None)
        log.addHandler(_NoteHandler(source) if shown else logging.NullHandler())
        log.setLevel(logging.INFO)
    logging.getLogger("keyextract.languages").propagate = False  # not said twice


def _run_eval(argv: list[str]) -> int:
    """``keyextract eval DATA.jsonl``: P/R/F1 at k of the extractor on a gold data set."""
    from .evaluation import DEFAULT_TOP, evaluate, read_dataset

    parser = _Parser(
        prog="keyextract eval",
        description="Score keyextract against gold keyphrases: precision, recall and F1 at k, "
        "macro- and micro-averaged (lowercased, stemmed exact match: Porter for English, Snowball "
        "for the other languages that have one; Chinese: exact match without whitespace).",
        epilog="example:\n  keyextract eval inspec.jsonl --top 5 10 --model ./all-MiniLM-L6-v2 --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA.jsonl", help='JSON lines {"id", "text", "keyphrases"}')
    parser.add_argument("-n", "--top", type=_int_at_least(1), nargs="+", default=list(DEFAULT_TOP),
                        help="cut-offs k (default 5 10 15)")
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--limit", type=_int_at_least(1), help="only the first N records")
    add_extraction_options(parser)
    args = parser.parse_intermixed_args(argv)
    try:
        extractor = make_extractor(args)
        _check_model(args.model)
        _route_notes(args.quiet, languages_of=args.data)
        records = read_dataset(args.data)[: args.limit]
        result = evaluate(records, extractor, top=args.top, progress=not args.quiet and sys.stderr.isatty())
    except KeyextractError as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if not isinstance(exc, InputError) else EXIT_INPUT
    if args.format == "json":
        payload = {"data": args.data, "model": extractor.model, "models": getattr(extractor, "models_", {}),
                   **result.to_dict()}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    lines = [
        f"{args.data}: {result.documents} documents scored"
        + (f", {result.skipped_no_gold} without gold skipped" if result.skipped_no_gold else ""),
        f"{'k':>4}  {'macro P':>8} {'macro R':>8} {'macro F1':>8}  {'micro P':>8} {'micro R':>8} {'micro F1':>8}",
    ]
    for ma, mi in zip(result.macro, result.micro):
        lines.append(
            f"{ma.k:>4}  {100 * ma.precision:8.2f} {100 * ma.recall:8.2f} {100 * ma.f1:8.2f}  "
            f"{100 * mi.precision:8.2f} {100 * mi.recall:8.2f} {100 * mi.f1:8.2f}"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _conf_pair(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return key.strip(), val


def _run_spark(argv: list[str]) -> int:
    """``keyextract spark INPUT OUTPUT``: add a keyphrase column to a Parquet or JSON lines table."""
    parser = _Parser(
        prog="keyextract spark",
        description="Add a keyphrase column, array<struct<phrase, score>>, to a table of documents "
        "with Apache Spark: read Parquet or JSON lines (a file or a folder), write the same "
        "rows with the new column (OUTPUT is a folder of part files). Needs pyspark, pandas and "
        "pyarrow (the spark extra) and Java 17 or later.",
        epilog="examples:\n"
        "  keyextract spark docs.parquet tagged/ --text-col abstract --model ./all-MiniLM-L6-v2\n"
        "  keyextract spark docs/ tagged/ --format jsonl --output-format parquet --top 10\n"
        "  keyextract spark hdfs:///corpus tagged --format parquet --master yarn --partitions 400\n\n"
        "Exit status: 0 on success, 1 if the input could not be read or has no such text column,\n"
        "2 on bad options, an existing OUTPUT or model errors.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", help="Parquet or JSON lines file or folder (any Spark path)")
    parser.add_argument("output", metavar="OUTPUT", help="folder to write (Spark writes part files)")
    parser.add_argument("--text-col", default="text", help="column of documents (default text)")
    parser.add_argument("--output-col", default="keyphrases", help="new column (default keyphrases)")
    parser.add_argument("-n", "--top", type=_int_at_least(1), default=5, help="keyphrases per document (default 5)")
    parser.add_argument("-f", "--format", choices=("parquet", "jsonl"),
                        help="input format (default: from INPUT's extension or files)")
    parser.add_argument("--output-format", choices=("parquet", "jsonl"), help="output format (default: the input's)")
    add_extraction_options(parser)
    parser.add_argument("--master", help="Spark master (default local[*]; under spark-submit, its master)")
    parser.add_argument("--partitions", type=_int_at_least(1),
                        help="repartition the input into N partitions (default: the input's, at least one per core)")
    parser.add_argument("--conf", type=_conf_pair, action="append", default=[], metavar="KEY=VALUE",
                        help="Spark setting for a new session, e.g. spark.executorEnv.HF_HOME=/mnt/hf-cache (repeatable)")
    parser.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    args = parser.parse_intermixed_args(argv)
    try:
        from . import spark
    except ImportError as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        extractor = make_extractor(args)
    except InputError as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return spark.run_spark_command(args, extractor)


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {value!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be in [0, 65535] (0: any free port), got {number}")
    return number


def _languages(value: str) -> list[str]:
    codes = [code.strip() for code in value.split(",") if code.strip()]
    for code in codes:
        if code not in LANGS or code == "auto":
            raise argparse.ArgumentTypeError(f"unknown language {code!r}; allowed: {', '.join(LANGS[1:])}")
    return codes


def _run_serve(argv: list[str]) -> int:
    """``keyextract serve``: the HTTP service and its web page (keyextract.serve)."""
    parser = _Parser(
        prog="keyextract serve",
        description="Serve keyphrase extraction over HTTP (needs the serve extra: starlette, uvicorn, pydantic).\n"
        "POST /v1/extract takes {\"text\": ...} or {\"texts\": [...]} with per-request options (top_n, lang,\n"
        "diversity, ...) and answers what --format json prints; GET / is a page to try it; GET /health,\n"
        "/ready and /openapi.json. Texts of concurrent requests share encoder batches. The extraction\n"
        "options below are the defaults of every request (--model, --device, --batch-size, --quantize\n"
        "and the files apply to all). Reference: docs/serve.md.",
        epilog="examples:\n"
        "  keyextract serve\n"
        "  keyextract serve --port 9000 --model ./all-MiniLM-L6-v2 --preload en,zh\n"
        "  curl -s localhost:8000/v1/extract -d '{\"text\": \"...\", \"top_n\": 3}'\n\n"
        "SIGTERM (or Ctrl-C) stops accepting connections, finishes every accepted request, then exits 0.\n"
        "Exit status 2: bad options, an unusable model, or an address that cannot be listened on.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", metavar="ADDR",
                        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: every interface)")
    parser.add_argument("--port", type=_port, default=8000, metavar="N", help="TCP port (default 8000; 0: any free port)")
    parser.add_argument("--max-request-bytes", type=_int_at_least(1), default=1024 * 1024, metavar="N",
                        help="largest request body; larger ones get 413 (default %(default)s)")
    parser.add_argument("--max-texts", type=_int_at_least(1), default=64, metavar="N",
                        help="most texts a request; more get 413 (default %(default)s)")
    parser.add_argument("--max-queue", type=_int_at_least(1), default=256, metavar="N",
                        help="most texts waiting for the encoder; a request that does not fit gets 503 with "
                        "Retry-After (default %(default)s)")
    parser.add_argument("--max-batch", type=_int_at_least(1), default=32, metavar="N",
                        help="most texts an extract_batch call, from concurrent requests (default %(default)s)")
    parser.add_argument("--batch-wait-ms", type=_float_range(0, 1000), default=5.0, metavar="MS",
                        help="a batch that is not full closes after this long without a new text, or 5%% of "
                        "the time recent batches took (up to 100 ms) if that is longer (default %(default)s)")
    parser.add_argument("--timeout", type=_float_range(0.001, 86400), default=60.0, metavar="SECONDS",
                        help="seconds from a request's acceptance to its answer; later gets 504 (default %(default)s)")
    parser.add_argument("--max-connections", type=_int_at_least(1), default=1024, metavar="N",
                        help="open connections at most; more get 503 at once (default %(default)s)")
    parser.add_argument("--preload", type=_languages, metavar="CODES",
                        help="languages whose encoders load at startup, before /ready says ready, e.g. en,zh "
                        "(default: --lang, or en when it is auto)")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default=None,
                        help="log level on stderr (default info; warning with -q); debug logs each request's start")
    parser.add_argument("-n", "--top", type=_int_at_least(1), default=5,
                        help="keyphrases per document when a request does not say (default 5)")
    add_extraction_options(parser)
    args = parser.parse_args(argv)
    args.log_level = args.log_level or ("warning" if args.quiet else "info")
    if args.max_texts > args.max_queue:
        parser.error(f"--max-texts ({args.max_texts}) must not exceed --max-queue ({args.max_queue})")
    try:
        from . import serve
    except ImportError as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        extractor = make_extractor(args)
        _check_model(args.model)
        return serve.run_serve_command(args, extractor)
    except (KeyextractError, ValueError) as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: never lets a traceback reach the user."""
    if hasattr(sys.stdout, "reconfigure") and (sys.stdout.encoding or "").lower() != "utf-8":
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        code = run(argv)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        # The reader went away (keyextract ... | head): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except Exception as exc:  # noqa: BLE001 - last resort: one line, not a traceback
        if os.environ.get("KEYEXTRACT_DEBUG"):
            raise
        print(f"keyextract: internal error: {type(exc).__name__}: {exc} "
              "(set KEYEXTRACT_DEBUG=1 for a traceback)", file=sys.stderr)
        code = 70
    sys.exit(code)


if __name__ == "__main__":
    main()

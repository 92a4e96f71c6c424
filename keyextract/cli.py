"""Command line: ``keyextract FILE... --top 5``. Parses arguments, reads inputs, calls the API."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from . import __version__
from .documents import DEFAULT_MAX_BYTES, read_document
from .errors import InputError, KeyextractError

FORMATS = ("text", "json", "jsonl", "tsv")
EXIT_INPUT = 1  # some input could not be read; the others' results were printed
EXIT_USAGE = 2  # bad options or unusable model: nothing was done

EPILOG = """\
examples:
  keyextract paper.txt --top 5
  keyextract a.txt b.txt --format jsonl > keyphrases.jsonl
  cat article.txt | keyextract - --lang zh
  keyextract doc.txt --model ./models/albert-small --diversity 0.5 --max-words 4

Default encoders: %(en)s (English) and %(zh)s (Chinese),
fetched from the Hugging Face Hub on first use; pass a local folder with --model when offline.
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


def _unit_interval(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {value}")
    return number


def add_extraction_options(parser: argparse.ArgumentParser) -> None:
    """Model and extraction options, shared by the main command and its subcommands."""
    parser.add_argument("--lang", choices=("auto", "en", "zh"), default="auto", help="document language (default auto)")
    parser.add_argument("--model", help="encoder: Hugging Face Hub name or local folder (default: ALBERT per language)")
    parser.add_argument("--mode", choices=("context", "isolated"), default="context",
                        help="embed phrases in the document's context (default) or each alone")
    parser.add_argument("--diversity", type=_unit_interval, default=None,
                        help="MMR diversity in [0, 1]; 0 ranks by relevance only (default 0)")
    parser.add_argument("--max-words", type=_int_at_least(1), default=3, help="longest phrase in words (default 3)")
    parser.add_argument("--stopwords", metavar="FILE", help="extra stopwords, one per line (UTF-8)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="where the encoder runs (default auto)")
    parser.add_argument("--batch-size", type=_int_at_least(1), default=32, help="encoder windows per forward pass (default 32)")


def make_extractor(args: argparse.Namespace):
    """A KeywordExtractor from parsed extraction options (raises InputError for a bad stopword file)."""
    from .extractor import KeywordExtractor
    from .stopwords import read_stopword_file

    extra = read_stopword_file(args.stopwords) if args.stopwords else None
    options = {} if args.diversity is None else {"diversity": args.diversity}
    return KeywordExtractor(
        model=args.model, lang=args.lang, max_words=args.max_words, mode=args.mode,
        stopwords=extra, device=args.device, batch_size=args.batch_size, **options,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the main command."""
    from .extractor import DEFAULT_MODELS

    parser = _Parser(
        prog="keyextract",
        description="Extract keyphrases from English and Chinese documents with ALBERT embeddings.",
        epilog=EPILOG % DEFAULT_MODELS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="text files to read; - reads stdin")
    parser.add_argument("-n", "--top", type=_int_at_least(1), default=5, help="keyphrases per document (default 5)")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text", help="output format (default text)")
    add_extraction_options(parser)
    parser.add_argument("--max-mb", type=_int_at_least(1), default=DEFAULT_MAX_BYTES // (1024 * 1024),
                        help="refuse inputs larger than this many MiB (default %(default)s)")
    parser.add_argument("--version", action="version", version=f"keyextract {__version__}")
    return parser


def _format(results: list[tuple[str, list]], fmt: str, multiple: bool) -> str:
    """Render ``(source, keywords)`` pairs in one of ``FORMATS``."""
    if fmt == "json":
        payload = [{"source": src, "keywords": [k.to_dict() for k in kws]} for src, kws in results]
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(
            json.dumps({"source": src, "keywords": [k.to_dict() for k in kws]}, ensure_ascii=False) + "\n"
            for src, kws in results
        )
    if fmt == "tsv":
        rows = ["source\trank\tphrase\tscore"]
        rows += [f"{src}\t{r}\t{k.phrase}\t{k.score:.6f}" for src, kws in results for r, k in enumerate(kws, 1)]
        return "\n".join(rows) + "\n"
    blocks = []
    for src, kws in results:
        lines = [f"==> {src} <=="] if multiple else []
        lines += [f"{k.score:.4f}  {k.phrase}" for k in kws]
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status (errors are printed as one line on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval"]:
        return _run_eval(argv[1:])
    args = build_parser().parse_intermixed_args(argv)
    try:
        extractor = make_extractor(args)
    except InputError as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.files.count("-") > 1:
        print("keyextract: error: stdin (-) can be given only once", file=sys.stderr)
        return EXIT_USAGE

    sources, texts, status = [], [], 0
    for path in args.files:
        try:
            text, encoding = read_document(path, max_bytes=args.max_mb * 1024 * 1024)
        except InputError as exc:
            print(f"keyextract: error: {exc}", file=sys.stderr)
            status = EXIT_INPUT
            continue
        if encoding not in ("utf-8", "utf-8-sig"):
            print(f"keyextract: note: {path} decoded as {encoding.upper()}", file=sys.stderr)
        sources.append("<stdin>" if path == "-" else path)
        texts.append(text)
    if not texts:
        return status

    try:
        results = extractor.extract_batch(texts, top_n=args.top)
    except KeyextractError as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for src, kws in zip(sources, results):
        if not kws:
            print(f"keyextract: note: {src}: no keyphrase candidates found", file=sys.stderr)
    sys.stdout.write(_format(list(zip(sources, results)), args.format, len(args.files) > 1))
    sys.stdout.flush()
    return status


def _run_eval(argv: list[str]) -> int:
    """``keyextract eval DATA.jsonl``: P/R/F1 at k of the extractor on a gold data set."""
    from .evaluation import DEFAULT_TOP, evaluate, read_dataset

    parser = _Parser(
        prog="keyextract eval",
        description="Score keyextract against gold keyphrases: precision, recall and F1 at k, "
        "macro- and micro-averaged (lowercased, Porter-stemmed exact match; Chinese: exact match "
        "without whitespace).",
        epilog="example:\n  keyextract eval inspec.jsonl --top 5 10 --model ./all-MiniLM-L6-v2 --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA.jsonl", help='JSON lines {"id", "text", "keyphrases"}')
    parser.add_argument("-n", "--top", type=_int_at_least(1), nargs="+", default=list(DEFAULT_TOP),
                        help="cut-offs k (default 5 10 15)")
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--limit", type=_int_at_least(1), help="only the first N records")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_extraction_options(parser)
    args = parser.parse_intermixed_args(argv)
    try:
        records = read_dataset(args.data)[: args.limit]
        extractor = make_extractor(args)
        result = evaluate(records, extractor, top=args.top, progress=not args.quiet and sys.stderr.isatty())
    except KeyextractError as exc:
        print(f"keyextract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if not isinstance(exc, InputError) else EXIT_INPUT
    if args.format == "json":
        payload = {"data": args.data, "model": extractor.model, **result.to_dict()}
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

"""Documents: reading files or stdin into the text keyphrases are found in, with the map back
to where each character came from.

A file is a PDF (``%PDF-``), a Word document (a ZIP archive holding ``word/document.xml``) or
text, by its content, and also by its name (``.pdf``, ``.docx``). Text is decoded (UTF-8,
UTF-16 with a BOM, GB18030 Chinese) and read as HTML/XML (``markup.py``), Markdown
(``markdown.py``) or plain text, by its name and content or as the ``markup`` parameter says;
PDF and Word documents go to ``pdf.py`` and ``docx.py``, whose libraries come with the ``pdf``
and ``docx`` extras. Unusable input (missing, unreadable, binary, empty, too large, a scanned
or encrypted PDF) raises ``InputError`` with a one-line message naming the file.
"""

from __future__ import annotations

import codecs
import re
import sys
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .markdown import extract_text as extract_markdown
from .markdown import looks_like_markdown
from .markup import extract_text as extract_html
from .markup import has_markup_prolog, looks_like_markup
from .textmap import Extracted, decode_references
from .types import PageSpan, Span

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: Values of the ``markup`` parameter: ``auto`` (by file name and content), ``html`` (HTML or
#: XML), ``markdown``, ``none`` (plain text). PDF and Word documents are recognised whatever it says.
MARKUP_MODES = ("auto", "html", "markdown", "none")
#: File names read as HTML/XML, and as Markdown, with ``markup="auto"``.
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".xml")
MARKDOWN_SUFFIXES = (".md", ".markdown")
#: What ``Document.format`` says a document was read as.
FORMATS = ("text", "html", "markdown", "pdf", "docx")
_LINES_ARE_BLOCKS = frozenset(("html", "markdown", "docx"))


@dataclass(frozen=True)
class Document:
    """A document as keyextract reads it: the text keyphrases are found in, and where each of
    its characters comes from.

    Attributes:
        text: plain text: the text itself; HTML/XML, Markdown and Word: the text a reader sees,
            one block (paragraph, heading, list item, table cell) a line; PDF: the text of the
            pages (``pages``), each followed by a blank line but the last.
        format: one of ``FORMATS``.
        encoding: the encoding a text file was decoded from; ``None`` for PDF and Word, and for
            text given as ``str``.
        source_map: HTML/XML and Markdown: the map from ``text`` back to the markup; plain
            text with HTML character references (``&rsquo;``): the map back to the text as
            given, whose references ``text`` holds decoded (``textmap.decode_references``).
        page_starts: PDF: where each page's text starts in ``text``.
        source: plain text, HTML/XML and Markdown: the text as given (decoded), which spans
            point into (``highlight.py`` marks keyphrases in it); ``None`` for PDF and Word.
    """

    text: str
    format: str = "text"
    encoding: str | None = None
    source_map: Extracted | None = None
    page_starts: tuple[int, ...] = ()
    source: str | None = field(default=None, repr=False)

    @property
    def lines_are_blocks(self) -> bool:
        """Whether every line break of ``text`` ends a block (a phrase never runs across one)
        rather than being a line end of the source, where ``layout.py`` decides."""
        return self.format in _LINES_ARE_BLOCKS

    @property
    def pages(self) -> list[str]:
        """PDF: the text of each page (page 1 first), as ``PageSpan`` offsets count; else ``[]``."""
        ends = [start - 2 for start in self.page_starts[1:]] + [len(self.text)]
        return [self.text[start:end] for start, end in zip(self.page_starts, ends)]

    def span(self, start: int, end: int) -> Span | PageSpan:
        """Where ``text[start:end]`` comes from (``0 <= start < end <= len(text)``).

        Plain text and Word documents: ``(start, end)`` itself. HTML/XML and Markdown: the span
        of the markup (``textmap.Extracted.span``; tags or markers between the words are inside
        it). PDF: ``PageSpan(page, start, end)``, offsets into ``pages[page - 1]``; pages are
        separated by a blank line, so no phrase runs across two.
        """
        if self.source_map is not None:
            return self.source_map.span(start, end)
        if self.page_starts:
            k = bisect_right(self.page_starts, start) - 1
            return PageSpan(k + 1, start - self.page_starts[k], end - self.page_starts[k])
        return start, end


def text_document(text: str, markup: str = "auto", encoding: str | None = None) -> Document:
    """The document of the text ``text``: HTML/XML, Markdown or plain text as ``markup`` says
    (one of ``MARKUP_MODES``; ``auto``: by content, ``text_format``)."""
    if markup not in MARKUP_MODES:
        raise ValueError(f"markup must be one of {MARKUP_MODES}, got {markup!r}")
    fmt = text_format(text) if markup == "auto" else {"none": "text"}.get(markup, markup)
    if fmt == "text":
        # plain text copied from the web: its character references read as what they stand for
        decoded = decode_references(text) if markup == "auto" else None
        return Document(text if decoded is None else decoded.text, "text", encoding, decoded, source=text)
    extracted = extract_markdown(text) if fmt == "markdown" else extract_html(text)
    return Document(extracted.text, fmt, encoding, extracted, source=text)


def text_format(text: str) -> str:
    """``"html"``, ``"markdown"`` or ``"text"``: what ``text`` is, by its content.

    A document that opens with an XML declaration, a doctype or ``<html`` is HTML/XML;
    otherwise one that ``markdown.looks_like_markdown`` is Markdown (which may hold HTML, read
    as such); otherwise one that ``markup.looks_like_markup`` is HTML/XML.
    """
    if has_markup_prolog(text):
        return "html"
    if looks_like_markdown(text):
        return "markdown"
    return "html" if looks_like_markup(text) else "text"
# Control characters other than tab, newline, carriage return and form feed.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HAN_OR_CJK_PUNCT_RE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_ASCII_LETTER_RE = re.compile("[A-Za-z]")


def decode_document(data: bytes, name: str) -> tuple[str, str]:
    """Decode ``data`` as text; return ``(text, encoding)`` or raise :class:`InputError`.

    UTF-8 (with or without BOM) and BOM-marked UTF-16 are accepted; bytes that are not UTF-8
    are accepted as GB18030 (which covers GBK and GB2312) only when they decode to Chinese.
    """
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif b"\x00" in data:
        raise InputError(f"{name}: binary file (contains NUL bytes), not text")
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and not _looks_chinese(text):
            continue
        if len(_CONTROL_RE.findall(text)) > max(8, len(text) // 100):
            raise InputError(f"{name}: binary file (too many control characters), not text")
        return text, encoding
    raise InputError(
        f"{name}: not UTF-8 text (nor GB18030/GBK Chinese); convert it to UTF-8, "
        "e.g. iconv -f LATIN1 -t UTF-8"
    )


def _looks_chinese(text: str) -> bool:
    """True when a GB18030 reading makes sense: mostly Chinese, not Latin with stray ideographs.

    Latin-1 text often decodes as GB18030 too ("Müller" becomes "M黮ler"), but then a few
    ideographs sit among many Latin letters; real Chinese text has ideographs as a large share.
    """
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    chinese = len(_HAN_OR_CJK_PUNCT_RE.findall(text))
    latin = len(_ASCII_LETTER_RE.findall(text))
    return non_ascii > 0 and chinese >= 0.8 * non_ascii and chinese >= 0.5 * latin


@contextmanager
def input_errors(name: str) -> Iterator[None]:
    """Turn the OS and decoding errors met while reading ``name`` into one-line InputErrors."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def _size(n_bytes: int) -> str:
    """``52428800`` -> ``"50 MiB"``; sizes under a MiB in bytes."""
    return f"{n_bytes / 2**20:g} MiB" if n_bytes >= 2**20 else f"{n_bytes} bytes"


def read_document(path: str, *, markup: str = "auto", max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read the document at ``path`` (``"-"`` is stdin) for keyphrase extraction.

    A PDF (by its ``%PDF-`` header or a ``.pdf`` name) is read with pypdf (``pdf.read_pdf``), a
    Word document (a ZIP archive holding ``word/document.xml``, or a ``.docx`` name) with
    python-docx (``docx.read_docx``); anything else is decoded as text (``decode_document``)
    and read as ``markup`` says (one of ``MARKUP_MODES``; ``auto``: files named ``.html``,
    ``.htm``, ``.xhtml``, ``.xml`` are HTML/XML, ``.md``, ``.markdown`` Markdown, others by
    content). Raises ``InputError`` (one line naming the file) for what cannot be read: a
    missing, unreadable or binary file, one over ``max_bytes``, an empty document, a PDF
    without a text layer (scanned), an encrypted or broken PDF or Word file, or a PDF or Word
    file when the library that reads it is not installed; ``ValueError`` for an unknown
    ``markup``.
    """
    if markup not in MARKUP_MODES:
        raise ValueError(f"markup must be one of {MARKUP_MODES}, got {markup!r}")
    name = "<stdin>" if path == "-" else path
    suffix = "" if path == "-" else Path(path).suffix.lower()
    with input_errors(name):
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            if Path(path).is_dir():
                raise InputError(f"{name}: is a directory, not a file")
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{name}: larger than the {_size(max_bytes)} limit; split it or raise --max-mb")
    if not data:
        raise InputError(f"{name}: empty file (0 bytes)")
    binary = _binary_format(data, suffix, name)
    if binary == "pdf":
        from .pdf import read_pdf

        document = read_pdf(data, name)
    elif binary == "docx":
        from .docx import read_docx

        document = read_docx(data, name)
    else:
        text, encoding = decode_document(data, name)
        if not text.strip():
            raise InputError(f"{name}: empty document (nothing but whitespace)")
        if markup == "auto" and suffix in HTML_SUFFIXES:
            markup = "html"
        elif markup == "auto" and suffix in MARKDOWN_SUFFIXES:
            markup = "markdown"
        return text_document(text, markup, encoding)
    if not document.text.strip():
        raise InputError(f"{name}: empty document (no text in it)")
    return document


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _binary_format(data: bytes, suffix: str, name: str) -> str | None:
    """``"pdf"``, ``"docx"`` or ``None`` (text, or a binary file decoding refuses): by the
    content, which must agree with a ``.pdf`` or ``.docx`` name."""
    if data.startswith(b"%PDF-") or (suffix == ".pdf" and b"%PDF-" in data[:1024]):
        return "pdf"  # readers accept a header after up to 1 KB of junk (PDF 1.7, annex H)
    if data.startswith(b"PK\x03\x04") and b"word/document.xml" in data:
        return "docx"
    if suffix == ".pdf":
        raise InputError(f"{name}: not a PDF file (no %PDF- header)")
    if suffix == ".docx":
        raise InputError(f"{name}: not a Word document (.docx is a ZIP archive holding word/document.xml)")
    if data.startswith(_OLE2_MAGIC):
        raise InputError(f"{name}: an old binary Office file (.doc, .xls, .ppt), not text; save it as .docx or PDF")
    return None

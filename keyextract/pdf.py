"""PDF: the text of a PDF's pages, cleaned of what is not the document's running text.

``read_pdf`` extracts each page's text layer with pypdf (``page.extract_text()``, which follows
the order of the page's content stream: column after column in the papers of LaTeX and word
processors) and ``clean_pages`` then

- reads ligature characters as their letters (``ﬁ`` is ``fi``) and drops soft hyphens;
- drops running headers and footers: a line among the first or last ``EDGE_LINES`` lines of a
  page that stands, digits aside, among those of a page at most ``HEADER_PAGE_GAP`` pages away
  (``Proceedings of KDD'07, page 3``; alternating left and right headers too), and lines that
  are a page number alone there (``3``, ``- 3 -``, ``Page 3 of 10``, ``iv``);
- joins words hyphenated at a line end, also from the last line of a page to the first of the
  next (``evalu-`` / ``ation`` reads ``evaluation``, moved up to the first line). The hyphen
  stays where the next line starts with a capital or a digit (``UDDI-`` / ``Based``), where
  the document writes the word with it more often than without (``web-`` / ``services``
  where ``web-services`` occurs), and, where it writes neither, where the joined word is not
  an English word (in LemmInflect's dictionary or the English stopwords) but both halves are
  (``two-`` / ``stage`` keeps ``two-stage``, ``evalu-`` / ``ation`` makes ``evaluation``).

Lines stay as the PDF breaks them: ``layout.py`` tells a hard-wrapped line from the end of a
title or paragraph. The pages' texts are joined by blank lines, so a keyphrase never runs from
one page into the next; a keyphrase span is ``(page, start, end)`` in the cleaned text of its
page (``Document.pages``). pypdf was chosen over pdfminer.six on papers made with pdflatex and
reportlab (``bench/pdf_text.py``, BENCHMARKS.md section PDF text): its text kept the reading
order of two-column pages, where pdfminer's layout analysis moved blocks and lines out of order.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from .errors import InputError

#: Lines at the top and at the bottom of a page that may be a running header or footer.
EDGE_LINES = 3
#: A header or footer repeats on a page at most this many pages away (2: alternating ones).
HEADER_PAGE_GAP = 2

_LIGATURES = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
    "\ufb06": "st", "\u00ad": None,
})
_PAGE_NUMBER_RE = re.compile(
    r"(?:page|p\.|seite|página)?\s*[-–—(]?\s*(?:\d{1,4}|(?=[ivxlc])c{0,3}(?:x[cl]|l?x{0,3})(?:i[xv]|v?i{0,3}))"
    r"\s*[-–—)]?(?:\s*(?:/|of|von|de)\s*\d{1,4})?",
    re.I,
)
_DIGITS_RE = re.compile(r"\d+")
# a word hyphenated at the end of a line: letters, then "-" (or U+2010) and the line end
_HYPHENATED_RE = re.compile(r"(\w*[^\W\d_])[-\u2010]$")
_FIRST_WORD_RE = re.compile(r"\s*(\S+)")


def clean_pages(pages: list[str]) -> list[str]:
    """The running text of each of ``pages`` (texts as extracted, one a page): ligatures read
    as letters, running headers, footers and page numbers dropped, words hyphenated at line
    ends joined (see the module docstring); whitespace at the ends of each page and line
    dropped. Same number of pages, in order."""
    lines = [[line.strip() for line in page.translate(_LIGATURES).splitlines()] for page in pages]
    lines = [[line for line in page if line] for page in lines]
    _drop_running_lines(lines)
    _join_hyphenated(lines)
    return ["\n".join(line for line in page if line) for page in lines]


def _drop_running_lines(pages: list[list[str]]) -> None:
    """Blank the running headers, footers and page numbers of ``pages`` (lists of lines)."""
    edge: dict[tuple[str, str], list[int]] = defaultdict(list)  # (top/bottom, line with digits as #) -> pages
    for p, page in enumerate(pages):
        for zone, indices in _edges(page):
            for i in indices:
                edge[zone, _DIGITS_RE.sub("#", page[i].casefold())].append(p)
    for p, page in enumerate(pages):
        for zone, indices in _edges(page):
            for i in indices:
                seen = edge[zone, _DIGITS_RE.sub("#", page[i].casefold())]
                repeated = any(q != p and abs(q - p) <= HEADER_PAGE_GAP for q in seen)
                if repeated or _PAGE_NUMBER_RE.fullmatch(page[i]):
                    page[i] = ""


def _edges(page: list[str]) -> Iterator[tuple[str, range]]:
    n = min(EDGE_LINES, len(page))
    yield "top", range(n)
    yield "bottom", range(max(n, len(page) - EDGE_LINES), len(page))


def _join_hyphenated(pages: list[list[str]]) -> None:
    """Join the words of ``pages`` (lists of lines) hyphenated across a line end."""
    lines = [(page, i) for page in pages for i in range(len(page)) if page[i]]
    words = None  # the document's words, counted when a hyphen is first met
    for (page, i), (next_page, j) in zip(lines, lines[1:]):
        m = _HYPHENATED_RE.search(page[i])
        nxt = _FIRST_WORD_RE.match(next_page[j]) if m else None
        if nxt is None or not nxt.group(1)[:1].isalnum():
            continue
        tail = nxt.group(1)
        if words is None:
            words = _word_counts(pages)
        page[i] = page[i][: m.end(1)] + ("-" if _keeps_hyphen(m.group(1), tail, words) else "") + tail
        next_page[j] = next_page[j][nxt.end() :].lstrip()


def _keeps_hyphen(left: str, tail: str, words: dict[str, int]) -> bool:
    """Whether ``left-`` at a line end and ``tail`` (the next line's first word) make a
    hyphenated word rather than one word broken by the line end."""
    if not tail[0].islower():
        return True
    right = _WORD_RE.match(tail).group().casefold()  # the word, without the punctuation after it
    left = left.casefold()
    with_hyphen, joined = words.get(f"{left}-{right}", 0), words.get(left + right, 0)
    if with_hyphen or joined:
        return with_hyphen > joined
    return not _is_word(left + right) and _is_word(left) and _is_word(right)


def _is_word(word: str) -> bool:
    """A word of LemmInflect's English dictionary, or an English stopword (``the``, ``and``)."""
    from lemminflect import getAllLemmas

    return bool(getAllLemmas(word)) or word in _english_stopwords()


@cache
def _english_stopwords() -> frozenset[str]:
    from .stopwords import load_stopwords

    return load_stopwords("en")


_WORD_RE = re.compile(r"[\w'’-]+")


def _word_counts(pages: list[list[str]]) -> dict[str, int]:
    """Case-folded words of the lines of ``pages``, but those hyphenated at a line end."""
    counts: dict[str, int] = defaultdict(int)
    for page in pages:
        for line in page:
            for word in _WORD_RE.findall(line.rstrip("-\u2010")):
                counts[word.casefold()] += 1
    return counts


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs a warning for every irregularity it works around; the user gets the text, or
    one error line."""
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def read_pdf(data: bytes, name: str):
    """The ``documents.Document`` of the PDF file ``data`` (``name`` for messages): the cleaned
    text of its pages (``clean_pages``), each followed by a blank line but the last.

    Raises ``InputError`` when pypdf (the ``pdf`` extra) is not installed, when the PDF is
    encrypted with a password, broken beyond what pypdf repairs, or has no text layer (a
    scanned document: keyextract does no OCR).
    """
    try:
        import pypdf
    except ImportError:
        raise InputError(f"{name}: reading PDF needs pypdf (the pdf extra): python -m pip install pypdf") from None
    from io import BytesIO

    from .documents import Document

    with _quiet_pypdf():
        try:
            reader = pypdf.PdfReader(BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):  # an owner password alone still reads
                raise InputError(f"{name}: encrypted PDF (needs a password); save a copy without one")
            raw = [page.extract_text() for page in reader.pages]
        except InputError:
            raise
        except pypdf.errors.DependencyError as exc:
            raise InputError(f"{name}: {exc}") from None
        # pypdf raises many kinds of exception on broken files (its own, ValueError, KeyError,
        # struct.error ...): every one means this file cannot be read
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"{name}: cannot read this PDF, broken or truncated? ({type(exc).__name__}: {exc})") from None
    pages = clean_pages(raw)
    if not any(pages):
        raise InputError(
            f"{name}: no text in this PDF ({len(pages)} page{'s' * (len(pages) != 1)}): a scanned document "
            "without a text layer? keyextract does no OCR; add a text layer first, e.g. with ocrmypdf"
        )
    starts, offset = [], 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + 2
    return Document("\n\n".join(pages), "pdf", page_starts=tuple(starts))

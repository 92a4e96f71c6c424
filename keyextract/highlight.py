"""Highlighting: a document with its keyphrases marked, as HTML or in colour for a terminal.

What ``KeyBERT``'s ``highlight=True`` does (``keybert/_highlight.py``: the document printed with
its keywords in black on yellow, through ``rich``), from the spans keyextract returns rather
than by matching the phrases again, so every occurrence found is marked and nothing else:

- ``highlight_html``: the document as HTML, every occurrence in a ``<mark>`` that names the
  phrase and its rank (``data-phrase``, ``data-rank``) and shows its score and confidence on
  hover (``title``). Plain text, Markdown and Word text are escaped inside a ``<pre>`` (Markdown
  as its source: the spans point into it); a PDF gives one ``<section>`` a page; HTML and XML
  keep their own markup, with marks around the text between tags only (the span of
  "neural networks" in ``<b>neu</b>ral networks`` becomes ``<b><mark>neu</mark></b><mark>ral
  networks</mark>``), never inside a tag, comment, script, style, title, textarea or CDATA
  section, so a well-formed document stays well-formed.
- ``html_page``: one self-contained HTML page (no external CSS, JS or fonts; its Content
  Security Policy lets nothing else load or run, whatever the documents hold) with a section a
  document: its keyphrases with their scores, and the document highlighted (of an HTML page,
  the content of its ``<body>``).
- ``highlight_ansi``: the text a reader sees (``Document.text``) with the keyphrases in colour
  (ANSI SGR codes), for a terminal; ``use_color`` tells whether a stream wants colour (a
  terminal, and no ``NO_COLOR``: https://no-color.org).

Occurrences may overlap (``keep_nested=True`` lists a phrase and the phrases nested in it): each
character goes to the best-ranked keyphrase that covers it (``resolve_overlaps``), so the
marks are disjoint and the result does not depend on the order of the spans.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
from bisect import bisect_right
from heapq import heappop, heappush
from collections.abc import Iterable, Sequence
from typing import TextIO

from .documents import Document, text_document
from .markup import _CDATA, _END, _START, _events, defused
from .types import Keyword, PageSpan

#: A marked run of text: ``(start, end, rank)``, rank 1 the best keyphrase.
Run = tuple[int, int, int]

#: Mark colours, by rank (rank 1 the first, then round again): black text on a light
#: background, in HTML (``kx-c0`` ...) and as ANSI SGR parameters for a terminal.
HTML_COLORS = ("#ffff66", "#99ffff", "#99ff99", "#ff99ff", "#ffaaaa", "#aaccff")
ANSI_COLORS = ("30;103", "30;106", "30;102", "30;105", "30;101", "30;104")
_ANSI_RESET = "\x1b[0m"

# Control characters other than tab, line feed, form feed and carriage return (C0, DEL, C1): a
# document could drive a terminal with them (ESC, CSI), and HTML does not allow them. Shown as
# U+FFFD, one character for one, so offsets hold.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# Elements whose content HTML reads as text (a <mark> there would show as "<mark>").
_RCDATA = frozenset(("title", "textarea"))

_CSS = (
    "body{font:16px/1.5 system-ui,sans-serif;color:#222;background:#fff;max-width:52em;margin:2em auto;padding:0 1em}"
    "h1{font-size:1.4em}h2{font-size:1.2em;overflow-wrap:anywhere}h3{font-size:1em;color:#555}"
    ".kx-document{border-top:1px solid #bbb;margin-top:2em}"
    ".kx-keyphrases{border-collapse:collapse;margin:1em 0}"
    ".kx-keyphrases th,.kx-keyphrases td{padding:.15em .6em;text-align:left;border-bottom:1px solid #ddd}"
    ".kx-keyphrases .kx-n{text-align:right;font-variant-numeric:tabular-nums}"
    ".kx-text{white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit}"
    ".kx-text[data-format=markdown]{font-family:ui-monospace,monospace}"
    "mark{color:#000;border-radius:.2em}"
    + "".join(f".kx-c{k}{{background:{color}}}" for k, color in enumerate(HTML_COLORS))
)
# The page's policy: its own stylesheet (by hash) and data: images, nothing else; the scripts,
# styles, fonts, frames and remote images of an HTML document shown in it neither load nor run.
_CSP = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
    + "'; img-src data:; base-uri 'none'; form-action 'none'"
)


def resolve_overlaps(occurrences: Iterable[Run]) -> list[Run]:
    """Disjoint runs covering the characters of ``occurrences`` (``(start, end, rank)``
    triples, offsets in one text, rank 1 the best), each character given to the best-ranked
    occurrence that covers it: of "deep neural network" (rank 2) and "neural network" (rank
    1), "deep " is marked as rank 2 and "neural network" as rank 1. Sorted by start; the
    result does not depend on the order of ``occurrences``. Of two occurrences of one rank
    that overlap, the one that starts first wins. A sweep over the occurrences' ends with a
    heap of those open: O(n log n) for n occurrences."""
    ordered = sorted(occurrences, key=lambda o: (o[0], o[2], o[1]))
    bounds = sorted({p for start, end, _ in ordered for p in (start, end)})
    runs: list[Run] = []
    open_: list[tuple[int, int, int]] = []  # (rank, start, end) of the occurrences open
    owner = None  # (rank, start) of the occurrence the last run belongs to
    k = 0
    for pos, next_pos in zip(bounds, bounds[1:]):
        while k < len(ordered) and ordered[k][0] == pos:
            start, end, rank = ordered[k]
            heappush(open_, (rank, start, end))
            k += 1
        while open_ and open_[0][2] <= pos:
            heappop(open_)
        if not open_:
            owner = None
            continue
        rank, start, _ = open_[0]
        if owner == (rank, start) and runs[-1][1] == pos:
            runs[-1] = (runs[-1][0], next_pos, rank)
        else:
            runs.append((pos, next_pos, rank))
        owner = (rank, start)
    return runs


def highlight_html(document: Document | str, keywords: Sequence[Keyword], *, markup: str = "auto") -> str:
    """``document`` as HTML with the occurrences of ``keywords`` marked.

    Arguments:
        document: a ``Document`` (``read_document``) or a string, read as ``markup`` says
            (one of ``documents.MARKUP_MODES``; give the ``markup`` the keywords were extracted
            with, so their spans point into the same text).
        keywords: its keyphrases, best first (``KeywordExtractor.extract``); the first has
            rank 1.

    Returns:
        Plain text, Markdown (its source) and Word text: ``<pre class="kx-text"
        data-format="...">`` holding the text, escaped (``<``, ``>``, ``&`` and quotes),
        control characters as U+FFFD. PDF: a ``<section class="kx-page" data-page="N">``
        a page, each with an ``<h3>`` and such a ``<pre>``. HTML/XML: the markup as given, with
        marks around the text between its tags. Each occurrence is ``<mark class="kx-cK"
        data-rank="R" data-phrase="PHRASE" title="PHRASE: rank R, score S[, confidence C]">``
        (``K = (R - 1) % 6``, the colour), in as many marks as the tags around it cut it into.

    Raises:
        ValueError: ``markup`` unknown, or a span outside the document or of the wrong kind
            (a ``PageSpan`` for a document that is not a PDF, or the reverse).
    """
    return _html_body(_as_document(document, markup), keywords, whole=True)


def highlight_ansi(
    document: Document | str, keywords: Sequence[Keyword], *, color: bool = True, markup: str = "auto"
) -> str:
    """The text of ``document`` (``Document.text``: for HTML and Markdown the text a reader
    sees, for a PDF its pages separated by a blank line) with the occurrences of ``keywords``
    in colour for a terminal: black on a light background, one colour a rank (``paint``).

    ``color=False`` gives the text alone. Control characters other than tab, line feed, form
    feed and carriage return read as U+FFFD either way, so the document cannot drive the
    terminal. Arguments and errors as ``highlight_html``."""
    document = _as_document(document, markup)
    text = _CONTROL_RE.sub("\ufffd", document.text)
    if not color:
        return text
    runs = resolve_overlaps(_text_occurrences(document, keywords))
    out, pos = [], 0
    for start, end, rank in runs:
        out.append(text[pos:start])
        out.append(paint(text[start:end], rank))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def paint(text: str, rank: int) -> str:
    """``text`` in the colour of rank ``rank`` (ANSI SGR), the colour ended before each line
    break (so no terminal paints the rest of a line) and at the end."""
    begin = f"\x1b[{ANSI_COLORS[(rank - 1) % len(ANSI_COLORS)]}m"
    return begin + text.replace("\n", _ANSI_RESET + "\n" + begin) + _ANSI_RESET


def use_color(stream: TextIO) -> bool:
    """Whether to write colour to ``stream``: it is a terminal and ``NO_COLOR`` is unset or
    empty (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and stream.isatty()


def html_page(documents: Iterable[tuple[str, Document | str, Sequence[Keyword]]], *, title: str = "keyextract") -> str:
    """One self-contained HTML page: a ``<section>`` (``html_section``) for each
    ``(source, document, keywords)`` of ``documents``, under ``title``. Strings are read with
    ``markup="auto"``; read others into a ``Document`` first (``documents.text_document``)."""
    return page_start(title) + "".join(html_section(*item) for item in documents) + PAGE_END


def page_start(title: str) -> str:
    """The start of the page of ``html_page``, up to its first section: doctype, head (its
    stylesheet and Content Security Policy) and the ``<h1>`` ``title``."""
    t = _escape(title)
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"keyextract\">\n"
        f"<title>{t}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<h1>{t}</h1>\n"
    )


#: The end of the page of ``html_page``, after its last section.
PAGE_END = "</body>\n</html>\n"


def html_section(source: str, document: Document | str, keywords: Sequence[Keyword]) -> str:
    """The ``<section class="kx-document" data-source="SOURCE">`` of one document in
    ``html_page``: ``<h2>`` ``source``, a table of its keyphrases (rank, phrase in its mark
    colour and a vocabulary tag's ``[id]``, score, confidence where any keyphrase has one,
    occurrences) or "no keyphrases
    found", and ``<div class="kx-body">`` holding ``highlight_html`` of the document (of an
    HTML page: the content of its ``<body>``). Errors as ``highlight_html``."""
    document = _as_document(document, "auto")
    s = _escape(source)
    parts = [f"<section class=\"kx-document\" data-source=\"{s}\">\n<h2>{s}</h2>\n"]
    if keywords:
        confidence = any(k.confidence is not None for k in keywords)
        parts.append(
            "<table class=\"kx-keyphrases\">\n<thead><tr><th class=\"kx-n\">rank</th><th>keyphrase</th>"
            "<th class=\"kx-n\">score</th>" + ("<th class=\"kx-n\">confidence</th>" if confidence else "")
            + "<th class=\"kx-n\">occurrences</th></tr></thead>\n<tbody>\n"
        )
        for rank, k in enumerate(keywords, 1):
            c = k.confidence
            tag = f" <span class=\"kx-id\">[{_escape(k.id)}]</span>" if k.id is not None and k.id != k.phrase else ""
            parts.append(
                f"<tr><td class=\"kx-n\">{rank}</td>"
                f"<td><mark class=\"{_color_class(rank)}\">{_escape(k.phrase)}</mark>{tag}</td>"
                f"<td class=\"kx-n\">{k.score:.4f}</td>"
                + (f"<td class=\"kx-n\">{'' if c is None else f'{c:.2f}'}</td>" if confidence else "")
                + f"<td class=\"kx-n\">{len(k.spans)}</td></tr>\n"
            )
        parts.append("</tbody>\n</table>\n")
    else:
        parts.append("<p class=\"kx-none\">no keyphrases found</p>\n")
    parts.append(f"<div class=\"kx-body\">\n{_html_body(document, keywords, whole=False)}\n</div>\n</section>\n")
    return "".join(parts)


# --- from spans to runs -------------------------------------------------------------------


def _as_document(document: Document | str, markup: str) -> Document:
    if isinstance(document, Document):
        if document.source is None and document.format in ("html", "markdown"):
            raise ValueError(
                f"document: a {document.format} document without its source; read it with "
                "read_document or documents.text_document"
            )
        return document
    if isinstance(document, str):
        return text_document(document, markup)
    raise TypeError(f"document must be a str or a keyextract.Document, got {type(document).__name__}")


def _occurrences(document: Document, keywords: Sequence[Keyword]) -> list[tuple[int, int, int, int]]:
    """``(page, start, end, rank)`` of every span of ``keywords`` (page 0 outside PDFs),
    checked against ``document``."""
    pdf = document.format == "pdf"
    pages = document.pages if pdf else []
    length = len(document.source if document.source is not None else document.text)
    found = []
    for rank, k in enumerate(keywords, 1):
        for span in k.spans:
            if isinstance(span, PageSpan) != pdf:
                raise ValueError(
                    f"keyword {k.phrase!r}: span {tuple(span)} does not fit a {document.format} document "
                    "(PDF spans are PageSpan(page, start, end), others (start, end))"
                )
            page, start, end = span if pdf else (0, *span)
            size = len(pages[page - 1]) if pdf and 1 <= page <= len(pages) else length
            if (pdf and not 1 <= page <= len(pages)) or not 0 <= start < end <= size:
                raise ValueError(f"keyword {k.phrase!r}: span {tuple(span)} is outside the document")
            found.append((page, start, end, rank))
    return found


def _text_occurrences(document: Document, keywords: Sequence[Keyword]) -> list[Run]:
    """The occurrences of ``keywords`` as offsets into ``document.text``."""
    runs = []
    for page, start, end, rank in _occurrences(document, keywords):
        if page:
            offset = document.page_starts[page - 1]
            runs.append((offset + start, offset + end, rank))
        elif document.source_map is not None:
            runs.append((*_text_span(document, start, end), rank))
        else:
            runs.append((start, end, rank))
    return runs


def _text_span(document: Document, start: int, end: int) -> tuple[int, int]:
    """The span of ``document.text`` that the span ``(start, end)`` of its source comes from:
    the inverse of ``Extracted.span``."""
    m = document.source_map
    k = bisect_right(m.src_start, start) - 1
    first = m.out[k] + (start - m.src_start[k] if m.verbatim[k] else 0)
    k = bisect_right(m.src_start, end - 1) - 1
    if m.verbatim[k]:
        last = m.out[k] + min(end - m.src_start[k], m.src_end[k] - m.src_start[k])
    else:
        last = m.out[k + 1] if k + 1 < len(m.out) else len(m.text)
    return first, max(first + 1, last)


def _markup_layout(document: Document) -> tuple[list[tuple[int, int]], int, int]:
    """Of an HTML/XML document: the ranges of its markup that hold its text (and nothing
    else: no tag, comment, script or style), less the content of ``title``, ``textarea`` and
    CDATA sections, where a mark would read as text; and where the content of its ``<body>``
    starts and ends (of a page without ``<body>``: after ``</head>`` or ``<html>``, up to
    ``</html>``; of a fragment: all of it)."""
    source, m = document.source, document.source_map
    ranges: list[tuple[int, int]] = []
    for k in range(len(m.out)):
        start, end = m.src_start[k], m.src_end[k]
        if not m.verbatim[k] and source.startswith("<", start):
            continue  # the line break that a tag makes
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    events = _events(defused(source), 0, len(source))
    opaque: list[tuple[int, int]] = []
    rcdata: tuple[str, int] | None = None
    landmarks: dict[str, int] = {}  # where <body> and <html> open, </head> ends, </body> and </html> start
    for k, (pos, kind, tag) in enumerate(events[:-1]):
        tag_end = events[k + 1][0]
        if kind == _CDATA:
            opaque.append((pos, tag_end))
        elif kind == _START and tag in _RCDATA and rcdata is None:
            rcdata = (tag, tag_end)
        elif kind == _END and rcdata is not None and tag == rcdata[0]:
            opaque.append((rcdata[1], pos))
            rcdata = None
        if kind == _START and tag in ("body", "html"):
            landmarks.setdefault(f"<{tag}>", tag_end)
        elif kind == _END and tag == "head":
            landmarks.setdefault("</head>", tag_end)
        elif kind == _END and tag in ("body", "html"):
            landmarks[f"</{tag}>"] = pos
    if rcdata is not None:
        opaque.append((rcdata[1], len(source)))
    begin = landmarks.get("<body>", landmarks.get("</head>", landmarks.get("<html>", 0)))
    stop = landmarks.get("</body>", landmarks.get("</html>", len(source)))
    return _subtract(ranges, sorted(opaque)), begin, max(begin, stop)


def _subtract(ranges: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` (sorted, disjoint) less ``holes`` (sorted by start; they may overlap)."""
    result, k = [], 0
    for start, end in ranges:
        while k < len(holes) and holes[k][1] <= start:
            k += 1
        j = k
        while j < len(holes) and holes[j][0] < end:
            if holes[j][0] > start:
                result.append((start, holes[j][0]))
            start = max(start, holes[j][1])
            j += 1
        if start < end:
            result.append((start, end))
    return result


def _clip(runs: list[Run], ranges: list[tuple[int, int]]) -> list[Run]:
    """The parts of ``runs`` inside ``ranges`` (both sorted, each disjoint)."""
    clipped, k = [], 0
    for start, end, rank in runs:
        while k < len(ranges) and ranges[k][1] <= start:
            k += 1
        j = k
        while j < len(ranges) and ranges[j][0] < end:
            clipped.append((max(start, ranges[j][0]), min(end, ranges[j][1]), rank))
            j += 1
    return clipped


# --- rendering ------------------------------------------------------------------------------


def _html_body(document: Document, keywords: Sequence[Keyword], whole: bool) -> str:
    """``highlight_html`` of ``document``; of an HTML page only its body unless ``whole``."""
    occurrences = _occurrences(document, keywords)
    if document.format == "pdf":
        sections = []
        for page, text in enumerate(document.pages, 1):
            runs = resolve_overlaps((s, e, r) for p, s, e, r in occurrences if p == page)
            sections.append(
                f"<section class=\"kx-page\" data-page=\"{page}\">\n<h3>page {page}</h3>\n"
                f"{_pre(text, runs, keywords, 'pdf')}\n</section>"
            )
        return "\n".join(sections)
    runs = resolve_overlaps((s, e, r) for _, s, e, r in occurrences)
    if document.format != "html":
        text = document.source if document.source is not None else document.text
        return _pre(text, runs, keywords, document.format)
    ranges, begin, stop = _markup_layout(document)
    if whole:
        begin, stop = 0, len(document.source)
    runs = _clip(runs, _subtract(ranges, [(0, begin), (stop, len(document.source) + 1)]))
    return _render(document.source[begin:stop], [(s - begin, e - begin, r) for s, e, r in runs], keywords, escape=False)


def _pre(text: str, runs: list[Run], keywords: Sequence[Keyword], fmt: str) -> str:
    return f"<pre class=\"kx-text\" data-format=\"{fmt}\">{_render(text, runs, keywords, escape=True)}</pre>"


def _render(text: str, runs: list[Run], keywords: Sequence[Keyword], escape: bool) -> str:
    """``text`` with each run in a mark; escaped as HTML if ``escape`` (else it is markup)."""
    esc = _escape if escape else str
    tags = {rank: _mark_tag(rank, keywords[rank - 1]) for rank in {run[2] for run in runs}}
    out, pos = [], 0
    for start, end, rank in runs:
        out.append(esc(text[pos:start]))
        out.append(tags[rank] + esc(text[start:end]) + "</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def _mark_tag(rank: int, keyword: Keyword) -> str:
    confidence = keyword.confidence
    hover = f"{keyword.phrase}: rank {rank}, score {keyword.score:.4f}" + (
        "" if confidence is None else f", confidence {confidence:.2f}"
    )
    return (
        f"<mark class=\"{_color_class(rank)}\" data-rank=\"{rank}\" data-phrase=\"{_escape(keyword.phrase)}\" "
        f"title=\"{_escape(hover)}\">"
    )


def _color_class(rank: int) -> str:
    return f"kx-c{(rank - 1) % len(HTML_COLORS)}"


def _escape(text: str) -> str:
    """``text`` as HTML text or attribute value: ``&<>"'`` escaped, control characters as U+FFFD."""
    return html.escape(_CONTROL_RE.sub("\ufffd", text), quote=True)

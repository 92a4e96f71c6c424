"""The text a reader sees in a marked-up document, with a map from each of its characters back
to the original.

HTML/XML (``markup.py``) and Markdown (``markdown.py``) are turned into text the same way: their
readers feed a ``TextBuilder`` the words, whitespace and line breaks they find, each with the
range of the original it comes from, and get an ``Extracted``: the text, one block (paragraph,
heading, list item, table cell) a line, and the map that lets keyphrase spans point into the
document the user gave (``Extracted.span``). ``mark_line_breaks`` then makes every line break of
such a text a phrase boundary.
"""

from __future__ import annotations

import html
import html.entities
import re
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .types import Span, Token

_HTML_SPACE_RE = re.compile(r"[ \t\n\r\f]+")
# What html.unescape would replace (its own pattern): character references and the like.
_REFERENCE_RE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_CHUNK_RE = re.compile(_HTML_SPACE_RE.pattern + "|" + _REFERENCE_RE.pattern)
# A character reference as plain text holds it: closed by ";" ("AT&T", "R&D;" are text).
_PLAIN_REFERENCE_RE = re.compile(r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


@dataclass(frozen=True)
class Extracted:
    """The text of a marked-up document and the map back to the original.

    The map is a list of pieces: piece ``k`` is ``text[out[k]:out[k+1]]`` and comes from
    ``original[src_start[k]:src_end[k]]``, either character for character (``verbatim[k]``) or
    as a whole (a decoded reference, a collapsed run of whitespace, the line break that a tag
    or the end of a block makes).
    """

    text: str
    out: array
    src_start: array
    src_end: array
    verbatim: bytes

    def span(self, start: int, end: int) -> Span:
        """The span of the original that ``text[start:end]`` comes from (``start < end``).

        Markup between the first and last character is inside it: the span of ``Solar panels``
        in ``Solar&nbsp;panels`` covers the whole reference, that of ``neural`` in
        ``<b>neu</b>ral`` the tags. Raises ``ValueError`` outside ``0 <= start < end <= len(text)``.
        """
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"need 0 <= start < end <= {len(self.text)}, got ({start}, {end})")
        k = bisect_right(self.out, start) - 1
        first = self.src_start[k] + (start - self.out[k] if self.verbatim[k] else 0)
        k = bisect_right(self.out, end - 1) - 1
        last = self.src_start[k] + (end - self.out[k]) if self.verbatim[k] else self.src_end[k]
        return first, last


class TextBuilder:
    """Collects the pieces of the extracted text of ``source``: words, collapsed spaces, line
    breaks. Whitespace is written only between text on one line, and one line break between
    blocks, however many block ends lie between them."""

    def __init__(self, source: str) -> None:
        self._source = source
        self.parts: list[str] = []
        self.length = 0
        self.out, self.src_start, self.src_end = array("q"), array("q"), array("q")
        self.verbatim = bytearray()
        self.space: tuple[int, int, str | None] | None = None  # pending whitespace
        self.brk: tuple[int, int] | None = None  # pending line break: what makes it

    def _piece(self, s: str, start: int, end: int, verbatim: bool) -> None:
        if verbatim and self.verbatim and self.verbatim[-1] and self.src_end[-1] == start:
            self.src_end[-1] = end  # continues the previous verbatim piece
        else:
            self.out.append(self.length)
            self.src_start.append(start)
            self.src_end.append(end)
            self.verbatim.append(verbatim)
        self.parts.append(s)
        self.length += len(s)

    def _flush(self) -> None:
        if self.length:
            if self.brk is not None:
                self._piece("\n", *self.brk, False)
            elif self.space is not None:
                start, end, kept = self.space
                if kept is not None:
                    self._piece(kept, start, end, True)
                else:
                    self._piece(" ", start, end, end - start == 1 and self._source[start] == " ")
        self.space = self.brk = None

    def text(self, s: str, start: int, end: int, verbatim: bool) -> None:
        """Characters from ``source[start:end]``: ``s`` is that very text (``verbatim``) or what
        it stands for (a decoded reference). Markup readers give no whitespace here (see
        ``whitespace``); ``decode_references`` gives plain text as it is, whitespace included."""
        self._flush()
        self._piece(s, start, end, verbatim)

    def whitespace(self, start: int, end: int, kept: str | None = None) -> None:
        """Whitespace ``source[start:end]``: one space, or ``kept`` as written (preformatted).

        It is written only between text on one line: not before a line break, nor at either
        end of the text.
        """
        if self.space is None and self.brk is None:
            self.space = (start, end, kept)

    def line_break(self, start: int, end: int) -> None:
        """The end of a block, made by ``source[start:end]`` (a tag, a line end)."""
        if self.brk is None:
            self.brk = (start, end)
        self.space = None

    def add(self, start: int, end: int, decode: bool = False, pre: bool = False) -> None:
        """The text ``source[start:end]``: HTML character references decoded if ``decode``,
        whitespace collapsed unless ``pre``."""
        source, pos = self._source, start
        for m in (_CHUNK_RE if decode else _HTML_SPACE_RE).finditer(source, start, end):
            if m.start() > pos:
                self.text(source[pos : m.start()], pos, m.start(), True)
            chunk = m.group()
            decoded = html.unescape(chunk) if chunk[0] == "&" else chunk
            if not decoded:  # a reference to a code point HTML5 drops
                pass
            elif decoded.isspace():
                self.whitespace(m.start(), m.end(), chunk if pre and decoded is chunk else None)
            else:
                self.text(decoded, m.start(), m.end(), decoded is chunk or decoded == chunk)
            pos = m.end()
        if pos < end:
            self.text(source[pos:end], pos, end, True)

    def result(self) -> Extracted:
        return Extracted("".join(self.parts), self.out, self.src_start, self.src_end, bytes(self.verbatim))


def decode_references(text: str) -> Extracted | None:
    """Plain ``text`` with its HTML character references decoded (``&lsquo;``, ``&#8217;``,
    ``&amp;``: text copied from web pages and feeds holds them), everything else as it is;
    ``None`` when it has none.

    Only references closed by ``;`` count, named ones only if HTML5 defines them
    (``html.entities.html5``; decoded with ``html.unescape``), so ``AT&T``, ``R&D`` and
    ``&foo;`` stay text. A decoded reference maps back to the whole reference (``Extracted``).
    """
    b, pos = TextBuilder(text), 0
    for m in _PLAIN_REFERENCE_RE.finditer(text):
        ref = m.group()
        if ref[1] != "#" and ref[1:] not in html.entities.html5:
            continue
        decoded = html.unescape(ref)
        if m.start() > pos:
            b.text(text[pos : m.start()], pos, m.start(), True)
        if decoded:
            b.text(decoded, m.start(), m.end(), False)
        pos = m.end()
    if not b.length:
        return None
    if pos < len(text):
        b.text(text[pos:], pos, len(text), True)
    return b.result()


def mark_line_breaks(text: str, tokens: Sequence[Token]) -> list[Token]:
    """``tokens`` of extracted ``text``, with ``break_before`` set after every line break.

    In text from a ``TextBuilder`` a line break ends a block (a heading, list item, paragraph,
    table cell, title) or a line of preformatted text: no phrase runs across it.
    """
    marked: list[Token] = []
    previous_end = 0
    for token in tokens:
        if not token.break_before and "\n" in text[previous_end : token.start]:
            token = replace(token, break_before=True)
        marked.append(token)
        previous_end = token.end
    return marked

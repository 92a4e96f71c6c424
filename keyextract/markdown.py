"""Markdown: recognising Markdown documents and turning them into text with an offset map.

``looks_like_markdown`` tells a README, a note or a blog post in Markdown from plain text by
its content; ``extract_text`` returns the text a reader of the rendered document sees, one
block a line, with a map from every character back to the Markdown source
(``textmap.Extracted``), as ``markup.extract_text`` does for HTML.

The parser is markdown-it-py (CommonMark, with GitHub's tables and strikethrough). What each
construct becomes:

- paragraphs, headings (ATX and setext), list items, block quotes and table cells are blocks:
  each ends a line, so no keyphrase runs across a heading, a list item or a cell; a hard line
  break (two spaces or ``\\`` at a line end, ``<br>``) ends a line too, while a soft line break
  inside a paragraph is a space;
- emphasis, strong emphasis and strikethrough markers are dropped without a space:
  ``**neural** networks`` reads "neural networks", ``neu*ral*`` reads "neural";
- link text is kept, the destination and title are dropped (``[the docs](https://x "Docs")``
  reads "the docs"); reference definitions (``[docs]: https://x``) are dropped; autolinks
  (``<https://x>``) and inline code (`` `pip install x` ``) are dropped and end a phrase, as a
  line break does; images (``![build status](badge.svg)``) are dropped with their alt text,
  which in READMEs is mostly badge and logo names;
- fenced and indented code blocks are dropped;
- HTML blocks and inline HTML go through the HTML reader (``markup.add_markup``): tags,
  comments and scripts dropped, text kept, block elements ending lines;
- front matter (a YAML block between ``---`` lines at the very top, as Jekyll, Hugo and Pandoc
  write it) is dropped but for its ``title:``, which is the first line of the text;
- character references and backslash escapes are decoded (``&amp;`` is ``&``, ``\\*`` is ``*``).

markdown-it-py gives the lines of each block but not where the words of a paragraph lie, so
each inline token is aligned with the source: its text pieces are found in the block's inline
source in order, skipping the markers, link destinations and code spans between them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache

from .markup import INLINE, add_markup, defused
from .textmap import Extracted, TextBuilder

# --- detection -------------------------------------------------------------------------------

# Markdown syntax that plain text hardly ever has, by kind: (strings one of which a text must
# hold before the pattern is searched, the pattern, how many matches count), one or more. A document must
# show MIN_KINDS of these kinds to be read as Markdown: one alone (a line starting "# ", a pair
# of backticks, a pipe table) turns up in plain text now and then, two together hardly ever.
_EVIDENCE = {
    # "# Title" lines (not "#1", "#!", "#hashtag")
    "heading": [(("# ", "#\t"), re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.M), 1)],
    # a fenced code block: two fence lines, opening and closing
    "fence": [(("```", "~~~"), re.compile(r"^ {0,3}(?:`{3,}[^`\n]*|~{3,}[^\n]*)$", re.M), 2)],
    # [text](url), ![alt](url), and [label]: url definitions
    "link": [
        (("](",), re.compile(r"\]\((?:https?://|mailto:|\.{0,2}/|#)[^\s()]*(?:\s+\"[^\"\n]*\")?\)"), 1),
        (("]:",), re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]+(?:https?://|\.{0,2}/|#)\S*", re.M), 1),
    ],
    # the delimiter row under a table's header: | --- | :---: |
    "table": [(("|",), re.compile(r"^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$", re.M), 1)],
    # **strong** or __strong__ within a line, not a**b or ** alone
    "strong": [
        (("**",), re.compile(r"\*\*(?<![\w*]\*\*)(?=[^\s*])[^\n]{0,200}?(?<=[^\s*])\*\*(?![\w*])"), 1),
        (("__",), re.compile(r"__(?<!\w__)(?=[^\s_])[^\n]{0,200}?(?<=[^\s_])__(?!\w)"), 1),
    ],
    # `code`: single backticks around text without spaces at its ends (not ``LaTeX quotes'')
    "code": [(("`",), re.compile(r"`(?<![`\w]`)[^`\s](?:[^`\n]*[^`\s])?`(?![`\w])"), 1)],
}
MIN_KINDS = 2


def looks_like_markdown(text: str) -> bool:
    """True when ``text`` is a Markdown document rather than plain text.

    It must show ``MIN_KINDS`` kinds of Markdown syntax among: ATX headings (``# Title``),
    fenced code blocks, inline links or images (``[text](https://...)``, relative or anchor
    links) and reference definitions, table delimiter rows (``| --- | --- |``), strong emphasis
    (``**bold**``) and inline code (`` `code` ``). Bullets, numbered lists, a single ``*``, block
    quotes with ``>`` and underlined titles are as common in plain text as in Markdown and do not
    count. Linear time; a text holding none of the characters these need is not searched.
    """
    kinds = 0
    for searches in _EVIDENCE.values():
        if any(any(n in text for n in needles) and _at_least(pattern, text, count) for needles, pattern, count in searches):
            kinds += 1
            if kinds >= MIN_KINDS:
                return True
    return False


def _at_least(pattern: re.Pattern, text: str, count: int) -> bool:
    """Whether ``pattern`` occurs ``count`` times in ``text``."""
    for _ in pattern.finditer(text):
        count -= 1
        if not count:
            return True
    return False


# --- the parser --------------------------------------------------------------------------------


@cache
def _parser():
    """markdown-it-py's CommonMark parser with tables and strikethrough; escapes and references
    stay tokens of their own (``text_special``), so that each piece of text can be placed."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.disable("text_join")
    return md


_FRONT_MATTER_RE = re.compile(r"---[ \t]*\n(?:.*\n)*?(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_TITLE_RE = re.compile(r"^title:[ \t]*(\S(?:.*\S)?)[ \t]*$", re.M)
_TAG_NAME_RE = re.compile(r"</?([A-Za-z][\w-]*)")
_SPACE_OR_NEWLINE = " \t\n"


def extract_text(text: str) -> Extracted:
    """The text of the Markdown document ``text`` and the map back to it.

    Blocks are separated by one ``"\\n"``; the text has no leading or trailing whitespace. Never
    raises on any input (Markdown has no syntax errors); time about linear in the length of
    ``text`` (markdown-it-py's).
    """
    b = TextBuilder(text)
    # markdown-it reads CRLF and CR line ends as LF and NUL as U+FFFD: the copy it reads does
    # so at the same length ("\r\n" as " \n"), so that its positions are the original's
    src = text.replace("\r\n", " \n").replace("\r", "\n").replace("\x00", "\ufffd")
    front = _FRONT_MATTER_RE.match(src)
    if front:
        title = _TITLE_RE.search(src, 0, front.end())
        if title:
            start, end = title.span(1)
            if end - start >= 2 and src[start] == src[end - 1] and src[start] in "\"'":
                start, end = start + 1, end - 1  # a quoted YAML string
            b.add(start, end)
        # the front matter read as blank lines
        src = re.sub(r"[^\n]", " ", src[: front.end()]) + src[front.end() :]
    _Walker(b, text, src).blocks(_parser().parse(src))
    return b.result()


class _Walker:
    """Adds the blocks of the token stream of ``src`` (markdown-it's copy of ``text``) to ``b``."""

    def __init__(self, b: TextBuilder, text: str, src: str) -> None:
        self.b, self.text, self.src = b, text, src
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", src)]
        self.placed: dict[int, int] = {}  # line -> end of the last inline text placed on it (table cells)
        self._html_copy: str | None = None

    def _line(self, n: int) -> tuple[int, int]:
        """Start and end (before its ``\\n``) of line ``n`` of the source."""
        start = self.line_starts[n] if n < len(self.line_starts) else len(self.src)
        end = self.line_starts[n + 1] - 1 if n + 1 < len(self.line_starts) else len(self.src)
        return start, end

    def blocks(self, tokens) -> None:
        for token in tokens:
            if token.type == "inline" and token.map:
                start, _ = self._line(token.map[0])
                self.b.line_break(max(0, start - 1), start)
                _Inline(self, token.content, token.map[0]).add(token.children or [])
            elif token.type == "html_block" and token.map:
                start, _ = self._line(token.map[0])
                end = self._line(token.map[1] - 1)[1]
                self.b.line_break(max(0, start - 1), start)
                self.html(start, end)
            # code blocks and fences are dropped; the other tokens open and close blocks

    def html(self, start: int, end: int) -> None:
        """The HTML ``src[start:end]``, through the HTML reader."""
        if self._html_copy is None:
            self._html_copy = defused(self.src)
        add_markup(self.b, self.text, self._html_copy, start, end)


class _Inline:
    """Places the children of one inline token (a paragraph's, a heading's, a cell's text) in
    the source and adds their text.

    ``content`` is the block's inline source as markdown-it gives it: its lines are pieces of
    the source lines from ``first_line`` on (block quote markers, list indentation and the
    whitespace at either end left out). Each child is found in ``content`` after the previous
    one (``self.pos``), and content positions are turned into source positions line by line.
    """

    def __init__(self, walker: _Walker, content: str, first_line: int) -> None:
        self.w, self.b, self.content, self.pos = walker, walker.b, content, 0
        # per content line: where it starts in content, and where its text (after leading
        # whitespace, which markdown-it may have made of a tab) starts in the source; for a
        # line that is not a piece of its source line (a table cell's "\\|" read as "|"), the
        # source position of each of its characters
        self.starts: list[int] = []
        self.sources: list[int] = []
        self.indents: list[int] = []
        self.exact: dict[int, list[int]] = {}
        offset = 0
        src = walker.src
        for k, line in enumerate(content.split("\n")):
            body = line.lstrip(" \t")
            line_start, line_end = walker._line(first_line + k)
            line_start = max(line_start, walker.placed.get(first_line + k, line_start))
            found = src.find(body, line_start, line_end) if body else line_start
            if found < 0:  # each character at the next place it occurs
                positions, p = [], line_start
                for ch in body:
                    at = src.find(ch, p, line_end)
                    p = at + 1 if at >= 0 else p
                    positions.append(max(at, p - 1))
                self.exact[k] = positions
                found = positions[0] if positions else line_start
            walker.placed[first_line + k] = (self.exact[k][-1] + 1) if k in self.exact else found + len(body)
            self.starts.append(offset)
            self.sources.append(found)
            self.indents.append(len(line) - len(body))
            offset += len(line) + 1

    def source(self, pos: int) -> int:
        """The source position of ``content[pos]``."""
        k = bisect_right(self.starts, pos) - 1
        col = max(0, pos - self.starts[k] - self.indents[k])
        if k in self.exact:
            positions = self.exact[k]
            return positions[col] if col < len(positions) else (positions[-1] + 1 if positions else self.sources[k])
        return self.sources[k] + col

    def emit(self, at: int, length: int) -> None:
        """Add the text ``content[at:at + length]`` (one line), from where it lies in the source."""
        start = self.source(at)
        if self.source(at + length - 1) == start + length - 1:
            self.b.add(start, start + length)
            return
        run = start  # characters that are not where the content has them: by runs
        for i in range(1, length + 1):
            if i == length or self.source(at + i) != self.source(at + i - 1) + 1:
                self.b.add(run, self.source(at + i - 1) + 1)
                if i < length:
                    run = self.source(at + i)

    def find(self, s: str) -> int:
        """Where ``s`` next occurs in the content, or -1."""
        return self.content.find(s, self.pos) if s else self.pos

    def add(self, children, emit: bool = True) -> None:
        """Add the text of ``children`` (``emit``; else only move past them)."""
        i = 0
        while i < len(children):
            child = children[i]
            kind = child.type
            if kind == "text":
                at = self.find(child.content)
                if at >= 0:
                    if emit and child.content:
                        self.emit(at, len(child.content))
                    self.pos = at + len(child.content)
            elif kind == "text_special":  # an escape or character reference
                at = self.find(child.markup)
                if at >= 0:
                    if emit:
                        start = self.source(at)
                        end = start + len(child.markup)
                        if child.content.isspace():
                            self.b.whitespace(start, end)
                        elif child.content:
                            self.b.text(child.content, start, end, False)
                    self.pos = at + len(child.markup)
            elif kind == "softbreak":
                self._newline(emit, hard=False)
            elif kind == "hardbreak":
                self._newline(emit, hard=True)
            elif kind == "code_inline":
                self._code(child.markup, emit)
            elif kind == "html_inline":
                self._html(child.content, emit)
            elif kind == "link_open" and child.markup == "autolink":
                depth, i = 1, i + 1  # the URL it shows is not text
                while i < len(children) and depth:
                    depth += children[i].nesting if children[i].type.startswith("link_") else 0
                    i += 1
                self._skip_between("<", ">", emit)
                continue
            elif kind == "link_open":
                at = self.find("[")
                if at >= 0:
                    self.pos = at + 1
            elif kind == "link_close":
                self._link_end()
            elif kind == "image":
                at = self.find("![")
                if at >= 0:
                    self.pos = at + 2
                    self.add(child.children or [], emit=False)
                    self._link_end()
            elif child.markup:  # emphasis, strikethrough: markers without text
                at = self.find(child.markup)
                if at >= 0:
                    self.pos = at + len(child.markup)
            i += 1

    def _newline(self, emit: bool, hard: bool) -> None:
        """A soft (a space) or hard (a line break) line break at the next ``\\n``."""
        at = self.find("\n")
        if at < 0:
            return
        start = self.source(self.pos)
        end = self.source(at + 1) if at + 1 < len(self.content) else self.source(at)
        if emit:
            if hard:
                self.b.line_break(start, max(end, start + 1))
            else:
                self.b.whitespace(start, max(end, start + 1))
        self.pos = at + 1

    def _boundary(self, start: int, end: int, emit: bool) -> None:
        """Content ``[start, end)`` dropped; a phrase may not run across it."""
        if emit:
            self.b.line_break(self.source(start), self.source(max(start, end - 1)) + 1)
        self.pos = end

    def _code(self, marker: str, emit: bool) -> None:
        """A code span: its backtick string, the code, the same backtick string."""
        at = self.find(marker)
        if at < 0:
            return
        close = re.compile(f"(?<!`){marker}(?!`)").search(self.content, at + len(marker))
        self._boundary(at, close.end() if close else at + len(marker), emit)

    def _skip_between(self, opening: str, closing: str, emit: bool) -> None:
        at = self.find(opening)
        if at >= 0:
            end = self.content.find(closing, at + 1)
            self._boundary(at, end + 1 if end >= 0 else at + 1, emit)

    def _html(self, raw: str, emit: bool) -> None:
        """An inline tag or comment: dropped; one of a block element ends a line."""
        at = self.find(raw)
        if at < 0:
            return
        name = _TAG_NAME_RE.match(raw)
        if emit and name and name.group(1).lower() not in INLINE:
            start = self.source(at)
            self.b.line_break(start, start + len(raw))
        self.pos = at + len(raw)

    def _link_end(self) -> None:
        """Move past the ``]`` that closes a link's text and the destination after it:
        ``(url "title")``, ``[label]``, ``[]`` or nothing (a shortcut reference)."""
        from markdown_it.helpers import parseLinkDestination, parseLinkTitle

        content = self.content
        at = self.find("]")
        if at < 0:
            return
        pos = at + 1
        if content.startswith("(", pos):
            end = _inline_destination_end(content, pos + 1, parseLinkDestination, parseLinkTitle)
            if end >= 0:
                self.pos = end
                return
        if content.startswith("[", pos):
            close = content.find("]", pos + 1)
            if close >= 0:
                pos = close + 1
        self.pos = pos


def _inline_destination_end(content: str, pos: int, destination, title) -> int:
    """The position after the ``)`` of an inline link's ``(destination "title")`` that opens
    just before ``pos``, or -1 when there is none (as markdown-it's link rule reads it)."""
    n = len(content)

    def skip(p: int) -> int:
        while p < n and content[p] in _SPACE_OR_NEWLINE:
            p += 1
        return p

    pos = skip(pos)
    result = destination(content, pos, n)
    if result.ok:
        after = skip(result.pos)
        if after > result.pos:
            parsed = title(content, after, n)
            if parsed.ok:
                after = skip(parsed.pos)
        pos = after
    return pos + 1 if pos < n and content[pos] == ")" else -1

"""Markup: recognising HTML and XML documents and turning them into text with an offset map.

A marked-up document goes through this stage before segmentation: ``looks_like_markup`` tells
a page, fragment or feed from plain text by its content; ``extract_text`` returns the text a
reader sees, one block (paragraph, heading, list item, table cell, title) per line, with a map
from every character back to the range of the original it came from, so that keyphrase spans
can point into the document the user gave (``Extracted.span``).

What is kept: the text of elements, with character and entity references decoded (``&nbsp;``
is a space, ``&amp;`` is ``&``, ``&#8217;`` is ``’``; an unknown ``&foo;`` stays as written);
the ``<title>`` as a line of its own; the content of CDATA sections (parsed as HTML when it is
markup itself, as in RSS descriptions). What is dropped: tags and attribute values (``alt`` and
``title`` attributes too: they describe images and links, often with file names or repeated
link text, and have no place in the running text), comments, doctype, processing
instructions, everything in ``<head>`` except the title, and the content of ``script``,
``style``, ``noscript``, ``template``, ``svg``, ``math``, ``iframe``, ``noembed`` and
``noframes``. Every element that is not an inline one (``b``, ``i``, ``a``, ``span``, ``code``,
...: ``INLINE``) ends a line, so that ``<b>neu</b>ral`` stays one word while headings, list
items and paragraphs become phrase boundaries; so do all elements of non-HTML XML, whose
vocabulary we cannot know. Runs of whitespace collapse into one space, as a browser renders
them, except inside ``pre``, ``textarea``, ``listing`` and ``xmp``: every line break of the
extracted text is a boundary.

The parser is the standard library's ``html.parser.HTMLParser``. We need the exact position of
every tag, and only a tokenizer that reports events in source order gives that: lxml,
selectolax and html5lib build trees without character offsets, and BeautifulSoup records only
the line and column of tags; justhtml (a pure-Python HTML5 tree builder) records where each
text node starts but not where its decoded characters come from, and took four times as long
as ``HTMLParser`` on the same page. ``HTMLParser`` costs no dependency, tolerates broken markup
and is maintained with Python itself. We use it as a tokenizer only: it says where tags,
comments and declarations lie (``getpos`` of each event); the text between them is read from
the original and its references decoded with ``html.unescape`` (the HTML5 rules), so the
result does not depend on what each Python version passes to ``handle_data``. Older patch
releases (3.11.7 among them) take quadratic time on some malformed input when ``close()``
flushes unterminated constructs (27 s for 160 KB of ``<a``), and raise ``AssertionError`` on
``<![`` followed by anything but a few SGML keywords. We never call ``close()`` (an
unterminated tag, comment or declaration at the end is dropped, as HTML5 drops it), and the
parser reads a copy of the document in which ``&#`` that is no character reference, ``<![``
that does not open a CDATA section and a CDATA section without its end are defused, to what
HTML5 makes of them, at the same length, so positions are unchanged.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .textmap import Extracted, TextBuilder

#: Elements that do not end a line: their text runs on with the text around them.
INLINE = frozenset(
    "a abbr acronym b bdi bdo big blink cite code data del dfn em font i img ins kbd label mark "
    "meter nobr output picture q rb rp rt rtc ruby s samp small source span strike strong sub "
    "sup time track tt u var wbr".split()
)
#: Elements whose content is not text of the document.
DROPPED = frozenset("script style noscript template svg math iframe noembed noframes".split())
#: Elements whose whitespace is kept as written.
PREFORMATTED = frozenset("pre textarea listing xmp".split())
#: Elements that may stand in ``<head>``; any other start tag there opens the body (HTML5).
_HEAD_CONTENT = frozenset("title meta link style script base noscript template".split())

# --- detection -------------------------------------------------------------------------------

# A tag: "<" + name + (whitespace + anything but angle brackets, or "/") + ">" ("a < b", "<3",
# "<sam@example.com>" and "vector<int, 3>" are not tags), or the opening of a comment.
# Each match attempt stops at the next angle bracket: linear time.
_TAG_RE = re.compile(r"<(?:(/?)([A-Za-z][\w:.-]*)(\s[^<>]*|/)?>|!--)")
_ATTRIBUTE_RE = re.compile(r"""\s[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*')""")
_PROLOG_RE = re.compile(r"[\ufeff\s]*<(?:\?xml[\s?]|!doctype\s|html[\s>])", re.I)
_LEADING_SPACE_RE = re.compile(r"[\ufeff\s]*")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
#: Markup evidence a document needs: closed elements, void HTML elements, comments.
MIN_EVIDENCE = 2
#: ... and either it starts with markup or markup fills this share of it.
MIN_MARKUP_SHARE = 0.1


def has_markup_prolog(text: str) -> bool:
    """True when ``text`` opens (after whitespace) with an XML declaration, a doctype or ``<html``."""
    return _PROLOG_RE.match(text) is not None


def looks_like_markup(text: str) -> bool:
    """True when ``text`` is an HTML or XML document or fragment rather than plain text.

    A document that opens with an XML declaration, a doctype or ``<html`` is markup. Otherwise
    it needs ``MIN_EVIDENCE`` pieces of evidence (an element closed by its end tag, counted
    twice when its start tag has a quoted attribute; a void HTML element such as ``<br>``; a
    comment) and must either start with a tag or consist of markup for ``MIN_MARKUP_SHARE`` of
    its characters. So a stray tag, ``a < b``, ``x<y>z``, ``vector<int>``, an e-mail address
    in angle brackets, or a paper that quotes an XML snippet in its middle stay plain text.
    Linear time; documents without ``<`` return at once.
    """
    if "<" not in text:
        return False
    if has_markup_prolog(text):
        return True
    evidence = markup_chars = 0
    starts_with_tag = None
    open_tags: dict[str, list[bool]] = {}  # name -> for each open element: has it attributes
    for m in _TAG_RE.finditer(text):
        if starts_with_tag is None:
            starts_with_tag = m.start() == _LEADING_SPACE_RE.match(text).end()
        markup_chars += m.end() - m.start()
        name = m.group(2)
        if name is None:  # "<!--"
            evidence += 1
            continue
        name = name.lower()
        attributes = m.group(3) or ""
        if m.group(1):
            if open_tags.get(name):
                evidence += 1 + open_tags[name].pop()
        elif name in _VOID or attributes.endswith("/"):
            evidence += 1
        else:
            open_tags.setdefault(name, []).append(bool(_ATTRIBUTE_RE.search(attributes)))
    if evidence < MIN_EVIDENCE:
        return False
    return bool(starts_with_tag) or markup_chars >= MIN_MARKUP_SHARE * len(text)


# --- events from the parser --------------------------------------------------------------------

_DATA, _START, _END, _EMPTY, _CDATA, _OTHER = range(6)
# What HTMLParser of Python < 3.13.4 mishandles, defused in the copy it reads (same length):
# "&#" that is no character reference (it scans to the end for ";" and stops), and "<!["
# that does not open a CDATA section (AssertionError unless a known SGML keyword follows;
# HTML5 reads them all as bogus comments, up to ">").
_BAD_CHARREF_RE = re.compile(r"&#(?![0-9]|[xX][0-9a-fA-F])")
_BAD_MARKED_SECTION_RE = re.compile(r"<!\[(?!CDATA\[)")


class _EventParser(HTMLParser):
    """Records ``(position, kind, tag)`` for every event; positions are absolute."""

    def __init__(self, copy: str, start: int, end: int) -> None:
        super().__init__(convert_charrefs=False)
        self.events: list[tuple[int, int, str]] = []
        self._lines = [start]  # where each line of copy[start:end] starts
        newline = copy.find("\n", start, end)
        while newline >= 0:
            self._lines.append(newline + 1)
            newline = copy.find("\n", newline + 1, end)

    def _add(self, kind: int, tag: str = "") -> None:
        line, column = self.getpos()
        self.events.append((self._lines[line - 1] + column, kind, tag))

    def handle_starttag(self, tag, attrs):
        self._add(_START, tag)

    def handle_startendtag(self, tag, attrs):
        self._add(_EMPTY, tag)

    def handle_endtag(self, tag):
        self._add(_END, tag)

    def handle_data(self, data):
        self._add(_DATA)

    def handle_entityref(self, name):
        self._add(_DATA)

    def handle_charref(self, name):
        self._add(_DATA)

    def handle_comment(self, data):
        self._add(_OTHER)

    def handle_decl(self, decl):
        self._add(_OTHER)

    def handle_pi(self, data):
        self._add(_OTHER)

    def unknown_decl(self, data):
        self._add(_CDATA if data.startswith("CDATA[") else _OTHER)


def _events(copy: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Events of ``copy[start:end]`` in source order, closed by an ``_OTHER`` event at ``end``.

    Each event runs to the position of the next. The parser is fed once and never closed: what
    it leaves unparsed is script or style content without its end tag (dropped), a reference
    or ``<`` at the very end (text), or a tag, comment or declaration without its end (dropped
    to the end, as HTML5 does).
    """
    parser = _EventParser(copy, start, end)
    parser.feed(copy[start:end])
    events = parser.events
    stop = end - len(parser.rawdata)
    if stop < end:
        text_left = not parser.cdata_elem and (copy.startswith("&", stop) or stop + 1 == end)
        events.append((stop, _DATA if text_left else _OTHER, ""))
    events.append((end, _OTHER, ""))
    return events


# --- from events to text ---------------------------------------------------------------------


def add_markup(b: TextBuilder, source: str, copy: str, start: int, end: int) -> None:
    """Add the text of the markup ``source[start:end]`` to ``b``, the builder of ``source``
    (``copy``: ``defused(source)``, what the parser reads)."""
    events = _events(copy, start, end)
    skip, skip_depth = "", 0  # inside a dropped element
    in_head = in_title = False
    pre = 0
    text_from = -1  # start of the current run of text events
    for k, (pos, kind, tag) in enumerate(events):
        if kind == _DATA:
            if text_from < 0:
                text_from = pos
            continue
        if text_from >= 0:  # a run of text ends here
            if in_head and not in_title and not source[text_from:pos].isspace():
                in_head = False  # text in <head> opens the body (HTML5)
            if not skip and (in_title or not in_head):
                b.add(text_from, pos, True, pre > 0)
            text_from = -1
        if k + 1 == len(events):
            break
        tag_end = events[k + 1][0]
        if kind == _OTHER or (skip and kind == _CDATA):
            continue
        if kind == _CDATA:
            inner_end = tag_end - 3 if source.startswith("]]>", tag_end - 3) else tag_end
            if looks_like_markup(source[pos + 9 : inner_end]):
                add_markup(b, source, copy, pos + 9, inner_end)
            else:
                b.add(pos + 9, inner_end, False, pre > 0)
            continue
        if skip:
            if kind == _START and tag == skip:
                skip_depth += 1
            elif kind == _END and tag == skip:
                skip_depth -= 1
            elif kind == _END and tag in ("body", "html"):
                skip_depth = 0
            if not skip_depth:
                skip = ""
            continue
        if kind == _START:
            if tag in DROPPED:
                skip, skip_depth = tag, 1
                continue
            if tag == "head":
                in_head = True
            elif tag == "body" or (in_head and tag not in _HEAD_CONTENT):
                in_head = False
            if tag == "title":
                in_title = True
            elif tag in PREFORMATTED:
                pre += 1
        elif kind == _END:
            if tag == "head":
                in_head = False
            elif tag == "title":
                in_title = False
            elif tag in PREFORMATTED:
                pre = max(0, pre - 1)
        if tag not in INLINE:
            b.line_break(pos, tag_end)


def defused(text: str) -> str:
    """The copy of ``text`` that ``HTMLParser`` reads: what it mishandles (see the module
    docstring) replaced by what HTML5 makes of it, at the same length."""
    copy = _BAD_MARKED_SECTION_RE.sub("<!x", _BAD_CHARREF_RE.sub(" #", text))
    last_close = copy.rfind("]]>")
    if copy.find("<![CDATA[", last_close + 1) >= 0:  # unterminated: a bogus comment, as in HTML5
        copy = copy[: last_close + 1] + copy[last_close + 1 :].replace("<![CDATA[", "<!xCDATA[")
    return copy


def extract_text(text: str) -> Extracted:
    """The text of the HTML or XML document ``text`` and the map back to it.

    Blocks are separated by one ``"\\n"``; the text has no leading or trailing whitespace.
    Linear time in the length of ``text``; never raises on broken markup.
    """
    b = TextBuilder(text)
    add_markup(b, text, defused(text), 0, len(text))
    return b.result()

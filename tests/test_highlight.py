"""Highlighting (keyextract/highlight.py): exact HTML and ANSI output for small documents of
every format, the overlap rule, colour decisions, a well-formedness check of the page, and the
command line's --format html and --highlight."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import sys
from html.parser import HTMLParser
from itertools import permutations

import pytest

from keyextract import Document, Keyword, PageSpan, highlight_ansi, highlight_html, html_page
from keyextract.documents import text_document
from keyextract.highlight import html_section, paint, resolve_overlaps, use_color

VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def mark(rank: int, phrase: str, score: float, text: str) -> str:
    """The mark of ``text`` for the keyphrase of rank ``rank`` (its attributes, escaped)."""
    p = html.escape(phrase, quote=True)
    return (f'<mark class="kx-c{(rank - 1) % 6}" data-rank="{rank}" data-phrase="{p}" '
            f'title="{p}: rank {rank}, score {score:.4f}">{text}</mark>')


def spans_of(document: Document, pattern: str) -> tuple:
    """The spans of every match of the regular expression ``pattern`` (any case) in
    ``document.text``, in the document's own terms (``Document.span``), as the extractor gives
    them."""
    return tuple(document.span(m.start(), m.end()) for m in re.finditer(pattern, document.text, re.I))


class Page(HTMLParser):
    """A strict reading of HTML: every element closed in order (void elements aside), no
    element inside a mark, and the marks as a DOM shows them: ``(rank, phrase, text)``."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.marks: list[tuple[int, str, str]] = []
        self.feed(page)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack}")

    def handle_starttag(self, tag, attrs):
        if self.stack and self.stack[-1] == "mark":
            self.errors.append(f"<{tag}> inside a mark")
        if tag == "mark":
            a = dict(attrs)
            self.marks.append((int(a.get("data-rank", 0)), a.get("data-phrase"), ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.errors.append(f"<{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "mark":
            rank, phrase, text = self.marks[-1]
            self.marks[-1] = (rank, phrase, text + data)


# --- plain text ------------------------------------------------------------------------------


def test_plain_text_is_escaped_and_marked() -> None:
    text = "Tom's \"solar panels\" & <grid> storage"
    keywords = [
        Keyword("solar panels", 0.91234, ((7, 19),)),
        Keyword("<grid> storage", 0.5, ((23, 37),)),
        Keyword("Tom's", 0.25, ((0, 5),)),
    ]
    assert highlight_html(text, keywords, markup="none") == (
        '<pre class="kx-text" data-format="text">'
        '<mark class="kx-c2" data-rank="3" data-phrase="Tom&#x27;s" title="Tom&#x27;s: rank 3, score 0.2500">Tom&#x27;s</mark>'
        ' &quot;<mark class="kx-c0" data-rank="1" data-phrase="solar panels" title="solar panels: rank 1, score 0.9123">'
        'solar panels</mark>&quot; &amp; '
        '<mark class="kx-c1" data-rank="2" data-phrase="&lt;grid&gt; storage" title="&lt;grid&gt; storage: rank 2, '
        'score 0.5000">&lt;grid&gt; storage</mark></pre>'
    )
    # a string and its Document give the same; without keyphrases, the text alone
    assert highlight_html(text_document(text, "none"), keywords) == highlight_html(text, keywords, markup="none")
    assert highlight_html("a < b\n", []) == '<pre class="kx-text" data-format="text">a &lt; b\n</pre>'


def test_confidence_and_tag_ids_show() -> None:
    kw = Keyword("solar panels", 1.25, ((0, 12),), confidence=0.876)
    assert highlight_html("solar panels", [kw]) == (
        '<pre class="kx-text" data-format="text"><mark class="kx-c0" data-rank="1" data-phrase="solar panels" '
        'title="solar panels: rank 1, score 1.2500, confidence 0.88">solar panels</mark></pre>'
    )
    other = Keyword("panels", 0.5, ((6, 12),))
    section = html_section("a.txt", "solar panels", [kw, other])
    assert '<th class="kx-n">confidence</th>' in section
    assert '<td class="kx-n">0.88</td>' in section and '<td class="kx-n"></td>' in section
    assert "confidence" not in html_section("a.txt", "solar panels", [Keyword("solar panels", 1.25, ((0, 12),))])
    # a vocabulary's tags: the id beside the label where they differ; a tag absent from the text has no marks
    tags = [Keyword("Solar energy", 0.9, (), id="T17"), Keyword("panels", 0.5, ((6, 12),), id="panels")]
    section = html_section("a.txt", "solar panels", tags)
    assert ('<tr><td class="kx-n">1</td><td><mark class="kx-c0">Solar energy</mark> <span class="kx-id">[T17]</span></td>'
            '<td class="kx-n">0.9000</td><td class="kx-n">0</td></tr>\n'
            '<tr><td class="kx-n">2</td><td><mark class="kx-c1">panels</mark></td>'
            '<td class="kx-n">0.5000</td><td class="kx-n">1</td></tr>\n') in section
    assert highlight_html("solar panels", tags) == (
        '<pre class="kx-text" data-format="text">solar ' + mark(2, "panels", 0.5, "panels") + "</pre>")


def test_text_with_character_references_is_shown_as_given() -> None:
    text = "Solar&nbsp;panels&rsquo; output"  # plain text: references decoded for extraction only
    doc = text_document(text)
    assert (doc.format, doc.text) == ("text", "Solar\xa0panels\u2019 output")
    keywords = [Keyword("Solar panels", 1.0, spans_of(doc, "solar\xa0panels"))]
    assert keywords[0].spans == ((0, 17),)
    assert highlight_html(doc, keywords) == (
        '<pre class="kx-text" data-format="text">' + mark(1, "Solar panels", 1.0, "Solar&amp;nbsp;panels")
        + "&amp;rsquo; output</pre>"
    )
    assert highlight_ansi(doc, keywords) == "\x1b[30;103mSolar\xa0panels\x1b[0m\u2019 output"


# --- overlapping occurrences -----------------------------------------------------------------


def test_overlaps_go_to_the_better_ranked_phrase() -> None:
    text = "deep neural network training"
    keywords = [
        Keyword("neural network", 1.0, ((5, 19),)),
        Keyword("deep neural network", 0.75, ((0, 19),)),
        Keyword("network training", 0.5, ((12, 28),)),
    ]
    assert highlight_html(text, keywords) == (
        '<pre class="kx-text" data-format="text">' + mark(2, "deep neural network", 0.75, "deep ")
        + mark(1, "neural network", 1.0, "neural network") + mark(3, "network training", 0.5, " training") + "</pre>"
    )
    assert highlight_ansi(text, keywords) == (
        "\x1b[30;106mdeep \x1b[0m\x1b[30;103mneural network\x1b[0m\x1b[30;102m training\x1b[0m"
    )
    # the other way round, the longer phrase takes all it covers; the nested one is not shown
    flipped = [Keyword("deep neural network", 1.0, ((0, 19),)), Keyword("neural network", 0.75, ((5, 19),))]
    assert highlight_html(text, flipped) == (
        '<pre class="kx-text" data-format="text">' + mark(1, "deep neural network", 1.0, "deep neural network")
        + " training</pre>"
    )


def test_resolve_overlaps() -> None:
    occurrences = [(5, 19, 1), (0, 19, 2), (12, 28, 3), (30, 34, 3), (0, 40, 4), (5, 19, 5)]
    expected = [(0, 5, 2), (5, 19, 1), (19, 28, 3), (28, 30, 4), (30, 34, 3), (34, 40, 4)]
    for order in permutations(occurrences):
        assert resolve_overlaps(order) == expected
    assert resolve_overlaps([]) == []
    assert resolve_overlaps([(3, 4, 2), (0, 2, 1)]) == [(0, 2, 1), (3, 4, 2)]
    # one phrase: overlapping occurrences, the first wins; touching ones stay two marks
    assert resolve_overlaps([(2, 5, 1), (0, 3, 1)]) == [(0, 3, 1), (3, 5, 1)]
    assert resolve_overlaps([(2, 4, 1), (0, 2, 1)]) == [(0, 2, 1), (2, 4, 1)]


# --- HTML input ------------------------------------------------------------------------------

HTML_DOC = (
    '<!DOCTYPE html>\n<html><head><title>Neural networks</title><style>p{color:red}</style></head>\n'
    '<body><p><b>Neu</b>ral <!-- a note --> networks &amp; <a href="#x">neural&nbsp;networks</a></p>'
    '<script>var s = "neural networks";</script><textarea>neural networks</textarea></body></html>\n'
)


def test_html_keeps_its_markup_and_marks_text_between_tags() -> None:
    doc = text_document(HTML_DOC)
    assert doc.text == "Neural networks\nNeural networks & neural networks\nneural networks"  # &nbsp;: a space
    keywords = [Keyword("neural networks", 0.8, spans_of(doc, "neural[ \xa0]networks"))]
    m = lambda text: mark(1, "neural networks", 0.8, text)  # noqa: E731
    # title and textarea read tags as text: no mark there; tags, comments and scripts untouched
    assert highlight_html(doc, keywords) == (
        '<!DOCTYPE html>\n<html><head><title>Neural networks</title><style>p{color:red}</style></head>\n'
        f'<body><p><b>{m("Neu")}</b>{m("ral ")}<!-- a note --> {m("networks")} &amp; '
        f'<a href="#x">{m("neural&nbsp;networks")}</a></p>'
        '<script>var s = "neural networks";</script><textarea>neural networks</textarea></body></html>\n'
    )
    # on the page, the content of <body>
    section = html_section("page.html", doc, keywords)
    body = section[section.index('<div class="kx-body">\n') + 22 : section.index("\n</div>\n</section>")]
    assert body == (
        f'<p><b>{m("Neu")}</b>{m("ral ")}<!-- a note --> {m("networks")} &amp; '
        f'<a href="#x">{m("neural&nbsp;networks")}</a></p>'
        '<script>var s = "neural networks";</script><textarea>neural networks</textarea>'
    )
    # the terminal shows the text a reader sees, every occurrence in colour
    yellow = lambda text: f"\x1b[30;103m{text}\x1b[0m"  # noqa: E731
    assert highlight_ansi(doc, keywords) == (
        f"{yellow('Neural networks')}\n{yellow('Neural networks')} & {yellow('neural networks')}\n"
        f"{yellow('neural networks')}"
    )


def test_html_fragment_and_cdata() -> None:
    fragment = "<ul><li>Solar <em>panels</em></li><li>solar panels</li></ul>"
    doc = text_document(fragment)
    keywords = [Keyword("solar panels", 1.0, spans_of(doc, "solar panels"))]
    m = lambda text: mark(1, "solar panels", 1.0, text)  # noqa: E731
    expected = f"<ul><li>{m('Solar ')}<em>{m('panels')}</em></li><li>{m('solar panels')}</li></ul>"
    assert highlight_html(doc, keywords) == expected
    assert expected in html_section("f.html", doc, keywords)  # a fragment is its own body
    feed = "<rss><item><title>x</title><description><![CDATA[solar panels]]></description></item></rss>"
    doc = text_document(feed)
    keywords = [Keyword("solar panels", 1.0, spans_of(doc, "solar panels"))]
    assert keywords[0].spans == ((49, 61),)
    assert highlight_html(doc, keywords) == feed  # a mark in CDATA would be text


MARKUP_CASES = [
    "<p>solar <!-- not -- here --> panels &amp; wind<br>turbines</p>",
    "<div><span>so</span>lar pa<i>n</i>els</div><script>if (a < b) { x = '<p>solar panels</p>'; }</script>",
    "<p>a &lt; b &#8217;quoted&#x2019; &nbsp;&nbsp; R&D AT&T &foo; text</p>",
    "<pre>  solar\n   panels <b>wind</b>\n</pre><textarea>wind <b>turbines</b></textarea>",
    "<rss><item><description><![CDATA[<p>solar <b>panels</b></p>]]></description><title>wind farms</title><category>solar farms</category></item></rss>",
    "<ul><li>unclosed item<li>another <em>item<p>broken <b>nesting</i> here</b></ul>",
    "<svg><text>solar</text></svg><p>solar <math>x</math> panels<style>p { }</style> wind</p>",
    "<html><body><p>solar panels</p><script>document.write('solar')",
    "<p title=\"solar panels\" data-x='wind > turbines'>solar panels & wind > turbines</p>",
    "<h1>Offshore</h1><p>wind</p><table><tr><td>solar</td><td>panels</td></tr></table><p>end &copy 2024",
]


@pytest.mark.parametrize("source", MARKUP_CASES)
def test_marks_only_ever_wrap_text(source) -> None:
    """Every word and every pair of words marked (the pairs overlapping the words): taking the
    marks out gives the markup back, and every mark is a tag that HTML reads (none inside a
    comment, script or attribute) around text only."""
    doc = text_document(source, "html")
    pairs = spans_of(doc, r"\S+\s+\S+")
    words = spans_of(doc, r"\S+")
    keywords = [Keyword("pair", 1.0, pairs), Keyword("word", 0.5, words)]
    marked = highlight_html(doc, keywords)
    assert re.sub(r"<mark [^>]*>|</mark>", "", marked) == source
    inside = re.findall(r"<mark [^>]*>(.*?)</mark>", marked, re.S)
    assert len(inside) == marked.count("<mark ") == marked.count("</mark>") > 0
    assert not [text for text in inside if re.search(r"<[A-Za-z/!?]", text)]

    class Counter(HTMLParser):
        starts = ends = 0

        def handle_starttag(self, tag, attrs):
            self.starts += tag == "mark"

        def handle_endtag(self, tag):
            self.ends += tag == "mark"

    counter = Counter(convert_charrefs=True)
    counter.feed(marked)
    assert counter.starts == counter.ends == len(inside)
    assert highlight_ansi(doc, keywords, color=False) == doc.text


# --- Markdown, PDF, Word ---------------------------------------------------------------------


def test_markdown_shows_its_source() -> None:
    source = "# Solar panels\n\nCheap **solar** panels & batteries.\n"
    doc = text_document(source)
    assert (doc.format, doc.text) == ("markdown", "Solar panels\nCheap solar panels & batteries.")
    keywords = [Keyword("solar panels", 0.5, spans_of(doc, "solar panels")), Keyword("batteries", 0.25, spans_of(doc, "batteries"))]
    assert keywords[0].spans == ((2, 14), (24, 38))
    assert highlight_html(doc, keywords) == (
        '<pre class="kx-text" data-format="markdown"># ' + mark(1, "solar panels", 0.5, "Solar panels")
        + "\n\nCheap **" + mark(1, "solar panels", 0.5, "solar** panels") + " &amp; "
        + mark(2, "batteries", 0.25, "batteries") + ".\n</pre>"
    )
    assert highlight_ansi(doc, keywords) == (
        "\x1b[30;103mSolar panels\x1b[0m\nCheap \x1b[30;103msolar panels\x1b[0m & \x1b[30;106mbatteries\x1b[0m."
    )


def test_pdf_gives_a_section_a_page() -> None:
    doc = Document("Solar panels on roofs.\n\nGrid storage of solar panels.", "pdf", page_starts=(0, 24))
    assert doc.pages == ["Solar panels on roofs.", "Grid storage of solar panels."]
    keywords = [
        Keyword("solar panels", 1.0, (PageSpan(1, 0, 12), PageSpan(2, 16, 28))),
        Keyword("grid storage", 0.5, (PageSpan(2, 0, 12),)),
    ]
    assert highlight_html(doc, keywords) == (
        '<section class="kx-page" data-page="1">\n<h3>page 1</h3>\n<pre class="kx-text" data-format="pdf">'
        + mark(1, "solar panels", 1.0, "Solar panels") + " on roofs.</pre>\n</section>\n"
        '<section class="kx-page" data-page="2">\n<h3>page 2</h3>\n<pre class="kx-text" data-format="pdf">'
        + mark(2, "grid storage", 0.5, "Grid storage") + " of " + mark(1, "solar panels", 1.0, "solar panels")
        + ".</pre>\n</section>"
    )
    assert highlight_ansi(doc, keywords) == (
        "\x1b[30;103mSolar panels\x1b[0m on roofs.\n\n\x1b[30;106mGrid storage\x1b[0m of \x1b[30;103msolar panels\x1b[0m."
    )


def test_word_text_is_marked_as_extracted() -> None:
    doc = Document("Battery storage\nGrid <scale>", "docx")
    keywords = [Keyword("Battery storage", 1.0, ((0, 15),))]
    assert highlight_html(doc, keywords) == (
        '<pre class="kx-text" data-format="docx">' + mark(1, "Battery storage", 1.0, "Battery storage")
        + "\nGrid &lt;scale&gt;</pre>"
    )


# --- terminal --------------------------------------------------------------------------------


def test_ansi_plain_and_control_characters() -> None:
    text = "solar\x1b[2J panels\r\nwind\tpower\x07"
    keywords = [Keyword("wind power", 1.0, ((18, 28),))]
    assert highlight_ansi(text, keywords, color=False) == "solar\ufffd[2J panels\r\nwind\tpower\ufffd"
    assert highlight_ansi(text, keywords) == "solar\ufffd[2J panels\r\n\x1b[30;103mwind\tpower\x1b[0m\ufffd"
    # a run across a line break ends its colour before it; ranks past six take the colours again
    assert paint("solar\npanels", 7) == "\x1b[30;103msolar\x1b[0m\n\x1b[30;103mpanels\x1b[0m"
    assert paint("x", 6) == "\x1b[30;104mx\x1b[0m"


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "no_color", "expected"),
    [(True, None, True), (True, "", True), (True, "1", False), (True, "0", False), (False, None, False)],
)
def test_use_color(monkeypatch, tty, no_color, expected) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert use_color(_Stream(tty)) is expected


# --- bad input -------------------------------------------------------------------------------


def test_spans_that_do_not_fit_the_document() -> None:
    pdf = Document("Solar panels.", "pdf", page_starts=(0,))
    cases = [
        ("solar panels", [Keyword("x", 1.0, ((5, 40),))], "keyword 'x': span (5, 40) is outside the document"),
        ("solar panels", [Keyword("x", 1.0, ((4, 4),))], "keyword 'x': span (4, 4) is outside the document"),
        ("solar panels", [Keyword("x", 1.0, (PageSpan(1, 0, 5),))],
         "keyword 'x': span (1, 0, 5) does not fit a text document (PDF spans are PageSpan(page, start, end), others (start, end))"),
        (pdf, [Keyword("x", 1.0, ((0, 5),))],
         "keyword 'x': span (0, 5) does not fit a pdf document (PDF spans are PageSpan(page, start, end), others (start, end))"),
        (pdf, [Keyword("x", 1.0, (PageSpan(2, 0, 5),))], "keyword 'x': span (2, 0, 5) is outside the document"),
        (Document("x y", "html"), [], "document: a html document without its source; read it with read_document or documents.text_document"),
    ]
    for document, keywords, message in cases:
        for function in (highlight_html, highlight_ansi):
            with pytest.raises(ValueError) as info:
                function(document, keywords)
            assert str(info.value) == message
    with pytest.raises(TypeError, match="^document must be a str or a keyextract.Document, got bytes$"):
        highlight_html(b"solar", [])
    with pytest.raises(ValueError, match="^markup must be one of"):
        highlight_html("solar", [], markup="rtf")


# --- the page --------------------------------------------------------------------------------


def test_page_is_well_formed_self_contained_and_readable() -> None:
    text = 'Tom\'s "solar panels" & <grid>'
    md = "# Solar panels\n\nCheap **solar** panels.\n"
    pdf = Document("Solar panels.\n\nMore solar panels.", "pdf", page_starts=(0, 15))
    html_doc, md_doc = text_document(HTML_DOC), text_document(md)
    items = [
        ("a&b.txt", text, [Keyword("solar panels", 1.0, ((7, 19),)), Keyword("solar", 0.5, ((7, 12),))]),
        ("page.html", html_doc, [Keyword("neural networks", 0.8, spans_of(html_doc, "neural[ \xa0]networks"))]),
        ("notes.md", md_doc, [Keyword("solar panels", 0.5, spans_of(md_doc, "solar panels"))]),
        ("paper.pdf", pdf, [Keyword("solar panels", 0.9, (PageSpan(1, 0, 12), PageSpan(2, 5, 17)))]),
        ("empty.txt", "nothing here", []),
    ]
    page = html_page(items, title="keyextract: 5 documents")
    parsed = Page(page)
    assert parsed.errors == []
    assert [m for m in parsed.marks if m[0]] == [
        (1, "solar panels", "solar panels"),
        (1, "neural networks", "Neu"), (1, "neural networks", "ral "), (1, "neural networks", "networks"),
        (1, "neural networks", "neural\xa0networks"),  # neural&nbsp;networks, as the DOM reads it
        (1, "solar panels", "Solar panels"), (1, "solar panels", "solar** panels"),
        (1, "solar panels", "Solar panels"), (1, "solar panels", "solar panels"),
    ]
    # the tables' legend marks carry no data-rank: one a keyphrase listed
    assert [m for m in parsed.marks if not m[0]] == [
        (0, None, "solar panels"), (0, None, "solar"), (0, None, "neural networks"), (0, None, "solar panels"),
        (0, None, "solar panels"),
    ]
    assert re.findall(r'<section class="kx-document" data-source="([^"]*)">', page) == [
        "a&amp;b.txt", "page.html", "notes.md", "paper.pdf", "empty.txt"]
    assert page.count("<p class=\"kx-none\">no keyphrases found</p>") == 1
    assert page.startswith("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n")
    assert "<title>keyextract: 5 documents</title>" in page and "<h1>keyextract: 5 documents</h1>" in page
    # nothing loads from outside, and the policy admits the page's own stylesheet only
    style = page[page.index("<style>") + 7 : page.index("</style>")]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert (f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'sha256-{digest}\'; '
            "img-src data:; base-uri 'none'; form-action 'none'\">") in page
    assert page.count("<style>") == 1  # the HTML input's <head> (and its style) stays out
    assert not re.search(r"(src|href)=\"(?!#)", page)
    assert page.endswith("</body>\n</html>\n")


# --- command line ----------------------------------------------------------------------------

CLI_TEXT = (
    "Keyphrase extraction identifies the most important phrases of a document & its \"topics\". "
    "We rank candidate noun phrases by the cosine similarity between their contextual embeddings "
    "and the document embedding. Experiments on scientific abstracts show that contextual phrase "
    "embeddings outperform statistical baselines such as TF-IDF.\n"
)
CLI_HTML = (
    "<html><head><meta charset=\"utf-8\"></head><body><h1>Graph <b>neural</b> networks</h1>"
    "<p>Graph neural networks learn node representations by passing messages along the "
    "<i>edges</i> of a graph. Message passing networks predict molecular properties.</p></body></html>\n"
)


def keywords_of(record: dict) -> list[Keyword]:
    return [Keyword(k["phrase"], k["score"], tuple(tuple(s) for s in k["spans"]), confidence=k["confidence"],
                    id=k.get("id")) for k in record["keywords"]]


@pytest.fixture
def cli_docs(tmp_path):
    text, page = tmp_path / "abstract.txt", tmp_path / "graphs.html"
    text.write_text(CLI_TEXT, encoding="utf-8")
    page.write_text(CLI_HTML, encoding="utf-8")
    return str(text), str(page)


def test_cli_html_page(en_model_dir, cli_docs, cli) -> None:
    listed = cli(*cli_docs, "--model", en_model_dir, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    proc = cli(*cli_docs, "--model", en_model_dir, "--format", "html")
    assert (proc.returncode, proc.stderr) == (0, "")
    page = proc.stdout
    assert Page(page).errors == []
    assert page == html_page(
        [(cli_docs[0], CLI_TEXT, keywords_of(records[0])), (cli_docs[1], text_document(CLI_HTML), keywords_of(records[1]))],
        title="keyextract: 2 documents",
    )
    sections = page.split('<section class="kx-document"')[1:]
    originals = (
        f'<pre class="kx-text" data-format="text">{html.escape(CLI_TEXT)}</pre>',
        CLI_HTML[CLI_HTML.index("<body>") + 6 : CLI_HTML.index("</body>")],
    )
    for section, record, original in zip(sections, records, originals):
        body = section[section.index('<div class="kx-body">\n') + 22 : section.index("\n</div>\n</section>")]
        # every keyphrase is marked, and taking the marks out gives the document back
        assert {phrase for _, phrase, _ in Page(body).marks} == {k["phrase"] for k in record["keywords"]}
        assert re.sub(r"<mark [^>]*>|</mark>", "", body) == original
    # in the text file, each mark is one occurrence, in the order of the text
    text_marks = Page(sections[0][sections[0].index("<pre"):]).marks
    occurrences = sorted((s, r, CLI_TEXT[s:e]) for r, k in enumerate(records[0]["keywords"], 1) for s, e in k["spans"])
    assert [(rank, text) for rank, _, text in text_marks] == [(r, text) for _, r, text in occurrences]


def test_cli_highlight_on_a_terminal_and_not(en_model_dir, cli_docs, cli, monkeypatch) -> None:
    text_file = cli_docs[0]
    monkeypatch.delenv("NO_COLOR", raising=False)
    listed = cli(text_file, "--model", en_model_dir)
    record = json.loads(cli(text_file, "--model", en_model_dir, "--format", "json").stdout)[0]
    assert listed.returncode == 0
    # not a terminal: the text, a blank line, the list
    plain = cli(text_file, "--model", en_model_dir, "--highlight")
    assert (plain.returncode, plain.stdout) == (0, CLI_TEXT.rstrip() + "\n\n" + listed.stdout)
    # a terminal: in colour, the list in the colours of the text
    keywords = keywords_of(record)
    coloured = (highlight_ansi(CLI_TEXT, keywords).rstrip() + "\n\n"
                + "".join(f"{k.score:.4f}  {paint(k.phrase, r)}\n" for r, k in enumerate(keywords, 1)))
    assert "\x1b[30;103m" in coloured
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # the stream the command writes to
    assert cli(text_file, "--model", en_model_dir, "--highlight").stdout == coloured
    monkeypatch.setenv("NO_COLOR", "")
    assert cli(text_file, "--model", en_model_dir, "--highlight").stdout == coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli(text_file, "--model", en_model_dir, "--highlight").stdout == plain.stdout


def test_cli_highlight_several_files(en_model_dir, cli_docs, cli) -> None:
    records = json.loads(cli(*cli_docs, "--model", en_model_dir, "--format", "json").stdout)
    proc = cli(*cli_docs, "--model", en_model_dir, "--highlight")
    html_text = text_document(CLI_HTML).text
    blocks = [
        f"==> {source} <==\n{text.rstrip()}\n\n" + "".join(f"{k['score']:.4f}  {k['phrase']}\n" for k in r["keywords"])
        for source, text, r in zip(cli_docs, (CLI_TEXT, html_text), records)
    ]
    assert (proc.returncode, proc.stdout) == (0, "\n".join(blocks))


@pytest.mark.parametrize("fmt", ["json", "jsonl", "tsv", "html"])
def test_cli_highlight_needs_text_format(en_model_dir, cli_docs, cli, fmt) -> None:
    proc = cli(cli_docs[0], "--model", en_model_dir, "--highlight", "--format", fmt)
    extra = " (--format html marks the keyphrases itself)" if fmt == "html" else ""
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"keyextract: error: --highlight goes with --format text, not {fmt}{extra} (see keyextract --help)\n"


def test_cli_html_when_every_input_failed(en_model_dir, tmp_path, cli) -> None:
    proc = cli(tmp_path / "missing.txt", "--model", en_model_dir, "--format", "html")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"keyextract: error: {tmp_path / 'missing.txt'}: no such file\n"

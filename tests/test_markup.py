"""Markup: detection by content, text extraction with its offset map, and the extractor on
HTML/XML documents (spans into the original)."""

from __future__ import annotations

import time

import pytest

from keyextract import KeywordExtractor
from keyextract.extractor import DEFAULT_MODELS
from keyextract.markup import extract_text, looks_like_markup
from keyextract.textmap import mark_line_breaks
from keyextract.segmentation import segment
from keyextract.types import Token

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Solar Energy Basics</title>
  <link rel="stylesheet" href="style.css">
  <style>div.note { color: red; }</style>
  <script>var trackingCode = "UA-1234";</script>
</head>
<body>
  <div style="margin:0" class="header">
    <h1>Photovoltaic Systems</h1>
  </div>
  <p class="intro">Solar&nbsp;panels convert sunlight into electricity. <b>Neu</b>ral networks
     forecast solar output &amp; demand.</p>
  <ul>
    <li>Rooftop installations</li>
    <li>Utility-scale solar farms</li>
  </ul>
  <!-- footer comment about cookies -->
</body>
</html>
"""
PAGE_TEXT = (
    "Solar Energy Basics\nPhotovoltaic Systems\nSolar panels convert sunlight into electricity. "
    "Neural networks forecast solar output & demand.\nRooftop installations\nUtility-scale solar farms"
)


def char_map(source: str) -> list[tuple[str, str]]:
    """Each character of the extracted text with the part of ``source`` it comes from."""
    doc = extract_text(source)
    return [(ch, source[slice(*doc.span(i, i + 1))]) for i, ch in enumerate(doc.text)]


def check_map(source: str) -> str:
    """The extracted text, after checking the map: in order, in bounds, verbatim where it says."""
    doc = extract_text(source)
    previous = 0
    for i, ch in enumerate(doc.text):
        start, end = doc.span(i, i + 1)
        assert previous <= start < end <= len(source), (i, start, end)
        piece = source[start:end]
        assert piece == ch or piece.startswith(("&", "<")) or piece.isspace(), (ch, piece)
        previous = start
    return doc.text


# --- extraction ----------------------------------------------------------------------------


def test_inline_tags_do_not_break_words_and_references_are_decoded() -> None:
    source = "<p>Solar&nbsp;panels <b>neu</b>ral <i><b>net</b></i>works</p>"
    assert char_map(source) == [
        ("S", "S"), ("o", "o"), ("l", "l"), ("a", "a"), ("r", "r"), (" ", "&nbsp;"),
        ("p", "p"), ("a", "a"), ("n", "n"), ("e", "e"), ("l", "l"), ("s", "s"), (" ", " "),
        ("n", "n"), ("e", "e"), ("u", "u"), ("r", "r"), ("a", "a"), ("l", "l"), (" ", " "),
        ("n", "n"), ("e", "e"), ("t", "t"), ("w", "w"), ("o", "o"), ("r", "r"), ("k", "k"), ("s", "s"),
    ]


def test_spans_cover_the_markup_between_words() -> None:
    source = "<p>Solar&nbsp;panels <b>neu</b>ral nets</p>"
    doc = extract_text(source)
    assert doc.text == "Solar panels neural nets"
    assert source[slice(*doc.span(0, 12))] == "Solar&nbsp;panels"
    assert source[slice(*doc.span(13, 19))] == "neu</b>ral"
    assert source[slice(*doc.span(13, 24))] == "neu</b>ral nets"
    assert doc.span(20, 24) == (source.index("nets"), source.index("nets") + 4)
    for bad in ((0, 0), (-1, 3), (5, 99)):
        with pytest.raises(ValueError, match="need 0 <= start < end <= 24"):
            doc.span(*bad)


def test_page_title_head_scripts_styles_comments_and_list_items() -> None:
    assert check_map(PAGE) == PAGE_TEXT
    doc = extract_text(PAGE)
    # the line break between the two list items comes from the tags that end and open them
    brk = doc.text.index("\nUtility")
    assert PAGE[slice(*doc.span(brk, brk + 1))] == "</li>"


def test_block_elements_break_lines_inline_ones_do_not() -> None:
    source = (
        "<h2>Wind power</h2>Offshore <em>wind</em> farms<br>grow<table><tr><td>cell one</td>"
        "<td>cell two</td></tr></table><blockquote>quoted</blockquote><span>a</span><code>b</code>"
    )
    assert check_map(source) == "Wind power\nOffshore wind farms\ngrow\ncell one\ncell two\nquoted\nab"


def test_dropped_elements() -> None:
    source = (
        '<div>Wind<script>var s = "<p>no</p>";</script> power<style>p { x: 1 }</style><!-- hidden -->'
        " plants<noscript>Enable JavaScript</noscript><template><p>tpl</p></template>"
        "<svg><title>icon</title><svg><text>inner</text></svg><text>outer</text></svg>"
        "<math><mi>x</mi></math><iframe>frame</iframe> ok</div>"
    )
    assert check_map(source) == "Wind power plants ok"


def test_attribute_values_never_become_text() -> None:
    source = '<p><img alt="A photo of panels" src="p.jpg"><a title="Tooltip" href="/u?a=1&amp;b=2">link</a></p>'
    assert check_map(source) == "link"


def test_references() -> None:
    source = "<p>AT&amp;T &lt;tag&gt; it&#8217;s &#x41;&#66; &copy 2024 &foo; &notit; &#; x&#0;y</p>"
    # "&copy" and "&not" decode without ";" (HTML5's legacy names); "&foo;" and "&#;" stay;
    # "&#0;" is U+FFFD.
    assert check_map(source) == "AT&T <tag> it’s AB © 2024 &foo; ¬it; &#; x\ufffdy"


def test_whitespace_collapses_except_in_pre() -> None:
    source = "<p>  one\n\t two  </p>\n\n<pre>a  b\n  c</pre><textarea>x\ny</textarea>"
    assert check_map(source) == "one two\na  b\n  c\nx\ny"


def test_broken_markup() -> None:
    cases = {
        "<p>One<p>Two<div>Three": "One\nTwo\nThree",  # end tags omitted
        "<b>bold</i> text</b></x>": "bold text",  # stray end tags
        "<p>Text <a href=\"x": "Text",  # tag cut off at the end: dropped, as HTML5 does
        "<p>A</p><!-- never closed <p>B</p>": "A",  # comment to the end
        "<p>A</p><script>never closed <p>B</p>": "A",
        "<p>A <![if !IE]>B<![endif]> C</p>": "A B C",  # bogus comments
        "<p>A <![ x > B</p>": "A B",  # a parse error on older Pythons
        "<p>A &#x; B &# C</p>": "A &#x; B &# C",  # not references
        "<p>a < b and c > d</p>": "a < b and c > d",
        "<p>A</p>&amp": "A\n&",  # reference at the very end
        "<p>A</p><": "A\n<",
        "": "",
    }
    for source, text in cases.items():
        assert check_map(source) == text, source


def test_head_without_end_tag_ends_at_body_content() -> None:
    assert check_map("<head><title>T</title><meta charset=utf-8>Body text") == "T\nBody text"
    assert check_map("<html><head><title>T</title><p>Para</p>") == "T\nPara"
    assert check_map("<head><meta name=x content=y>\n</head>") == ""


def test_xml_and_cdata() -> None:
    rss = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<channel><title>Energy News</title><item><title>Solar &amp; wind</title>"
        "<dc:creator>Ann Lee</dc:creator><description><![CDATA[<p>Grid <b>storage</b> grows.</p>"
        "<p>Second &amp; last</p>]]></description><note><![CDATA[a < b & c]]></note></item></channel></rss>"
    )
    # every XML element is a block; CDATA that holds HTML is parsed, other CDATA is literal
    assert check_map(rss) == "Energy News\nSolar & wind\nAnn Lee\nGrid storage grows.\nSecond & last\na < b & c"


def test_xhtml() -> None:
    source = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title>'
        '<script type="text/javascript">//<![CDATA[\nvar a = 1 < 2;\n//]]></script></head>'
        "<body><p>Hi<br/>there</p><script src=\"x.js\"/><p>end</p></body></html>"
    )
    assert check_map(source) == "T\nHi\nthere\nend"


def test_nothing_left() -> None:
    assert extract_text("<html><head><script>x</script></head><body><!-- c --></body></html>").text == ""


def test_extraction_is_linear_on_malformed_input() -> None:
    """Unterminated constructs repeated: Python 3.11.7's HTMLParser.close() takes minutes on
    some of these at this size (quadratic), or raises AssertionError."""
    for unit in ("<a", "</", "<!--x>", "<![x>", "<![CDATA[x>", "&#", "<a b=", '<a href="'):
        source = "<p>start</p>" + unit * (400_000 // len(unit))
        began = time.perf_counter()
        text = extract_text(source).text
        assert time.perf_counter() - began < 10, unit
        assert text.startswith("start"), unit


def test_mark_line_breaks() -> None:
    text = "Solar panels\nWind  turbines grow"
    tokens = segment(text)
    marked = mark_line_breaks(text, tokens)
    assert [t.text for t in marked if t.break_before] == ["Wind"]
    assert [t.text for t in marked] == [t.text for t in tokens]
    already = [Token("a", 0, 1, "NN", "en", break_before=True)]
    assert mark_line_breaks("a", already) == already


# --- detection -----------------------------------------------------------------------------

MARKUP = {
    "page": PAGE,
    "fragment": "<p>Solar panels convert sunlight.</p><p>Wind turbines too.</p>",
    "list": "<ul><li>one</li><li>two</li></ul>",
    "element with attributes": '<div class="intro">Solar panels</div>',
    "quoted attribute after a bare one": '<div id=a class="intro">Solar panels</div>',
    "xhtml": '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>',
    "doctype only": "<!doctype html>\nHello",
    "rss": '<?xml version="1.0"?><rss><channel><item><title>A</title></item></channel></rss>',
    "rss without declaration": "<rss><channel><item><title>A</title><link>u</link></item></channel></rss>",
    "xml": "<note><to>Tove</to><from>Jani</from><body>Call me</body></note>",
    "text before dense tags": "Forwarded:\n<b>Solar</b> and <i>wind</i> <br> power",
    "line breaks": "line one<br>line two<br/>line three",
}
PLAIN = {
    "prose": "Solar panels convert sunlight into electricity.",
    "comparisons": "if a < b and c > d then x<y; I <3 keyphrases, 2 << 3 >> 1",
    "x<y>z": "the relation x<y>z holds",
    "e-mail": "<sam@example.com> wrote:\n> see <http://example.com/a>",
    "c++ templates": "std::vector<int> v; std::map<std::string, std::vector<int>> m; template <typename T> T f();",
    "stray tag": "Press <Enter> to continue",
    "one element": "Use <b>bold</b> for emphasis",
    "one void tag": "first<br>second",
    "e-mail, then two tags": "<sam@example.com> wrote: use <b>bold</b> and <i>italic</i> " + "for emphasis " * 20,
    "unclosed anchors": 'see <A href="3.html#10">[Art04]</A. and <A href="3.html#11">[GS89]',
    "entities only": "AT&amp;T and &quot;quotes&quot;",
    "xml snippet inside a paper": "Introduction. " + "Plain prose of a long paper. " * 200
    + "<xs:element name='a'><xs:annotation><xs:documentation>Doc</xs:documentation></xs:annotation>"
    "</xs:element> " + "More prose. " * 200,
}


@pytest.mark.parametrize("name", MARKUP)
def test_detects_markup(name: str) -> None:
    assert looks_like_markup(MARKUP[name])


@pytest.mark.parametrize("name", PLAIN)
def test_plain_text_is_not_markup(name: str) -> None:
    assert not looks_like_markup(PLAIN[name])


# --- the extractor -------------------------------------------------------------------------

# what PAGE yields as plain text besides its phrases: tag names, attributes, entity names
JUNK = {"DOCTYPE html", "lang", "nbsp", "amp", "div style", "p class", "meta charset", "stylesheet", "href"}


def test_page_candidates() -> None:
    def phrases(markup: str) -> list[str]:
        return [c.phrase for c in KeywordExtractor(markup=markup)._prepare(PAGE).candidates]

    assert phrases("auto") == phrases("html") == [
        "Solar Energy", "Solar Energy Basics", "Energy Basics", "Photovoltaic Systems", "Solar panels", "sunlight",
        "electricity", "Neural networks", "solar output", "demand", "Rooftop installations", "Utility-scale solar farms",
        "solar farms",
    ]
    assert JUNK <= set(phrases("none"))


def test_lines_of_markup_are_phrase_boundaries() -> None:
    page = "<ul><li>solar panels</li><li>battery storage</li></ul><h1>Grid Design</h1>power systems"
    prepared = KeywordExtractor()._prepare(page)
    assert prepared.text == "solar panels\nbattery storage\nGrid Design\npower systems"
    assert [c.phrase for c in prepared.candidates] == ["solar panels", "battery storage", "Grid Design", "power systems"]
    # as plain text these short lines end their phrases too (keyextract.layout)
    assert [c.phrase for c in KeywordExtractor(markup="none")._prepare(prepared.text).candidates] == [
        "solar panels", "battery storage", "Grid Design", "power systems"
    ]


def test_keyword_spans_point_into_the_original(en_model_dir) -> None:
    keywords = KeywordExtractor(en_model_dir).extract(PAGE, top_n=20)
    assert {k.phrase for k in keywords} == {
        "Solar Energy Basics", "Photovoltaic Systems", "Solar panels", "sunlight", "electricity",
        "Neural networks", "solar output", "demand", "Rooftop installations", "Utility-scale solar farms",
    }
    spans = {k.phrase: k.spans for k in keywords}
    assert [PAGE[s:e] for s, e in spans["Solar panels"]] == ["Solar&nbsp;panels"]
    assert [PAGE[s:e] for s, e in spans["Neural networks"]] == ["Neu</b>ral networks"]
    assert [PAGE[s:e] for s, e in spans["Solar Energy Basics"]] == ["Solar Energy Basics"]
    for k in keywords:
        for s, e in k.spans:
            assert extract_text(PAGE[s:e]).text.split() == k.phrase.split()


def test_markup_parameter(en_model_dir) -> None:
    fragment = "The <code>power button</code> restarts the device."  # one element: plain text to detection
    auto = KeywordExtractor(en_model_dir).extract(fragment, top_n=10)
    assert {k.phrase for k in auto} == {"code", "power button", "device"}
    forced = {k.phrase: k.spans for k in KeywordExtractor(en_model_dir, markup="html").extract(fragment, top_n=10)}
    assert forced == {"power button": ((10, 22),), "device": ((43, 49),)}
    assert fragment[10:22] == "power button" and fragment[43:49] == "device"
    plain = KeywordExtractor(en_model_dir, markup="none").extract(PAGE, top_n=100)
    assert JUNK <= {k.phrase for k in plain}
    with pytest.raises(ValueError, match=r"markup must be one of \('auto', 'html', 'markdown', 'none'\), got 'xml'"):
        KeywordExtractor(en_model_dir, markup="xml").extract(PAGE)


def test_batch_mixes_markup_and_plain_text(en_model_dir) -> None:
    ke = KeywordExtractor(en_model_dir)
    texts = [PAGE, PAGE_TEXT, "<html><body><script>only code</script></body></html>"]
    batch = ke.extract_batch(texts, top_n=5)
    assert batch == [ke.extract(t, top_n=5) for t in texts]
    assert batch[2] == []
    assert batch[0] == KeywordExtractor(en_model_dir, markup="html").extract(PAGE, top_n=5)
    assert batch[1] == KeywordExtractor(en_model_dir, markup="none").extract(PAGE_TEXT, top_n=5)


def test_language_is_detected_on_the_text_not_the_markup() -> None:
    attrs = ' class="article-body main-content" data-track="paragraph" style="margin: 0 auto"'
    page = f"<html><body><div{attrs}><p{attrs}>本文研究机器翻译系统。</p></div></body></html>"
    assert KeywordExtractor()._prepare(page).model == DEFAULT_MODELS["zh"]
    assert KeywordExtractor(markup="none")._prepare(page).model == DEFAULT_MODELS["en"]

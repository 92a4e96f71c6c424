"""Markdown: detection by content, text extraction with its offset map into the .md source, and
the extractor on Markdown documents."""

from __future__ import annotations

import pytest

from keyextract import KeywordExtractor
from keyextract.documents import text_document, text_format
from keyextract.markdown import extract_text, looks_like_markdown

README = """\
# fastcache

[![PyPI version](https://img.shields.io/pypi/v/fastcache.svg)](https://pypi.org/project/fastcache/)

**fastcache** is an in-memory *caching library* for Python web applications. It keeps the
results of expensive function calls in a **least recently used** (LRU) cache.

## Installation

```bash
pip install fastcache
```

## Usage

```python
from fastcache import Cache
```

Call `cache.clear()` to empty the cache.

- Thread-safe cache eviction
- Time-to-live expiration

See the [documentation](https://fastcache.readthedocs.io "Docs") for eviction policies.
"""
README_TEXT = (
    "fastcache\n"
    "fastcache is an in-memory caching library for Python web applications. It keeps the "
    "results of expensive function calls in a least recently used (LRU) cache.\n"
    "Installation\n"
    "Usage\n"
    "Call\n"
    "to empty the cache.\n"
    "Thread-safe cache eviction\n"
    "Time-to-live expiration\n"
    "See the documentation for eviction policies."
)


def text(source: str) -> str:
    """The extracted text, after checking the map: each character from where it says, in order."""
    doc = extract_text(source)
    previous = 0
    for i, ch in enumerate(doc.text):
        start, end = doc.span(i, i + 1)
        assert 0 <= start < end <= len(source), (i, ch, start, end)
        piece = source[start:end]
        if ch.isspace():
            continue
        assert piece == ch or piece.startswith(("&", "\\")), (i, ch, piece)
        assert start >= previous, (i, ch)
        previous = start
    return doc.text


def spans_of(source: str, phrase: str) -> list[str]:
    """The pieces of ``source`` that each occurrence of ``phrase`` in the extracted text comes from."""
    doc = extract_text(source)
    pieces, at = [], doc.text.find(phrase)
    while at >= 0:
        pieces.append(source[slice(*doc.span(at, at + len(phrase)))])
        at = doc.text.find(phrase, at + 1)
    return pieces


# --- extraction -------------------------------------------------------------------------------


def test_readme() -> None:
    assert text(README) == README_TEXT


def test_emphasis_markers_do_not_cut_words_or_phrases() -> None:
    assert text("**neural** networks and neu*ral* nets, __deep__ _learning_ ~~old~~ ***both***") == (
        "neural networks and neural nets, deep learning old both"
    )
    assert spans_of("**neural** networks", "neural networks") == ["neural** networks"]
    assert spans_of("x neu*ral* y", "neural") == ["neu*ral"]


def test_code_is_dropped_and_ends_phrases() -> None:
    source = "Install `fast cache` with pip.\n\n```python\nimport x\n```\n\n    indented code\n\n~~~\ntilde\n~~~\nafter"
    assert text(source) == "Install\nwith pip.\nafter"
    assert text("a ``code with ` tick`` b") == "a\nb"


def test_headings_lists_quotes_and_tables_are_lines() -> None:
    source = (
        "Title\n=====\n\n## Section ##\n\n1. first item\n2. second\n   item\n   - nested *one*\n\n"
        "> quoted line\n> continues\n\n| name | role |\n| --- | :---: |\n| solar \\| wind | energy |\n"
    )
    assert text(source) == (
        "Title\nSection\nfirst item\nsecond item\nnested one\nquoted line continues\nname\nrole\nsolar | wind\nenergy"
    )


def test_links_keep_their_text_and_drop_urls() -> None:
    source = (
        "See [the docs](https://x.io/a_(b) \"Title (t)\") and [guide][g], [g][], [g] or <https://x.io> "
        "and <mail@x.io>.\n\n[g]: https://x.io/guide \"Guide\"\n"
    )
    assert text(source) == "See the docs and guide, g, g or\nand\n."
    assert spans_of(source, "the docs") == ["the docs"]


def test_images_and_badges_are_dropped() -> None:
    source = "Intro ![alt *text*](a.png \"t\") text.\n\n[![Build status](https://ci/badge.svg)](https://ci)\n"
    assert text(source) == "Intro text."


def test_front_matter_keeps_only_the_title() -> None:
    source = '---\nlayout: post\ntitle: "Solar storage"\ntags: [a, b]\n---\n# Heading\n\nBody text.\n'
    assert text(source) == "Solar storage\nHeading\nBody text."
    assert spans_of(source, "Solar storage") == ["Solar storage"]
    # a rule further down is no front matter
    assert text("Intro\n\n---\ntitle: x\n---\n") == "Intro\ntitle: x"


def test_html_inside_markdown_is_read_as_html() -> None:
    source = (
        '<p align="center"><img src="logo.png" alt="logo"></p>\n\n<details>\n<summary>More &amp; more</summary>\n\n'
        "Hidden *text*.\n\n</details>\n\nPress <kbd>Ctrl</kbd>+<kbd>C</kbd><br>to copy <!-- note -->now.\n"
    )
    assert text(source) == "More & more\nHidden text.\nPress Ctrl+C\nto copy now."


def test_references_escapes_and_line_breaks() -> None:
    source = "AT&amp;T \\*not emphasis\\* &copy; &#66;\nsoft break  \nhard break\\\nand another"
    assert text(source) == "AT&T *not emphasis* © B soft break\nhard break\nand another"
    doc = extract_text(source)
    assert source[slice(*doc.span(0, 4))] == "AT&amp;T"


def test_crlf_tabs_and_nul_keep_offsets() -> None:
    source = "# Solar\r\n\r\n\tcode\r\n\r\n- one\r\n-\ttwo **bold**\r\n\r\nend\x00"
    assert text(source) == "Solar\none\ntwo bold\nend\x00"
    assert spans_of(source, "two bold") == ["two **bold"]


def test_nothing_left_and_odd_input() -> None:
    for source in ("", "```\ncode only\n```", "![x](y)", "---\ntitle:\n---\n", "[a]: /b"):
        assert text(source) == "", source
    assert text("* * *\n\n#\n\n>") == ""


# --- detection -------------------------------------------------------------------------------

MARKDOWN = {
    "readme": README,
    "heading and bold": "# Notes\n\nThe **main** point is simple.",
    "link and code": "Use `grep` as in [the manual](https://gnu.org/grep).",
    "table and heading": "## Prices\n\n| item | cost |\n|------|-----:|\n| tea | 2 |",
    "fence and link": "```\nmake\n```\nSee [docs](./docs/index.md).",
    "reference definition and strong": "__Note__: see [the spec][s].\n\n[s]: https://spec.commonmark.org",
}
PLAIN = {
    "prose": "Solar panels convert sunlight into electricity.",
    "e-mail": "Hi Ann,\n\n*Important*: the #1 priority is the report.\n> quoted reply\n1. first\n2. second\n- Bo",
    "shell transcript": "# install the tools\napt-get install make\n# build\nmake -j 4\n",
    "python with kwargs": "def f(*args, **kwargs):\n    # call it\n    return g(a**2 + b**2, **kwargs)\n",
    "latex quotes and a pipe table": "He said ``yes'' and ``no''.\n\n| a | b |\n+---+---+\n| 1 | 2 |",
    "underlined titles and bullets": "Introduction\n============\n\n* one point\n* another point\n\nMethods\n-------\n",
    "citations": "As shown in [1] and [2, 3], the method (see [4]) works; cf. [Smith et al.](2004).",
    "one heading only": "# Title\n\nJust prose under a title.",
    "one code span only": "Run `make` to build it. Then enjoy the rest of the prose.",
    "a wiki table row only": "| --- | --- |",
    "snake_case and dunder": "The __init__ method and my_var__x are code, as is __name__.",
}


@pytest.mark.parametrize("name", MARKDOWN)
def test_detects_markdown(name: str) -> None:
    assert looks_like_markdown(MARKDOWN[name])
    assert text_format(MARKDOWN[name]) == "markdown"


@pytest.mark.parametrize("name", PLAIN)
def test_plain_text_is_not_markdown(name: str) -> None:
    assert not looks_like_markdown(PLAIN[name])
    assert text_format(PLAIN[name]) == "text"


def test_html_documents_stay_html() -> None:
    page = "<!DOCTYPE html><html><body><h1>A</h1><p>`x` and **y** and [z](https://z.io)</p></body></html>"
    assert looks_like_markdown(page)
    assert text_format(page) == "html"  # a doctype says HTML whatever the text holds
    assert text_format("<p>One</p><p>Two</p>") == "html"


# --- documents and the extractor ---------------------------------------------------------------


def test_text_document_modes() -> None:
    assert text_document(README).format == "markdown"
    assert text_document(README, "none").text == README
    assert text_document("# A\n\nplain", "markdown").text == "A\nplain"
    doc = text_document(README, "markdown")
    assert doc.lines_are_blocks and doc.text == README_TEXT
    start = doc.text.index("caching library")
    assert README[slice(*doc.span(start, start + len("caching library")))] == "caching library"
    with pytest.raises(ValueError, match=r"markup must be one of \('auto', 'html', 'markdown', 'none'\), got 'md'"):
        text_document(README, "md")


def test_candidates_of_a_readme() -> None:
    def phrases(markup: str) -> set[str]:
        return {c.phrase for c in KeywordExtractor(markup=markup)._prepare(README).candidates}

    auto = phrases("auto")
    assert phrases("markdown") == auto
    assert {"caching library", "Python web applications", "Thread-safe cache eviction", "documentation"} <= auto
    junk = {"pip install fastcache", "fastcache import", "fastcache import Cache", "bash", "python", "PyPI version",
            "cache.clear"}
    assert not junk & auto
    assert {"pip install fastcache", "fastcache import", "bash", "python", "PyPI version"} <= phrases("none")


def test_keyword_spans_point_into_the_markdown(minilm_dir) -> None:
    source = "# Solar storage\n\n**Battery** storage and *solar* panels.\n\nSolar panels on roofs."
    keywords = KeywordExtractor(minilm_dir).extract(source, top_n=10)
    spans = {k.phrase: [source[s:e] for s, e in k.spans] for k in keywords}
    assert spans["Battery storage"] == ["Battery** storage"]
    assert spans["solar panels"] == ["solar* panels", "Solar panels"]
    assert spans["Solar storage"] == ["Solar storage"]


PIECES = ["a", "b c", " ", "\n", "\n\n", "*", "**", "_", "`", "```", "[", "]", "(", ")", "<", ">", "!", "# ", "- ",
          "1. ", "> ", "|", "---", "\\", "&amp;", "&", "~~", "\t", "    ", "\r\n", "http://x.io", "<b>", "</b>",
          "<div>", "<!--", "-->", '"', ":", "word"]


def test_any_input_maps_into_the_source() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
    def check(source: str) -> None:
        text(source)  # never raises; every character maps into the source, in order

    check()

"""Word documents (``.docx``): their text, read with python-docx, one block a line.

``read_docx`` takes the body in document order: each paragraph (headings, list items and
captions are paragraphs too) is a line, and so is each paragraph of each table cell (nested
tables included), row by row; then the footnotes and endnotes, each paragraph a line. Left out:
headers and footers (running text, like a PDF's), comments, text boxes and content controls
(tables of contents, cover-page fields), and deleted text of tracked changes. A line break
inside a paragraph is a line of the text too; tabs are spaces. Every line ends a phrase.

The text is what keyphrases are found in and what their spans count in: a span ``(start, end)``
is ``Document.text[start:end]``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .errors import InputError

# Footnotes and endnotes of these types are Word's separators, not notes.
_SEPARATOR_TYPES = ("separator", "continuationSeparator", "continuationNotice")


def read_docx(data: bytes, name: str):
    """The ``documents.Document`` of the Word document ``data`` (``name`` for messages).

    Raises ``InputError`` when python-docx (the ``docx`` extra) is not installed or the file
    is broken (not a ZIP archive, parts missing, malformed XML).
    """
    try:
        import docx
    except ImportError:
        raise InputError(
            f"{name}: reading Word documents needs python-docx (the docx extra): python -m pip install python-docx"
        ) from None
    from io import BytesIO

    from .documents import Document

    # python-docx raises zipfile, KeyError, lxml and its own errors on broken files: every one
    # means this file cannot be read
    try:
        document = docx.Document(BytesIO(data))
        lines = [line for paragraph in _paragraphs(document) for line in _lines(paragraph.text)]
        lines += _notes(document)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{name}: cannot read this Word document ({type(exc).__name__}: {exc})") from None
    return Document("\n".join(lines), "docx")


def _lines(text: str) -> list[str]:
    """The non-blank lines of a paragraph's text, tabs read as spaces, without outer spaces."""
    return [line.strip() for line in text.replace("\t", " ").splitlines() if line.strip()]


def _paragraphs(container) -> Iterator:
    """The paragraphs of a document body or table cell in document order, tables row by row
    and cell by cell (a merged cell once)."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            seen = set()  # a merged cell stands in each row and column it covers
            for row in item.rows:
                for cell in row.cells:
                    if cell._tc not in seen:
                        seen.add(cell._tc)
                        yield from _paragraphs(cell)
        else:
            yield item


def _notes(document) -> list[str]:
    """The lines of the footnotes and then the endnotes."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    lines = []
    for reltype, tag in ((RT.FOOTNOTES, "w:footnote"), (RT.ENDNOTES, "w:endnote")):
        for rel in document.part.rels.values():
            if rel.reltype != reltype or rel.is_external:
                continue
            root = parse_xml(rel.target_part.blob)
            for note in root.iterchildren(qn(tag)):
                if note.get(qn("w:type")) in _SEPARATOR_TYPES:
                    continue
                for p in note.iter(qn("w:p")):
                    lines.extend(_lines(Paragraph(p, document.part).text))
    return lines

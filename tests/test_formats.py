"""PDF and Word input: reading files into documents (text, pages, spans), their cleanup, the
errors, and the command line on Markdown, PDF and Word files with a real encoder.

The PDFs are written in the test with reportlab, the Word files with python-docx (both in the
``test`` extra)."""

from __future__ import annotations

import io
import json
import sys
import zipfile

import pytest

from keyextract import KeywordExtractor, read_document
from keyextract.documents import Document
from keyextract.errors import InputError
from keyextract.pdf import clean_pages
from keyextract.types import PageSpan

from test_markdown import README


def make_pdf(pages: list[list[str]], header: str | None = None, footer: str | None = None) -> bytes:
    """A PDF with one page per list of lines; ``header`` and ``footer`` (``{n}``: the page
    number, ``{total}``: the number of pages) at the top and bottom of every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for n, lines in enumerate(pages, 1):
        c.setFont("Helvetica", 9)
        if header:
            c.drawString(72, 800, header.format(n=n, total=len(pages)))
        if footer:
            c.drawCentredString(298, 40, footer.format(n=n, total=len(pages)))
        c.setFont("Helvetica", 11)
        for i, line in enumerate(lines):
            c.drawString(72, 760 - 14 * i, line)
        c.showPage()
    c.save()
    return buffer.getvalue()


PAGES = [
    [
        "Battery Energy Storage",
        "Residential photovoltaic systems produce most of their electricity",
        "around noon. Battery energy storage shifts the surplus to the even-",
        "ing peak, when lithium-ion batteries discharge.",
    ],
    [
        "Flow batteries keep their capacity over many cycles, but their round-",
        "trip efficiency is lower. A battery management system limits the",
        "depth of discharge of lithium-ion batteries.",
    ],
]
PAGE_TEXTS = [
    "Battery Energy Storage\nResidential photovoltaic systems produce most of their electricity\n"
    "around noon. Battery energy storage shifts the surplus to the evening\npeak, when lithium-ion batteries discharge.",
    "Flow batteries keep their capacity over many cycles, but their round-trip\n"
    "efficiency is lower. A battery management system limits the\ndepth of discharge of lithium-ion batteries.",
]


@pytest.fixture(scope="module")
def paper(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("pdf") / "paper.pdf"
    path.write_bytes(make_pdf(PAGES, "Journal of Energy Storage 12 (2024), {n}", "Page {n} of {total}"))
    return str(path)


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_pages_without_headers_footers_and_hyphens(paper) -> None:
    doc = read_document(paper)
    assert (doc.format, doc.encoding, doc.lines_are_blocks) == ("pdf", None, False)
    assert doc.pages == PAGE_TEXTS
    assert doc.text == "\n\n".join(PAGE_TEXTS)
    assert doc.page_starts == (0, len(PAGE_TEXTS[0]) + 2)


def test_pdf_spans_are_page_and_offsets_in_the_page(paper) -> None:
    doc = read_document(paper)
    for phrase in ("Battery Energy Storage", "evening", "round-trip", "lithium-ion batteries"):
        start = doc.text.rindex(phrase)
        span = doc.span(start, start + len(phrase))
        assert isinstance(span, PageSpan)
        assert doc.pages[span.page - 1][span.start : span.end] == phrase
    assert doc.span(0, 7) == PageSpan(1, 0, 7) == (1, 0, 7)
    second = doc.text.index("Flow")
    assert doc.span(second, second + 4) == (2, 0, 4)


def test_clean_pages_running_lines() -> None:
    pages = [
        "Proc. of KDD 2007, page 1\nIntroduction text\nmore text\n- 1 -",
        "Proc. of KDD 2007, page 2\nOdd header\nbody two\nmore\n2",
        "Proc. of KDD 2007, page 3\nbody three\nmore\niii",
        "Proc. of KDD 2007, page 4\nOdd header\nbody four\n\n Page 4 of 4 ",
    ]
    assert clean_pages(pages) == [
        "Introduction text\nmore text",
        "body two\nmore",  # "Odd header" stands on the top lines of pages 2 and 4
        "body three\nmore",
        "body four",
    ]
    # a one-page document keeps its header; its page number goes
    assert clean_pages(["Header line\nBody\n7"]) == ["Header line\nBody"]


def test_clean_pages_hyphens_and_ligatures() -> None:
    page = (
        "The evalu-\nation of the ﬁrst ef-\nﬁcient web-\nservices, of web-services and of\n"
        "a two-\nstage, state-of-the-\nart, UDDI-\nBased sub-\n3 model; an e-\nservice and\nbattery-\n"
    )
    assert clean_pages([page, "powered cars"]) == [
        "The evaluation\nof the first efficient\nweb-services,\nof web-services and of\n"
        "a two-stage,\nstate-of-the-art,\nUDDI-Based\nsub-3\nmodel; an eservice\nand\nbattery-powered",
        "cars",
    ]
    assert clean_pages(["soft\u00adhyphen and ﬀ ﬂ ﬃ ﬄ"]) == ["softhyphen and ff fl ffi ffl"]
    assert clean_pages(["", " \n "]) == ["", ""]


def test_scanned_pdf_is_an_error(tmp_path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 200, 200, fill=1)  # a picture and no text, as a scanner makes
    c.showPage()
    c.save()
    with pytest.raises(InputError) as info:
        read_document(str(path))
    assert str(info.value) == (
        f"{path}: no text in this PDF (1 page): a scanned document without a text layer? "
        "keyextract does no OCR; add a text layer first, e.g. with ocrmypdf"
    )


def test_broken_and_encrypted_pdfs_are_errors(tmp_path, paper) -> None:
    from pypdf import PdfReader, PdfWriter

    data = open(paper, "rb").read()
    for name, broken in (("truncated.pdf", data[: len(data) // 2]), ("garbage.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4)):
        (tmp_path / name).write_bytes(broken)
        with pytest.raises(InputError, match=rf"^{tmp_path / name}: cannot read this PDF, broken or truncated\? \(\w+: .+\)$"):
            read_document(str(tmp_path / name))
    for user, readable in (("secret", False), ("", True)):
        writer = PdfWriter(clone_from=PdfReader(paper))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-128")
        path = tmp_path / f"encrypted-{readable}.pdf"
        writer.write(str(path))
        if readable:  # an owner password alone restricts editing, not reading
            assert read_document(str(path)).pages == PAGE_TEXTS
        else:
            with pytest.raises(InputError) as info:
                read_document(str(path))
            assert str(info.value) == f"{path}: encrypted PDF (needs a password); save a copy without one"
    (tmp_path / "fake.pdf").write_bytes(b"just text")
    with pytest.raises(InputError) as info:
        read_document(str(tmp_path / "fake.pdf"))
    assert str(info.value) == f"{tmp_path / 'fake.pdf'}: not a PDF file (no %PDF- header)"


def test_missing_libraries_say_what_to_install(paper, tmp_path, monkeypatch) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(make_docx())
    monkeypatch.setitem(sys.modules, "pypdf", None)  # import pypdf raises ImportError
    monkeypatch.setitem(sys.modules, "docx", None)
    with pytest.raises(InputError) as info:
        read_document(paper)
    assert str(info.value) == f"{paper}: reading PDF needs pypdf (the pdf extra): python -m pip install pypdf"
    with pytest.raises(InputError) as info:
        read_document(str(path))
    assert str(info.value) == (
        f"{path}: reading Word documents needs python-docx (the docx extra): python -m pip install python-docx"
    )


def test_pdf_from_stdin_by_its_header(paper, monkeypatch) -> None:
    class Stdin:
        buffer = io.BytesIO(open(paper, "rb").read())

    monkeypatch.setattr(sys, "stdin", Stdin())
    doc = read_document("-", markup="none")  # markup is about text; a PDF is a PDF
    assert (doc.format, doc.pages) == ("pdf", PAGE_TEXTS)


# --- Word ----------------------------------------------------------------------------------------

FOOTNOTES = (
    '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:t>Survey run by the</w:t></w:r><w:r><w:t xml:space="preserve"> HR office.</w:t>'
    "</w:r></w:p></w:footnote></w:footnotes>"
)


def make_docx(footnotes: bool = False) -> bytes:
    """A report with a title, headings, paragraphs, list items, a table with a merged cell, a
    line break, a page header and (``footnotes``) a footnote."""
    import docx

    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Internal report - confidential"
    d.add_heading("Remote Work and Employee Productivity", 0)
    d.add_paragraph("A survey of employees on remote work and\thybrid work schedules.")
    d.add_heading("Findings", level=1)
    d.add_paragraph("Hybrid work schedules raised job satisfaction.", style="List Bullet")
    d.add_paragraph("Video conferencing fatigue was common.", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Work arrangement", "Job satisfaction"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Hybrid work schedules: high"
    p = d.add_paragraph("Ann Lee")
    p.add_run().add_break()
    p.add_run("HR office")
    d.add_paragraph("   ")
    buffer = io.BytesIO()
    d.save(buffer)
    if not footnotes:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>')
            elif item == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
            dst.writestr(item, data)
        dst.writestr("word/footnotes.xml", FOOTNOTES)
    return out.getvalue()


DOCX_TEXT = (
    "Remote Work and Employee Productivity\nA survey of employees on remote work and hybrid work schedules.\n"
    "Findings\nHybrid work schedules raised job satisfaction.\nVideo conferencing fatigue was common.\n"
    "Work arrangement\nJob satisfaction\nHybrid work schedules: high\nAnn Lee\nHR office"
)


def test_docx_text_in_document_order(tmp_path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(make_docx(footnotes=True))
    doc = read_document(str(path))
    assert (doc.format, doc.encoding, doc.lines_are_blocks) == ("docx", None, True)
    assert doc.text == DOCX_TEXT + "\nSurvey run by the HR office."
    assert doc.span(7, 11) == (7, 11) and doc.text[7:11] == "Work"
    assert doc.pages == []


def test_docx_by_content_and_its_errors(tmp_path, monkeypatch) -> None:
    class Stdin:
        buffer = io.BytesIO(make_docx())

    monkeypatch.setattr(sys, "stdin", Stdin())
    assert read_document("-").text == DOCX_TEXT
    cases = {
        "broken.docx": (b"PK\x03\x04" + b"\x00" * 40 + b"word/document.xml",
                        r"cannot read this Word document \(BadZipFile: .+\)"),
        "notzip.docx": (b"plain text", r"not a Word document \(\.docx is a ZIP archive holding word/document\.xml\)"),
        "old.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
                    r"an old binary Office file \(\.doc, \.xls, \.ppt\), not text; save it as \.docx or PDF"),
        "empty.docx": (None, r"empty document \(no text in it\)"),
    }
    import docx

    for name, (data, message) in cases.items():
        path = tmp_path / name
        if data is None:
            docx.Document().save(str(path))
        else:
            path.write_bytes(data)
        with pytest.raises(InputError, match=rf"^{path}: {message}$"):
            read_document(str(path))


def test_extractor_takes_documents(minilm_dir, paper) -> None:
    ke = KeywordExtractor(minilm_dir)
    doc = read_document(paper)
    keywords = ke.extract(doc, top_n=50)
    assert keywords and all(isinstance(s, PageSpan) for k in keywords for s in k.spans)
    for k in keywords:
        for page, start, end in k.spans:
            assert " ".join(doc.pages[page - 1][start:end].split()).casefold().startswith(k.phrase.split()[0].casefold())
    assert ke.extract_batch([doc, doc.text], top_n=3)[0] == ke.extract(doc, top_n=3)
    assert ke.language(doc) == "en"
    assert isinstance(doc, Document)


# --- the command line, as a new user runs it ---------------------------------------------------


def test_cli_on_markdown_pdf_and_word_files(tmp_path, minilm_dir, cli) -> None:
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    (tmp_path / "paper.pdf").write_bytes(make_pdf(PAGES, "Journal of Energy Storage 12 (2024), {n}", "Page {n} of {total}"))
    (tmp_path / "report.docx").write_bytes(make_docx())
    proc = cli(tmp_path / "README.md", tmp_path / "paper.pdf", tmp_path / "report.docx",
                   "--model", minilm_dir, "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    readme, paper, report = (json.loads(line) for line in proc.stdout.splitlines())
    top = {name: [k["phrase"] for k in doc["keywords"]] for name, doc in (("md", readme), ("pdf", paper), ("docx", report))}
    assert {"fastcache", "in-memory caching library", "Python web applications"} <= set(top["md"])
    assert not {"pip install fastcache", "fastcache import Cache", "bash", "python"} & set(top["md"])
    assert {"Battery energy storage", "lithium-ion batteries", "battery management system"} <= set(top["pdf"])
    assert {"remote work", "Hybrid work schedules", "job satisfaction"} <= set(top["docx"])
    for k in paper["keywords"]:  # [page, start, end] into the page's text
        for page, start, end in k["spans"]:
            assert " ".join(PAGE_TEXTS[page - 1][start:end].split()).casefold() == k["phrase"].casefold()
    for k in readme["keywords"]:  # [start, end] into the Markdown
        for start, end in k["spans"]:
            assert README[start:end].replace("*", "").casefold() == k["phrase"].casefold()


def test_cli_errors_on_pdf_and_word_files(tmp_path, cli) -> None:
    from reportlab.pdfgen import canvas

    scan = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(scan))
    c.rect(50, 50, 200, 200, fill=1)
    c.showPage()
    c.save()
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 40 + b"word/document.xml")
    proc = cli(scan, tmp_path / "broken.docx", "--model", "/nonexistent-but-never-loaded")
    assert proc.returncode == 2 and "model" in proc.stderr  # a bad model is found before the files
    proc = cli(scan, tmp_path / "broken.docx")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"keyextract: error: {scan}: no text in this PDF (1 page): a scanned document without a text layer? "
        "keyextract does no OCR; add a text layer first, e.g. with ocrmypdf",
        f"keyextract: error: {tmp_path / 'broken.docx'}: cannot read this Word document (BadZipFile: File is not a zip file)",
    ]

"""PDF text extraction: pypdf against pdfminer.six on papers made here, side by side.

Papers are built from Inspec abstracts in ``../shared/data/dev`` (a title, then one section per
abstract, its title as the heading) in four layouts, each with a running header and page
numbers:

- ``latex-2col``: pdflatex, ``article`` in two columns, Computer Modern (ligatures fi, fl, ff,
  ffi as single glyphs), TeX's own hyphenation, fancyhdr header and footer;
- ``latex-times``: pdflatex, one column, Times (mathptmx);
- ``reportlab-2col``: reportlab's canvas, two columns, DejaVu Serif with the ligature
  characters U+FB00-FB04 written for ff, fi, fl, ffi, long words hyphenated at line ends,
  a header and a ``Page N of M`` footer;
- ``reportlab-1col``: the same in one column, Helvetica, no ligature characters.

The LaTeX layouts need ``pdflatex`` (texlive-latex-base, texlive-latex-recommended) and are
skipped without it. Each library's page texts (pypdf: ``page.extract_text()``; pdfminer.six:
``extract_text`` page by page, default layout analysis) go through the same cleanup,
``keyextract.pdf.clean_pages``, and are compared with the words written:

- word recall: the share of the written words (lowercased, punctuation stripped) that the
  text holds (multiset);
- bigram recall: the same for pairs of consecutive words: words out of reading order (columns
  or lines mixed up) and words broken or run together lose pairs;
- junk words: words of the text that were not written, per 1,000 (headers and footers left;
  ``(cid:NN)`` glyph codes; broken or wrongly joined words); numbers (page and section
  numbers) are left out of these three counts;
- header/footer lines left: lines of the cleaned text that are a running header or footer;
- s/page: extraction time per page (without the cleanup), best of 3.

    python bench/pdf_text.py              # prints the table, writes BENCHMARKS.md ## PDF text
    python bench/pdf_text.py --no-write
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks_md import command_line, emit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from keyextract.pdf import clean_pages  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dev" / "inspec_dev.jsonl"
SECTION = "## PDF text"
SECTIONS = 24  # abstracts per paper
REPEATS = 3
SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
_WORD_RE = re.compile(r"[a-z]+(?:['-][a-z0-9]+)*")  # numbers (page and section numbers) aside
HEADER, AUTHORS = "Proceedings of the Workshop on Keyphrases", "Lee and Chen"
_RUNNING_RE = re.compile(rf"{HEADER}|{AUTHORS}|(?:Page )?\d+(?: of \d+)?")


def content() -> tuple[str, list[tuple[str, str]]]:
    """The paper's title and its sections ``(heading, paragraph)``, from Inspec abstracts."""
    with open(DEV, encoding="utf-8") as fh:
        rows = [json.loads(line)["text"] for line in fh][: SECTIONS + 1]
    title = rows[0].split("\n", 1)[0]
    sections = []
    for row in rows[1:]:
        heading, _, body = row.partition("\n")
        sections.append((heading.strip(), " ".join(body.split())))
    return title, sections


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower().replace("\u2010", "-").replace("’", "'"))


# --- papers -------------------------------------------------------------------------------------

_TEX_ESCAPES = str.maketrans({c: "\\" + c for c in "&%$#_{}"} | {"~": r"\~{}", "^": r"\^{}", "\\": r"\textbackslash{}"})


def latex(title: str, sections: list[tuple[str, str]], two_columns: bool, times: bool, work: Path) -> bytes | None:
    if shutil.which("pdflatex") is None:
        return None
    body = "\n\n".join(f"\\section{{{h.translate(_TEX_ESCAPES)}}}\n{p.translate(_TEX_ESCAPES)}" for h, p in sections)
    source = (
        f"\\documentclass[10pt{',twocolumn' if two_columns else ''}]{{article}}\n"
        + ("\\usepackage{mathptmx}\n" if times else "")
        + "\\usepackage{fancyhdr}\\pagestyle{fancy}\\fancyhf{}\n"
        f"\\fancyhead[L]{{{HEADER}}}\\fancyhead[R]{{{AUTHORS}}}\n"
        "\\fancyfoot[C]{\\thepage}\n"
        f"\\title{{{title.translate(_TEX_ESCAPES)}}}\\author{{Ann Lee \\and Bo Chen}}\\date{{}}\n"
        f"\\begin{{document}}\\maketitle\\thispagestyle{{fancy}}\n{body}\n\\end{{document}}\n"
    )
    (work / "paper.tex").write_text(source, encoding="utf-8")
    subprocess.run(["pdflatex", "-interaction=batchmode", "-halt-on-error", "paper.tex"], cwd=work,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (work / "paper.pdf").read_bytes()


_LIGATURE_CHARS = [("ffi", "\ufb03"), ("ffl", "\ufb04"), ("ff", "\ufb00"), ("fi", "\ufb01"), ("fl", "\ufb02")]


def _wrap(text: str, width: float, measure) -> list[str]:
    """Lines of ``text`` at most ``width`` wide; a word that does not fit is broken after one
    of its hyphens, or hyphenated between two runs of 3+ letters, where a piece fits."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if measure(candidate) <= width:
            line = candidate
            continue
        # after a hyphen of the word, or inside a run of letters with a hyphen added
        pieces = [word[: k + 1] for k in range(len(word) - 1, 0, -1) if word[k] == "-"]
        pieces += [word[:k] + "-" for k in range(len(word) - 3, 2, -1) if word[k - 3 : k + 3].isalpha()]
        piece = next((p for p in pieces if measure(f"{line} {p}") <= width), None)
        if piece is not None and line:
            lines.append(f"{line} {piece}")
            line = word[len(piece) - (not word.startswith(piece)):]
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def reportlab_paper(title: str, sections: list[tuple[str, str]], two_columns: bool) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    ligatures = two_columns and SERIF.exists()
    font = "Helvetica"
    if ligatures:
        pdfmetrics.registerFont(TTFont("DejaVuSerif", str(SERIF)))
        font = "DejaVuSerif"
    size, leading, margin, gap = 9.5, 11.5, 56, 18
    page_w, page_h = A4
    columns = 2 if two_columns else 1
    col_w = (page_w - 2 * margin - gap * (columns - 1)) / columns
    measure = lambda s: pdfmetrics.stringWidth(s, font, size)  # noqa: E731

    def shaped(line: str) -> str:
        if ligatures:
            for letters, char in _LIGATURE_CHARS:
                line = line.replace(letters, char)
        return line

    blocks = [("title", [title]), ("title", ["Ann Lee and Bo Chen"])] + [
        item for heading, para in sections for item in (("heading", [heading]), ("para", _wrap(para, col_w, measure)))
    ]
    pages: list[list[tuple[int, float, str, str]]] = [[]]  # per page: (column, y, font, text)
    column, y = 0, page_h - margin - 30
    for kind, lines in blocks:
        for line in (_wrap(lines[0], col_w, lambda s: pdfmetrics.stringWidth(s, font + ("" if ligatures else "-Bold"), size + 1))
                     if kind != "para" else lines):
            if y < margin + 20:
                column += 1
                if column == columns:
                    pages.append([])
                    column = 0
                y = page_h - margin - 30
            pages[-1].append((column, y, "bold" if kind != "para" else "", line))
            y -= leading
        y -= leading / 2
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for number, items in enumerate(pages, 1):
        c.setFont(font, 8)
        c.drawString(margin, page_h - margin, HEADER)
        c.drawRightString(page_w - margin, page_h - margin, AUTHORS)
        c.drawCentredString(page_w / 2, margin - 20, f"Page {number} of {len(pages)}")
        for col, y, style, line in items:
            c.setFont(font if ligatures or not style else font + "-Bold", size + (1 if style else 0))
            c.drawString(margin + col * (col_w + gap), y, shaped(line))
        c.showPage()
    c.save()
    return buffer.getvalue()


# --- extraction -----------------------------------------------------------------------------------


def with_pypdf(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def with_pdfminer(data: bytes) -> list[str]:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfpage import PDFPage

    n = sum(1 for _ in PDFPage.get_pages(io.BytesIO(data)))
    return [extract_text(io.BytesIO(data), page_numbers=[i]) for i in range(n)]


LIBRARIES = {"pypdf": with_pypdf, "pdfminer.six": with_pdfminer}


def scores(written: list[str], pages: list[str]) -> dict[str, float]:
    text = "\n".join(clean_pages(pages))
    got = words(text)
    w1, g1 = Counter(written), Counter(got)
    w2, g2 = Counter(zip(written, written[1:])), Counter(zip(got, got[1:]))
    junk = sum((g1 - w1).values())
    return {
        "word recall": 100 * sum((w1 & g1).values()) / sum(w1.values()),
        "bigram recall": 100 * sum((w2 & g2).values()) / sum(w2.values()),
        "junk per 1000": 1000 * junk / max(1, len(got)),
        "running lines": sum(1 for line in text.splitlines() if _RUNNING_RE.fullmatch(line.strip())),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    import pdfminer
    import pypdf

    title, sections = content()
    written = words(f"{title} Ann Lee and Bo Chen " + " ".join(f"{h} {p}" for h, p in sections))
    with tempfile.TemporaryDirectory() as tmp:
        papers = {
            "latex-2col": latex(title, sections, True, False, Path(tmp)),
            "latex-times": latex(title, sections, False, True, Path(tmp)),
            "reportlab-2col": reportlab_paper(title, sections, True),
            "reportlab-1col": reportlab_paper(title, sections, False),
        }
    rows, report = [], {"command": command_line("bench/pdf_text.py", argv), "papers": {}}
    for paper, data in papers.items():
        if data is None:
            print(f"{paper}: skipped (no pdflatex)", file=sys.stderr)
            continue
        for library, extract in LIBRARIES.items():
            best, pages = float("inf"), []
            for _ in range(REPEATS):
                start = time.perf_counter()
                pages = extract(data)
                best = min(best, time.perf_counter() - start)
            result = scores(written, pages) | {"s/page": best / len(pages), "pages": len(pages)}
            report["papers"].setdefault(paper, {})[library] = result
            rows.append([paper, str(len(pages)), library, f"{result['word recall']:.1f}",
                         f"{result['bigram recall']:.1f}", f"{result['junk per 1000']:.1f}",
                         str(result["running lines"]), f"{result['s/page']:.3f}"])
    header = ["paper", "pages", "library", "word recall %", "bigram recall %", "junk words / 1000",
              "header/footer lines left", "s/page"]
    table = "\n".join("| " + " | ".join(r) + " |" for r in [header, ["---"] * 3 + ["---:"] * 5, *rows]) + "\n"
    section = (
        f"{SECTION}\n\n"
        f"pypdf {pypdf.__version__} against pdfminer.six {pdfminer.__version__} on papers made from {SECTIONS} Inspec "
        "abstracts (see the script's docstring for the layouts), each library's page texts through the same "
        "`keyextract.pdf.clean_pages`; recall of the written words and of their bigrams (reading order), words "
        "that were not written per 1,000, extraction time per page (best of 3).\n\n"
        f"{table}\n"
        f"- Machine: {platform.machine()}, Python {platform.python_version()}; shared with other jobs, so times are indicative.\n"
        f"- Command: `{report['command']}` (from the repository root; rewrites this section).\n"
    )
    emit(SECTION, section, ROOT / "BENCHMARKS.md", not args.no_write, report, ROOT / "bench" / "results" / "pdf_text.json")


if __name__ == "__main__":
    main()

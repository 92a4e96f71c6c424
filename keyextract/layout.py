"""Layout: which line breaks end a phrase.

A line break ends a phrase (a title, heading, list item or paragraph) unless the text was
hard-wrapped there. Every script is read the same way, line by line:

- a blank line, and a line break before a list bullet (``-``, ``*``, ``•``, ``1.``, ``a)``,
  ``(iv)`` ...), always end a phrase;
- a line that ends in sentence punctuation or a colon ends a phrase;
- a line that ends in a comma, hyphen, slash, opening bracket or stopword, or is followed by a
  line starting with a comma, period or closing bracket, continues; so does one followed by a
  line starting in lowercase, unless it is shorter than 40 columns in text that is not
  hard-wrapped (a list item such as ``python`` / ``data analysis``);
- otherwise the line continues only when the text is hard-wrapped (many lines about as long
  as its longest ones, 40 columns or more, as in text extracted from PDF) and the next line's
  first word would not have fitted on this line (the rule by which text is wrapped, with 15%
  slack for proportional fonts): a line that ends early is a title, heading, author line or
  the last line of a paragraph. In text that is not hard-wrapped every other line break ends
  a phrase (``Title\\nAbstract``, one-line list items, headings).

Widths are counted in display columns (CJK characters count two).
"""

from __future__ import annotations

import re
from collections.abc import Collection

# A list bullet or enumerator at the start of a line: -, *, •, ·, –, —, ‣, ▪, ◦, ●, 1. 1) (1) a) (a) iv.
_BULLET_RE = re.compile(
    r"[ \t]*(?:[-*•·–—‣▪◦●■□➢►✓✔]\s|(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]\s|\((?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})\)\s)"
)
_ENDS_PHRASE = tuple(".!?:;。！？：；")
_CONTINUES = tuple(",-‐/(['\"“‘&+，、（")
_CONTINUED = tuple(",.;:)]}%，。、）")
_WIDE_RE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]"
)
_CJK_CHAR_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LAST_WORD_RE = re.compile(r"(\w+)\W*$")
_CLOSERS = "\"'”’)]}»」』】"

# Hard-wrapped text: at least this many lines, wrapped at this many columns or more, with at
# least this share of its lines at least FULL_LINE of the wrap width long. A line was wrapped
# when the next word would have made it longer than FIT of the wrap width.
MIN_WRAPPED_LINES = 4
MIN_WRAP_WIDTH = 40
MIN_FULL_SHARE = 0.4
FULL_LINE = 0.6
FIT = 0.85


def _width(line: str) -> int:
    """Display width: CJK and other wide characters take two columns."""
    return len(line) + len(_WIDE_RE.findall(line))


def wrap_width(widths: list[int]) -> int | None:
    """The column a text was hard-wrapped at (90th percentile of line widths), or ``None``."""
    if len(widths) < MIN_WRAPPED_LINES:
        return None
    ranked = sorted(widths)
    width = ranked[int(0.9 * (len(ranked) - 1))]
    if width < MIN_WRAP_WIDTH:
        return None
    full = sum(1 for w in widths if w >= FULL_LINE * width)
    return width if full >= MIN_FULL_SHARE * len(widths) else None


def _continues(prev: str, prev_width: int, nxt: str, wrap: int | None, stopwords: Collection[str]) -> bool:
    """Does the phrase on line ``prev`` (stripped, non-empty) go on at line ``nxt``?"""
    if _BULLET_RE.match(nxt + " "):
        return False
    tail = prev.rstrip(_CLOSERS) or prev
    if tail.endswith(_ENDS_PHRASE):
        return False
    head = nxt.lstrip()
    if tail.endswith(_CONTINUES) or head.startswith(_CONTINUED):
        return True
    if head[:1].islower() and (wrap is not None or prev_width >= MIN_WRAP_WIDTH):
        return True
    last = _LAST_WORD_RE.search(tail)
    if last and last.group(1).casefold() in stopwords and not _CJK_CHAR_RE.search(last.group(1)):
        return True
    if wrap is None:
        return False
    first_word = head.split(maxsplit=1)[0]
    return prev_width + 1 + _width(first_word) > FIT * wrap


def phrase_breaks(text: str, stopwords: Collection[str] = frozenset()) -> list[int]:
    """Offsets of the line breaks (``\\n`` characters) of ``text`` that end a phrase, ascending.

    For each run of line breaks between two non-blank lines, the offset of its first ``\\n``
    is listed when the phrase ends there (see the module docstring). ``stopwords`` are the
    case-folded words after which a line always continues.
    """
    if "\n" not in text:
        return []
    content = []  # (offset of the line, offset of its \n, the stripped line, its width): non-blank lines
    pos = 0
    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            content.append((pos, pos + len(raw), line, _width(line)))
        pos += len(raw) + 1
    wrap = wrap_width([w for _, _, _, w in content])
    breaks = []
    for (_, newline, line, width), (next_start, _, next_line, _) in zip(content, content[1:]):
        blank_between = text.count("\n", newline, next_start) > 1
        if blank_between or not _continues(line, width, next_line, wrap, stopwords):
            breaks.append(newline)
    return breaks

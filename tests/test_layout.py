"""Layout: which line breaks end a phrase."""

from __future__ import annotations

import pytest

from keyextract.layout import phrase_breaks, wrap_width
from keyextract.stopwords import load_stopwords

STOP = load_stopwords("en")

WRAPPED = """Evaluating Adaptive Resource Management for
Distributed Real-Time Embedded Systems
ABSTRACT
A challenging problem faced by researchers and developers of
distributed real-time and embedded (DRE) systems is devising
and implementing effective adaptive resource management, so
to meet these end-to-end quality of service requirements we
have developed the Hybrid Adaptive Resource-management
Middleware (HyARM), which provides adaptive resource control
using hybrid control techniques for fluctuating workloads.
1. INTRODUCTION
Achieving end-to-end real-time quality of service is hard."""


def ends_of(text: str, *line_numbers: int) -> list[int]:
    """Offsets of the newline ending each given line (1-based)."""
    offsets = [i for i, ch in enumerate(text) if ch == "\n"]
    return [offsets[n - 1] for n in line_numbers]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dual nature of systems\nThe paper studies them.", [22]),  # title, then abstract
        ("We study keyphrase\nextraction in this paper.", [18]),  # a short line: a list item or a title
        ("In this paper we study the extraction of keyphrases from\nscientific articles.", []),  # long line
        ("Skills\npython\ndata analysis", [6, 13]),  # lowercase list items
        ("Key skills:\nPython\nData analysis", [11, 18]),  # a list without bullets, not wrapped
        ("Key skills\n- Python\n- Data analysis\n* SQL\n• Git\n1. Go\na) Rust\n(iv) C", [10, 19, 35, 41, 47, 53, 61]),
        ("Wind farm maintenance\n\nMaintenance crews", [21]),  # blank line
        ("Neural networks for\nImage Classification", []),  # line ends in a stopword
        ("Fast and\n\nSlow", [8]),  # a blank line ends a phrase even after a stopword
        ("Results vary widely,\nDepending on data", []),  # comma
        ("人工智能芯片\n台湾厂商", [6]),
        ("no newline at all", []),
    ],
)
def test_phrase_breaks(text: str, expected: list[int]) -> None:
    assert phrase_breaks(text, STOP) == expected


def test_hard_wrapped_text_breaks_only_after_titles_headings_and_sentences() -> None:
    assert wrap_width([len(line) for line in WRAPPED.splitlines()]) == 60
    # not after "for" (stopword), "of", "is", "so", "we", "Resource-management" (full line),
    # "control" (full line, next starts in lowercase)
    assert phrase_breaks(WRAPPED, STOP) == ends_of(WRAPPED, 2, 3, 10, 11)


def test_short_lines_are_not_taken_for_wrapping() -> None:
    items = "\n".join(["Python", "Data analysis", "Machine learning", "Cloud platforms", "Team leadership"])
    assert wrap_width([len(line) for line in items.splitlines()]) is None
    assert len(phrase_breaks(items, STOP)) == 4


def test_wide_characters_count_two_columns() -> None:
    line = "本文提出一种基于预训练语言模型的无监督关键词提取方法利用候选短语"  # 32 characters, 64 columns
    text = "\n".join([line] * 5 + ["与文档之间的语义相似度进行排序"])
    assert wrap_width([64] * 5 + [30]) == 64
    assert phrase_breaks(text, STOP) == []

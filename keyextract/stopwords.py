"""Stopword lists shipped with keyextract (``data/stopwords/*.txt``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ._data import data_path
from .errors import InputError

LANGUAGES = ("en", "zh")


def parse_stopwords(text: str) -> frozenset[str]:
    """Parse a stopword list: one word a line, ``#`` starts a comment, compared case-folded."""
    words = set()
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word.casefold())
    return frozenset(words)


@cache
def load_stopwords(lang: str) -> frozenset[str]:
    """Return the shipped stopword list of ``lang`` (``"en"`` or ``"zh"``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    return parse_stopwords(data_path("stopwords", f"{lang}.txt").read_text(encoding="utf-8"))


def read_stopword_file(path: str | Path) -> frozenset[str]:
    """Read a user's extra stopword file (UTF-8, one word a line)."""
    try:
        return parse_stopwords(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: stopword file is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read stopword file ({exc.strerror or exc})") from None

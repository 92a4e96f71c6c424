"""Stopword lists shipped with keyextract (``data/stopwords/*.txt``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ._data import data_path
from .errors import InputError


def parse_stopwords(text: str) -> frozenset[str]:
    """Parse a stopword list: one word a line, ``#`` starts a comment, compared case-folded."""
    words = set()
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word.casefold())
    return frozenset(words)


@cache
def shipped_languages() -> tuple[str, ...]:
    """Codes of the languages with a shipped list (``data/stopwords/<code>.txt``), sorted."""
    return tuple(sorted(path.stem for path in data_path("stopwords").glob("*.txt")))


@cache
def load_stopwords(lang: str) -> frozenset[str]:
    """Return the shipped stopword list of ``lang`` (an ISO 639-1 code of ``shipped_languages``)."""
    if lang not in shipped_languages():
        raise ValueError(f"lang must be one of {shipped_languages()}, got {lang!r}")
    return parse_stopwords(data_path("stopwords", f"{lang}.txt").read_text(encoding="utf-8"))


def read_stopword_file(path: str | Path) -> frozenset[str]:
    """Read a user's extra stopword file (UTF-8, one word a line)."""
    try:
        return parse_stopwords(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: stopword file is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read stopword file ({exc.strerror or exc})") from None

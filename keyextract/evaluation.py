"""Evaluation: precision, recall and F1 at k against gold keyphrases, by the field's protocol.

English phrases are lowercased and each word Porter-stemmed, then matched exactly as whole
phrases; phrases of the other languages likewise, with that language's Snowball stemmer where
NLTK has one (``languages.Language.stemmer``; lowercased words elsewhere), so that matching
follows the language as the papers on those sets do (YAKE's, Campos et al. 2020, on the
Portuguese 110-PT-BN-KP); Chinese (and Japanese) phrases are matched exactly with whitespace removed. Duplicates after
normalisation count once. Scores are macro-averaged over documents (documents without gold
are skipped) and micro-averaged (pooled hits over pooled counts), as the papers report.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .documents import input_errors
from .errors import InputError
from .languages import UNTAGGED

DEFAULT_TOP = (5, 10, 15)
_WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
_SPACE_RE = re.compile(r"\s+")


@cache
def _stemmer(lang: str = "en"):
    """Porter's stemmer for English, the language's Snowball stemmer, or ``None``."""
    if lang == "en":
        from nltk.stem.porter import PorterStemmer

        return PorterStemmer()
    language = UNTAGGED.get(lang)
    if language is None or language.stemmer is None:
        return None
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer(language.stemmer)


def normalize_phrase(phrase: str, lang: str) -> str:
    """The form two phrases are compared in: stemmed (or lowercased) words, or no whitespace
    (Chinese, Japanese)."""
    if lang in ("zh", "ja"):
        return _SPACE_RE.sub("", phrase).lower()
    words = _WORD_RE.findall(phrase.lower())
    stemmer = _stemmer(lang)
    return " ".join(stemmer.stem(word) for word in words) if stemmer is not None else " ".join(words)


def _unique(phrases: Iterable[str], lang: str) -> list[str]:
    """Normalised phrases, duplicates dropped, first occurrence kept, order kept."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        norm = normalize_phrase(phrase, lang)
        if norm:
            seen.setdefault(norm, None)
    return list(seen)


@dataclass
class Scores:
    """Precision, recall and F1 (fractions in [0, 1]) at one cut-off ``k``."""

    k: int
    precision: float
    recall: float
    f1: float


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    """Macro and micro scores at each cut-off, plus how many documents counted."""

    documents: int
    skipped_no_gold: int
    macro: list[Scores] = field(default_factory=list)
    micro: list[Scores] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict: ``{"documents", "skipped_no_gold", "macro": {"5": {...}}, ...}``."""
        def table(rows: list[Scores]) -> dict:
            return {str(s.k): {"precision": s.precision, "recall": s.recall, "f1": s.f1} for s in rows}

        return {
            "documents": self.documents,
            "skipped_no_gold": self.skipped_no_gold,
            "macro": table(self.macro),
            "micro": table(self.micro),
        }


def score(
    predictions: Sequence[Sequence[str]],
    golds: Sequence[Sequence[str]],
    langs: Sequence[str],
    top: Sequence[int] = DEFAULT_TOP,
) -> Evaluation:
    """Score ranked predicted phrases against gold phrases, document by document."""
    if not top or any(not isinstance(k, int) or k < 1 for k in top):
        raise ValueError(f"top must be positive integers, got {list(top)}")
    per_k = {k: {"p": 0.0, "r": 0.0, "f": 0.0, "hits": 0, "pred": 0, "gold": 0} for k in top}
    counted = skipped = 0
    for pred, gold, lang in zip(predictions, golds, langs, strict=True):
        gold_set = set(_unique(gold, lang))
        if not gold_set:
            skipped += 1
            continue
        counted += 1
        ranked = _unique(pred, lang)
        for k, acc in per_k.items():
            top_k = ranked[:k]
            hits = sum(1 for p in top_k if p in gold_set)
            p = hits / len(top_k) if top_k else 0.0
            r = hits / len(gold_set)
            acc["p"] += p
            acc["r"] += r
            acc["f"] += _f1(p, r)
            acc["hits"] += hits
            acc["pred"] += len(top_k)
            acc["gold"] += len(gold_set)
    result = Evaluation(documents=counted, skipped_no_gold=skipped)
    for k, acc in per_k.items():
        n = max(counted, 1)
        result.macro.append(Scores(k, acc["p"] / n, acc["r"] / n, acc["f"] / n))
        mp = acc["hits"] / acc["pred"] if acc["pred"] else 0.0
        mr = acc["hits"] / acc["gold"] if acc["gold"] else 0.0
        result.micro.append(Scores(k, mp, mr, _f1(mp, mr)))
    return result


def read_dataset(path: str | Path) -> list[dict]:
    """Read JSON lines ``{"id", "text", "keyphrases"}``; a bad line is an :class:`InputError`."""
    records = []
    with input_errors(str(path)):
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                    raise InputError(f"{path}:{number}: expected an object with a string \"text\"")
                gold = record.get("keyphrases")
                if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
                    raise InputError(f"{path}:{number}: \"keyphrases\" must be a list of strings")
                records.append(record)
    if not records:
        raise InputError(f"{path}: no records")
    return records


def evaluate(
    data: str | Path | Iterable[dict],
    extractor=None,
    top: Sequence[int] = DEFAULT_TOP,
    progress: bool | None = None,
    **options,
) -> Evaluation:
    """Extract keyphrases for each record of ``data`` and score them against its gold.

    ``data`` is a JSON-lines path or an iterable of ``{"text", "keyphrases"}`` dicts;
    ``extractor`` a :class:`KeywordExtractor` (default: one built from ``options``).
    ``progress`` shows a bar on stderr (default: when stderr is a terminal).
    """
    from .extractor import KeywordExtractor

    records = read_dataset(data) if isinstance(data, (str, Path)) else list(data)
    extractor = extractor or KeywordExtractor(**options)
    top = sorted(set(top))
    if progress is None:
        progress = sys.stderr.isatty()
    results = extractor.extract_batch([r["text"] for r in records], top_n=max(top), progress=progress)
    predictions = [[k.phrase for k in keywords] for keywords in results]
    langs = [extractor.language(r["text"]) for r in records]
    return score(predictions, [r["keyphrases"] for r in records], langs, top)

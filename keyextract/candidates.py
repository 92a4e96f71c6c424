"""Candidate selection: POS-pattern phrases bounded by stopwords, punctuation and line breaks.

English candidates are runs of adjectives and nouns that end in a noun (the pattern of
EmbedRank and pke's noun phrases); technical terms (``Token.kind == "term"``: C++, 5G,
HTTP/2) count as nouns, and non-prose tokens (URLs, e-mail addresses, paths, hashes, code) are
never part of one. Chinese candidates are runs of jieba's noun-like tags. A phrase-ending line
break (``Token.break_before``) ends a run in both scripts.

Occurrences of one phrase that differ only in case or in the inflection of their head noun
("neural networks", "Neural Network") are merged into one candidate; the plural head is
lemmatized with LemmInflect (Jascob, https://github.com/bjascob/LemmInflect), the noun lemma
of a word the tagger tagged as a plural noun.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from .types import Candidate, Span, Token

EN_NOUNS = frozenset({"NN", "NNS", "NNP", "NNPS"})
EN_ADJECTIVES = frozenset({"JJ", "JJR", "JJS"})
# jieba: nouns, person/place/organisation names, other proper nouns, verbal and adjectival
# nouns, abbreviations, set phrases (jieba tags many technical terms such as 机器翻译 "l"),
# and Latin words inside Chinese text.
ZH_NOUNS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "nw", "ng", "vn", "an", "j", "l", "eng"})
# jieba: adjectives, distinguishing words (区别词) and suffixes such as 型: inside a phrase only.
ZH_MODIFIERS = frozenset({"a", "b", "k"})

EN_PLURAL_NOUNS = frozenset({"NNS", "NNPS"})

# Tokens longer than this (base64, long identifiers the tokenizer did not recognise) are never
# part of a keyphrase.
MAX_TOKEN_CHARS = 40
_WS_RE = re.compile(r"\s+")


def _role(token: Token, stopwords: frozenset[str]) -> str:
    """Classify a token: ``"noun"``, ``"adj"`` (may precede a noun), ``"word"`` (untagged) or ``"break"``."""
    if token.kind == "nonprose" or len(token.text) > MAX_TOKEN_CHARS:
        return "break"
    if token.kind != "term" and (not any(ch.isalpha() for ch in token.text) or token.text.casefold() in stopwords):
        return "break"
    if token.pos is None:  # no tagger: any content word, phrases are plain n-grams
        return "word"
    if token.script == "zh":
        return "noun" if token.pos in ZH_NOUNS else "adj" if token.pos in ZH_MODIFIERS else "break"
    if token.kind == "term" or token.pos in EN_NOUNS:
        return "noun"
    if token.pos in EN_ADJECTIVES:
        return "adj"
    return "break"


def _runs(
    tokens: Sequence[Token], stopwords: frozenset[str]
) -> Iterable[tuple[int, list[Token], list[str]]]:
    """Maximal runs of phrase tokens: same script, no stopword, punctuation, other tag or
    phrase-ending line break between; a version number ("Python 3.12") ends a run.

    Each run comes with the index of its first token in ``tokens``.
    """
    first = 0
    run: list[Token] = []
    roles: list[str] = []
    for k, token in enumerate(tokens):
        role = _role(token, stopwords)
        contiguous = run and token.script == run[-1].script and not token.break_before
        if role == "break" or not contiguous:
            if run:
                yield first, run, roles
            run, roles, first = ([token], [role], k) if role != "break" else ([], [], k)
        else:
            run.append(token)
            roles.append(role)
        if run and run[-1] is token and token.kind == "term" and not any(ch.isalpha() for ch in token.text):
            yield first, run, roles  # a version number ("Python 3.12") ends its name
            run, roles = [], []
    if run:
        yield first, run, roles


def _phrases_in_run(run: list[Token], roles: list[str], max_words: int) -> Iterable[tuple[int, int]]:
    """Token index ranges ``[i, j)`` of the phrases a run yields.

    An English run gives one phrase: the run without trailing adjectives, cut to its last
    ``max_words`` words (phrases end in their head noun); on the English dev sets whole noun
    phrases beat also proposing their sub-spans. A Chinese run gives every sub-span of up to
    ``max_words`` words that ends in a noun: jieba splits compounds finely and Chinese
    keyphrases are often part of a longer noun run (on CSL this lifts the share of gold
    keyphrases among the candidates from 37% to 55%). Untagged runs (no tagger available)
    yield all their n-grams of up to ``max_words``.
    """
    if roles[0] == "word":
        for i in range(len(run)):
            for j in range(i + 1, min(len(run), i + max_words) + 1):
                yield i, j
        return
    if run[0].script == "zh":
        for j in range(1, len(run) + 1):
            if roles[j - 1] == "noun":
                for i in range(max(0, j - max_words), j):
                    yield i, j
        return
    end = len(run)
    while end and roles[end - 1] != "noun":
        end -= 1
    if end:
        yield max(0, end - max_words), end


def _phrase_text(text: str, start: int, end: int) -> str:
    return _WS_RE.sub(" ", text[start:end])


@lru_cache(maxsize=65536)
def noun_lemma(word: str) -> str:
    """The noun lemma of a (lowercase) plural noun by LemmInflect: "networks" -> "network"."""
    from lemminflect import getLemma

    lemmas = getLemma(word, upos="NOUN")
    return lemmas[0] if lemmas and lemmas[0] else word


def _variant_key(text: str, run: list[Token], i: int, j: int) -> str:
    """The key that merges variants of phrase ``run[i:j]``: case-folded, plural head lemmatized."""
    head = run[j - 1]
    if head.script != "en" or head.pos not in EN_PLURAL_NOUNS or head.kind != "word":
        return _phrase_text(text, run[i].start, head.end).casefold()
    lemma = noun_lemma((head.norm or head.text).casefold())
    return (_phrase_text(text, run[i].start, head.start) + lemma).casefold()


def _display_form(forms: Counter[str], first_seen: dict[str, int]) -> str:
    """The surface form to show: most frequent, then fewest capitals, then earliest."""
    return min(forms, key=lambda f: (-forms[f], sum(ch.isupper() for ch in f), first_seen[f]))


def extract_candidates(
    text: str, tokens: Sequence[Token], stopwords: frozenset[str], max_words: int = 3
) -> list[Candidate]:
    """Candidate phrases of ``text`` with all their occurrences, ordered by first occurrence."""
    if max_words < 1:
        raise ValueError(f"max_words must be >= 1, got {max_words}")
    occurrences: dict[str, list[Span]] = {}
    forms: dict[str, Counter[str]] = {}
    first_seen: dict[str, int] = {}
    first_token: dict[str, int] = {}
    for run_start, run, roles in _runs(tokens, stopwords):
        for i, j in _phrases_in_run(run, roles, max_words):
            start, end = run[i].start, run[j - 1].end
            phrase = _phrase_text(text, start, end)
            if len(phrase) < 2 or not any(ch.isalpha() for ch in phrase):
                continue
            key = _variant_key(text, run, i, j)
            first_token.setdefault(key, run_start + i)
            occurrences.setdefault(key, []).append((start, end))
            forms.setdefault(key, Counter())[phrase] += 1
            first_seen.setdefault(phrase, start)
    candidates = [
        Candidate(_display_form(forms[key], first_seen), key, sorted(spans), first_token[key])
        for key, spans in occurrences.items()
    ]
    candidates.sort(key=lambda c: (c.spans[0][0], c.spans[0][1]))
    return candidates

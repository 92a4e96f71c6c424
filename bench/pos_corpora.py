"""Readers for the part-of-speech tagged English corpora in ``../shared/corpora``.

Used by ``bench/train_tagger.py`` (training data) and ``bench/tagging.py`` (test sets). Every
reader returns sentences as ``Sentence``: the text (where the corpus has it, else rebuilt from
the tokens) and gold tokens with their character spans in that text. See
``../shared/corpora/README.md`` for what each corpus is and its licence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
EWT = CORPORA / "ud_english_ewt"
EWT_DEV = EWT / "en_ewt-ud-dev.conllu"
EWT_TEST = EWT / "en_ewt-ud-test.conllu"
CONLL2000 = CORPORA / "nltk" / "conll2000"
MASC = CORPORA / "nltk" / "masc_tagged"
BROWN = CORPORA / "nltk" / "brown"


@dataclass
class Token:
    start: int
    end: int
    form: str
    tag: str  # Penn Treebank tag (EWT: XPOS)


@dataclass
class Sentence:
    id: str
    text: str
    tokens: list[Token]


def read_conllu(path: Path) -> list[Sentence]:
    """Sentences of a CoNLL-U file with each word's span in ``# text``.

    Words of a multi-word token ("Google's" = "Google" + "'s") share its surface; each gets the
    part of it its form matches (the last word the rest). Empty nodes (``24.1``) are skipped.
    """
    sentences: list[Sentence] = []
    sent_id, text, rows = "", "", []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("# sent_id = "):
            sent_id = line[len("# sent_id = "):]
        elif line.startswith("# text = "):
            text = line[len("# text = "):]
        elif line and not line.startswith("#"):
            rows.append(line.split("\t"))
        elif not line and rows:
            sentences.append(Sentence(sent_id, text, _conllu_spans(sent_id, text, rows)))
            rows = []
    return sentences


def _conllu_spans(sent_id: str, text: str, rows: list[list[str]]) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    k = 0
    while k < len(rows):
        row = rows[k]
        if "." in row[0]:
            k += 1
            continue
        if "-" in row[0]:
            first, last = (int(x) for x in row[0].split("-"))
            words = [r for r in rows[k + 1 :] if r[0].isdigit() and first <= int(r[0]) <= last]
            surface = row[1]
            k += 1 + len(words)
        else:
            words, surface = [row], row[1]
            k += 1
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text[pos : pos + len(surface)] != surface:
            raise ValueError(f"{sent_id}: {surface!r} not found at {pos} of {text!r}")
        end = pos + len(surface)
        for i, word in enumerate(words):
            form = word[1]
            if i == len(words) - 1:
                stop = end
            elif text[pos : pos + len(form)] == form:
                stop = pos + len(form)
            else:
                stop = min(end, pos + len(form))
            tokens.append(Token(pos, stop, form, word[4]))
            pos = stop
        pos = end
    return tokens


# Tokens written without a space before them / after them when WSJ text is rebuilt.
_NO_SPACE_BEFORE = frozenset(", . ; : ? ! % ) ] } '' 's 'S 're 've 'll 'd 'm n't N'T ' ...".split())
_NO_SPACE_AFTER = frozenset("( [ { `` $ #".split())
_WSJ_BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LCB-": "{", "-RCB-": "}"}
_WSJ_FORMS = {**_WSJ_BRACKETS, "``": '"', "''": '"'}


def read_conll2000(split: str) -> list[Sentence]:
    """CoNLL-2000 ``train`` (WSJ sections 15-18) or ``test`` (section 20), text rebuilt from tokens.

    The text joins tokens with a space except before closing punctuation and clitics and after
    opening brackets, quotes and currency signs; ``-LRB-`` is written ``(`` (also as the
    token's form, as a tokenizer gives it) and both quote tokens ``"``, so a tokenizer reads
    ordinary text.
    """
    sentences: list[Sentence] = []
    words: list[tuple[str, str]] = []
    lines = (CONLL2000 / f"{split}.txt").read_text(encoding="utf-8").splitlines() + [""]
    for line in lines:
        if line.strip():
            word, tag, _ = line.split(" ")
            words.append((word, tag))
        elif words:
            sentences.append(_rebuild(f"{split}-{len(sentences) + 1}", words))
            words = []
    return sentences


def _rebuild(sent_id: str, words: list[tuple[str, str]]) -> Sentence:
    text, tokens = "", []
    for i, (word, tag) in enumerate(words):
        surface = _WSJ_FORMS.get(word, word)
        if i and word not in _NO_SPACE_BEFORE and words[i - 1][0] not in _NO_SPACE_AFTER:
            text += " "
        form = _WSJ_BRACKETS.get(word, word)
        tokens.append(Token(len(text), len(text) + len(surface), form, tag))
        text += surface
    return Sentence(sent_id, text, tokens)


def read_masc(genres: str = "written") -> list[list[tuple[str, str]]]:
    """MASC's ``word_TAG`` sentences (one a line) of ``written``, ``spoken`` or ``all`` files.

    MASC's tags come from an automatic tagger, partly corrected; ``masc_fixes`` repairs the
    conventions that differ from the Penn Treebank.
    """
    folders = ("written", "spoken") if genres == "all" else (genres,)
    sentences = []
    for folder in folders:
        for path in sorted((MASC / folder).glob("*.txt")):
            for line in path.read_text(encoding="utf-8").splitlines():
                pairs = [item.rpartition("_") for item in line.split()]
                sent = [(w, t) for w, _, t in pairs if w]
                if sent:
                    sentences.append(sent)
    return sentences


_BROWN_TOKEN_RE = re.compile(r"(\S+)/(\S+)")


def read_brown() -> list[list[tuple[str, str]]]:
    """The Brown Corpus's sentences as ``(word, Brown tag)``, files in name order."""
    sentences = []
    names = sorted(p for p in BROWN.iterdir() if re.fullmatch(r"c[a-r]\d\d", p.name))
    for path in names:
        for line in path.read_text(encoding="utf-8").splitlines():
            sent = [(m.group(1), m.group(2)) for m in _BROWN_TOKEN_RE.finditer(line)]
            if sent:
                sentences.append(sent)
    return sentences


def wsj_convention(word: str, tag: str) -> str:
    """A tag of EWT's convention (keyextract's tagger) as the Wall Street Journal treebank
    (CoNLL-2000) writes it: brackets ``(`` ``)``, every "to" ``TO``, dashes, ellipses and
    semicolons ``:``. Other tags are the same in both."""
    if tag in ("-LRB-", "-RRB-"):
        return "(" if tag == "-LRB-" else ")"
    if word.lower() == "to" and tag == "IN":
        return "TO"
    if tag in (",", "HYPH", "NFP") and word != "," and not any(ch.isalnum() for ch in word):
        return ":"
    return tag


def merge_hyphens(sent: Sentence) -> Sentence:
    """``sent`` with each hyphenated word that EWT split ("search - engine" written
    "search-engine") one token, as keyextract's tokenizer keeps it, tagged ``hyphenated_tag``."""
    tokens, i = [], 0
    old = sent.tokens
    while i < len(old):
        j = i
        while (j + 2 < len(old) and old[j + 1].form == "-"
               and old[j].end == old[j + 1].start and old[j + 1].end == old[j + 2].start):
            j += 2
        if j == i:
            tokens.append(old[i])
        else:
            parts = [t.tag for t in old[i : j + 1 : 2]]
            following = old[j + 1].tag if j + 1 < len(old) else None
            start, end = old[i].start, old[j].end
            tokens.append(Token(start, end, sent.text[start:end], hyphenated_tag(parts, following)))
        i = j + 1
    return Sentence(sent.id, sent.text, tokens)


def hyphenated_tag(parts: list[str], next_tag: str | None) -> str:
    """The tag of a hyphenated word whose parts (hyphens left out) are tagged ``parts``: the
    last part's tag; JJ when that is a participle ("well-known", "thought-provoking") or for a
    number + noun before a noun ("5-year plan"), as the Penn Treebank tags such words whole.
    A prefix (AFX: "pre-war") does not count."""
    words = [t for t in parts if t != "AFX"]
    if not words:
        return parts[-1]
    last = words[-1]
    if len(words) == 1:
        return last
    if last in ("VBN", "VBG", "VBD"):
        return "JJ"
    if words[0] == "CD" and last in ("NN", "NNS") and next_tag and next_tag.startswith("NN"):
        return "JJ"
    return last

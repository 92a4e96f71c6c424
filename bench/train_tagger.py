"""Train keyextract's English part-of-speech tagger and write ``data/tagger/en_perceptron.npz``.

    python bench/train_tagger.py                   # the shipped weights
    python bench/train_tagger.py --validate        # train without 1/5 of EWT dev; score on it and WSJ 15-18
    python bench/train_tagger.py --sources ewt,masc --iterations 5 --out /tmp/x.npz

The model is keyextract's ``segmentation.AveragedPerceptronTagger``: NLTK's averaged perceptron
(``nltk.tag.perceptron``: Collins 2002, Matthew Honnibal's features, greedy left-to-right
decoding) with three more word features (shape, 2-letter suffix, 3-letter prefix). Training
takes its features from ``segmentation.context_features`` and ``history_features``, so that
training and tagging see the same; the loop is our own (numpy, NLTK's update and averaging
rule), as NLTK's takes minutes per pass over this data and has fixed features. One core,
about 2-5 minutes (1.8 million tokens a pass, 5 passes).

Training data (``../shared/corpora``; only data whose licence allows shipping a model derived
from it, see ``data/tagger/README.md``):

- ``nltk``: the starting weights are NLTK's ``averaged_perceptron_tagger_eng`` (Honnibal's
  textblob-aptagger, trained on the Wall Street Journal; MIT License), from
  ``../shared/nltk_data``; training continues from them.
- ``ewt``: UD English EWT dev (CC BY-SA 4.0), tokenized with keyextract's own tokenizer: a
  hyphenated word that EWT splits ("search - engine") is one token here, tagged with its last
  part's tag (a participle as last part: JJ; a number + noun before a noun: JJ;
  ``pos_corpora.merge_hyphens``); sentences where the tokenizations differ otherwise are left
  out. Repeated ``--ewt-repeat`` times a pass.
- ``masc``: MASC written (and spoken with ``masc-all``); its Penn tags come from an automatic
  tagger, partly corrected, so ``masc_sentences`` repairs its systematic errors and lets a
  noun or adjective tag that the hand-tagged corpora never give the word count as uncertain.
- ``brown``: the Brown Corpus, its tags mapped to Penn Treebank tags (``brown_to_ptb``);
  contractions and possessives split as the treebank does. Where Brown's tag does not decide
  the Penn tag (``vb``: base form or present tense, VB or VBP; an -ing or -ed form before a
  noun: VBG/NN/JJ, VBN/JJ) the gold is a set of tags, and a guess inside the set counts as
  right (no update).

Choices, measured with ``--validate`` (EWT dev folds 2 and 4 held out, about 4,800 and 4,200
tokens; WSJ 15-18, every 4th sentence, 52,654 tokens; NLTK's own weights: 88.75% on fold 4,
95.85% on WSJ 15-18), in points, fold 2 / fold 4 (some on earlier versions of the data):

- sources: without MASC, EWT +0.2/+0.4 but WSJ -0.8 (95.4%); without Brown, EWT -0.4/-0.8;
  without NLTK's starting weights, EWT -0.1 and WSJ -0.25 (fold 4). MASC's unconfirmed tags
  made uncertain: EWT +0.1/-0.1, WSJ -0.1/+0.1, and "neural", "myocardial" before a noun JJ.
- EWT dev 10 times a pass: +0.25/+0.2 over 6 times (6: +0.15/+0.4 over 3); 20 times
  -0.25/-0.15; WSJ within 0.05 throughout.
- the three extra word features: +0.15/+0.3 (WSJ +0.0/+0.1); two more (word bigrams) a
  further -0.25/+0.1. 10 passes instead of 5: +0.1/0.
- Brown's -ing/-ed forms before a noun as tag sets (fold 2): EWT and WSJ within 0.05, Inspec
  micro F1@10 (200 documents) 32.5 -> 33.5: Brown tags "training method", "distributed
  database" VBG/VBN, where the Penn Treebank has NN/JJ as often, and keyextract's candidates
  end at a verb tag.
- Brown's headlines once more in lowercase (for ALL-CAPS lines): EWT -0.2/-0.0; not kept.
- leaving out features whose largest weight is under 1.0 (``--prune``): at most 0.02 points,
  half the features (42 to 21 MB in memory, 2.8 to 1.9 MB on disk); under 2.0, -0.1.

Every source is converted to one tag convention, EWT's version of the Penn Treebank tags:
``-LRB-``/``-RRB-`` for brackets, ``IN`` for a preposition "to" (``TO`` before a verb only),
``,`` for dashes, ellipses and semicolons, ``HYPH``, ``NFP`` and ``ADD`` where EWT has them.
``bench/tagging.py`` maps these back to the Wall Street Journal's convention to compare there.

The tag dictionary (words tagged without the model) holds words seen at least 20 times with
one tag 97% of the time (NLTK's thresholds), plus NLTK's entries that the new data does not
contradict. Weights are averaged and rounded to 3 decimals; features whose largest weight is
under ``--prune`` are left out (``prune``), and the rest stored for
``segmentation.AveragedPerceptronTagger.load`` (``save``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's keyextract (its tokenizer)
from pos_corpora import (  # noqa: E402
    CORPORA, EWT_DEV, ROOT, Sentence, merge_hyphens, read_brown, read_conll2000, read_conllu, read_masc,
    wsj_convention,
)

from keyextract.segmentation import (  # noqa: E402
    AveragedPerceptronTagger, context_features, history_features, normalize_word,
)

SHARED = ROOT.parent / "shared"
NLTK_MODEL = SHARED / "nltk_data" / "taggers" / "averaged_perceptron_tagger_eng"
TARGET = ROOT / "data" / "tagger" / "en_perceptron.npz"
START = ["-START-", "-START2-"]
# NLTK's tag dictionary thresholds (PerceptronTagger._make_tagdict).
TAGDICT_MIN_COUNT = 20
TAGDICT_MIN_SHARE = 0.97

Tagged = list[tuple[str, str]]  # (word, tag); a tag may be a set "VB|VBP" (first: the default)


# --- tag conventions ---------------------------------------------------------------------------

_BRACKETS = {"(": "-LRB-", "[": "-LRB-", "{": "-LRB-", "<": "-LRB-", ")": "-RRB-", "]": "-RRB-", "}": "-RRB-", ">": "-RRB-"}
_DASHES = frozenset({"-", "--", "---", "—", "–", "...", "..", "…", ";"})


# Words EWT tags otherwise than the Wall Street Journal: (tags replaced, EWT's tag).
_EWT_WORDS = {"thanks": (("NNS",), "NN"), "please": (("VB", "RB", "VBP"), "UH"), "thank": (("VB",), "VBP")}


def ewt_convention(sent: Tagged) -> Tagged:
    """A Penn-Treebank-tagged sentence in EWT's convention: brackets, "to", dashes, quotes,
    bullets and rules (``NFP``), "thanks"/NN, "please"/UH, "thank"/VBP."""
    out = []
    quote_open = False
    for i, (word, tag) in enumerate(sent):
        if tag in ("(", ")", "-LRB-", "-RRB-"):
            tag = _BRACKETS.get(word, "-LRB-" if tag in ("(", "-LRB-") else "-RRB-")
        elif word.lower() == "to" and tag == "TO" and not _before_verb(sent, i):
            tag = "IN"
        elif i == 0 and word in ("-", "--", "*", "•"):  # a list item's bullet
            tag = "NFP"
        elif len(word) > 3 and word == word[0] * len(word) and word[0] in "-=*_~#+":  # "------", "****"
            tag = "NFP"
        elif tag == ":" and word in _DASHES:
            tag = ","
        elif word.lower() in _EWT_WORDS and tag in _EWT_WORDS[word.lower()][0]:
            tag = _EWT_WORDS[word.lower()][1]
        elif word == '"':
            tag = "''" if quote_open else "``"
            quote_open = not quote_open
        out.append((word, tag))
    return out


def _before_verb(sent: Tagged, i: int) -> bool:
    """Whether a verb's base form follows ``sent[i]`` (adverbs and "not" skipped): the infinitive "to"."""
    for word, tag in sent[i + 1 :]:
        if tag.startswith("RB") or word.lower() in ("not", "n't"):
            continue
        return tag.split("|")[0] in ("VB", "VBP")
    return False


# --- EWT dev in keyextract's tokenization -------------------------------------------------------


def ewt_sentences(sentences: list[Sentence]) -> tuple[list[Tagged], int]:
    """EWT sentences as keyextract tokenizes them, with gold tags (see the module docstring),
    and the number of sentences left out because the tokenizations differ."""
    from keyextract.segmentation import _prepare_english

    out, skipped = [], 0
    for sent in sentences:
        raw, _, _, words, titled = _prepare_english(sent.text, 0, len(sent.text), ())
        words = [sent.text[s:e] if titled[k] and norm is None else words[k]
                 for k, (s, e, norm, _) in enumerate(raw)]
        tags = _aligned_tags(sent, [(s, e) for s, e, _, _ in raw])
        if tags is None:
            skipped += 1
        else:
            out.append(list(zip(words, tags)))
    return out, skipped


def _aligned_tags(sent: Sentence, spans: list[tuple[int, int]]) -> list[str] | None:
    """The gold tag of each span (hyphenated words merged: ``merge_hyphens``), or None if a
    span is no gold token."""
    gold = {(t.start, t.end): t.tag for t in merge_hyphens(sent).tokens}
    tags = [gold.get(span) for span in spans]
    return None if None in tags else tags


# --- MASC ----------------------------------------------------------------------------------------

_MASC_TAGS = {"PP": "PRP", "LRB": "-LRB-", "UH`": "UH", "VBG|NN": "NN", "PRN": "-LRB-", "--": ":", ";": ":", "...": ":",
              "-": ":", '"': "''", "'": "''", "one-time": "JJ", "/": "SYM", "*": "SYM"}
_PUNCT_TAGS = frozenset({".", ",", ":", "``", "''", "-LRB-", "-RRB-", "(", ")", "SYM", "NFP", "HYPH", "$", "#"})
# Non-alphanumeric words that are words in every convention ("50 %", "R&D").
_SYMBOL_WORDS = frozenset({"%", "&", "$", "#", "@"})
_ABBREVIATION_RE = re.compile(r"[A-Z][a-z]{0,4}\.")


def masc_sentences(genres: str, lexicon: dict[str, set[str]]) -> list[Tagged]:
    """MASC sentences in EWT's convention, repaired where MASC's automatic tags err systematically.

    Left out: sentences with curly quotes or apostrophes (MASC splits "woman’s" into woman/NN
    ’/NN s/VBZ) and with punctuation tagged as a word ("/"/NN, "["/NN). Repaired: straight
    quotes become the `` and '' the tokenizer gives; "i"/NNP is PRP; a capitalised abbreviation
    ("Mr.", "Inc.") tagged NN is NNP. A hyphenated word tagged JJ (MASC's guess for unknown
    hyphenated words: "cut-backs"/JJ) may be JJ, NN, NNS or NNP, and so may a noun or adjective
    whose tag ``lexicon`` (the tags of the hand-tagged corpora) never gives the word.
    """
    out = []
    for sent in read_masc(genres):
        fixed = []
        for word, tag in sent:
            tag = _MASC_TAGS.get(tag, tag)
            if word in ("’", "‘", "“", "”") or not tag:
                break
            if not any(ch.isalnum() for ch in word) and word not in _SYMBOL_WORDS and tag not in _PUNCT_TAGS:
                break
            if word == "i" and tag == "NNP":
                tag = "PRP"
            elif tag == "NN" and _ABBREVIATION_RE.fullmatch(word):
                tag = "NNP"
            elif tag == "JJ" and "-" in word.strip("-"):
                tag = "JJ|NN|NNS|NNP"
            fixed.append((word, tag))
        else:
            out.append([(tag if word == '"' else word, tag) for word, tag in ewt_convention(fixed)])
    return [[(word, _UNCONFIRMED.get(tag, tag) if tag not in lexicon.get(word.lower(), ()) else tag)
             for word, tag in sent] for sent in out]


# MASC's tagger took words it did not know for nouns ("equatorial"/NN 26 times, "myocardial",
# "neural", "optimal" before a noun): a noun or adjective tag of MASC that the hand-tagged
# corpora (``lexicon``) never give the word counts as any of these (first: the default).
_UNCONFIRMED = {"NN": "NN|JJ|NNP", "JJ": "JJ|NN|NNP", "NNP": "NNP|NN|JJ", "NNS": "NNS|NNPS", "NNPS": "NNPS|NNS"}


def lexicon(*corpora: list[Tagged]) -> dict[str, set[str]]:
    """Every tag each word (lowercased) has in ``corpora``."""
    tags: dict[str, set[str]] = defaultdict(set)
    for corpus in corpora:
        for sent in corpus:
            for word, tag in sent:
                tags[word.lower()].update(tag.split("|"))
    return tags


# --- Brown --------------------------------------------------------------------------------------

_BROWN = {
    "at": "DT", "abx": "DT|CC", "dt": "DT", "dti": "DT", "dts": "DT", "dtx": "DT|CC", "dtxs": "DT",
    "be": "VB", "bed": "VBD", "bedz": "VBD", "beg": "VBG", "bem": "VBP", "ben": "VBN", "ber": "VBP", "bez": "VBZ",
    "do": "VB|VBP", "dod": "VBD", "doz": "VBZ", "hv": "VB|VBP", "hvd": "VBD", "hvg": "VBG", "hvn": "VBN", "hvz": "VBZ",
    "vb": "VB|VBP", "vbd": "VBD", "vbg": "VBG", "vbn": "VBN", "vbz": "VBZ",
    "cc": "CC", "cd": "CD", "cs": "IN", "ex": "EX", "in": "IN", "to": "TO", "md": "MD", "uh": "UH",
    "jj": "JJ", "jjr": "JJR", "jjs": "JJS", "jjt": "JJS", "nn": "NN", "nns": "NNS", "np": "NNP", "nps": "NNPS",
    "nr": "NN|RB", "nrs": "NNS", "od": "JJ|RB", "pn": "NN", "pp$": "PRP$", "pp$$": "PRP", "ppl": "PRP", "ppls": "PRP",
    "ppo": "PRP", "pps": "PRP", "ppss": "PRP", "ql": "RB", "qlp": "RB", "rb": "RB", "rbr": "RBR", "rbt": "RBS",
    "rn": "RB", "rp": "RP|RB", "wdt": "WDT", "wp$": "WP$", "wpo": "WP", "wps": "WP", "wql": "WRB", "wrb": "WRB",
    "abl": "PDT|JJ|RB", "*": "RB", ".": ".", ",": ",", ":": ":", "--": ",", "(": "-LRB-", ")": "-RRB-",
    "``": "``", "''": "''", "'": "''",
}
_BROWN_AP = {"more": "JJR", "less": "JJR", "fewer": "JJR", "most": "JJS", "least": "JJS"}
_BROWN_QL = {"more": "RBR", "less": "RBR", "most": "RBS", "least": "RBS"}
# Title words of names ("Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl") are proper nouns in the Penn Treebank.
_TITLE_NOUNS = {"nn": "NNP", "nns": "NNPS", "np": "NNP", "nps": "NNPS", "jj": "NNP", "vbn": "NNP", "vbg": "NNP", "nr": "NNP"}
_NOT_POSSESSIVE = frozenset({"pp$", "pp$$", "wp$"})


def brown_to_ptb(word: str, tag: str, next_tag: str | None) -> list[tuple[str, str]] | None:
    """Penn Treebank tokens and tags for one Brown token, or None where no mapping is sure.

    Contractions split as the treebank does ("didn't/dod*" -> did/VBD n't/RB, "it's/pps+bez"
    -> it/PRP 's/VBZ), possessives too ("Atlanta's/np$" -> Atlanta/NNP 's/POS).
    """
    if tag.startswith("fw-"):
        return [(word, "FW")]
    title = False
    for suffix in ("-hl", "-nc", "-tl"):
        while tag.endswith(suffix) or f"{suffix}-" in tag:
            title |= suffix == "-tl"
            tag = tag.replace(suffix, "")
    if "+" in tag:
        first, _, second = tag.partition("+")
        cut = word.find("'")
        if cut <= 0 or "+" in second:
            return None
        a = brown_to_ptb(word[:cut], first, second)
        b = {"bez": "VBZ", "ber": "VBP", "bem": "VBP", "md": "MD", "hv": "VBP", "hvd": "VBD", "hvz": "VBZ",
             "ppo": "PRP", "bez*": None}.get(second)
        return None if a is None or b is None else a + [(word[cut:], b)]
    if tag.endswith("*") and tag != "*":
        lower = word.lower()
        if lower == "cannot":
            return [(word[:3], "MD"), (word[3:], "RB")]
        if not lower.endswith("n't"):
            return None
        stem = word[:-3]
        if lower in ("can't", "won't", "ain't"):
            stem = word[:2]
        head = brown_to_ptb(stem, tag[:-1], next_tag)
        return None if head is None else head + [(word[len(stem):], "RB")]
    if tag.endswith("$") and tag not in _NOT_POSSESSIVE:
        if word.endswith("'s") or word.endswith("'S"):
            stem, clitic = word[:-2], word[-2:]
        elif word.endswith("'"):
            stem, clitic = word[:-1], word[-1:]
        else:
            return None
        head = brown_to_ptb(stem, tag[:-1], None)
        return None if head is None or not stem else head + [(clitic, "POS")]
    lower = word.lower()
    if word in (";", ":"):  # Brown tags ";" and some ":" "."
        return [(word, "," if word == ";" else ":")]
    if title and tag in _TITLE_NOUNS and word[:1].isupper():
        return [(word, _TITLE_NOUNS[tag])]
    if tag == "ap":
        return [(word, _BROWN_AP.get(lower, "JJ"))]
    if tag == "ql":
        return [(word, _BROWN_QL.get(lower, "RB"))]
    if tag == "abn":
        return [(word, "PDT" if next_tag and next_tag.split("-")[0] in ("at", "pp$", "dt", "dts") else "DT")]
    if tag in ("wps", "wpo") and lower == "that":
        return [(word, "WDT")]
    if tag == "wdt" and lower in ("what", "whatever"):
        return [(word, "WP|WDT")]
    if tag == "in" and lower.endswith("ing"):
        return [(word, "VBG|IN")]
    if tag == "nr" and word[:1].isupper():
        return [(word, "NNP")]
    if tag == "pn" and lower in ("one", "ones"):
        return [(word, "NN|CD|PRP" if lower == "one" else "NNS")]
    mapped = _BROWN.get(tag)
    return None if mapped is None else [(word, mapped)]


def brown_sentences() -> list[Tagged]:
    """Brown sentences in Penn Treebank tags and EWT's convention; sentences with a token that
    has no sure mapping are left out."""
    out = []
    for sent in read_brown():
        tokens: Tagged = []
        for i, (word, tag) in enumerate(sent):
            mapped = brown_to_ptb(word, tag, sent[i + 1][1] if i + 1 < len(sent) else None)
            if mapped is None:
                break
            tokens.extend(mapped)
        else:
            out.append(_modifier_participles(_verb_defaults(ewt_convention(tokens))))
    return out


def _modifier_participles(sent: Tagged) -> Tagged:
    """Brown tags every -ing and -ed form ``vbg``/``vbn``, also a gerund or participle that
    modifies the noun after it, which the Penn Treebank tags NN or JJ as often ("training/NN
    method", "distributed/JJ database"): before a noun, VBG may be NN or JJ, VBN JJ."""
    out = list(sent)
    for i in range(len(out) - 1):
        word, tag = out[i]
        if tag in ("VBG", "VBN") and out[i + 1][1].split("|")[0] in ("NN", "NNS", "NNP", "NNPS"):
            out[i] = (word, "VBG|NN|JJ" if tag == "VBG" else "VBN|JJ")
    return out


def _verb_defaults(sent: Tagged) -> Tagged:
    """For Brown's base-form verbs (``VB|VBP``), the default when the model guesses outside the set:
    VBP after a subject (pronoun, noun, wh-word), else VB."""
    out = []
    for i, (word, tag) in enumerate(sent):
        if tag == "VB|VBP":
            j = i - 1
            while j >= 0 and (out[j][1].startswith("RB") or out[j][0].lower() in ("not", "n't")):
                j -= 1
            prev = out[j][1].split("|")[0] if j >= 0 else ""
            if prev in ("PRP", "NNS", "NNP", "NNPS", "NN", "WP", "WDT", "EX"):
                tag = "VBP|VB"
        out.append((word, tag))
    return out


# --- the averaged perceptron ---------------------------------------------------------------------


class Trainer:
    """Averaged perceptron over NLTK's features, weights in a (features x classes) matrix.

    ``update`` and ``average`` follow NLTK's ``AveragedPerceptron`` (each weight's running total
    is brought up to date lazily, when the weight changes).
    """

    def __init__(self, classes: list[str]) -> None:
        self.classes = sorted(classes)
        self.column = {c: j for j, c in enumerate(self.classes)}
        self.fid: dict[str, int] = {}
        self.weights = np.zeros((1 << 16, len(self.classes)))
        self.totals = np.zeros_like(self.weights)
        self.stamps = np.zeros(self.weights.shape, np.int32)
        self.i = 0

    def ids(self, feats: list[str]) -> list[int]:
        fid = self.fid
        out = []
        for f in feats:
            k = fid.get(f)
            if k is None:
                k = fid[f] = len(fid)
                if k >= len(self.weights):
                    self._grow()
            out.append(k)
        return out

    def _grow(self) -> None:
        n = len(self.weights) * 2
        for name in ("weights", "totals", "stamps"):
            old = getattr(self, name)
            new = np.zeros((n, old.shape[1]), old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def start_from(self, weights: dict[str, dict[str, float]]) -> None:
        """Start from ``weights`` (feature -> class -> weight) instead of zeros."""
        for feat, per_class in weights.items():
            (k,) = self.ids([feat])
            for label, w in per_class.items():
                self.weights[k, self.column[label]] = w

    def predict(self, ids: list[int]) -> int:
        return int(self.weights[ids].sum(axis=0).argmax())

    def update(self, truth: int, guess: int, ids: list[int]) -> None:
        self.i += 1
        if truth == guess:
            return
        rows = np.array(ids)
        for c, v in ((truth, 1.0), (guess, -1.0)):
            self.totals[rows, c] += (self.i - self.stamps[rows, c]) * self.weights[rows, c]
            self.stamps[rows, c] = self.i
            self.weights[rows, c] += v

    def averaged(self) -> np.ndarray:
        n = len(self.fid)
        if self.i == 0:
            return self.weights[:n].copy()
        totals = self.totals[:n] + (self.i - self.stamps[:n]) * self.weights[:n]
        return np.round(totals / max(self.i, 1), 3)


def make_tagdict(sentences: list[Tagged], nltk_tagdict: dict[str, str]) -> dict[str, str]:
    """Words tagged without the model (see the module docstring)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for sent in sentences:
        for word, tag in sent:
            counts[word][tag] += 1
    tagdict = {}
    for word, tags in counts.items():
        tag, n = tags.most_common(1)[0]
        total = sum(tags.values())
        if "|" not in tag and total >= TAGDICT_MIN_COUNT and n / total >= TAGDICT_MIN_SHARE:
            tagdict[word] = tag
    for word, tag in nltk_tagdict.items():
        seen = counts.get(word)
        if word not in tagdict and (not seen or seen[tag] / sum(seen.values()) >= TAGDICT_MIN_SHARE):
            tagdict[word] = tag
    return tagdict


def train(sentences: list[Tagged], iterations: int, seed: int, init: dict | None,
          tagdict: dict[str, str], log=print) -> tuple[Trainer, np.ndarray]:
    """Train on ``sentences`` (shuffled each pass with ``seed``); the trainer and averaged weights."""
    classes = {t for sent in sentences for _, tag in sent for t in tag.split("|")} | set(tagdict.values())
    if init:
        classes |= {c for per in init.values() for c in per}
    model = Trainer(sorted(classes))
    if init:
        model.start_from(init)
    prepared = []
    for sent in sentences:
        words = [w for w, _ in sent]
        golds = [[model.column[t] for t in tag.split("|")] for _, tag in sent]
        prepared.append((words, [model.ids(f) for f in context_features(words)], golds))
    rng = random.Random(seed)
    labels = model.classes
    for it in range(iterations):
        started = time.perf_counter()
        right = total = 0
        for words, statics, golds in prepared:
            prev, prev2 = START
            norms = [normalize_word(w) for w in words]
            for k, word in enumerate(words):
                gold = golds[k]
                known = tagdict.get(word)
                if known is not None:
                    guess = model.column[known]
                else:
                    ids = statics[k] + model.ids(history_features(prev, prev2, norms[k]))
                    guess = model.predict(ids)
                    model.update(guess if guess in gold else gold[0], guess, ids)
                right += guess in gold
                total += 1
                prev2, prev = prev, labels[guess]
        rng.shuffle(prepared)
        log(f"  pass {it + 1}: {right / total:.4f} on training data, {total:,} tokens, "
            f"{time.perf_counter() - started:.0f} s, {len(model.fid):,} features")
    return model, model.averaged()


# --- tagging with a trained model (for --validate) ----------------------------------------------


def accuracy(tagger: AveragedPerceptronTagger, sentences: list[Tagged], wsj: bool = False) -> float:
    right = total = 0
    for sent in sentences:
        words = [w for w, _ in sent]
        for (word, gold), (_, got) in zip(sent, tagger.tag(words)):
            right += (wsj_convention(word, got) if wsj else got) == gold
            total += 1
    return right / total


# --- output ---------------------------------------------------------------------------------------


def _table(strings: list[str]) -> np.ndarray:
    if any("\n" in s for s in strings):
        raise ValueError("a string of the table contains a newline")
    return np.frombuffer("\n".join(strings).encode("utf-8"), np.uint8)


def prune(fid: dict[str, int], weights: np.ndarray, threshold: float) -> tuple[list[str], np.ndarray]:
    """The features whose largest absolute weight is at least ``threshold``, and their weights.

    On held-out EWT dev and WSJ 15-18, leaving out those under 1.0 (half the features) changed
    accuracy by less than 0.02 points; under 2.0, by up to 0.12.
    """
    names = list(fid)
    keep = np.nonzero(np.abs(weights[: len(names)]).max(axis=1) >= threshold)[0]
    return [names[k] for k in keep], weights[keep]


def save(path: Path, features: list[str], weights: np.ndarray, classes: list[str], tagdict: dict[str, str]) -> None:
    """Write the model in ``AveragedPerceptronTagger.load``'s format: per feature (sorted by
    name) the number of classes with a non-zero weight, their class indices and weights x1000
    (int32); features without any weight are left out."""
    fid = {f: k for k, f in enumerate(features)}
    features = sorted(f for f, k in fid.items() if weights[k].any())
    rows = weights[[fid[f] for f in features]]
    scaled = np.round(rows * 1000).astype(np.int64)
    nonzero = scaled != 0
    column = {c: j for j, c in enumerate(classes)}
    words = sorted(tagdict)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        features=_table(features),
        counts=nonzero.sum(axis=1).astype(np.uint8),
        columns=np.nonzero(nonzero)[1].astype(np.uint8),
        weights=scaled[nonzero].astype(np.int32),
        classes=_table(classes),
        tagdict_words=_table(words),
        tagdict_tags=np.array([column[tagdict[w]] for w in words], np.uint8),
    )


def load_nltk_model() -> tuple[dict, dict]:
    """NLTK's weights and tag dictionary, with its bracket tags ``(`` ``)`` renamed to EWT's
    ``-LRB-`` ``-RRB-`` (as classes and inside the names of the features on the tags before)."""
    prefix = NLTK_MODEL / "averaged_perceptron_tagger_eng."
    weights = json.loads(Path(f"{prefix}weights.json").read_text(encoding="utf-8"))
    tagdict = json.loads(Path(f"{prefix}tagdict.json").read_text(encoding="utf-8"))
    renamed = {}
    for feat, per_class in weights.items():
        parts = feat.split(" ")
        if feat.startswith(("i-1 tag ", "i-2 tag ", "i tag+i-2 tag ", "i-1 tag+i word ")):
            tags = {"i-1 tag ": (2,), "i-2 tag ": (2,), "i tag+i-2 tag ": (3, 4), "i-1 tag+i word ": (3,)}
            for k in next(v for prefix, v in tags.items() if feat.startswith(prefix)):
                parts[k] = _NLTK_BRACKETS.get(parts[k], parts[k])
        renamed[" ".join(parts)] = {_NLTK_BRACKETS.get(c, c): w for c, w in per_class.items()}
    return renamed, {w: _NLTK_BRACKETS.get(t, t) for w, t in tagdict.items()}


_NLTK_BRACKETS = {"(": "-LRB-", ")": "-RRB-"}


def ewt_split(sentences: list[Sentence], fold: int | None) -> tuple[list[Sentence], list[Sentence]]:
    """EWT dev for training, and (with a ``fold`` 0-4) a fifth of its documents held out."""
    if fold is None:
        return sentences, []
    docs: dict[str, int] = {}
    train_part, held = [], []
    for sent in sentences:
        doc = sent.id.rsplit("-", 1)[0]
        docs.setdefault(doc, len(docs))
        (held if docs[doc] % 5 == fold else train_part).append(sent)
    return train_part, held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", default="nltk,ewt,masc,brown",
                        help="comma-separated: nltk (start from its weights), ewt, masc, masc-all, brown")
    parser.add_argument("--iterations", type=int, default=5, help="training passes (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="shuffling seed (default 1)")
    parser.add_argument("--prune", type=float, default=1.0,
                        help="leave out features whose largest absolute weight is under this (default 1.0)")
    parser.add_argument("--ewt-repeat", type=int, default=10, help="EWT dev sentences this many times a pass (default 10)")
    parser.add_argument("--validate", type=int, nargs="?", const=4, choices=range(5), metavar="FOLD",
                        help="hold out a fifth of EWT dev's documents (fold 0-4, default 4) and write nothing; "
                             "score on them and on WSJ 15-18 (CoNLL-2000 train)")
    parser.add_argument("--out", type=Path, help=f"where to write the model (default {TARGET}; with --validate: nowhere)")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        parser.error(f"needs the tagged corpora in {CORPORA} (and NLTK's weights in {NLTK_MODEL})")
    sources = set(args.sources.split(","))
    started = time.perf_counter()
    train_ewt, held = ewt_split(read_conllu(EWT_DEV), args.validate)
    data: list[Tagged] = []
    ewt: list[Tagged] = []
    if "ewt" in sources:
        ewt, skipped = ewt_sentences(train_ewt)
        print(f"EWT dev: {len(ewt):,} sentences ({skipped} left out: tokenized differently), x{args.ewt_repeat}")
        data += ewt * args.ewt_repeat
    brown = brown_sentences() if "brown" in sources else []
    for name in ("masc", "masc-all"):
        if name in sources:
            masc = masc_sentences("all" if name == "masc-all" else "written", lexicon(brown, ewt))
            print(f"MASC {name}: {len(masc):,} sentences")
            data += masc
    if brown:
        print(f"Brown: {len(brown):,} sentences")
        data += brown
    init, nltk_tagdict = load_nltk_model() if "nltk" in sources else (None, {})
    tagdict = make_tagdict(data, nltk_tagdict)
    print(f"{sum(len(s) for s in data):,} training tokens, {len(tagdict):,} tag dictionary words "
          f"({time.perf_counter() - started:.0f} s to read)")
    model, weights = train(data, args.iterations, args.seed, init, tagdict)
    print(f"trained in {time.perf_counter() - started:.0f} s")
    features, kept = prune(model.fid, weights, args.prune)
    print(f"{len(features):,} of {len(model.fid):,} features kept (largest weight at least {args.prune})")
    if args.validate is not None:
        tagger = AveragedPerceptronTagger(features, model.classes, kept, tagdict)
        held_ewt, _ = ewt_sentences(held)
        wsj = [[(t.form, t.tag) for t in s.tokens] for s in read_conll2000("train")[::4]]
        print(f"validation: EWT dev held out {accuracy(tagger, held_ewt):.4f} ({len(held_ewt)} sentences), "
              f"WSJ 15-18 every 4th sentence {accuracy(tagger, wsj, wsj=True):.4f}")
    out = args.out or (None if args.validate is not None else TARGET)
    if out is None:
        return 0
    save(out, features, kept, model.classes, tagdict)
    print(f"{out}: {out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

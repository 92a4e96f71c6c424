"""Segmentation: language detection, tokenization with character spans, and POS tagging.

Chinese stretches go to jieba (with its part-of-speech tags; ``chinese.py`` normalises
traditional and full-width text, joins Latin terms and applies user dictionaries); the rest
to our tokenizer, which follows the Penn Treebank's conventions that the tagger was trained
on, and NLTK's averaged-perceptron tagger with the weights shipped in ``data/tagger``. Text in a
language without a tagger (``languages.UNTAGGED``) is tokenized alone, without tags
(``segment_untagged``). Every token keeps its span in the original text, which is what lets
candidates be located in the encoder's token stream later. Line breaks that end a phrase
(``layout.phrase_breaks``) mark the next token's ``break_before``, in every script.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from functools import cache, lru_cache

import regex

from ._data import data_path
from .chinese import UserDictEntry, segment_chinese
from .languages import LANGS, TAGGED, UNTAGGED  # noqa: F401 - LANGS: the values of lang=
from .layout import phrase_breaks
from .stopwords import load_stopwords
from .types import Token

# Han ideographs (with extensions and compatibility forms), CJK punctuation and fullwidth forms.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ffff"
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_NON_CJK_RUN_RE = re.compile(f"[^{_CJK}]+")
_LATIN_WORD_RE = re.compile(r"[^\W\d_]{2,}")

# A stretch without Chinese characters needs this many Latin words to be segmented as English;
# shorter ones ("BERT" in "基于BERT模型") stay inside the Chinese text, where jieba tags them "eng".
MIN_ENGLISH_WORDS = 4


def script_language(text: str) -> str:
    """Return ``"zh"`` when Chinese characters outnumber Latin words, else ``"en"``."""
    han = len(_HAN_RE.findall(text))
    latin_words = len(_LATIN_WORD_RE.findall(_HAN_RE.sub(" ", text)))
    return "zh" if han > 0 and han >= latin_words else "en"


def split_scripts(text: str) -> list[tuple[str, int, int]]:
    """Split ``text`` into ``(script, start, end)`` chunks, each routed to one segmenter.

    A Latin stretch inside Chinese text goes to the English segmenter when it has at least
    ``MIN_ENGLISH_WORDS`` words or holds a URL, e-mail address, path, hash or code identifier
    (which jieba would cut into candidate-looking pieces).
    """
    chunks: list[tuple[str, int, int]] = []

    def add(script: str, start: int, end: int) -> None:
        if start >= end:
            return
        if chunks and chunks[-1][0] == script and chunks[-1][2] == start:
            chunks[-1] = (script, chunks[-1][1], end)
        else:
            chunks.append((script, start, end))

    pos = 0
    for match in _NON_CJK_RUN_RE.finditer(text):
        add("zh", pos, match.start())
        words = len(_LATIN_WORD_RE.findall(match.group()))
        whole_text = match.start() == 0 and match.end() == len(text)
        english = whole_text or words >= MIN_ENGLISH_WORDS or _has_nonprose(match.group())
        add("en" if english else "zh", match.start(), match.end())
        pos = match.end()
    add("zh", pos, len(text))
    return chunks


def segment(
    text: str, lang: str | None = None, *, user_dict: tuple[UserDictEntry, ...] | None = None
) -> list[Token]:
    """Tokenize and tag ``text``; tokens are in text order and never overlap.

    ``lang``: ``None``, ``"en"`` or ``"zh"`` split the text into Chinese and Latin stretches
    for jieba and NLTK; any other language code goes to ``segment_untagged``. ``user_dict``:
    entries (``chinese.load_user_dict``) that jieba uses for this call only. A token's
    ``break_before`` is set when a line break that ends a phrase lies between it and the
    previous token.
    """
    if lang is not None and lang not in TAGGED:
        return segment_untagged(text, lang)
    breaks = phrase_breaks(text, load_stopwords("en"))
    tokens: list[Token] = []
    for script, start, end in split_scripts(text):
        if script == "zh":
            chunk = list(segment_chinese(text, start, end, user_dict))
        else:
            chunk = _segment_english(text, start, end, breaks)
        for token in chunk:
            previous_end = tokens[-1].end if tokens else 0
            if _break_between(breaks, previous_end, token.start) and not token.break_before:
                token = replace(token, break_before=True)
            tokens.append(token)
    return tokens


def _break_between(breaks: Sequence[int], start: int, end: int) -> bool:
    """Whether a phrase-ending line break lies in ``text[start:end]``."""
    i = bisect.bisect_left(breaks, start)
    return i < len(breaks) and breaks[i] < end


# --- English -------------------------------------------------------------------------------

# Top-level domains a bare domain name ("Amazon.com", "example.org") must end in.
_TLD = r"(?:com|org|net|edu|gov|mil|int|info|biz|io|ai|co|us|uk|de|fr|cn|jp|ru|nl|eu|ca|au|in|br|it|es|ch|se|tv|me|app|dev)"
_URL_CHAR = r"[^\s<>\"'()\[\]{}]"
_URL_END = r"[^\s<>\"'()\[\]{}.,;:!?]"
# Words that start a sentence after a capital letter and a period ("Plan A. The ..."): that
# period ends the sentence and is no middle initial ("George W. Bush").
_SENTENCE_STARTS = "(?:The|This|That|These|Those|Then|There|It|In|We|He|She|They|I|A|An|But|And|If|So|As|At|On|For|Our|His|Her|Its|Their|To|When|While|What|How|Why|With)"
# One alternative per token class, tried in this order at each position. Group names are the
# class; see _KINDS for the token kind of each.
_EN_TOKEN_RE = re.compile(
    rf"""
    (?P<url>(?:[A-Za-z][A-Za-z0-9+.-]*://|www\d?\.){_URL_CHAR}*{_URL_END}
        |(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+{_TLD}/(?:{_URL_CHAR}*{_URL_END})?)
    |(?P<email>(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)
    |(?P<domain>(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+{_TLD}(?![\w@/-]|\.\w))
    |(?P<number>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?![\w,])|\d+(?:[:/]\d+)+(?![\w/]))
    |(?P<path>(?<![\w/.~-])(?:[A-Za-z]:\\[^\s]*[\w/\\]
        |(?:~|\.{{1,2}})?/[\w.-]*\w(?:/[\w.-]*\w)*/?
        |\w[\w.-]*(?:/[\w.-]+)+\.[A-Za-z]\w{{0,4}}\b))
    |(?P<hash>\b0x[0-9A-Fa-f]+\b
        |\b[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}\b
        |\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{{7,}}\b)
    |(?P<code>[A-Za-z_][\w.]*\w\(\)
        |\w+(?:(?:::|->)\w+)+
        |\b_*[A-Za-z][A-Za-z0-9]*(?:_+[A-Za-z0-9]+)+_*(?!\w)
        |\b_{{1,2}}[A-Za-z]\w*
        |\b[a-z]{{2}}[a-z0-9]*(?:[A-Z][a-z0-9]+)+\b
        |\b[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]+)+\b)
    |(?P<mention>(?<![\w@])@[A-Za-z_]\w*)
    |(?P<term>(?:\b[A-Za-z]\w*)?\.NET\b
        |\b[A-Za-z]\w*\.js\b
        |\b[A-Za-z]\+\+(?![\w+])
        |\b[A-Za-z]\#(?![\w#])
        |\b[A-Z][A-Z0-9]*(?:/[A-Z0-9][A-Z0-9.]*(?<!\.))+\b)
    |(?P<abbrev>\b(?:[A-Za-z]\.){{2,}}
        |\bPh\.D\.
        |\b(?:Mr|Mrs|Ms|Dr|Prof|Jr|Sr|St|vs|etc|Fig|Figs|Eq|Eqs|Inc|Corp|Ltd|Co|al|cf|approx|Dept|Univ|Vol
            |Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Tue|Tues|Thu|Thur|Thurs|Fri|Sat
            |Capt|Gen|Gov|Sen|Rep|Rev|Lt|Col|Sgt|Blvd|Ave|Mt|Ft)\.
        |\bNo\.(?=\s?\d)
        |(?<=[A-Za-z]\s)[A-Z]\.(?=\s[A-Z][a-z])(?!\s{_SENTENCE_STARTS}\b))
    |(?P<split>\b(?:[Cc]an(?=not\b)|CAN(?=NOT\b)|[Gg]on(?=na\b)|[Ww]an(?=na\b)|[Gg]ot(?=ta\b)))
    |(?P<bare>\b(?:[Dd]o|[Dd]oes|[Dd]id|[Ii]s|[Ww]as|[Ww]ere|[Aa]re|[Hh]as|[Hh]ave|[Hh]ad|[Cc]ould|[Ww]ould
            |[Ss]hould|[Cc]a|[Ww]o|[Aa]i)nt\b
        |\b[Ii](?:ve|m)\b|\b(?:[Yy]ou|[Tt]hey|[Ww]e)ve\b|\b(?:[Yy]ou|[Tt]hey)(?:re|ll)\b|\b(?:[Tt]hat|[Tt]here|[Ww]hat)s\b)
    |(?P<emoticon>(?<![\w:;=])[:;=][-'^o]?[)(\]\[DPpO3/\\|*]+(?!\w))
    |(?P<marks>[!?][.!?]+|\.[!?][.!?]*)
    |(?P<ntstem>[A-Za-z]+?(?=[nN]['’][tT]\b))
    |(?P<nt>[nN]['’][tT]\b)
    |(?P<clitic>(?<=\w)['’](?:[sSmMdD]|ll|LL|re|RE|ve|VE)\b)
    |(?P<name>\b[A-Za-z]['’][A-Z][a-z]+)
    |(?P<word>\w+(?:[-.]\w+)*)
    |(?P<punct>(?P<mark>[^\w\s])(?P=mark)*)
    """,
    re.VERBOSE,
)
def _has_nonprose(stretch: str) -> bool:
    return any(_KINDS.get(m.lastgroup) == "nonprose" for m in _EN_TOKEN_RE.finditer(stretch))


_KINDS = {"url": "nonprose", "email": "nonprose", "path": "nonprose", "hash": "nonprose", "code": "nonprose",
          "mention": "nonprose", "domain": "term", "term": "term"}
# A URL or e-mail address gets the tag of web text treebanks (OntoNotes, EWT) for addresses.
_ADDRESS_TAG = "ADD"
_SENTENCE_END = frozenset(".!?;")
_DO_FORMS = frozenset({"do", "does", "did"})
_FINITE = frozenset({"VBZ", "VBP", "VBD", "MD"})
_AUXILIARIES = frozenset({"is", "are", "am", "was", "were", "does", "do", "did", "has", "have"})
_NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})
# Tags that can end a verb's subject: a noun, or a gerund ("cloud computing help ...").
_SUBJECT_ENDS = _NOUN_TAGS | {"VBG"}
# Tags that can follow a transitive or intransitive verb: its object's start or an adverb.
_VERB_FOLLOWERS = frozenset({"DT", "PDT", "PRP", "PRP$", "CD", "JJ", "JJR", "JJS", "RB", "RBR", "RBS"}) | _NOUN_TAGS
_NEGATIONS = frozenset({"n't", "not", "never"})
# Tags that start a verb's object or complement (see _title_case_tags).
_OBJECT_STARTS = frozenset({"DT", "PDT", "PRP", "PRP$", "CD", "IN", "TO"})
# What the tagger's sentences end in when the finite-verb rule may look at them.
_CLAUSE_ENDS = frozenset({".", "!", "?", ";"})
# Words that open a fronted subordinate clause, and conjunctions that open a second clause.
_SUBORDINATORS = frozenset({"once", "when", "whenever", "if", "because", "although", "though", "while",
                            "after", "before", "since", "until", "unless", "whereas"})
_CLAUSE_CONJUNCTIONS = frozenset({"but", "yet", "whereas"})
_WH_OPENERS = frozenset({"how", "why", "whether", "where", "when"})
# Subordinators that open a clause wherever they stand ("... events when the residual exceeds a threshold").
_CLAUSE_OPENERS = frozenset({"when", "whenever", "where", "whether", "if", "because", "although", "though", "while",
                             "unless", "whereas"})
# What follows an imperative verb: its object (or a particle, "set up").
_IMPERATIVE_OBJECTS = frozenset({"DT", "PRP", "PRP$", "CD", "JJ", "NN", "NNS", "NNP", "NNPS", "RP"})
_SINGULAR_DETERMINERS = frozenset({"a", "an", "each", "every", "this", "another"})
_QUANTIFIERS = frozenset({"few", "couple", "dozen", "lot", "number", "variety", "range", "series", "pair", "set"})
# Tags that start a clause's subject after a conjunction or a relative "that".
_SUBJECT_STARTS = frozenset({"DT", "PRP", "PRP$"})
_OPENING = frozenset("([{<")
_QUOTES = {"“": "``", "”": "''", "‘": "`", "’": "'", "„": "``"}
# A number after a proper noun or technical term is its version ("Python 3.12", "GPT v4")
# unless the noun refers to part of a document ("Table 3.1").
_VERSION_RE = re.compile(r"v?\d+(?:\.\d+)+|v\d+")
# A decade ("1990s", "90s", "1990's") is a number (CD), as the Wall Street Journal treebank tags
# it most often; the tagger, seeing "!DIGITS", guesses from the words around it.
_DECADE_RE = re.compile(r"(?:\d\d)?\d0'?s")
_REFERENCE_NOUNS = frozenset(
    "table tables figure figures fig fig. figs figs. section sections chapter chapters equation equations eq "
    "eq. eqs eqs. appendix page pages step steps theorem lemma corollary definition example algorithm line "
    "lines part parts volume vol vol. no. number item items row column rule case phase stage level grade "
    "version release article clause paragraph".split()
)

# Words in a run of this many ALL-CAPS words are tagged in lowercase.
CAPS_RUN = 3
# The tagger's weights in data/tagger (trained by bench/train_tagger.py).
TAGGER_FILE = "en_perceptron.npz"

_warned_no_tagger = False


def _is_alnum_term(word: str) -> bool:
    """Letters mixed with digits that name a thing: "5G", "3D", "GPT-4", "x86", "H2O", "MP3".

    Digit-led words count only with a capital letter, so that "2nd", "1990s" and "10km" do not.
    """
    if not any(ch.isdigit() for ch in word) or not any(ch.isalpha() for ch in word):
        return False
    return any(ch.isupper() for ch in word) if word[0].isdigit() else True


def _punct_norm(text: str, chunk: str, at: int) -> str | None:
    """Penn Treebank form of punctuation: quotes as `` (opening) and '' (closing), an opening
    single quote as `, "!!" as "!"."""
    if text[0] in "!?" and len(text) > 1:
        return text[0]
    if text[0] == "." and len(text) > 3:
        return "..."
    if text in _QUOTES:
        return _QUOTES[text]
    if text in ('"', "'"):
        before = chunk[at - 1] if at > 0 else " "
        opening = before.isspace() or before in _OPENING
        if text == "'":  # an opening single quote before a word; else an apostrophe or a closing quote
            return "`" if opening and chunk[at + 1 : at + 2].isalpha() else None
        return "``" if opening else "''"
    return None


def english_tokens(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str | None, str]]:
    """Penn Treebank tokens of ``text[start:end]``: ``(start, end, norm, kind)`` in text order.

    Contractions split as the treebank does ("does" + "n't", "ca" + "n't", "I" + "'m"), also
    when written without the apostrophe ("dont" -> "do" + "nt", "Ive" -> "I" + "ve", with
    ``norm`` "n't", "'ve"; as in UD English EWT), with curly apostrophes and quotes normalised
    in ``norm`` (``'``, ``n't``, `````/``''``); runs of one punctuation character ("...", "--"),
    of ! ? and . ("?!", normalised "?") and emoticons (":)", ":-(") stay whole. URLs, e-mail
    addresses, file paths, hashes and code identifiers are single ``"nonprose"`` tokens;
    technical terms ("C++", "C#", ".NET", "HTTP/2", "5G", "GPT-4", "Amazon.com") single
    ``"term"`` tokens; dotted abbreviations ("U.S.", "e.g.", "Dr.", "Sept.", "No. 5") and a
    middle initial ("George W. Bush") keep their periods.
    """
    end = len(text) if end is None else end
    chunk = text[start:end]
    out = []
    for match in _EN_TOKEN_RE.finditer(chunk):
        group = match.lastgroup
        word = match.group()
        kind = _KINDS.get(group, "word")
        norm = None
        if group == "bare":  # "dont" -> "do" + "nt" (norm "n't"), "Ive" -> "I" + "ve" ("'ve")
            cut = len(word) - (1 if word[-1] in "ms" else 2)
            clitic = word[cut:]
            out.append((match.start() + start, match.start() + cut + start, None, kind))
            out.append((match.start() + cut + start, match.end() + start, "n't" if clitic == "nt" else "'" + clitic, kind))
            continue
        if group == "marks":
            norm = "?" if "?" in word else "!"
        elif group == "punct":
            norm = _punct_norm(word, chunk, match.start())
        elif "’" in word or "‘" in word:
            norm = word.replace("’", "'").replace("‘", "'")
        if group == "word" and _is_alnum_term(word):
            kind = "term"
        out.append((match.start() + start, match.end() + start, norm, kind))
    return out


@cache
def english_tagger() -> AveragedPerceptronTagger | None:
    """The English part-of-speech tagger with the weights shipped in ``data/tagger``, loaded once.

    ``None`` (after one warning line on stderr) if the shipped weights cannot be read; then
    candidates fall back to stopword-delimited n-grams.
    """
    try:
        return AveragedPerceptronTagger.load(data_path("tagger", TAGGER_FILE))
    except (OSError, ValueError, KeyError) as exc:
        _warn_no_tagger(exc)
        return None


def _table(array) -> list[str]:
    return bytes(array).decode("utf-8").split("\n")


_START = ("-START-", "-START2-")
_END = ("-END-", "-END2-")


def normalize_word(word: str) -> str:
    """The form of a word in the context features: lowercased, ``!HYPHEN`` for a hyphenated
    word, ``!YEAR`` for four digits, ``!DIGITS`` for any other word that starts with a digit
    (NLTK's ``PerceptronTagger.normalize``)."""
    if "-" in word and word[0] != "-":
        return "!HYPHEN"
    if word.isdigit() and len(word) == 4:
        return "!YEAR"
    if word and word[0].isdigit():
        return "!DIGITS"
    return word.lower()


def word_shape(word: str) -> str:
    """Upper-case letters as ``X``, other letters ``x``, digits ``d``, other characters as they
    are, runs of one class written once, over the first 12 characters: "Kubernetes" -> "Xx",
    "GPT-4" -> "X-d", "iPhone" -> "xXx"."""
    out: list[str] = []
    for ch in word[:12]:
        kind = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)


def context_features(words: Sequence[str]) -> list[list[str]]:
    """Per word of a sentence, the tagger's features that do not depend on the tags before it.

    NLTK's (Honnibal's) features: a bias, the word's last 3 characters and first character,
    its normalised form (``normalize_word``) and those of the two words on each side, and the
    last 3 characters of the words next to it; and ours: its shape (``word_shape``), its last
    2 and first 3 characters lowercased. The features on the tags before it come from
    ``history_features``.
    """
    context = [*_START, *(normalize_word(w) for w in words), *_END]
    out = []
    for i, word in enumerate(words):
        c = i + 2
        before, after = context[c - 1], context[c + 1]
        out.append([
            "bias", "i suffix " + word[-3:], "i pref1 " + word[:1], "i word " + context[c],
            "i-1 word " + before, "i-1 suffix " + before[-3:], "i-2 word " + context[c - 2],
            "i+1 word " + after, "i+1 suffix " + after[-3:], "i+2 word " + context[c + 2],
            "i shape " + word_shape(word), "i suffix2 " + word[-2:].lower(), "i pref3 " + word[:3].lower(),
        ])
    return out


def history_features(prev: str, prev2: str, norm: str) -> list[str]:
    """The features on the two tags before a word (NLTK's): each alone, both, and the one before
    with the word's normalised form ``norm``."""
    return [f"i-1 tag {prev}", f"i-2 tag {prev2}", f"i tag+i-2 tag {prev} {prev2}", f"i-1 tag+i word {prev} {norm}"]


class AveragedPerceptronTagger:
    """Greedy left-to-right part-of-speech tagger with an averaged perceptron (Collins 2002),
    NLTK's ``PerceptronTagger`` (Matthew Honnibal's design) with three more word features.

    A word in the tag dictionary gets its tag; any other the highest-scoring tag, the score
    being the sum of the weights of its features (``context_features`` + ``history_features``),
    ties to the alphabetically last tag. Weights are a (features x tags) float32 matrix.
    ``bench/train_tagger.py`` trains it and writes the file ``load`` reads.
    """

    def __init__(self, features: Sequence[str], labels: Sequence[str], weights, tagdict: dict[str, str]) -> None:
        self.labels = list(labels)
        self._row = {feat: i for i, feat in enumerate(features)}
        self._weights = weights
        self.tagdict = tagdict

    @classmethod
    def load(cls, path) -> AveragedPerceptronTagger:
        """The model stored at ``path`` by ``bench/train_tagger.py``: string tables (newline-joined
        UTF-8) of feature names, tags and tag-dictionary words; per feature the number of tags
        with a weight, their indices and weights x1000 (int32). Raises
        ``OSError``/``ValueError``/``KeyError`` for a missing or damaged file."""
        import numpy as np

        with np.load(path) as data:
            features = _table(data["features"])
            labels = _table(data["classes"])
            counts = data["counts"].astype(np.int64)
            rows = np.repeat(np.arange(len(features)), counts)
            weights = np.zeros((len(features), len(labels)), np.float32)
            weights[rows, data["columns"]] = data["weights"] / 1000.0
            tagdict = dict(zip(_table(data["tagdict_words"]), (labels[j] for j in data["tagdict_tags"])))
        return cls(features, labels, weights, tagdict)

    def scores(self, features: Sequence[str]):
        """The score of every tag (in ``labels`` order) for a word with ``features``."""
        rows = [r for r in map(self._row.get, features) if r is not None]
        return self._weights[rows].sum(axis=0)

    def tag(self, words: Sequence[str], given: Sequence[str] = ()) -> list[tuple[str, str]]:
        """``(word, tag)`` for each word; the first ``len(given)`` words get the tags ``given``."""
        contexts = context_features(words)
        prev, prev2 = _START
        last = len(self.labels) - 1
        out = []
        for i, word in enumerate(words):
            tag = given[i] if i < len(given) else self.tagdict.get(word)
            if tag is None:
                scores = self.scores(contexts[i] + history_features(prev, prev2, normalize_word(word)))
                tag = self.labels[last - int(scores[::-1].argmax())]
            out.append((word, tag))
            prev2, prev = prev, tag
        return out

    def tag_sents(self, sentences: Sequence[Sequence[str]]) -> list[list[tuple[str, str]]]:
        """``tag`` of each sentence."""
        return [self.tag(words) for words in sentences]


def _warn_no_tagger(exc: BaseException) -> None:
    global _warned_no_tagger
    if not _warned_no_tagger:
        _warned_no_tagger = True
        print(
            f"keyextract: warning: the English POS tagger cannot be loaded ({exc}); English candidates "
            "fall back to stopword-delimited n-grams (reinstall keyextract to repair it)",
            file=sys.stderr,
        )


def _headline_words(words: list[tuple[str, str]], stopwords: frozenset[str]) -> str | None:
    """``"caps"`` for an ALL-CAPS line, ``"title"`` for a Title Case one, else ``None``.

    ``words`` are ``(text, kind)`` of the line's tokens.
    """
    alpha = [w for w, kind in words if kind == "word" and w[:1].isalpha()]
    if len(alpha) < 2:
        return None
    cased = [w for w in alpha if any(ch.isalpha() for ch in w) and len(w) > 1]
    if len(cased) >= 2 and all(w.isupper() for w in cased):
        return "caps"
    content = [w for w in alpha if w.casefold() not in stopwords]
    if len(content) >= 2 and all(w[0].isupper() for w in content):
        return "title"
    return None


def _case_normalised(word: str, style: str) -> str | None:
    """The form a headline word is tagged in: common-word case, acronyms kept in Title Case."""
    if style == "caps" or (word[:1].isupper() and word[1:].islower()):
        lowered = word.lower()
        return lowered if lowered != word else None
    return None


def _prepare_english(text: str, start: int, end: int, breaks: Sequence[int]):
    """Tokens of ``text[start:end]``, the form the tagger sees each in, which start a line, and
    which were lowercased from a Title Case line.

    An ALL-CAPS line or run of words (a title, heading or shouting) is tagged in lowercase, so
    that its common words are not taken for proper nouns; so is a Title Case line, whose words
    then keep the lowercase tag only where it finds a verb (``_segment_english``). Spans are
    never changed, only ``norm``.
    """
    raw = english_tokens(text, start, end)
    stopwords = load_stopwords("en")
    starts_line = [i == 0 or _break_between(breaks, raw[i - 1][1], raw[i][0]) for i in range(len(raw))]
    norms = [norm for _, _, norm, _ in raw]
    titled = [False] * len(raw)
    line_start = 0  # headline lines: the tokens between two phrase-ending line breaks
    for i in range(1, len(raw) + 1):
        if i == len(raw) or starts_line[i]:
            style = _headline_words([(text[s:e], kind) for s, e, _, kind in raw[line_start:i]], stopwords)
            if style:
                for k in range(line_start, i):
                    s, e, norm, kind = raw[k]
                    if kind == "word" and norm is None:
                        norms[k] = _case_normalised(text[s:e], style)
                        titled[k] = style == "title" and norms[k] is not None
            line_start = i
    # shouting inside a line: runs of at least CAPS_RUN consecutive ALL-CAPS words
    def shouted(k: int) -> bool:
        word = text[raw[k][0] : raw[k][1]]
        return raw[k][3] == "word" and norms[k] is None and len(word) > 1 and word.isalpha() and word.isupper()

    run: list[int] = []
    for k in range(len(raw) + 1):
        if k < len(raw) and shouted(k) and not (run and starts_line[k]):
            run.append(k)
            continue
        if len(run) >= CAPS_RUN:
            for j in run:
                norms[j] = text[raw[j][0] : raw[j][1]].lower()
        run = [k] if k < len(raw) and shouted(k) else []
    words = [norm or text[s:e] for (s, e, _, _), norm in zip(raw, norms)]
    return raw, norms, starts_line, words, titled


def _segment_english(text: str, start: int, end: int, breaks: Sequence[int] = ()) -> list[Token]:
    """Penn Treebank tokens with tags, tagged sentence by sentence (see ``_sentences``)."""
    raw, norms, starts_line, words, titled = _prepare_english(text, start, end, breaks)
    tagger = english_tagger()
    if tagger is None:
        tags: list[str | None] = [None] * len(raw)
    else:
        ranges = _sentences(words, starts_line)
        tags = [tag for sent in tagger.tag_sents([words[a:b] for a, b in ranges]) for _, tag in sent]
        if any(titled):
            _title_case_tags(text, raw, norms, words, titled, tags, ranges, tagger)
        _verbs_after_auxiliaries(words, tags, starts_line)
        headline = [norm is not None and norm != text[s:e] == norm.upper() for (s, e, _, _), norm in zip(raw, norms)]
        for a, b in ranges:
            if not any(titled[a:b]) and not any(headline[a:b]):
                if b - a >= 5 and words[b - 1] in _CLAUSE_ENDS:
                    _singular_subject_verbs(words, tags, a, b, tagger)
                    for start, end, relative in _clauses(words, tags, a, b):
                        _give_finite_verb(words, tags, start, end, starts_line, tagger, relative)
                    _coordinated_verbs(words, tags, a, b, tagger)
    tokens: list[Token] = []
    for k, ((s, e, _, kind), norm, tag) in enumerate(zip(raw, norms, tags)):
        word = text[s:e]
        if kind == "nonprose" and tag is not None and ("@" in word or "://" in word or word.startswith("www")):
            tag = _ADDRESS_TAG
        elif tag is not None and _DECADE_RE.fullmatch(word):
            tag = "CD"
        if kind == "word" and tokens and not starts_line[k] and _VERSION_RE.fullmatch(word):
            prev = tokens[-1]
            gap = text[prev.end : s]
            named = prev.kind == "term" or prev.pos in ("NNP", "NNPS")
            if gap.isspace() and "\n" not in gap and named and prev.text.casefold() not in _REFERENCE_NOUNS:
                kind = "term"
        tokens.append(Token(word, s, e, tag, "en", norm, kind, starts_line[k] and k > 0))
    return tokens


def _verbs_after_auxiliaries(words: list[str], tags: list, starts_line: list[bool]) -> None:
    """Retag as VB a base-form noun (NN) right after a modal ("will share") or after
    do-support with negation ("doesn't share", "did not track"), when it can be a verb.

    English grammar leaves only a bare verb there; the tagger, trained on financial news,
    takes "share" or "access" there for a noun, and the phrase then runs on into the next
    nouns. Whether a word can be a verb is LemmInflect's dictionary.
    """
    for k in range(1, len(words)):
        if tags[k] != "NN" or starts_line[k]:
            continue
        prev = words[k - 1].lower()
        after_modal = tags[k - 1] == "MD"
        negated = k > 1 and prev in _NEGATIONS and not starts_line[k - 1] and (
            tags[k - 2] == "MD" or words[k - 2].lower() in _DO_FORMS
        )
        if (after_modal or negated) and _can_be_verb(words[k].lower()):
            tags[k] = "VB"


@lru_cache(maxsize=65_536)  # bounded: one entry per distinct word of every text seen
def _can_be_verb(word: str) -> bool:
    from lemminflect import getAllLemmas

    return bool(getAllLemmas(word, upos="VERB"))


@lru_cache(maxsize=65_536)  # bounded: one entry per distinct word of every text seen
def _is_base_form(word: str) -> bool:
    from lemminflect import getAllLemmas

    return word in getAllLemmas(word, upos="VERB").get("VERB", ())


@lru_cache(maxsize=65_536)  # bounded: one entry per distinct word of every text seen
def _verb_reading(word: str, tag: str) -> str | None:
    """The finite verb tag a noun-tagged word can have too: VBZ for a plural noun that is a
    verb's third person singular ("stores", "schedules"), VBP for a singular noun that is a
    verb's base form ("need"); else None. LemmInflect's dictionary decides."""
    from lemminflect import getAllLemmas, getInflection

    lemmas = getAllLemmas(word, upos="VERB").get("VERB", ())
    if tag == "NNS" and any(word in getInflection(lemma, tag="VBZ") for lemma in lemmas):
        return "VBZ"
    if tag == "NN" and word in lemmas:
        return "VBP"
    if tag in ("JJ", "VB") and word in lemmas and not getAllLemmas(word, upos="ADJ"):
        return "VBP"  # a base form taken for an adjective ("networks with attention improve/JJ ...")
    return None


def _singular_subject_verbs(words: list[str], tags: list, a: int, b: int, tagger: AveragedPerceptronTagger) -> None:
    """Retag as VBZ a plural noun that ends a noun phrase opened by a singular determiner ("a",
    "an", "each", "every", "this", "another") after a singular noun, when it is a verb's -s
    form: "A sourdough starter ferments/NNS flour/VBP ..." cannot have the plural "ferments" as
    its head, so "ferments" is the verb, whatever the tagger made of the next word; the words
    after it are tagged again. "a few grocery stores" (a quantifier between) is left alone."""
    k = a
    while k < b - 2:
        if words[k].lower() not in _SINGULAR_DETERMINERS or tags[k] != "DT":
            k += 1
            continue
        j = k + 1
        while j < b and tags[j] in ("JJ", "NN", "NNP") and words[j].lower() not in _QUANTIFIERS:
            j += 1
        if (j < b - 1 and j > k + 1 and tags[j] == "NNS" and tags[j - 1] in ("NN", "NNP") and words[j].islower()
                and tags[j + 1] not in _NOUN_TAGS and tags[j + 1] not in ("IN", "CC", "TO", ",", ".", ":")
                and _verb_reading(words[j], "NNS") == "VBZ"):
            tags[a:b] = [tag for _, tag in tagger.tag(words[a:b], given=[*tags[a:j], "VBZ"])]
            return
        k = j


def _clauses(words: list[str], tags: list, a: int, b: int) -> list[tuple[int, int, bool]]:
    """The clauses of the sentence ``words[a:b]`` that need a finite verb, as ``(start, end,
    relative)``: the sentence is cut

    - after the comma that closes a fronted subordinate clause with a finite verb ("Once the
      network is up, the scheduler places pods ..."),
    - before a coordinating "but", "yet" or "whereas" followed by a new subject (a determiner
      or pronoun: "..., but a leaf stores energy"), and before "and" or "or" followed by one
      when what follows has a finite verb of its own (coordinated clauses, "... nodes and the
      kubelet starts ..."), so that each part needs its own verb;

    and within each part a clause also starts after a complementizer "that" (tagged IN) or a
    "how", "why", "whether", "where", "when" that follows a verb ("We show that networks with
    attention improve ...", "We investigate how meltwater drainage controls ..."), after a
    subordinator wherever it stands ("... events when the residual exceeds a threshold"), and
    after a relative
    "that" or "which" that follows a noun and is followed by a subject ("the ports that the
    control plane needs"; ``relative``: its verb may end the clause).
    """
    cuts = [a]
    subordinate = words[a].lower() in _SUBORDINATORS
    for k in range(a + 1, b - 1):
        word, nxt = words[k].lower(), tags[k + 1]
        if subordinate and word == "," and any(t in _FINITE for t in tags[cuts[-1] : k]):
            cuts.append(k + 1)
            subordinate = False
        elif tags[k] == "CC" and nxt in _SUBJECT_STARTS and (
            word in _CLAUSE_CONJUNCTIONS
            or (word in ("and", "or") and any(t in _FINITE for t in tags[k + 1 : b]))
        ):
            cuts.append(k + 1)
    cuts.append(b)
    clauses = []
    for start, end in zip(cuts, cuts[1:]):
        clauses.append((start, end, False))
        for k in range(start + 1, end - 1):
            word = words[k].lower()
            if (word == "that" and tags[k] == "IN" or word in _WH_OPENERS) and tags[k - 1].startswith("VB"):
                clauses.append((k + 1, end, False))
            elif word in _CLAUSE_OPENERS and tags[k] in ("IN", "WRB"):
                clauses.append((k + 1, end, False))
            elif word in ("that", "which") and tags[k - 1] in _NOUN_TAGS and tags[k + 1] in _SUBJECT_STARTS:
                clauses.append((k + 1, end, True))
    return clauses


def _imperative_series(words: list[str], tags: list, a: int, b: int) -> None:
    """In an imperative clause (its first word VB), the next imperatives of a comma series are
    verbs too: a word right after a comma that is a verb's base form and no adjective, tagged
    JJ before a noun or NN before a determiner or possessive ("install a runtime, disable/JJ
    swap, and open the ports"), becomes VB."""
    for k in range(a + 1, b - 1):
        if words[k - 1] != "," or not words[k].isalpha() or not words[k].islower():
            continue
        after = tags[k + 1]
        takes_object = (tags[k] == "JJ" and after in _NOUN_TAGS | {"DT", "PRP$", "JJ"}) or (
            tags[k] == "NN" and after in ("DT", "PRP$"))
        if takes_object and _verb_reading(words[k], "JJ" if tags[k] == "JJ" else "NN"):
            tags[k] = "VB"


def _coordinated_verbs(words: list[str], tags: list, a: int, b: int, tagger: AveragedPerceptronTagger) -> None:
    """Verbs coordinated with a verb, taken for plural nouns, become VBZ (the words after each
    are tagged again):

    - before "and"/"or" and a VBZ, after a noun, with no finite verb before it in the sentence
      (its subject's verb): "melt accelerates/NNS or decelerates/VBZ ice flow";
    - the last item of a series of predicates, right after "and"/"or" or a comma, when another
      VBZ of the sentence stands right after a comma: "It fits models, predicts/VBZ water times,
      and flags/NNS storm surge events". A list of nouns ("cables, plugs, and stores") has no
      such VBZ and is left alone.

    Each word must be a verb's -s form (LemmInflect) followed by the start of an object.
    """
    series = any(tags[k] == "VBZ" and words[k - 1] == "," for k in range(a + 1, b))
    for k in range(a + 1, b - 2):
        if tags[k] != "NNS" or not words[k].islower() or _verb_reading(words[k], "NNS") != "VBZ":
            continue
        before_verb = (tags[k - 1] in _NOUN_TAGS and words[k + 1].lower() in ("and", "or") and tags[k + 2] == "VBZ"
                       and not any(t in _FINITE for t in tags[a:k]))
        joined = words[k - 1] == "," or (words[k - 1].lower() in ("and", "or") and tags[k - 2] in (",", "CC"))
        in_series = series and joined
        if before_verb or (in_series and tags[k + 1] in _VERB_FOLLOWERS):
            tags[k:b] = [tag for _, tag in tagger.tag(words[a:b], given=[*tags[a:k], "VBZ"])][k - a :]


def _give_finite_verb(words: list[str], tags: list, a: int, b: int, starts_line: list[bool],
                      tagger: AveragedPerceptronTagger, relative: bool = False) -> None:
    """Give the clause ``words[a:b]`` (see ``_clauses``) a finite verb if it has none.

    A greedy left-to-right tagger cannot see the tag after a word, and after a noun it takes
    a verb that is also a plural noun for one more noun of a compound ("A relational database
    stores/NNS data", "Kubernetes schedules/NNS containers"). In a clause without a finite
    verb (VBZ, VBP, VBD, MD, or an imperative VB first; a capitalised first word tagged VBZ or
    VBP in a statement has no subject and is read as a name, "Kubernetes"), the first word
    that follows a noun, is followed by the start of an object or an adverb (determiner,
    pronoun, number, adjective, noun, adverb, or a participle before a noun; in a relative
    clause also the clause's end) and that LemmInflect knows as a verb form becomes the verb:
    a plural noun that is a verb's -s form VBZ, a singular noun after a plural noun that is a
    verb's base form VBP; the words after it are tagged again. In an imperative clause the
    later imperatives of a comma series become VB (``_imperative_series``). A clause without a finite verb
    that starts with a participle that is also a base form ("run", "set", "put") before its
    object is an imperative: that word becomes VB. (Choosing instead the word
    whose new tagging the model scores highest got 3 of 57 test sentences wrong, the first
    word 1: "Security teams/VBZ monitor".) Only in sentences of 5+ tokens that end in . ! ? or
    ; (the caller checks), and clauses of 4+ tokens, so that headings and short fragments
    ("Neural networks again.") keep their nouns; a verbless list item ("Breathtaking views and
    fabulous accommodation.") has no such word.
    """
    if b - a < 4:
        return
    if tags[a] == "VB":
        _imperative_series(words, tags, a, b)
        return
    finite = [k for k in range(a, b) if tags[k] in _FINITE]
    first = tags[a]
    if not finite and first in ("VBN", "VBD") and _is_base_form(words[a].lower()) and tags[a + 1] in _IMPERATIVE_OBJECTS:
        # an imperative whose verb has one form for base and participle ("; run kubeadm join ...")
        tags[a:b] = [tag for _, tag in tagger.tag(words[a:b], given=["VB"])]
        return
    if finite == [a] and first in ("VBZ", "VBP") and words[b - 1] != "?" and words[a][:1].isupper() \
            and words[a].lower() not in _AUXILIARIES:
        tags[a] = "NNP"  # a capitalised first word taken for a verb, with no subject before it
    elif finite:
        return
    last = b - 1 if relative else b - 2
    for k in range(a + 1, last):
        if tags[k - 1] not in _SUBJECT_ENDS or starts_line[k] or not words[k].isalpha() or not words[k].islower():
            continue
        after = tags[k + 1]
        ends = relative and (k + 1 == b or words[k + 1] in _CLAUSE_ENDS or words[k + 1] == ",")
        if after not in _VERB_FOLLOWERS and not ends and not (after == "VBG" and tags[k + 2] in _NOUN_TAGS):
            continue
        target = _verb_reading(words[k], tags[k])
        # a base form agrees with a plural subject: a plural noun or a coordination before it
        plural = any(t in ("NNS", "NNPS", "CC") for t in tags[a:k])
        if target == "VBZ" or (target == "VBP" and plural):
            tags[a:b] = [tag for _, tag in tagger.tag(words[a:b], given=[*tags[a:k], target])]
            return
    tags[a] = first


def _title_case_tags(text, raw, norms, words, titled, tags, ranges, tagger) -> None:
    """Tags of Title Case lines: as written, except verbs that take an object.

    Tagged in lowercase, a title's verbs show ("Ramsey Graphs Beating the ..."), but so do
    participles that modify a noun ("Emerging Technologies", "Coordinated Scheduling"), which
    the noun-phrase pattern would then drop. A lowercased word keeps its lowercase tag only
    when that is a verb followed by a determiner, pronoun, number or preposition (the start
    of its object); every other word is tagged as written (``norm`` reset), and is a proper
    noun (NNP) if the tagger still reads it as a verb: capitalised as a name's words are.
    """
    for a, b in ranges:
        if not any(titled[a:b]):
            continue
        written = [text[raw[k][0] : raw[k][1]] if titled[k] else words[k] for k in range(a, b)]
        as_written = [tag for _, tag in tagger.tag(written)]
        for k in range(a, b):
            if not titled[k]:
                continue
            verb = tags[k].startswith("VB") and k + 1 < b and tags[k + 1] in _OBJECT_STARTS
            if not verb:
                tags[k] = "NNP" if as_written[k - a].startswith("VB") else as_written[k - a]
                norms[k] = None
                words[k] = written[k - a]


def _sentences(words: list[str], starts_line: list[bool]) -> list[tuple[int, int]]:
    """Index ranges ``[a, b)`` of the sentences the tagger sees: split at . ! ? ; and at line breaks."""
    ranges: list[tuple[int, int]] = []
    a = 0
    for k, (word, new_line) in enumerate(zip(words, starts_line)):
        if new_line and k > a:
            ranges.append((a, k))
            a = k
        if word[0] in _SENTENCE_END and word == word[0] * len(word):
            ranges.append((a, k + 1))
            a = k + 1
    if a < len(words):
        ranges.append((a, len(words)))
    return ranges


def tagging_sentences(text: str) -> list[list[str]]:
    """The sentences of ``text`` as the tagger sees them (words in their tagged form).

    For measuring the tagger alone (``bench/tagging.py``); Chinese stretches are left out.
    """
    breaks = phrase_breaks(text, load_stopwords("en"))
    sentences = []
    for script, start, end in split_scripts(text):
        if script == "en":
            _, _, starts_line, words, _ = _prepare_english(text, start, end, breaks)
            sentences.extend(words[a:b] for a, b in _sentences(words, starts_line))
    return sentences


# --- Languages without a tagger ------------------------------------------------------------

_APOSTROPHES = "'\u2019"
# URLs and e-mail addresses (never part of a phrase), words (letters, combining marks and
# digits, joined by inner hyphens and apostrophes: "guarda-chuva", "Diz-se", "aujourd'hui",
# "COVID-19"), and any other character on its own.
_UNTAGGED_TOKEN_RE = regex.compile(
    r"""
    (?P<nonprose>(?:[a-z][a-z0-9+.-]*://|www\d?\.)[^\s<>"'()\[\]{}]*[^\s<>"'()\[\]{}.,;:!?]
        |[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
    |(?P<word>[\p{L}\p{M}\p{N}]+(?:[-\u2010'\u2019][\p{L}\p{M}\p{N}]+)*)
    |(?P<other>\S)
    """,
    regex.VERBOSE | regex.IGNORECASE,
)


def segment_untagged(text: str, lang: str) -> list[Token]:
    """Tokens of ``text`` in ``lang``, a language without a tagger: ``pos`` is ``None`` and
    ``script`` is ``lang``.

    Words keep inner hyphens and apostrophes; an elided clitic of the language
    (``languages.Language.elisions``: French ``l'``, ``qu'``; Italian ``dell'``) becomes a token
    of its own (``l'énergie`` -> ``l'`` + ``énergie``), normalised without its apostrophe. A
    word's ``norm`` has straight apostrophes. URLs and e-mail addresses are ``nonprose``. A token
    after a line break that ends a phrase (``layout.phrase_breaks``, with the language's
    stopwords) has ``break_before``.
    """
    elisions = UNTAGGED[lang].elisions if lang in UNTAGGED else frozenset()
    breaks = phrase_breaks(text, _shipped_stopwords(lang))
    tokens: list[Token] = []
    b = 0
    for match in _UNTAGGED_TOKEN_RE.finditer(text):
        start, end = match.span()
        while b < len(breaks) and breaks[b] < start:
            b += 1
        broken = bool(tokens) and b > 0 and breaks[b - 1] >= tokens[-1].end
        kind = "nonprose" if match.lastgroup == "nonprose" else "word"
        word = match.group()
        if kind == "word" and elisions:
            cut = _elision_end(word, elisions)
            if cut:
                tokens.append(Token(word[:cut], start, start + cut, None, lang, word[: cut - 1], "word", broken))
                start, word, broken = start + cut, word[cut:], False
        norm = word.replace("\u2019", "'") if "\u2019" in word else None
        tokens.append(Token(word, start, end, None, lang, norm, kind, broken))
    return tokens


def _shipped_stopwords(lang: str) -> frozenset[str]:
    """The stopword list shipped for ``lang``, or none."""
    from .stopwords import shipped_languages

    return load_stopwords(lang) if lang in shipped_languages() else frozenset()


def _elision_end(word: str, elisions: frozenset[str]) -> int:
    """Length of the elided clitic (with its apostrophe) that ``word`` starts with, or 0."""
    for i, ch in enumerate(word):
        if ch in _APOSTROPHES:
            return i + 1 if word[:i].casefold() in elisions and i + 1 < len(word) else 0
        if not ch.isalpha():
            return 0
    return 0

"""Candidate selection: POS-pattern phrases bounded by stopwords, punctuation and line breaks.

English candidates are runs of adjectives and nouns that end in a noun (the pattern of
EmbedRank and pke's noun phrases); technical terms (``Token.kind == "term"``: C++, 5G,
HTTP/2) count as nouns, and non-prose tokens (URLs, e-mail addresses, paths, hashes, code) are
never part of one. Chinese candidates are runs of jieba's noun-like tags. A phrase-ending line
break (``Token.break_before``) ends a run in every script. Languages without a tagger get
stopword- and punctuation-delimited n-grams (``untagged_candidates``).

Occurrences of one phrase that differ only in case, width, script (traditional/simplified) or in
the inflection of their head noun ("neural networks", "Neural Network") are merged into one
candidate; the plural head is lemmatized with LemmInflect (Jascob,
https://github.com/bjascob/LemmInflect), the noun lemma of a word the tagger tagged as a plural
noun.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from .chinese import ZH_VERBS, idf, specificity
from .types import Candidate, Contests, Span, Spans, Token

EN_NOUNS = frozenset({"NN", "NNS", "NNP", "NNPS"})
EN_ADJECTIVES = frozenset({"JJ", "JJR", "JJS"})
EN_PROPER_NOUNS = frozenset({"NNP", "NNPS"})
# Adjectives that say nothing of a topic (age, rank, evaluation, reference to the text): an
# English phrase never holds one ("new 4G modems" -> "4G modems", "the proposed method" ->
# "method"). On the English dev sets (features of this round) 1.3% of the 12,000 candidates
# they started were gold, against 5-8% of all candidates, and dropping those candidates gave
# micro F1@10: Inspec 34.50 -> 34.91, KDD 15.42 -> 15.57, WWW 12.28 -> 12.47, 500N 10.05 ->
# 10.14, Nguyen2007 and SemEval-2010 unchanged. Tagged as names (NNP: "New York") they stay.
# Dates are no topic: month and weekday names, capitalised and tagged as nouns, end a phrase.
EN_CALENDAR_NAMES = frozenset({
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
})
EN_GENERAL_ADJECTIVES = frozenset({
    "new", "recent", "novel", "different", "certain", "particular", "important", "significant",
    "main", "major", "current", "existing", "previous", "following", "possible", "useful", "good",
    "better", "best", "effective", "efficient", "interesting", "typical", "usual", "numerous",
    "additional", "proposed", "present",
})
EN_PARTICIPLES = frozenset({"VBG", "VBN"})
# jieba: nouns, person/place/organisation names, other proper nouns, verbal and adjectival
# nouns, abbreviations, set phrases (jieba tags many technical terms such as 机器翻译 "l"),
# and Latin words inside Chinese text.
ZH_NOUNS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "nw", "ng", "vn", "an", "j", "l", "eng"})
# jieba: adjectives, distinguishing words (区别词) and suffixes such as 型: inside a phrase only.
ZH_MODIFIERS = frozenset({"a", "b", "k"})
# jieba: suffixes (型 in 双酯型生物碱) attach to the word before them and never start a phrase.
ZH_SUFFIXES = frozenset({"k"})
# jieba: verbs. In technical Chinese jieba tags many parts of noun compounds as verbs (液体培养,
# 电压暂降, 补肾活血汤, DNA提取): on CSL 44% of the gold phrases in the text that were no
# candidate held one. Such a verb counts as a noun unless it is a common predicate verb, one
# whose IDF in jieba's table is below ``COMMON_VERB_IDF`` (进行 3.7, 提出 4.7, 采用 5.2 ... but
# 控制 5.0, 模拟 7.6, 暂降 and 活血 above 9); those still break phrases.
ZH_COMPOUND_VERBS = frozenset({"v", "vd", "vi"})
COMMON_VERB_IDF = 5.0
PREDICATE_VERB_IDF = 7.0

EN_PLURAL_NOUNS = frozenset({"NNS", "NNPS"})

# Tokens longer than this (base64, long identifiers the tokenizer did not recognise) are never
# part of a keyphrase.
MAX_TOKEN_CHARS = 40
_WS_RE = re.compile(r"\s+")


def _is_word(token: Token) -> bool:
    """A token that can be part of a phrase: has a letter and is not absurdly long."""
    return len(token.text) <= MAX_TOKEN_CHARS and any(ch.isalpha() for ch in token.text)


def _role(token: Token, stopwords: frozenset[str]) -> str:
    """Classify a token: ``"noun"``, ``"adj"`` (may precede a noun), ``"word"`` (untagged) or ``"break"``."""
    if token.kind == "nonprose" or len(token.text) > MAX_TOKEN_CHARS:
        return "break"
    if token.kind == "term":
        return "noun"
    if not _is_word(token) or (token.norm or token.text).casefold() in stopwords:
        return "break"
    if token.pos is None:  # no tagger: any content word, phrases are plain n-grams
        return "word"
    if token.script == "zh":
        if token.pos in ZH_NOUNS:
            return "noun"
        if token.pos in ZH_MODIFIERS:
            return "adj"
        if token.pos in ZH_COMPOUND_VERBS and idf(token.norm or token.text) >= COMMON_VERB_IDF:
            return "noun"
        return "break"
    if token.pos in EN_NOUNS:
        word = token.text
        calendar = word in EN_CALENDAR_NAMES or (word.endswith("days") and word[:-1] in EN_CALENDAR_NAMES)
        return "break" if calendar else "noun"
    if token.pos in EN_ADJECTIVES:
        return "break" if (token.norm or token.text).lower() in EN_GENERAL_ADJECTIVES else "adj"
    return "break"


def _runs(
    tokens: Sequence[Token], stopwords: frozenset[str]
) -> Iterable[tuple[int, list[Token], list[str]]]:
    """Maximal runs of phrase tokens: same script, no stopword, punctuation, other tag or
    phrase-ending line break (``Token.break_before``) between; a version number ("Python 3.12")
    ends a run.

    Each run comes with the index of its first token in ``tokens``.
    """
    first = 0
    run: list[Token] = []
    roles: list[str] = []
    own = [_role(token, stopwords) for token in tokens]
    for k in range(1, len(tokens) - 1):
        if own[k] == "noun" and _predicate_between_nouns(tokens, own, k):
            own[k] = "break"
    for k, token in enumerate(tokens):
        role = own[k]
        if role == "break" and token.pos in EN_PARTICIPLES and token.script == "en":
            role = _participle_role(tokens, own, k)
            if role == "adj" and (token.norm or token.text).lower() in EN_GENERAL_ADJECTIVES:
                role = "break"  # "the proposed method"
        contiguous = (
            run and token.script == run[-1].script and not token.break_before
            and not _object_of_verb(run[-1], token) and not _sentence_start(run[-1], token)
        )
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


def _predicate_between_nouns(tokens: Sequence[Token], roles: list[str], k: int) -> bool:
    """A Chinese compound verb let in as a noun (``COMMON_VERB_IDF``) between two nouns is the
    predicate of a clause, not part of a compound, when it is a fairly common verb (IDF below
    ``PREDICATE_VERB_IDF``): ``医生/减少/漏诊`` (5.2), ``政策/支持/晶片`` (5.1). Rarer verbs stay
    inside compounds (``下颌阻生第三磨牙``, 阻生 12.0); some compounds are lost
    (``统计学习理论``, 学习 5.8). On CSL dev (features of all 1,000 documents) dropping the
    phrases with such a verb inside gave micro F1@5 21.59 -> 21.67, F1@10 19.56 -> 19.61;
    without the IDF bound 21.53 and 19.51."""
    token = tokens[k]
    if token.script != "zh" or token.pos not in ZH_COMPOUND_VERBS or token.break_before or tokens[k + 1].break_before:
        return False
    before, after = tokens[k - 1], tokens[k + 1]
    return (
        before.script == "zh" and after.script == "zh" and roles[k - 1] == "noun" and roles[k + 1] == "noun"
        and idf(token.norm or token.text) < PREDICATE_VERB_IDF
    )


def _participle_role(tokens: Sequence[Token], roles: list[str], k: int) -> str:
    """The role of an English participle (VBG, VBN) inside a noun phrase, or ``"break"``.

    A tagger trained on treebanks tags the -ing and -ed words of technical noun phrases as
    verbs, as they are in form ("training method", "distributed database", "data mining"), and
    a noun pattern then drops them; on the English dev sets such phrases are common keyphrases
    (QUALITY-NOTES: 23% of the gold phrases of Inspec missed as candidates held one). Right
    before a noun or adjective, a past participle modifies it (``"adj"``) unless a noun precedes
    it ("distributed database"), and an -ing word modifies it when it is a noun itself
    (LemmInflect knows "learning", "training", "clustering" as nouns: "machine learning
    algorithm") or follows a determiner ("a manufacturing firm"); otherwise it takes an object
    ("implementing adaptive resource management"), and always after a preposition that opens a
    gerund clause ("by passing messages", "without using labels"). An -ing word after a noun
    that takes no object (no noun, adjective, determiner, pronoun or number follows) is the
    phrase's head (``"noun"``: "data mining", "cloud computing"). "results showing
    improvements" stays a verb.
    """
    token = tokens[k]
    nxt = tokens[k + 1] if k + 1 < len(tokens) and not tokens[k + 1].break_before else None
    before = roles[k - 1] if k and not token.break_before and tokens[k - 1].script == "en" else "break"
    nominal = token.pos == "VBG" and _is_noun_word((token.norm or token.text).lower())
    determined = k and not token.break_before and tokens[k - 1].pos in ("DT", "PRP$", "POS")
    clause = k and not token.break_before and tokens[k - 1].text.lower() in _GERUND_CLAUSE_OPENERS
    modifies = before != "noun" if token.pos == "VBN" else (nominal or determined) and not clause
    if nxt is not None and roles[k + 1] in ("noun", "adj") and modifies:
        return "adj"
    object_follows = nxt is not None and (roles[k + 1] in ("noun", "adj") or nxt.pos in _OBJECT_STARTS)
    if token.pos == "VBG" and before == "noun" and not object_follows:
        return "noun"
    return "break"


# Prepositions after which an -ing word heads a clause with its own object ("by passing messages").
_GERUND_CLAUSE_OPENERS = frozenset({"by", "without", "after", "before", "while", "when", "upon", "besides"})

# Tags that start a verb's object: a participle followed by one takes an object.
_OBJECT_STARTS = frozenset({"DT", "PDT", "PRP", "PRP$", "CD"})


@lru_cache(maxsize=65_536)
def _is_noun_word(word: str) -> bool:
    from lemminflect import getAllLemmas

    return bool(getAllLemmas(word, upos="NOUN"))


def _sentence_start(previous: Token, token: Token) -> bool:
    """A capitalised common word right after a lowercase word starts a new sentence (or a name),
    not the next word of a noun phrase: where a title runs into its text with no line break or
    a full stop was lost (``... sensor networks Accurate localization is ...``,
    ``... pairwise constraints Data clustering ...``). A common word is one LemmInflect knows;
    names it does not know (``director Terrence Malick``) and acronyms (``US``) keep their phrase.
    """
    if token.script != "en" or token.kind != "word" or previous.kind != "word":
        return False
    word, before = token.text, previous.text
    if not (before[:1].islower() and word[:1].isupper() and word[1:].islower() and word.isalpha()):
        return False
    return _is_common_word(word.lower())


@lru_cache(maxsize=65_536)
def _is_common_word(word: str) -> bool:
    from lemminflect import getAllLemmas

    return bool(getAllLemmas(word))


def _is_zh_noun(token: Token) -> bool:
    """A Chinese-run token that is a noun by its own tag (or a Latin term), not a verb let in."""
    return token.kind == "term" or token.pos in ZH_NOUNS


def _object_of_verb(previous: Token, token: Token) -> bool:
    """A Latin term next to a Chinese verb is its subject or object, not part of a phrase with
    it: ``调用jieba`` and ``Python调用`` (``使用Python调用jieba``) break between the two. This
    also splits the few compounds of a Latin name and a verb (``Radon变换``, ``DNA提取``: 13 of
    the 4,455 gold keyphrases of CSL dev found in their texts)."""
    if token.script != "zh" or previous.script != "zh":
        return False
    return (token.kind == "term" and previous.pos in ZH_VERBS) or (previous.kind == "term" and token.pos in ZH_VERBS)


def _phrases_in_run(run: list[Token], roles: list[str], max_words: int) -> Iterable[tuple[int, int]]:
    """Token index ranges ``[i, j)`` of the phrases a run yields.

    An English run is a noun phrase: it ends in its head noun (trailing adjectives dropped)
    and is cut to its last ``max_words`` words (or back to the start of a name those would
    cut). It yields that whole phrase and its sub-spans of two or more words, at most
    ``max_words``, that end in a noun (``neural network`` in ``deep neural network
    training``), which contend for the occurrence (``Candidate.groups``): the ranking keeps the
    best-scoring contender, so a long phrase is cut where the document's meaning is. A sub-span
    never cuts a name (a run of up to ``max_words`` proper nouns): ``director Terrence`` is not
    one. One-word
    sub-spans are not yielded: contending, they cost 2-3 F1@10 points on Inspec, and counted as
    occurrences of the single nouns that are phrases elsewhere, every ``system`` inside longer
    phrases made ``system`` a top keyphrase of a long paper (on the first 50 Nguyen2007 papers,
    counting only a noun's own occurrences lifted micro F1@10 from 24.9 to 29.1).

    A Chinese run gives every sub-span of up to ``max_words`` words that ends in a noun (not
    right before a one-character noun glued to it, ``_glued_character``), each
    ranked on its own: jieba splits compounds finely and Chinese keyphrases are often part of a
    longer noun run (on CSL this lifts the share of gold keyphrases among the candidates from
    37% to 55%). Untagged runs (no tagger available) yield all their n-grams of up to
    ``max_words``, each ranked on its own.
    """
    if roles[0] == "word":
        for i in range(len(run)):
            for j in range(i + 1, min(len(run), i + max_words) + 1):
                yield i, j
        return
    if run[0].script == "zh":
        for j in range(1, len(run) + 1):
            if roles[j - 1] == "noun" and not (j < len(run) and _glued_character(run[j])):
                for i in range(max(0, j - max_words), j):
                    # a compound verb counts as a noun only beside one (液体培养, not 详情请访问)
                    if run[i].pos not in ZH_SUFFIXES and any(_is_zh_noun(t) for t in run[i:j]):
                        yield i, j
        return
    end = len(run)
    while end and roles[end - 1] != "noun":
        end -= 1
    names = _names(run, max_words)
    begin = max(0, end - max_words)
    while begin and names[begin - 1] and names[begin]:  # the last max_words words cut a name
        begin -= 1
    for i in range(begin, end):
        if i > begin and names[i - 1] and names[i]:
            continue  # would start inside a name
        for j in range(i + 2, min(end, i + max_words) + 1):
            if roles[j - 1] == "noun" and not (j < len(run) and names[j - 1] and names[j]):
                yield i, j
    if end - begin == 1:
        yield begin, end


def _glued_character(token: Token) -> bool:
    """A one-character Chinese noun that jieba left beside the word before it: the end of a
    word jieba did not know (``台積|電``, ``乌头|碱``, ``转动惯量|体``), so no phrase ends just
    before it. On CSL dev (features replayed) dropping the phrases always followed by one gave
    micro F1@5 21.59 -> 21.65, F1@10 19.56 -> 19.67."""
    return len(token.text) == 1 and token.script == "zh" and token.pos in _GLUED_NOUNS and not token.break_before


_GLUED_NOUNS = frozenset({"n", "ng", "nr", "nz"})


def _names(run: list[Token], max_words: int) -> list[bool]:
    """Per token: inside a name that a phrase of ``max_words`` can hold (a run of 2 to
    ``max_words`` proper nouns). Longer names are cut as any phrase is."""
    proper = [t.pos in EN_PROPER_NOUNS for t in run]
    names = [False] * len(run)
    k = 0
    while k < len(run):
        if not proper[k]:
            k += 1
            continue
        j = k
        while j < len(run) and proper[j]:
            j += 1
        if j - k <= max_words:
            names[k:j] = [True] * (j - k)
        k = j
    return names


def _phrase_text(text: str, start: int, end: int) -> str:
    return _WS_RE.sub(" ", text[start:end])


@lru_cache(maxsize=65536)
def noun_lemma(word: str) -> str:
    """The noun lemma of a (lowercase) plural noun by LemmInflect: "networks" -> "network"."""
    from lemminflect import getLemma

    lemmas = getLemma(word, upos="NOUN")
    return lemmas[0] if lemmas and lemmas[0] else word


def _phrase_key(text: str, tokens: Sequence[Token]) -> str:
    """The form that merges occurrences: tokens in their ``norm`` form (simplified, half-width,
    straight apostrophes), an English plural head noun lemmatized (``noun_lemma``), whitespace
    collapsed, case-folded: ``臺灣`` and ``台湾`` are one candidate, so are ``Neural Networks``
    and ``neural network``."""
    parts = []
    for k, token in enumerate(tokens):
        if k:
            parts.append(text[tokens[k - 1].end : token.start])
        form = token.norm or token.text
        if k == len(tokens) - 1 and token.script == "en" and token.pos in EN_PLURAL_NOUNS and token.kind == "word":
            form = noun_lemma(form.casefold())
        parts.append(form)
    return _WS_RE.sub(" ", "".join(parts)).casefold()


def _specificity(tokens: Sequence[Token]) -> float:
    """How specific a phrase is: the lowest ``chinese.specificity`` of its Chinese words (a
    phrase is as generic as its most common word: 研究方法 less specific than 液体培养); 1.0 for
    a phrase without Chinese words, so English candidates are all alike."""
    values = [specificity(t.norm or t.text) for t in tokens if t.script == "zh" and t.kind == "word"]
    return min(values, default=1.0)


def display_form(forms: Counter[str], first_seen: dict[str, int]) -> str:
    """The surface form to show: most frequent, then fewest capitals, then earliest."""
    return min(forms, key=lambda f: (-forms[f], sum(ch.isupper() for ch in f), first_seen[f]))


def extract_candidates(
    text: str, tokens: Sequence[Token], stopwords: frozenset[str], max_words: int = 3
) -> list[Candidate]:
    """Candidate phrases of ``text`` with all their occurrences, ordered by first occurrence.

    English candidates carry the noun-phrase occurrences they contend in (``Candidate.groups``).
    """
    if max_words < 1:
        raise ValueError(f"max_words must be >= 1, got {max_words}")
    occurrences: dict[str, list[Span]] = {}
    forms: dict[str, Counter[str]] = {}
    first_seen: dict[str, int] = {}
    first_token: dict[str, int] = {}
    specific: dict[str, float] = {}
    groups: dict[str, list[int]] = {}
    for group, (run_start, run, roles) in enumerate(_runs(tokens, stopwords)):
        contends = roles[0] != "word" and run[0].script != "zh"  # an English noun phrase
        for i, j in _phrases_in_run(run, roles, max_words):
            start, end = run[i].start, run[j - 1].end
            phrase = _phrase_text(text, start, end)
            if len(phrase) < 2 or not any(ch.isalpha() for ch in phrase):
                continue
            key = _phrase_key(text, run[i:j])
            first_token.setdefault(key, run_start + i)
            if key not in specific:
                specific[key] = _specificity(run[i:j])
            occurrences.setdefault(key, []).append((start, end))
            forms.setdefault(key, Counter())[phrase] += 1
            first_seen.setdefault(phrase, start)
            if contends:
                groups.setdefault(key, []).append(group)
    candidates = [
        Candidate(
            display_form(forms[key], first_seen), key, Spans(sorted(spans)), first_token[key], specific[key],
            Contests(groups.get(key, ())),
        )
        for key, spans in occurrences.items()
    ]
    candidates.sort(key=lambda c: c.spans[0])
    return candidates


# --- Languages without a tagger ------------------------------------------------------------


def untagged_candidates(
    text: str,
    tokens: Sequence[Token],
    stopwords: frozenset[str],
    max_words: int = 2,
    linkers: frozenset[str] = frozenset(),
    word_key: Callable[[str], str] | None = None,
) -> list[Candidate]:
    """Candidate phrases of a text in a language without a tagger, ordered by first occurrence.

    Stopword- and punctuation-delimited n-grams, as in RAKE (Rose et al. 2010) and YAKE
    (Campos et al. 2020): runs of up to ``max_words`` content words (not stopwords) between
    punctuation, numbers, non-prose tokens and phrase boundaries (``Token.break_before``), and
    every sub-n-gram of them. Two content words may also be joined by one linker of the
    language (``linkers``, case-folded: Portuguese ``de``, ``da``, ``do`` ...), which keeps
    ``presidente da Câmara`` and ``força de paz``; no other stopword is ever inside a phrase.
    Occurrences merge when their words have the same ``word_key`` (a lemmatizer's or
    stemmer's; default: the case-folded word), and each candidate shows its most frequent form.
    """
    if max_words < 1:
        raise ValueError(f"max_words must be >= 1, got {max_words}")
    occurrences: dict[str, list[Span]] = {}
    forms: dict[str, Counter[str]] = {}
    first_seen: dict[str, int] = {}
    first_token: dict[str, int] = {}
    keys: dict[str, str] = {}
    for run_start, run in _untagged_runs(tokens):
        folded = [_norm(t).casefold() for t in run]
        stop = [w in stopwords for w in folded]
        for i in range(len(run)):
            if stop[i]:
                continue
            words = 0
            for j in range(i + 1, len(run) + 1):
                if stop[j - 1]:
                    # one linker between two content words; any other stopword ends the phrase
                    if folded[j - 1] in linkers and j < len(run) and not stop[j] and not stop[j - 2]:
                        continue
                    break
                words += 1
                if words > max_words:
                    break
                start, end = run[i].start, run[j - 1].end
                phrase = _phrase_text(text, start, end)
                if len(phrase) < 2:
                    continue
                key = " ".join(_word_key(_norm(t), keys, word_key) for t in run[i:j])
                first_token.setdefault(key, run_start + i)
                occurrences.setdefault(key, []).append((start, end))
                forms.setdefault(key, Counter())[phrase] += 1
                first_seen.setdefault(phrase, start)
    candidates = [
        Candidate(display_form(forms[key], first_seen), key, Spans(sorted(spans)), first_token[key])
        for key, spans in occurrences.items()
    ]
    candidates.sort(key=lambda c: c.spans[0])
    return candidates


def _norm(token: Token) -> str:
    return token.norm if token.norm is not None else token.text


def _word_key(word: str, cache: dict[str, str], word_key: Callable[[str], str] | None) -> str:
    key = cache.get(word)
    if key is None:
        folded = word.casefold()
        key = cache[word] = word_key(folded) if word_key is not None else folded
    return key


def _untagged_runs(tokens: Sequence[Token]) -> Iterable[tuple[int, list[Token]]]:
    """Maximal runs of word tokens (with a letter, not too long), each with the index of its
    first token; anything else, and a phrase boundary, ends a run."""
    run: list[Token] = []
    first = 0
    for k, token in enumerate(tokens):
        if token.kind == "nonprose" or not _is_word(token) or token.break_before:
            if run:
                yield first, run
            run = [token] if token.kind != "nonprose" and _is_word(token) else []
            first = k
        else:
            if not run:
                first = k
            run.append(token)
    if run:
        yield first, run

"""Languages: which language a document is in, and what keyextract knows of each.

English and Chinese have part-of-speech taggers (NLTK, jieba). Every language in
``UNTAGGED`` is handled without one: its shipped stopword list (``data/stopwords/<code>.txt``)
and punctuation delimit the candidate phrases, its Snowball stemmer (where NLTK has one)
normalises phrases for evaluation, and the default encoder is a multilingual one.

Identification (``detect_language``):

1. A text whose Chinese characters outnumber its Latin words is Chinese
   (``segmentation.script_language``), Japanese when kana make up a fifth of those characters.
2. Otherwise py3langid (a maintained fork of langid.py, Lui & Baldwin 2012; 139 languages,
   a bundled naive Bayes model that needs only numpy) ranks the first ``SAMPLE_CHARS``
   characters. Its answer stands when it is not English, has probability ``MIN_PROBABILITY``
   or more, and the text holds no more English stopwords than stopwords of that language
   (for a language without a list: English stopwords are at most a tenth of its words);
   anything else is English, the default.

Why py3langid: measured on the dev sets (300 documents each, 110 Portuguese; whole documents,
first sentences, first five words), py3langid, lingua-language-detector 2.1 and langdetect
1.0.9 all named every English and Portuguese document right; on first sentences py3langid
erred on 0-6% of the English sets, as lingua did, and on five words 2-17%, like lingua and
langdetect. py3langid took 0.1-2.5 ms a document (45-67 ms a full paper, hence the sample),
lingua 4-100 ms and langdetect 4-33 ms; langdetect called 23% of Chinese abstracts Korean.
py3langid's model loads in about 1 s and its wheel is 4.6 MB; lingua's is 96 MB and loads
all its models in 30 s. Its errors on English are Latin, Nigerian Pidgin, French and the like
at low probability; the probability floor and the stopword check remove all of them on the
dev sets (one five-word news snippet of 300 still comes out Dutch), while every Portuguese
document and all but 3 of 110 first sentences stay Portuguese.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

from .stopwords import load_stopwords

# Characters of the text that identification reads: enough for a stable answer (the dev
# sets' documents come out the same as whole), and a full paper costs no more than an abstract.
SAMPLE_CHARS = 3000
# py3langid's normalised probability below which its answer is not trusted (English instead).
MIN_PROBABILITY = 0.5
# A text in a language without a stopword list is English when more of its words than this
# are English stopwords (Welsh "i", Serbian "a" and "on" are not enough).
MAX_ENGLISH_SHARE = 0.1
# Share of Han and kana characters that are kana from which a text is Japanese, not Chinese.
MIN_KANA_SHARE = 0.2

_KANA_RE = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_WORD_RE = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Language:
    """What keyextract knows of a language handled without a tagger.

    ``stemmer`` names NLTK's Snowball stemmer for it (``None``: phrases are compared
    lowercased); ``elisions`` are the clitics written before an apostrophe that are split off
    the next word (French ``l'énergie`` -> ``l'`` + ``énergie``; ``aujourd'hui`` stays whole);
    ``linkers`` are the stopwords that may join two words inside a candidate phrase: the
    Romance languages' ``de`` and its contractions (``presidente da Câmara``).
    """

    code: str
    name: str
    stemmer: str | None = None
    elisions: frozenset[str] = frozenset()
    linkers: frozenset[str] = frozenset()


def _lang(code: str, name: str, stemmer: str | None = None, elisions: str = "", linkers: str = "") -> Language:
    return Language(code, name, stemmer, frozenset(elisions.split()), frozenset(linkers.split()))


#: Languages handled without a tagger, by ISO 639-1 code: those with a shipped stopword list.
UNTAGGED: dict[str, Language] = {
    lang.code: lang
    for lang in (
        _lang("af", "Afrikaans"),
        _lang("ar", "Arabic", "arabic"),
        _lang("bg", "Bulgarian"),
        _lang("bn", "Bengali"),
        _lang("br", "Breton"),
        _lang("ca", "Catalan", None, "l d s m n t", "de del dels d"),
        _lang("cs", "Czech"),
        _lang("da", "Danish", "danish"),
        _lang("de", "German", "german"),
        _lang("el", "Greek"),
        _lang("eo", "Esperanto"),
        _lang("es", "Spanish", "spanish", "", "de del"),
        _lang("et", "Estonian"),
        _lang("eu", "Basque"),
        _lang("fa", "Persian"),
        _lang("fi", "Finnish", "finnish"),
        _lang("fr", "French", "french", "l d j m n s t c qu jusqu lorsqu puisqu quoiqu presqu", "de du des d"),
        _lang("ga", "Irish"),
        _lang("gl", "Galician", None, "", "de do da dos das"),
        _lang("gu", "Gujarati"),
        _lang("ha", "Hausa"),
        _lang("he", "Hebrew"),
        _lang("hi", "Hindi"),
        _lang("hr", "Croatian"),
        _lang("hu", "Hungarian", "hungarian"),
        _lang("hy", "Armenian"),
        _lang("id", "Indonesian"),
        _lang("it", "Italian", "italian", "l d c s un dell nell all dall sull quell quest coll",
              "di del dello della dei degli delle dell d"),
        _lang("ko", "Korean"),
        _lang("ku", "Kurdish"),
        _lang("lt", "Lithuanian"),
        _lang("lv", "Latvian"),
        _lang("mr", "Marathi"),
        _lang("ms", "Malay"),
        _lang("nl", "Dutch", "dutch"),
        _lang("no", "Norwegian", "norwegian"),
        _lang("pl", "Polish"),
        _lang("pt", "Portuguese", "portuguese", "", "de do da dos das"),
        _lang("ro", "Romanian", "romanian", "", "de"),
        _lang("ru", "Russian", "russian"),
        _lang("sk", "Slovak"),
        _lang("sl", "Slovenian"),
        _lang("so", "Somali"),
        _lang("st", "Southern Sotho"),
        _lang("sv", "Swedish", "swedish"),
        _lang("sw", "Swahili"),
        _lang("tl", "Tagalog"),
        _lang("tr", "Turkish"),
        _lang("uk", "Ukrainian"),
        _lang("ur", "Urdu"),
        _lang("vi", "Vietnamese"),
        _lang("yo", "Yoruba"),
        _lang("zu", "Zulu"),
    )
}
TAGGED = ("en", "zh")
#: Values of ``lang``: ``auto`` (detect per document), the tagged languages, then the others.
LANGS = ("auto", *TAGGED, *sorted(UNTAGGED))

# Names of languages py3langid may find that keyextract cannot handle (no stopword list, or
# no spaces between words), for the note that says so; others are named by their code.
_OTHER_NAMES = {
    "ja": "Japanese", "th": "Thai", "lo": "Lao", "km": "Khmer", "my": "Burmese", "bo": "Tibetan",
    "ka": "Georgian", "am": "Amharic", "ta": "Tamil", "te": "Telugu", "kn": "Kannada",
    "ml": "Malayalam", "si": "Sinhala", "pa": "Punjabi", "ne": "Nepali", "mk": "Macedonian",
    "sr": "Serbian", "bs": "Bosnian", "be": "Belarusian", "kk": "Kazakh", "az": "Azerbaijani",
    "sq": "Albanian", "is": "Icelandic", "cy": "Welsh", "mt": "Maltese", "la": "Latin",
    "mn": "Mongolian", "uz": "Uzbek", "ky": "Kyrgyz", "tg": "Tajik", "ps": "Pashto",
}


def language_name(code: str) -> str:
    """English name of a language code (``"pt"`` -> ``"Portuguese"``); the code if unknown."""
    if code in UNTAGGED:
        return UNTAGGED[code].name
    return {"en": "English", "zh": "Chinese", **_OTHER_NAMES}.get(code, code)


def validate_lang(lang: str) -> None:
    """Raise ``ValueError`` naming the allowed values unless ``lang`` is one of ``LANGS``."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of: {', '.join(LANGS)}; got {lang!r}")


_identifier_lock = threading.Lock()


@cache
def _identifier():
    """py3langid's bundled model with normalised probabilities, loaded once (about 1 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    with _identifier_lock:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _stopword_count(words: list[str], lang: str) -> int:
    stopwords = load_stopwords(lang) if lang in UNTAGGED or lang == "en" else frozenset()
    return sum(1 for w in words if w in stopwords)


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language; ``"en"`` when in doubt.

    ``"en"``, ``"zh"`` or a code of ``UNTAGGED`` for what keyextract handles; another code
    (``"ja"``, ``"th"`` ...) for a language it cannot (see the module docstring for the rules).
    """
    from .segmentation import script_language  # segmentation imports this module

    if script_language(text) == "zh":
        kana = len(_KANA_RE.findall(text))
        return "ja" if kana and kana >= MIN_KANA_SHARE * (kana + len(_HAN_RE.findall(text))) else "zh"
    sample = text[:SAMPLE_CHARS]
    if not sample.strip():
        return "en"
    code, probability = _identifier().classify(sample)
    if code == "en" or probability < MIN_PROBABILITY:
        return "en"
    words = [w.casefold() for w in _WORD_RE.findall(sample)]
    english = _stopword_count(words, "en")
    if code in UNTAGGED:
        return "en" if english > _stopword_count(words, code) else code
    # no list to compare with: English prose is some 40% stopwords, a stray "i" or "a" is not
    return "en" if english > MAX_ENGLISH_SHARE * len(words) else code


def handled_language(code: str) -> str | None:
    """The language keyextract processes a text of ``code`` as: ``code`` itself when it is
    tagged or in ``UNTAGGED``, ``"zh"`` for Japanese (its Han words go to jieba), else ``None``
    (no stopword list: candidates are plain n-grams between punctuation)."""
    if code in TAGGED or code in UNTAGGED:
        return code
    return "zh" if code == "ja" else None


# simplemma's codes for languages it names otherwise (Serbo-Croatian, Norwegian Bokmål).
_SIMPLEMMA_CODES = {"hr": "hbs", "no": "nb"}
_lemmatizer_lock = threading.Lock()


@cache
def word_lemmatizer(code: str) -> Callable[[str], str] | None:
    """A function from a case-folded word of language ``code`` to its lemma, by simplemma
    (Barbaresi, https://github.com/adbar/simplemma, MIT: dictionary lemmatization for some 50
    languages, zero dependencies): ``"éoliennes"`` -> ``"éolienne"``, ``"soldados"`` ->
    ``"soldado"``. Unknown words come back unchanged. ``None`` for a language simplemma does not
    cover (Afrikaans, Basque, Bengali, Korean, Vietnamese ...): its words are compared as
    written, case-folded. The first call for a language loads its dictionary (about 1.5 s)."""
    import simplemma

    lang = _SIMPLEMMA_CODES.get(code, code)
    with _lemmatizer_lock:  # loads the language's dictionary once
        try:
            simplemma.lemmatize("a", lang=lang)
        except ValueError:  # "Unsupported language"
            return None

    @lru_cache(maxsize=65_536)
    def lemma(word: str) -> str:
        return simplemma.lemmatize(word, lang=lang).casefold()

    return lemma


@cache
def word_reading(code: str) -> Callable[[str], str]:
    """How the list rule reads a word of language ``code`` (as ``handled_language`` gives it;
    ``""`` for none) when it decides whether one keyphrase is the same as, or nested in,
    another (``ranking.nesting_units``). English and Chinese: ``candidates.noun_lemma``.
    Languages without a tagger: the candidate key's word (a simplemma lemma, ``word_lemmatizer``) stemmed by NLTK's Snowball
    stemmer for the language where it has one, then without one final ``s`` (words of four
    letters or more). simplemma's lemmas alone leave variants apart that a reader takes for
    one word (Portuguese ``agredidos`` -> ``agredido`` but ``agredido`` -> ``agredir``;
    ``madeiras`` unchanged beside ``madeira``), and words of another language spliced in are
    not lemmatized at all (``communications``); in the 10,000-input fuzz run such pairs were
    5 of each mode's 5 nested pairs."""
    if code in TAGGED:
        from .candidates import noun_lemma  # candidates imports this module

        return noun_lemma
    language = UNTAGGED.get(code)
    stem = None
    if language is not None and language.stemmer is not None:
        from nltk.stem.snowball import SnowballStemmer

        stem = SnowballStemmer(language.stemmer).stem

    @lru_cache(maxsize=65_536)
    def reading(word: str) -> str:
        form = stem(word) if stem is not None else word
        return form[:-1] if len(form) >= 4 and form.endswith("s") else form

    return reading


def language_note(code: str) -> str:
    """What keyextract does with a text in ``code``, for a one-line note: ``"Portuguese (pt)
    detected; handled without a part-of-speech tagger"``."""
    found = f"{language_name(code)} ({code}) detected"
    handled = handled_language(code)
    if handled == code:
        return f"{found}; handled without a part-of-speech tagger"
    if handled == "zh":
        return f"{found}; keyextract has no {language_name(code)} segmenter: its Chinese characters go to jieba"
    return f"{found}; keyextract has no stopword list for it: candidates are word n-grams between punctuation"

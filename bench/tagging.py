"""Tagging accuracy of keyextract's English tokenizer + tagger on a hand-tagged sample.

    python bench/tagging.py                          # this checkout; writes ## Tagging
    python bench/tagging.py --baseline ../base-copy --label fbfc114   # another checkout's code too
    python bench/tagging.py --no-write --errors 30   # print the most frequent errors

Gold: ``bench/data/en_ewt_sample.tsv``, 125 sentences of Universal Dependencies English EWT
(web text: blogs, newsgroups, e-mail, answers, reviews; CC BY-SA 4.0) with Penn Treebank tags.

- (a) tagger on gold tokens: ``english_tagger().tag`` of each sentence's gold words.
- (b) tokenizer + tagger by spans: ``keyextract.segmentation.segment`` of each sentence's
  text; a gold token counts as right when a token with exactly its character span has its
  tag. Token recall/precision say how often the spans agree at all.
- (b) without hyphen splits: EWT splits hyphenated words ("thought - provoking") where the
  Penn Treebank of the Wall Street Journal, which the tagger was trained on and whose
  conventions keyextract follows, keeps them whole; those gold tokens are left out.

``--baseline DIR`` runs the same measurement on the keyextract package in DIR (another checkout)
in a subprocess and prints both. Results go to the ``## Tagging`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLE = ROOT / "bench" / "data" / "en_ewt_sample.tsv"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SECTION = "## Tagging"


def read_sample(path: Path = SAMPLE) -> list[dict]:
    """Sentences ``{"id", "text", "tokens": [(start, end, form, tag)]}``; spans found in the text."""
    sentences, current = [], None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("# sent_id = "):
            current = {"id": line[len("# sent_id = "):], "text": None, "words": []}
        elif line.startswith("# text = ") and current is not None:
            current["text"] = line[len("# text = "):]
        elif line and not line.startswith("#") and current is not None:
            form, tag = line.split("\t")
            current["words"].append((form, tag))
        elif not line and current is not None and current["words"]:
            current["tokens"] = _align(current["text"], current.pop("words"), current["id"])
            sentences.append(current)
            current = None
    return sentences


def _align(text: str, words: list[tuple[str, str]], sent_id: str) -> list[tuple[int, int, str, str]]:
    tokens, pos = [], 0
    for form, tag in words:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text[pos : pos + len(form)] != form:
            raise ValueError(f"{sent_id}: {form!r} not found at {pos} of {text!r}")
        tokens.append((pos, pos + len(form), form, tag))
        pos += len(form)
    return tokens


def _hyphen_split(tokens: list[tuple[int, int, str, str]]) -> set[int]:
    """Indices of gold tokens that belong to a hyphenated word EWT split (no space around HYPH)."""
    inside: set[int] = set()
    for i, (s, e, form, tag) in enumerate(tokens):
        if tag == "HYPH" and 0 < i < len(tokens) - 1 and tokens[i - 1][1] == s and tokens[i + 1][0] == e:
            inside.update((i - 1, i, i + 1))
    return inside


def measure(errors: int = 0) -> dict:
    """Both accuracies on the sample, with the keyextract that ``import keyextract`` finds."""
    import keyextract
    from keyextract.segmentation import english_tagger, segment

    sample = read_sample()
    tagger = english_tagger()
    gold_total = a_right = b_right = b_spans = sys_total = 0
    nohyph_total = nohyph_right = 0
    confusions: Counter = Counter()
    for sent in sample:
        gold = sent["tokens"]
        predicted = tagger.tag([form for _, _, form, _ in gold])
        a_right += sum(p == g[3] for (_, p), g in zip(predicted, gold))
        ours = [t for t in segment(sent["text"]) if t.script == "en"]
        by_span = {(t.start, t.end): t.pos for t in ours}
        sys_total += len(ours)
        split = _hyphen_split(gold)
        for i, (s, e, form, tag) in enumerate(gold):
            gold_total += 1
            got = by_span.get((s, e))
            b_spans += got is not None
            right = got == tag
            b_right += right
            if i not in split:
                nohyph_total += 1
                nohyph_right += right
            if not right:
                confusions[(form, tag, got if got is not None else "(span differs)")] += 1
    result = {
        "keyextract": str(Path(keyextract.__file__).parent),
        "sentences": len(sample),
        "gold_tokens": gold_total,
        "a_tagger_on_gold_tokens": a_right / gold_total,
        "b_tokenizer_and_tagger": b_right / gold_total,
        "b_without_hyphen_splits": nohyph_right / nohyph_total,
        "hyphen_split_tokens": gold_total - nohyph_total,
        "token_recall": b_spans / gold_total,
        "token_precision": b_spans / sys_total if sys_total else 0.0,
    }
    if errors:
        result["errors"] = [[f, g, p, n] for (f, g, p), n in confusions.most_common(errors)]
    return result


def _baseline(directory: Path, errors: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(directory.resolve()))
    out = subprocess.run(
        [sys.executable, __file__, "--json", "--errors", str(errors)],
        env=env, check=True, capture_output=True, text=True, cwd=directory,
    )
    return json.loads(out.stdout)


ROWS = (
    ("(a) tagger on gold tokens", "a_tagger_on_gold_tokens"),
    ("(b) tokenizer + tagger, by spans", "b_tokenizer_and_tagger"),
    ("(b) without EWT's hyphen splits", "b_without_hyphen_splits"),
    ("token spans: recall", "token_recall"),
    ("token spans: precision", "token_precision"),
)


def table(columns: list[tuple[str, dict]]) -> str:
    lines = ["| | " + " | ".join(name for name, _ in columns) + " |", "| --- |" + " ---: |" * len(columns)]
    for label, key in ROWS:
        lines.append(f"| {label} | " + " | ".join(f"{100 * r[key]:.1f}%" for _, r in columns) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout whose keyextract to measure too")
    parser.add_argument("--label", default=None, help="the baseline's column heading (default: its folder name)")
    parser.add_argument("--errors", type=int, default=0, help="print this many most frequent errors of (b)")
    parser.add_argument("--json", action="store_true", help="print the measurement as JSON only")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args()
    current = measure(args.errors)
    if args.json:
        print(json.dumps(current))
        return 0
    columns = []
    if args.baseline:
        columns.append((args.label or args.baseline.name, _baseline(args.baseline, args.errors)))
    columns.append(("this checkout", current))
    print(table(columns))
    for name, result in columns:
        for form, gold, got, n in result.get("errors", []):
            print(f"{name}: {n:3d}x {form!r} gold {gold} got {got}")
    if not args.no_write:
        from benchmarks_md import replace_section

        command = "python bench/tagging.py" + (
            f" --baseline {shlex.quote(str(args.baseline))} --label {shlex.quote(columns[0][0])}" if args.baseline else ""
        )
        first = current
        section = (
            f"{SECTION}\n\n"
            f"Accuracy of English part-of-speech tags against {first['gold_tokens']:,} hand-tagged tokens "
            f"({first['sentences']} sentences of Universal Dependencies English EWT: web text with contractions, "
            f"URLs and e-mail addresses; `bench/data/en_ewt_sample.tsv`). Command: `{command}`"
            + (f" (the first column is the keyextract package of the checkout in `{args.baseline}`)" if args.baseline else "")
            + ".\n\n"
            f"{table(columns)}\n\n"
            "(a) tags the gold tokens; (b) tokenizes and tags each sentence's text with `segment` and counts a "
            "gold token right when a token with the same character span has its tag. EWT splits hyphenated "
            f"words ({first['hyphen_split_tokens']} tokens here) where the Wall Street Journal treebank the "
            "tagger was trained on keeps them whole, as keyextract does; the third row leaves them out.\n"
        )
        replace_section(SECTION, section, BENCHMARKS_MD)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())

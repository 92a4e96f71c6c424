"""Tagging accuracy and speed of keyextract's English tokenizer + tagger, on EWT test and WSJ section 20.

    python bench/tagging.py                                    # this checkout; writes ## Tagging
    python bench/tagging.py --baseline /tmp/tagger-main --label main   # another checkout side by side
    # (a checkout without git: git archive <commit> | tar -x -C /tmp/tagger-main)
    python bench/tagging.py --no-write --errors 30             # print the most frequent errors

Test sets (from ``../shared/corpora``, see its README):

- EWT test: Universal Dependencies English Web Treebank, test split (2,077 sentences of web
  text: blogs, newsgroups, e-mail, answers, reviews; CC BY-SA 4.0), XPOS = Penn Treebank tags
  with EWT's additions. Never trained on.
- WSJ s20: CoNLL-2000 test, Wall Street Journal section 20 (Penn Treebank tags); the text is
  rebuilt from its tokens (``pos_corpora.read_conll2000``). Held out from training. keyextract's
  tagger writes EWT's convention (``-LRB-``, "to" as a preposition ``IN``, dashes ``,``); here
  its tags are compared in the WSJ's (``pos_corpora.wsj_convention``), which changes nothing for
  a tagger that already writes the WSJ's.

Two ways of tagging:

- by spans: ``keyextract.segmentation.segment`` of each sentence's text (our tokenizer, the
  tagger and its post-rules); a gold token is right when a token with exactly its character
  span has its tag. EWT splits hyphenated words ("search - engine") that keyextract keeps
  whole, so those gold tokens are always wrong by spans; the rows "hyphenated words merged"
  score against EWT with each such word one gold token (``pos_corpora.merge_hyphens``: the
  last part's tag, JJ for a participle; as the tagger's training data from EWT dev is made).
- gold tokens: ``english_tagger().tag`` of each sentence's gold words.

Three measures: raw (the tag string equal); on shared tags (gold tokens tagged with what one of
the two conventions lacks are left out: EWT's HYPH, NFP, ADD, GW, AFX, XX, brackets, quotes and
commas); universal (both tags mapped with ``nltk.tag.mapping.map_tag("en-ptb", "universal")``).

Speed: tokens per second of ``segment`` over the texts of a dev set (``--speed-set``, default
inspec_dev), and of the tagger alone over the same sentences (best of 3 runs each).

``--baseline DIR`` runs the same measurement on the keyextract package in DIR (another
checkout) in a subprocess, and prints both side by side. Results go to the ``## Tagging``
section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SECTION = "## Tagging"
# Gold tags left out of "shared tags": EWT's own tags, brackets, quotes and commas.
NOT_SHARED = frozenset({"HYPH", "NFP", "ADD", "GW", "AFX", "XX", "-LRB-", "-RRB-", "(", ")", "``", "''", ","})


class Score:
    """Counts of one test set and one way of tagging: raw, shared tags, universal."""

    def __init__(self) -> None:
        self.total = self.raw = self.shared_total = self.shared = self.universal = 0

    def add(self, gold: str, got: str | None) -> None:
        from nltk.tag.mapping import map_tag

        self.total += 1
        self.raw += got == gold
        if gold not in NOT_SHARED:
            self.shared_total += 1
            self.shared += got == gold
        if got is not None:
            self.universal += map_tag("en-ptb", "universal", got) == map_tag("en-ptb", "universal", gold)

    def result(self) -> dict:
        return {"tokens": self.total, "raw": self.raw / self.total,
                "shared": self.shared / self.shared_total, "universal": self.universal / self.total}


def score_set(sentences, errors: Counter | None = None, wsj: bool = False) -> dict:
    """Accuracy by spans and on gold tokens of the keyextract that ``import keyextract`` finds;
    with ``wsj``, tags are compared in the Wall Street Journal's convention (``wsj_convention``)."""
    from keyextract.segmentation import english_tagger, segment
    from pos_corpora import merge_hyphens, wsj_convention

    def seen(form: str, tag: str | None) -> str | None:
        return wsj_convention(form, tag) if wsj and tag is not None else tag

    tagger = english_tagger()
    spans, gold_tokens, merged = Score(), Score(), Score()
    found = system = 0
    for sent in sentences:
        ours = [t for t in segment(sent.text) if t.script == "en"]
        by_span = {(t.start, t.end): t.pos for t in ours}
        system += len(ours)
        tagged = tagger.tag([tok.form for tok in sent.tokens])
        for tok, (_, on_gold) in zip(sent.tokens, tagged):
            got = seen(tok.form, by_span.get((tok.start, tok.end)))
            found += got is not None
            spans.add(tok.tag, got)
            gold_tokens.add(tok.tag, seen(tok.form, on_gold))
            if errors is not None and got != tok.tag:
                errors[(tok.form, tok.tag, got or "(span differs)")] += 1
        for tok in merge_hyphens(sent).tokens:
            merged.add(tok.tag, seen(tok.form, by_span.get((tok.start, tok.end))))
    return {
        "sentences": len(sentences), "spans": spans.result(), "spans_hyphens_merged": merged.result(),
        "gold_tokens": gold_tokens.result(), "token_recall": found / spans.total, "token_precision": found / system,
    }


def verb_rule_effect(sentences) -> dict | None:
    """What ``segmentation._give_finite_verb`` (a finite verb for a sentence without one) changes,
    against the gold tags by spans: tokens it makes right, makes wrong, and changes from one
    wrong tag to another; None for a checkout without the rule."""
    from keyextract import segmentation

    rule = getattr(segmentation, "_give_finite_verb", None)
    if rule is None:
        return None
    effect = Counter()
    for sent in sentences:
        with_rule = {(t.start, t.end): t.pos for t in segmentation.segment(sent.text)}
        segmentation._give_finite_verb = lambda *args: None
        try:
            without = {(t.start, t.end): t.pos for t in segmentation.segment(sent.text)}
        finally:
            segmentation._give_finite_verb = rule
        fired = False
        for tok in sent.tokens:
            a, b = without.get((tok.start, tok.end)), with_rule.get((tok.start, tok.end))
            if a != b:
                fired = True
                effect["made right" if b == tok.tag else "made wrong" if a == tok.tag else "wrong either way"] += 1
        effect["sentences changed"] += fired
    return dict(effect)


def speed(set_name: str, repeats: int = 3) -> dict:
    """Tokens per second of ``segment`` and of the tagger alone over a dev set's texts (best of ``repeats``)."""
    from keyextract.segmentation import english_tagger, segment, tagging_sentences

    with open(SHARED / "data" / "dev" / f"{set_name}.jsonl", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    tagger = english_tagger()
    sentences = [s for text in texts for s in tagging_sentences(text)]
    tokens = sum(len(s) for s in sentences)
    best_segment = best_tagger = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for text in texts:
            segment(text)
        best_segment = min(best_segment, time.perf_counter() - started)
        started = time.perf_counter()
        tagger.tag_sents(sentences)
        best_tagger = min(best_tagger, time.perf_counter() - started)
    return {"set": set_name, "tokens": tokens, "segment_tokens_per_s": tokens / best_segment,
            "tagger_tokens_per_s": tokens / best_tagger}


def measure(errors: int = 0, speed_set: str = "inspec_dev") -> dict:
    """Everything this benchmark reports, for the keyextract that ``import keyextract`` finds."""
    import keyextract

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from pos_corpora import EWT_TEST, read_conll2000, read_conllu

    confusions: Counter = Counter()
    result = {
        "keyextract": str(Path(keyextract.__file__).parent),
        "ewt_test": score_set(read_conllu(EWT_TEST), confusions),
        "wsj_s20": score_set(read_conll2000("test"), wsj=True),
        "speed": speed(speed_set),
    }
    result["ewt_test"]["verb_rule"] = verb_rule_effect(read_conllu(EWT_TEST))
    result["wsj_s20"]["verb_rule"] = verb_rule_effect(read_conll2000("test"))
    if errors:
        result["errors"] = [[f, g, p, n] for (f, g, p), n in confusions.most_common(errors)]
    return result


def _baseline(directory: Path, errors: int, speed_set: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--json", "--errors", str(errors), "--speed-set", speed_set,
         "--checkout", str(directory.resolve())],
        check=True, capture_output=True, text=True, cwd=directory,
    )
    return json.loads(out.stdout)


def _rows(r: dict) -> list[tuple[str, str]]:
    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    ewt, wsj, sp = r["ewt_test"], r["wsj_s20"], r["speed"]
    rows = []
    ways = (("by spans", "spans"), ("by spans, hyphenated words merged", "spans_hyphens_merged"),
            ("gold tokens", "gold_tokens"))
    for name, res in (("EWT test", ewt), ("WSJ s20", wsj)):
        for way, key in ways:
            if name == "WSJ s20" and key == "spans_hyphens_merged":
                continue  # the WSJ keeps hyphenated words whole
            for measure in ("raw", "shared", "universal"):
                label = {"raw": "raw", "shared": "shared tags", "universal": "universal"}[measure]
                rows.append((f"{name}, {way}: {label}", pct(res[key][measure])))
        rows.append((f"{name}, token spans: recall / precision",
                     f"{pct(res['token_recall'])} / {pct(res['token_precision'])}"))
    rows.append((f"speed, `segment` ({sp['set']}), tokens/s", f"{sp['segment_tokens_per_s']:,.0f}"))
    rows.append((f"speed, tagger alone ({sp['set']}), tokens/s", f"{sp['tagger_tokens_per_s']:,.0f}"))
    return rows


def _verb_rule_line(result: dict) -> str:
    """What the finite-verb rule changed on both test sets, in words."""
    parts = []
    for name, key in (("EWT test", "ewt_test"), ("WSJ s20", "wsj_s20")):
        effect = result[key].get("verb_rule")
        if effect is None:
            return ""
        parts.append(f"{name}: {effect.get('sentences changed', 0)} sentences, {effect.get('made right', 0)} tokens "
                     f"made right, {effect.get('made wrong', 0)} made wrong, {effect.get('wrong either way', 0)} "
                     "wrong either way")
    return ("The finite-verb rule (`segmentation._give_finite_verb`, measured by tagging each sentence with and "
            "without it) changed, against the gold tags by spans: " + "; ".join(parts) + ".")


def table(columns: list[tuple[str, dict]]) -> str:
    lines = ["| | " + " | ".join(name for name, _ in columns) + " |", "| --- |" + " ---: |" * len(columns)]
    rows = [_rows(r) for _, r in columns]
    for i, (label, _) in enumerate(rows[0]):
        lines.append(f"| {label} | " + " | ".join(r[i][1] for r in rows) + " |")
    if len(columns) == 2:
        a, b = columns[0][1]["speed"], columns[1][1]["speed"]
        lines.append(f"| speed ratio, `segment` / tagger alone (second / first column) | | "
                     f"{b['segment_tokens_per_s'] / a['segment_tokens_per_s']:.2f}x / "
                     f"{b['tagger_tokens_per_s'] / a['tagger_tokens_per_s']:.2f}x |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout whose keyextract to measure too")
    parser.add_argument("--label", default=None, help="the baseline's column heading (default: its folder name)")
    parser.add_argument("--errors", type=int, default=0, help="print this many most frequent errors on EWT test by spans")
    parser.add_argument("--speed-set", default="inspec_dev", help="dev set whose texts time the tagging (default inspec_dev)")
    parser.add_argument("--json", action="store_true", help="print the measurement as JSON only")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose keyextract to measure (default: this one)")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args()
    sys.path.insert(0, str(args.checkout))
    if not (SHARED / "corpora").is_dir():
        parser.error(f"needs the tagged corpora in {SHARED / 'corpora'}")
    columns = []
    if args.baseline:
        columns.append((args.label or args.baseline.name, _baseline(args.baseline, args.errors, args.speed_set)))
    current = measure(args.errors, args.speed_set)
    if args.json:
        print(json.dumps(current))
        return 0
    columns.append(("this checkout", current))
    print(table(columns))
    print(_verb_rule_line(current))
    for name, result in columns:
        for form, gold, got, n in result.get("errors", []):
            print(f"{name}: {n:3d}x {form!r} gold {gold} got {got}")
    if not args.no_write:
        from benchmarks_md import replace_section

        command = "python bench/tagging.py" + (
            f" --baseline {shlex.quote(str(args.baseline))} --label {shlex.quote(columns[0][0])}" if args.baseline else ""
        )
        ewt, wsj = current["ewt_test"], current["wsj_s20"]
        section = (
            f"{SECTION}\n\n"
            f"Accuracy of English part-of-speech tags on UD English EWT test ({ewt['sentences']:,} sentences, "
            f"{ewt['spans']['tokens']:,} tokens of web text) and WSJ section 20 (CoNLL-2000 test, "
            f"{wsj['sentences']:,} sentences, {wsj['spans']['tokens']:,} tokens), and tagging speed. "
            f"Command: `{command}`"
            + (f" (the first column is the keyextract package of the checkout in `{args.baseline}`)" if args.baseline else "")
            + ".\n\n"
            f"{table(columns)}\n\n"
            "By spans: `segment` tokenizes and tags each sentence's text, and a gold token is right when a token "
            "with the same character span has its tag. Gold tokens: the tagger alone on the treebank's words. "
            "Shared tags leave out gold tokens whose tag one convention lacks (EWT's HYPH, NFP, ADD, GW, AFX, XX, "
            "brackets, quotes, commas); universal compares NLTK's universal tags of both. EWT splits hyphenated "
            "words that keyextract keeps whole (\"search - engine\"); the rows \"hyphenated words merged\" make each "
            "such word one gold token tagged with its last part's tag (JJ for a participle: \"well-known\"), as "
            "the tagger's training data from EWT dev is made (`bench/pos_corpora.py`, `merge_hyphens`). The WSJ "
            "text is rebuilt from its tokens, and the tags compared in the WSJ's convention "
            "(`pos_corpora.wsj_convention`: `-LRB-` as `(`, every \"to\" `TO`, dashes `:`).\n\n"
            + _verb_rule_line(current) + "\n"
        )
        replace_section(SECTION, section, BENCHMARKS_MD)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())

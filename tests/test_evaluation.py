"""The evaluation metric on hand-made gold and predictions with known P/R/F1."""

from __future__ import annotations

import json

import pytest

from keyextract.evaluation import evaluate, normalize_phrase, read_dataset, score
from keyextract.errors import InputError


def at(result, k: int, kind: str = "macro"):
    (row,) = [s for s in getattr(result, kind) if s.k == k]
    return row.precision, row.recall, row.f1


@pytest.mark.parametrize(
    ("phrase", "lang", "expected"),
    [
        ("Real-Time Systems", "en", "real-tim system"),
        ("support vector machines", "en", "support vector machin"),
        ("  Neural   Networks ", "en", "neural network"),
        ("机器 翻译 BERT", "zh", "机器翻译bert"),
        # other languages: their Snowball stemmer, or lowercased words where NLTK has none
        ("Soldados Portugueses", "pt", "sold portugues"),
        ("soldado", "pt", "sold"),
        ("força de paz", "pt", "forc de paz"),
        ("Énergies solaires", "fr", "énerg solair"),
        ("Solarenergien", "de", "solarenergi"),
        ("Hrvatska Vlada", "hr", "hrvatska vlada"),
        ("政府 は", "ja", "政府は"),
    ],
)
def test_normalize_phrase(phrase: str, lang: str, expected: str) -> None:
    assert normalize_phrase(phrase, lang) == expected


def test_portuguese_inflections_match_by_snowball_stem() -> None:
    result = score([["Soldados", "forças armadas", "paz"]], [["soldado", "Forças Armadas"]], ["pt"], top=(3,))
    assert at(result, 3) == pytest.approx((2 / 3, 1.0, 0.8))


def test_stemmed_exact_match_with_duplicates_counted_once() -> None:
    gold = [["Neural Networks", "support vector machine", "support vector machines"]]
    pred = [["neural network", "support vector machines", "foo", "Neural networks", "bar"]]
    result = score(pred, gold, ["en"], top=(2, 5))
    assert at(result, 2) == pytest.approx((1.0, 1.0, 1.0))
    # after stemming: 2 gold phrases; 4 distinct predictions of which 2 match
    assert at(result, 5) == pytest.approx((0.5, 1.0, 2 / 3))


def test_partial_phrase_is_no_match() -> None:
    result = score([["vector machines", "support vector machine learning"]], [["support vector machines"]], ["en"], top=(5,))
    assert at(result, 5) == (0.0, 0.0, 0.0)


def test_chinese_exact_match_without_whitespace() -> None:
    result = score([["机器翻译", "系统", "翻译"]], [["机器 翻译", "神经网络"]], ["zh"], top=(1, 3))
    assert at(result, 1) == pytest.approx((1.0, 0.5, 2 / 3))
    assert at(result, 3) == pytest.approx((1 / 3, 0.5, 0.4))


def test_macro_and_micro_averages_differ_as_defined() -> None:
    preds = [["a", "b"], ["c", "d"], ["x"]]
    golds = [["a"], ["e", "f", "g"], []]  # the third has no gold: skipped
    result = score(preds, golds, ["en"] * 3, top=(2,))
    assert (result.documents, result.skipped_no_gold) == (2, 1)
    # doc 1: P 1/2, R 1, F 2/3; doc 2: all 0 -> macro F1 1/3
    assert at(result, 2, "macro") == pytest.approx((0.25, 0.5, 1 / 3))
    # pooled: 1 hit, 4 predicted, 4 gold
    assert at(result, 2, "micro") == pytest.approx((0.25, 0.25, 0.25))


def test_no_predictions_scores_zero_not_nan() -> None:
    result = score([[]], [["a"]], ["en"], top=(5,))
    assert at(result, 5) == (0.0, 0.0, 0.0)
    assert result.to_dict()["macro"]["5"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_invalid_cut_offs_are_refused() -> None:
    with pytest.raises(ValueError, match="top"):
        score([["a"]], [["a"]], ["en"], top=(0,))


class StubExtractor:
    """Stands in for KeywordExtractor: returns fixed phrases per text."""

    lang = "auto"

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    def language(self, text: str) -> str:
        from keyextract.languages import detect_language

        return detect_language(text)

    def extract_batch(self, texts, top_n, progress=None):
        from keyextract import Keyword

        return [[Keyword(p, 1.0, ((0, 1),)) for p in self.answers[t][:top_n]] for t in texts]


def test_evaluate_runs_the_extractor_and_detects_chinese() -> None:
    records = [
        {"id": "1", "text": "English text about neural networks.", "keyphrases": ["neural networks"]},
        {"id": "2", "text": "关于机器翻译的中文文本。", "keyphrases": ["机器 翻译"]},
    ]
    stub = StubExtractor({records[0]["text"]: ["neural network", "text"], records[1]["text"]: ["机器翻译"]})
    result = evaluate(records, stub, top=(1, 2), progress=False)
    assert at(result, 1) == pytest.approx((1.0, 1.0, 1.0))
    assert at(result, 2) == pytest.approx((0.75, 1.0, (2 / 3 + 1) / 2))


def test_read_dataset_errors_name_the_line(tmp_path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"id": "1", "text": "a", "keyphrases": ["a"]}\n{broken\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"data.jsonl:2: not valid JSON"):
        read_dataset(path)
    path.write_text('{"id": "1", "text": "a", "keyphrases": "a"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r":1: \"keyphrases\" must be a list of strings"):
        read_dataset(path)
    with pytest.raises(InputError, match="no such file"):
        read_dataset(tmp_path / "missing.jsonl")


def test_eval_command(en_model_dir, tmp_path, cli) -> None:
    from conftest import abstracts

    data = tmp_path / "dev.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in abstracts(4)), encoding="utf-8")
    cmd = ["eval", data, "--model", en_model_dir]
    proc = cli(*cmd, "--top", "5", "10", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["documents"] == 4 and set(report["macro"]) == {"5", "10"}
    assert (report["model"], report["models"]) == (en_model_dir, {"en": en_model_dir})  # the encoder used
    assert all(0.0 <= v <= 1.0 for row in report["micro"].values() for v in row.values())
    text = cli(*cmd, "--limit", "2")
    lines = text.stdout.splitlines()
    assert text.returncode == 0 and lines[0] == f"{data}: 2 documents scored"
    assert [line.split()[0] for line in lines[2:]] == ["5", "10", "15"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    proc = cli("eval", bad)
    assert (proc.returncode, proc.stderr) == (1, f"keyextract: error: {bad}:1: not valid JSON (Expecting value)\n")

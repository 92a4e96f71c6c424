"""Chinese input by kind: traditional script, full-width and Latin terms, user dictionaries."""

from __future__ import annotations

import re

import jieba.posseg
import pytest

from keyextract import InputError, KeywordExtractor
from keyextract.candidates import extract_candidates
from keyextract.chinese import load_user_dict, normalize, parse_user_dict, read_user_dict
from keyextract.cli import run
from keyextract.segmentation import segment
from keyextract.stopwords import load_stopwords

STOP = load_stopwords("en") | load_stopwords("zh")


def tokens(text: str, user_dict=None) -> list[tuple]:
    return [(t.text, t.start, t.end, t.pos, t.norm, t.kind) for t in segment(text, user_dict=user_dict)]


def candidates(text: str, user_dict=None) -> list[tuple[str, list]]:
    return [(c.phrase, c.spans) for c in extract_candidates(text, segment(text, user_dict=user_dict), STOP, 3)]


# --- traditional script ------------------------------------------------------------------------


def test_normalize_keeps_length_and_converts_width_and_script() -> None:
    text = "ＰＹＴＨＯＮ　３．５版，臺灣的半導體產業"
    assert normalize(text) == "PYTHON 3.5版,台湾的半导体产业"


def test_normalize_leaves_characters_jieba_cannot_read() -> None:
    # OpenCC maps 鮰 to a character outside jieba's Han range: keep the original
    assert normalize("鮰鱼养殖") == "鮰鱼养殖"


def test_traditional_text_is_cut_and_tagged_as_its_simplified_form() -> None:
    traditional = "半導體產業在臺灣快速發展"
    simplified = "半导体产业在台湾快速发展"
    assert tokens(traditional) == [
        ("半導體", 0, 3, "n", "半导体", "word"),
        ("產業", 3, 5, "n", "产业", "word"),
        ("在", 5, 6, "p", None, "word"),
        ("臺灣", 6, 8, "ns", "台湾", "word"),
        ("快速", 8, 10, "d", None, "word"),
        ("發展", 10, 12, "vn", "发展", "word"),
    ]
    assert [(t.start, t.end, t.pos) for t in segment(simplified)] == [(s, e, p) for _, s, e, p, _, _ in tokens(traditional)]


def test_traditional_candidates_are_shown_in_the_users_script() -> None:
    assert candidates("半導體產業在臺灣快速發展") == [
        ("半導體", [(0, 3)]),
        ("半導體產業", [(0, 5)]),
        ("產業", [(3, 5)]),
        ("臺灣", [(6, 8)]),
        ("發展", [(10, 12)]),
    ]


def test_both_scripts_of_one_phrase_are_one_candidate() -> None:
    found = dict(candidates("臺灣的晶片產業。台湾的芯片产业"))
    assert found["臺灣"] == [(0, 2), (8, 10)]
    assert "台湾" not in found


def test_traditional_stopwords_break_phrases() -> None:
    # 這個 is 这个, a stopword, in traditional script
    assert [p for p, _ in candidates("這個模型")] == ["模型"]


# --- Latin terms and full-width forms inside Chinese text ----------------------------------------


@pytest.mark.parametrize(
    ("text", "term", "span"),
    [
        ("基于TF-IDF算法的关键词抽取", "TF-IDF", (2, 8)),
        ("C++编程语言", "C++", (0, 3)),
        ("以及C#语言", "C#", (2, 4)),
        ("以及.NET框架", ".NET", (2, 6)),
        ("5G网络", "5G", (0, 2)),
        ("采用HTTP/2协议", "HTTP/2", (2, 8)),
        ("TCP/IP协议栈", "TCP/IP", (0, 6)),
        ("采用GPT-4模型", "GPT-4", (2, 7)),
        ("COVID-19疫情", "COVID-19", (0, 8)),
        ("PPARα受体", "PPARα", (0, 5)),
        ("ResNet50网络", "ResNet50", (0, 8)),
    ],
)
def test_latin_terms_stay_whole(text: str, term: str, span: tuple[int, int]) -> None:
    terms = [(t.text, (t.start, t.end), t.pos) for t in segment(text) if t.kind == "term"]
    assert terms == [(term, span, "eng")]
    assert term in dict(candidates(text))


def test_tf_idf_candidates() -> None:
    # 抽取 is tagged a verb, but no common predicate verb: it ends the compound 关键词抽取 (and is
    # no candidate alone)
    assert candidates("基于TF-IDF算法的关键词抽取") == [
        ("TF-IDF", [(2, 8)]),
        ("TF-IDF算法", [(2, 10)]),
        ("算法", [(8, 10)]),
        ("关键词", [(11, 14)]),
        ("关键词抽取", [(11, 16)]),
    ]


def test_dictionary_words_that_run_into_chinese_are_left_alone() -> None:
    assert [(t.text, t.kind) for t in segment("穿T恤的人")][1] == ("T恤", "word")


def test_numbers_are_not_terms() -> None:
    assert [t.kind for t in segment("2019年的3.5版本")] == ["word"] * len(segment("2019年的3.5版本"))


def test_a_verb_is_not_glued_to_the_name_it_takes_or_that_takes_it() -> None:
    # the verb's object (调用jieba) and its subject (Python调用) are not phrases with it
    assert [p for p, _ in candidates("我们用Python调用jieba进行分词")] == ["Python", "调用", "jieba", "分词"]
    assert [p for p, _ in candidates("基于Radon变换的方法")] == ["Radon", "方法"]


def test_a_common_verb_between_nouns_is_a_predicate_not_part_of_a_compound() -> None:
    # 减少 and 支持 are predicates between subject and object; rare verbs stay in compounds
    assert [p for p, _ in candidates("系统可以帮助医生减少漏诊。")] == ["系统", "医生"]
    assert [p for p, _ in candidates("政府推出政策支持晶片设计。")] == ["政府", "政策", "晶片", "晶片设计", "设计"]
    assert "电压暂降检测方法" not in [p for p, _ in candidates("电压暂降检测方法")]  # 3 words at most
    assert "电压暂降检测" in [p for p, _ in candidates("电压暂降检测方法")]


def test_no_phrase_cuts_a_word_jieba_split_off_its_last_character() -> None:
    # jieba splits the name 台積電 as 台積|電 and the alkaloid 乌头碱 as 乌头|碱
    assert [p for p, _ in candidates("晶圓代工龍頭台積電宣布擴產。")] == ["代工", "代工龍頭", "龍頭", "龍頭台積電", "台積電"]
    assert [p for p, _ in candidates("新乌头碱的含量")] == ["新乌头碱", "乌头碱", "含量"]


def test_full_width_latin_is_a_term_matched_with_its_half_width_form() -> None:
    text = "用ＰＹＴＨＯＮ與ＴＦ－ＩＤＦ"
    assert tokens(text)[1:] == [
        ("ＰＹＴＨＯＮ", 1, 7, "eng", "PYTHON", "term"),
        ("與", 7, 8, "p", "与", "word"),
        ("ＴＦ－ＩＤＦ", 8, 14, "eng", "TF-IDF", "term"),
    ]
    # one candidate for both widths (shown in the form with fewest capitals, as for case
    # variants); spans point at the original characters
    assert candidates("ＰＹＴＨＯＮ程式，python程式") == [
        ("python", [(0, 6), (9, 15)]),
        ("python程式", [(0, 8), (9, 17)]),
        ("程式", [(6, 8), (15, 17)]),
    ]


# --- user dictionary ---------------------------------------------------------------------------


def test_parse_user_dict_formats() -> None:
    lines = ["\ufeff补肾活血汤 n", "电压暂降 5", "液体培养 12 nz", "", "  ", "TF-IDF"]
    assert parse_user_dict(lines) == (
        ("补肾活血汤", None, "n"),
        ("电压暂降", 5, None),
        ("液体培养", 12, "nz"),
        ("TF-IDF", None, None),
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("电压暂降 5 n extra", "line 2: expected 'word [frequency] [tag]'"),
        ("电压暂降 五", "line 2: expected 'word [frequency] [tag]'"),
        ("电压暂降 N", "line 2: expected 'word [frequency] [tag]'"),
        ("电压暂降 0", "line 2: frequency must be >= 1, got 0"),
    ],
)
def test_malformed_user_dict_names_source_and_line(line: str, message: str) -> None:
    with pytest.raises(InputError, match="^" + re.escape(f"terms.txt: {message}")):
        parse_user_dict(["补肾活血汤 n", line], "terms.txt")


def test_unreadable_user_dict_files(tmp_path) -> None:
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("补肾活血汤 n\n".encode("gbk"))
    with pytest.raises(InputError, match="gbk.txt: user dictionary is not UTF-8 text$"):
        read_user_dict(gbk)
    with pytest.raises(InputError, match="missing.txt: cannot read user dictionary"):
        read_user_dict(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="cannot read user dictionary"):
        read_user_dict(tmp_path)


def test_load_user_dict_accepts_paths_lines_and_tuples(tmp_path) -> None:
    path = tmp_path / "terms.txt"
    path.write_text("补肾活血汤 3 n\n", encoding="utf-8")
    expected = (("补肾活血汤", 3, "n"),)
    assert load_user_dict(str(path)) == load_user_dict(path) == expected
    assert load_user_dict(["补肾活血汤 3 n"]) == load_user_dict([("补肾活血汤", 3, "n")]) == expected
    assert load_user_dict(None) is None


def test_user_dict_applies_to_its_segmentation_only() -> None:
    text = "补肾活血汤治疗糖尿病"
    before = [(p.word, p.flag) for p in jieba.posseg.cut(text)]
    entries = parse_user_dict(["补肾活血汤 n"])
    assert [(t.text, t.pos) for t in segment(text, user_dict=entries)] == [("补肾活血汤", "n"), ("治疗", "v"), ("糖尿病", "n")]
    assert [t.text for t in segment(text)] == ["补肾", "活血", "汤", "治疗", "糖尿病"]
    assert [(p.word, p.flag) for p in jieba.posseg.cut(text)] == before  # jieba's global state untouched


def test_user_dict_words_match_traditional_text() -> None:
    entries = parse_user_dict(["补肾活血汤 n"])
    assert [t.text for t in segment("補腎活血湯治療糖尿病", user_dict=entries)] == ["補腎活血湯", "治療", "糖尿病"]


def test_extractor_reads_the_user_dict_before_any_work(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("补肾活血汤 n\n电压暂降 x y z\n", encoding="utf-8")
    extractor = KeywordExtractor(model="unused", user_dict=str(bad))
    with pytest.raises(InputError, match=r"bad.txt: line 2: expected"):
        extractor.extract_batch([])


def test_extractor_candidates_use_its_user_dict() -> None:
    # jieba alone cuts 石墨烯 (graphene) into 石墨 and 烯, which it tags as a symbol
    extractor = KeywordExtractor(model="unused", lang="zh", user_dict=["石墨烯 n"])
    assert [c.phrase for c in extractor._prepare("石墨烯材料").candidates] == ["石墨烯", "石墨烯材料", "材料"]
    plain = KeywordExtractor(model="unused", lang="zh")
    assert [c.phrase for c in plain._prepare("石墨烯材料").candidates] == ["石墨", "材料"]


def test_jiebas_own_user_dict_example() -> None:
    text = "李小福是创新办主任也是云计算方面的专家"
    entries = parse_user_dict(["云计算 5", "创新办 3 i"])
    assert [(t.text, t.pos) for t in segment(text, user_dict=entries)][:5] == [
        ("李小福", "nr"), ("是", "v"), ("创新办", "i"), ("主任", "b"), ("也", "d"),
    ]
    assert "云计算" in [t.text for t in segment(text, user_dict=entries)]
    assert "云计算" not in [t.text for t in segment(text)]


def test_cli_rejects_a_bad_user_dict(tmp_path, capsys) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("补肾活血汤治疗糖尿病", encoding="utf-8")
    bad = tmp_path / "terms.txt"
    bad.write_text("补肾活血汤 n\n电压暂降 五\n", encoding="utf-8")
    assert run([str(doc), "--user-dict", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"keyextract: error: {bad}: line 2: expected 'word [frequency] [tag]'" in err


# --- nested candidates, end to end -------------------------------------------------------------

CHIP_NEWS = (
    "臺灣半導體產業在全球供應鏈中地位重要。台積電等晶圓代工廠商掌握先進製程技術，"
    "臺灣半導體產業的產值逐年成長。半導體產業需要大量工程師與研發投資，"
    "政府也推出政策支持晶片設計與封裝測試產業的發展。"
)


def test_no_keyphrase_is_nested_in_another_unless_asked(zh_model_dir) -> None:
    def nested(a, b) -> bool:  # a's key inside b's (simplified script), or the same
        return a is not b and a.phrase.replace("臺", "台") in b.phrase.replace("臺", "台")

    for diversity in (0.0, 0.3):
        found = KeywordExtractor(zh_model_dir, lang="zh", diversity=diversity).extract(CHIP_NEWS, top_n=15)
        assert len(found) >= 5
        assert not any(nested(a, b) for a in found for b in found)
        # shown in the text's own (traditional) script
        assert all(CHIP_NEWS[s:e] == k.phrase for k in found for s, e in k.spans[:1])
    kept = KeywordExtractor(zh_model_dir, lang="zh", keep_nested=True).extract(CHIP_NEWS, top_n=15)
    assert len(kept) == 15 and any(nested(a, b) for a in kept for b in kept)
    assert len({k.phrase for k in kept}) == 15

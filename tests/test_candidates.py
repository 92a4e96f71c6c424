"""Candidate selection: POS patterns, boundaries, length limit, merging of case variants."""

from __future__ import annotations

import numpy as np
import pytest

from keyextract import segmentation
from keyextract.candidates import extract_candidates
from keyextract.segmentation import segment
from keyextract.stopwords import load_stopwords
from keyextract.types import Contests, Spans

STOP = load_stopwords("en") | load_stopwords("zh")


def noun_phrases(text: str, max_words: int = 3, stopwords=STOP, tokens=None) -> list[tuple[str, list]]:
    """The whole phrases: of the contenders of each English noun phrase (``Candidate.groups``)
    the one of most words, and every candidate that contends nowhere (Chinese)."""
    found = extract_candidates(text, segment(text) if tokens is None else tokens, stopwords, max_words)
    whole: dict[int, int] = {}
    for k, c in enumerate(found):
        for group in c.groups:
            if group not in whole or len(c.key.split()) > len(found[whole[group]].key.split()):
                whole[group] = k
    return [(c.phrase, c.spans) for k, c in enumerate(found) if k in whole.values() or not c.groups]


candidates = noun_phrases


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("The company sells new 4G modems in Europe.", ["company", "4G modems", "Europe"]),
        ("The proposed method beats previous state-of-the-art results.", ["method", "state-of-the-art results"]),
        ("She moved to New York last year.", ["New York", "last year"]),  # a name keeps its "New"
        # dates are no topic either
        ("Construction starts in March and ends in September 2025.", ["Construction"]),
        ("Ridership rose on Mondays and Sunday mornings.", ["Ridership", "mornings"]),
        ("Our new data sets need less memory.", ["data sets", "memory"]),
    ],
)
def test_adjectives_and_dates_that_say_nothing_of_a_topic_are_no_part_of_a_phrase(text: str, phrases: list[str]) -> None:
    assert [c.phrase for c in extract_candidates(text, segment(text), STOP)] == phrases


def test_first_token_index_of_each_candidate() -> None:
    text = "We propose a new method for keyphrase extraction from scientific articles."
    got = [(c.phrase, c.first_token) for c in extract_candidates(text, segment(text), STOP)]
    assert got == [("method", 4), ("keyphrase extraction", 6), ("scientific articles", 9)]


def test_english_noun_phrases_of_a_known_sentence() -> None:
    text = "We propose a new method for keyphrase extraction from scientific articles, using 3 encoders."
    assert candidates(text) == [
        ("method", [(17, 23)]),  # "new" says nothing of the topic
        ("keyphrase extraction", [(28, 48)]),
        ("scientific articles", [(54, 73)]),
        ("encoders", [(83, 91)]),
    ]


def test_latin_abbreviations_of_scholarly_prose_are_no_keyphrases() -> None:
    text = ("Prior methods, e.g. graph centrality, fail (Smith et al. 2020), i.e. they miss terms, cf. Table 2, "
            "etc. We compare TF-IDF vs. YAKE, viz. baselines.")
    assert [phrase for phrase, _ in candidates(text)] == [
        "Prior methods", "graph centrality", "Smith", "terms", "Table", "TF-IDF", "YAKE", "baselines",
    ]


def test_trailing_adjectives_are_dropped_and_phrases_end_in_a_noun() -> None:
    text = "Support vector machines classify high-dimensional data quickly."
    assert candidates(text) == [("Support vector machines", [(0, 23)]), ("high-dimensional data", [(33, 54)])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kubernetes schedules containers across nodes.", ["Kubernetes", "containers", "nodes"]),
        ("A relational database stores data in tables.", ["relational database", "data", "tables"]),
        ("Green plants converts carbon dioxide into sugar.", ["Green plants", "carbon dioxide", "sugar"]),
        ("The sourdough starter ferments overnight.", ["sourdough starter"]),
        ("The load balancer routes requests to healthy servers.", ["load balancer", "requests", "healthy servers"]),
        # a list item without a verb keeps its noun phrase (a participle before a noun modifies it)
        ("Improved cache stores.", ["Improved cache stores"]),
        # and in a clause after "that", a base form taken for an adjective is the verb
        ("We show that networks with attention improve keyphrase extraction.", ["networks", "attention", "keyphrase extraction"]),
        ("Data mining and cloud computing help machine learning algorithms.", ["Data mining", "cloud computing", "machine learning algorithms"]),
    ],
)
def test_a_third_person_verb_between_subject_and_object_ends_the_phrase(text: str, expected: list[str]) -> None:
    assert [p for p, _ in candidates(text)] == expected


def test_long_runs_are_cut_to_their_last_max_words() -> None:
    text = "The results show that deep convolutional neural network training is slow."
    assert candidates(text, max_words=2) == [("results", [(4, 11)]), ("network training", [(48, 64)])]
    assert [p for p, _ in candidates(text, max_words=5)] == ["results", "deep convolutional neural network training"]


def test_sub_spans_of_two_or_more_words_contend_for_a_noun_phrase() -> None:
    text = "The results show that deep neural network training is slow. Training is a network task."
    got = [(c.phrase, c.spans, c.groups) for c in extract_candidates(text, segment(text), STOP, 5)]
    assert got == [
        ("results", [(4, 11)], [0]),
        # the noun phrase (group 1) and its sub-spans of 2+ words that end in a noun
        ("deep neural network", [(22, 41)], [1]),
        ("deep neural network training", [(22, 50)], [1]),
        ("neural network", [(27, 41)], [1]),
        ("neural network training", [(27, 50)], [1]),
        ("network training", [(34, 50)], [1]),
        # one-word sub-spans are no candidates: a noun counts only where it is the phrase
        ("Training", [(60, 68)], [3]),
        ("network task", [(74, 86)], [4]),
    ]


def test_case_variants_merge_into_one_candidate() -> None:
    text = "Neural networks are popular. We train neural networks. Neural Networks are everywhere."
    assert candidates(text) == [("neural networks", [(0, 15), (38, 53), (55, 70)])]


def test_no_candidate_is_only_digits_punctuation_or_stopword() -> None:
    text = "In 2023 , 42 % of the 3.5 ... and the others -- were it."
    assert candidates(text) == []


def test_line_breaks_inside_a_phrase_become_one_space() -> None:
    # a line of 40 columns or more followed by one in lowercase goes on (layout.phrase_breaks);
    # a shorter line (once "We study keyphrase\nextraction") may as well be a list item or title
    text = "We describe a new method for automatic keyphrase\nextraction in this paper."
    assert candidates(text) == [("method", [(18, 24)]), ("automatic keyphrase extraction", [(29, 59)]), ("paper", [(68, 73)])]


# --- issue "Candidates a person would pick": one class of fault per test --------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Key skills:\n- Python\n- Data analysis", ["Key skills", "Python", "Data analysis"]),
        ("Key skills\nPython\nData analysis", ["Key skills", "Python", "Data analysis"]),
        ("Wind farm maintenance\n\nMaintenance crews inspect the turbines.", ["Wind farm maintenance", "Maintenance crews", "turbines"]),
        ("Dual nature of complex systems\nDual nature is common in physics.", ["Dual nature", "complex systems", "physics"]),
        ("人工智能芯片\n台湾厂商", ["人工智能", "人工智能芯片", "芯片", "台湾", "台湾厂商", "厂商"]),
    ],
)
def test_titles_list_items_and_blank_lines_end_a_phrase(text: str, expected: list[str]) -> None:
    assert [p for p, _ in candidates(text)] == expected


def test_a_hard_wrapped_phrase_stays_one_candidate_and_a_wrapped_title_ends_at_its_last_line() -> None:
    text = (
        "Hybrid Control Techniques for\n"
        "Video Server Clusters\n"
        "ABSTRACT\n"
        "A challenging problem faced by researchers and developers of\n"
        "distributed real-time and embedded (DRE) systems is devising\n"
        "and implementing effective adaptive resource management, so\n"
        "to meet these end-to-end quality of service requirements we\n"
        "have developed the Hybrid Adaptive Resource-management\n"
        "Middleware (HyARM) for fluctuating workloads.\n"
    )
    assert candidates(text, max_words=5) == [
        ("Hybrid Control Techniques", [(0, 25)]), ("Video Server Clusters", [(30, 51)]), ("ABSTRACT", [(52, 60)]),
        ("challenging problem", [(63, 82)]), ("researchers", [(92, 103)]), ("developers", [(108, 118)]),
        ("distributed real-time", [(122, 143)]), ("DRE", [(158, 161)]), ("systems", [(163, 170)]),
        ("adaptive resource management", [(210, 238)]), ("end-to-end quality", [(257, 275)]),
        ("service requirements", [(279, 299)]), ("Hybrid Adaptive Resource-management Middleware", [(322, 368)]),
        ("HyARM", [(370, 375)]), ("workloads", [(393, 402)]),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The app doesn't track location data.", ["app", "location data"]),
        ("The app doesn’t track location data.", ["app", "location data"]),
        ("We don’t share users’ data.", ["users", "data"]),
        ("COUNCIL APPROVES NEW BUDGET\nThe city council cut the school budget.",
         ["COUNCIL", "BUDGET", "city council", "school budget"]),
        ("5G networks need C++ and C# code on .NET servers in the U.S. and HTTP/2 support.",
         ["5G networks", "C++", "C# code", ".NET servers", "U.S.", "HTTP/2 support"]),
        ("We upgraded to Python 3.12 last year.", ["Python 3.12", "last year"]),
        ("In 2023, 42 % of 10km runs ended in the 1990s style.", ["runs", "style"]),
    ],
)
def test_tokens_the_tagger_can_read(text: str, expected: list[str]) -> None:
    assert [p for p, _ in candidates(text)] == expected


def test_urls_e_mail_paths_hashes_and_code_are_never_part_of_a_keyphrase() -> None:
    text = (
        "Honda Civic 2014 for sale. See https://cars.example.com/ads/honda-civic-2014 or "
        "www.example-credit.com, e-mail sam.rivers@example.com. Ad id a3f9c2e1, photo /var/ads/civic.jpg, "
        "field user_id set by getUserName() in utils.helpers."
    )
    assert [p for p, _ in candidates(text)] == ["Honda Civic", "sale", "e-mail", "Ad id", "photo", "field"]


def test_long_tokens_are_never_part_of_a_keyphrase() -> None:
    token = "QmFzZTY0IGVuY29kZWQgZGF0YSB0aGF0IGlzIHZlcnkgbG9uZw"
    assert candidates(f"A large payload {token} arrives.") == [("large payload", [(2, 15)])]


def test_inflectional_variants_merge_into_one_candidate_shown_in_its_most_frequent_form() -> None:
    text = (
        "Neural networks are popular. We train a neural network. Neural networks learn fast. "
        "Customers like it; one customer complained. The optimizer and two optimizers."
    )
    got = extract_candidates(text, segment(text), STOP)
    assert [(c.phrase, c.key, c.spans, c.first_token) for c in got] == [
        ("Neural networks", "neural network", [(0, 15), (40, 54), (56, 71)], 0),
        ("customer", "customer", [(84, 93), (107, 115)], 16),
        ("optimizer", "optimizer", [(132, 141), (150, 160)], 25),
    ]


def test_only_the_head_noun_is_lemmatized() -> None:
    text = "Sales tax and sale prices differ. Sales taxes rose."
    assert [(c.phrase, c.key) for c in extract_candidates(text, segment(text), STOP)] == [
        ("Sales tax", "sales tax"), ("sale prices", "sale price"),
    ]


def test_extra_stopwords_break_phrases() -> None:
    text = "We propose a new method for keyphrase extraction."
    assert candidates(text, stopwords=STOP | {"new"}) == [("method", [(17, 23)]), ("keyphrase extraction", [(28, 48)])]


def test_chinese_noun_runs_give_every_sub_span_ending_in_a_noun() -> None:
    text = "我们研究了机器翻译系统的性能。"
    assert candidates(text) == [
        ("研究", [(2, 4)]),
        ("机器翻译", [(5, 9)]),
        ("机器翻译系统", [(5, 11)]),
        ("系统", [(9, 11)]),
        ("性能", [(12, 14)]),
    ]


def test_chinese_modifiers_only_inside_phrases() -> None:
    # 敏感 is an adjective (a): it may start a phrase but never end one
    text = "敏感负荷分析"
    assert [p for p, _ in candidates(text, max_words=2)] == ["敏感负荷", "负荷", "负荷分析", "分析"]


def test_mixed_text_yields_candidates_from_both_scripts() -> None:
    text = "本文提出基于BERT模型的关键词抽取方法, and we evaluate keyphrase extraction systems on Chinese abstracts."
    assert candidates(text) == [
        ("BERT", [(6, 10)]),
        ("BERT模型", [(6, 12)]),
        ("模型", [(10, 12)]),
        ("关键词", [(13, 16)]),
        ("关键词抽取", [(13, 18)]),
        ("关键词抽取方法", [(13, 20)]),
        ("抽取方法", [(16, 20)]),  # 抽取 alone is a verb: no candidate
        ("方法", [(18, 20)]),
        ("keyphrase extraction systems", [(38, 66)]),
        ("Chinese abstracts", [(70, 87)]),
    ]


def test_chinese_verbs_join_compounds_unless_common_predicates() -> None:
    # 培养 (IDF 6.6) and 暂降 (not in jieba's IDF table) are tagged verbs but are parts of the
    # compounds; 进行 (IDF 3.7, below COMMON_VERB_IDF) is a predicate and breaks the phrase.
    # Such a verb is no candidate on its own: a phrase needs a word that is a noun by its tag.
    assert [p for p, _ in candidates("进行液体培养")] == ["液体", "液体培养"]
    assert [p for p, _ in candidates("电压暂降")] == ["电压", "电压暂降"]
    assert [p for p, _ in candidates("详情请访问")] == []  # 详情请, 访问: verbs


def test_chinese_suffixes_never_start_a_phrase() -> None:
    # 型 (tagged k, a suffix) belongs to 双酯 before it: no 型生物碱
    assert [p for p, _ in candidates("双酯型生物碱")] == ["双酯", "双酯型生物碱", "生物碱"]


def test_chinese_candidates_carry_their_specificity() -> None:
    import jieba.analyse

    table, median = jieba.analyse.default_tfidf.idf_freq, jieba.analyse.default_tfidf.median_idf
    found = {c.phrase: c.specificity for c in extract_candidates("液体培养", segment("液体培养"), STOP, 3)}
    assert found == {
        "液体": pytest.approx(table["液体"] / median),
        "液体培养": pytest.approx(min(table["液体"], table["培养"]) / median),
    }
    english = extract_candidates("keyphrase extraction", segment("keyphrase extraction"), STOP, 3)
    assert [c.specificity for c in english] == [1.0]


def test_without_tagger_candidates_are_stopword_delimited_ngrams(monkeypatch) -> None:
    monkeypatch.setattr(segmentation, "english_tagger", lambda: None)
    text = "the neural network of the brain."
    assert candidates(text, max_words=2) == [
        ("neural", [(4, 10)]),
        ("neural network", [(4, 18)]),
        ("network", [(11, 18)]),
        ("brain", [(26, 31)]),
    ]


def test_max_words_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_words"):
        extract_candidates("x", [], STOP, 0)


def test_no_phrase_runs_across_a_break_before() -> None:
    from dataclasses import replace

    text = "solar panels battery storage"
    tokens = segment(text)
    assert [p for p, _ in candidates(text, tokens=tokens)] == ["panels battery storage"]
    tokens[2] = replace(tokens[2], break_before=True)
    assert [p for p, _ in candidates(text, tokens=tokens)] == ["solar panels", "battery storage"]


# --- languages without a tagger -----------------------------------------------------------


def _untagged(text: str, lang: str, max_words: int = 3) -> list[str]:
    from keyextract.candidates import untagged_candidates
    from keyextract.languages import UNTAGGED

    language = UNTAGGED[lang]
    stopwords = load_stopwords(lang) | language.elisions
    return [c.phrase for c in untagged_candidates(text, segment(text, lang), stopwords, max_words, language.linkers)]


def test_portuguese_candidates_keep_linked_phrases() -> None:
    text = "O presidente da Câmara de Lisboa anunciou hoje a força de paz da ONU, em 2024."
    assert _untagged(text, "pt") == [
        "presidente", "presidente da Câmara", "presidente da Câmara de Lisboa", "Câmara",
        "Câmara de Lisboa", "Câmara de Lisboa anunciou", "Lisboa", "Lisboa anunciou", "anunciou",
        "força", "força de paz", "força de paz da ONU", "paz", "paz da ONU", "ONU",
    ]
    # max_words counts the words around the linkers
    assert _untagged(text, "pt", 1) == ["presidente", "Câmara", "Lisboa", "anunciou", "força", "paz", "ONU"]


def test_french_candidates_no_stopword_at_the_edges_and_elisions_split() -> None:
    text = "Le plan national contre le bruit et l'énergie solaire des villes."
    assert _untagged(text, "fr") == [
        "plan", "plan national", "national", "bruit", "énergie", "énergie solaire",
        "énergie solaire des villes", "solaire", "solaire des villes", "villes",
    ]


def test_german_candidates_between_stopwords() -> None:
    text = "Die Bundesregierung will den Ausbau der Solarenergie beschleunigen."
    assert _untagged(text, "de") == ["Bundesregierung", "Ausbau", "Solarenergie", "Solarenergie beschleunigen", "beschleunigen"]


def test_untagged_candidates_merge_case_variants_and_skip_numbers_and_nonprose() -> None:
    from keyextract.candidates import untagged_candidates

    text = "Força de Paz chegou. A força de paz partiu de www.onu.org em 2000 e 2001."
    cands = untagged_candidates(text, segment(text, "pt"), load_stopwords("pt"), 3, frozenset({"de"}))
    # a tie between forms shows the one with fewer capitals; "de" before a URL ends the phrase
    assert [(c.phrase, c.key, len(c.spans), c.first_token) for c in cands] == [
        ("força", "força", 2, 0), ("força de paz", "força de paz", 2, 0),
        ("Força de Paz chegou", "força de paz chegou", 1, 0), ("paz", "paz", 2, 2),
        ("Paz chegou", "paz chegou", 1, 2), ("chegou", "chegou", 1, 3),
        ("força de paz partiu", "força de paz partiu", 1, 6), ("paz partiu", "paz partiu", 1, 8),
        ("partiu", "partiu", 1, 9),
    ]


def test_urls_inside_chinese_text_are_not_cut_into_candidates() -> None:
    # 详情请 and 访问 are verbs: a phrase of verbs alone is no noun phrase
    text = "详情请访问https://example.com/honda-civic-2014了解二手汽车价格"
    assert candidates(text) == [("汽车", [(45, 47)]), ("汽车价格", [(45, 49)]), ("价格", [(47, 49)])]


def test_occurrences_are_packed_and_read_as_lists_of_int_pairs() -> None:
    text = "Neural networks help. Deep neural networks help more. Neural networks again."
    (nn,) = [c for c in extract_candidates(text, segment(text), STOP, 5) if c.key == "neural network"]
    # one int64 array per candidate (16 bytes an occurrence), not a list of tuples
    assert isinstance(nn.spans, Spans) and nn.spans.array.dtype == np.int64 and nn.spans.array.shape == (3, 2)
    assert np.asarray(nn.spans) is nn.spans.array  # the encoder reads them without a copy
    assert nn.spans == [(0, 15), (27, 42), (54, 69)] and nn.spans != [(0, 15)]
    assert nn.spans[1] == (27, 42) and all(type(v) is int for span in nn.spans for v in span)
    assert nn.spans[1:] == Spans([(27, 42), (54, 69)]) and nn.spans.shifted(10)[0] == (10, 25)
    assert isinstance(nn.groups, Contests) and nn.groups == [0, 1, 2] and 1 in nn.groups
    assert not Contests() and Contests([0])  # truth is length, as for a list (not numpy's)
    assert repr(nn.groups) == "Contests([0, 1, 2])"


def test_untagged_inflectional_variants_merge_by_their_lemmas() -> None:
    from keyextract.candidates import untagged_candidates
    from keyextract.languages import word_lemmatizer

    text = "Une éolienne tourne. Les éoliennes en mer produisent. Deux parcs éoliens, un parc."
    stopwords = load_stopwords("fr")
    cands = untagged_candidates(text, segment(text, "fr"), stopwords, 1, frozenset(), word_lemmatizer("fr"))
    # éolienne / éoliennes and parc / parcs are one candidate each, shown in their most frequent
    # form (a tie: the earliest); the adjective éoliens has a lemma of its own
    assert [(c.phrase, c.key, len(c.spans)) for c in cands] == [
        ("éolienne", "éolienne", 2), ("tourne", "tourner", 1), ("mer", "mer", 1),
        ("produisent", "produire", 1), ("parcs", "parc", 2), ("éoliens", "éolien", 1),
    ]
    # without a lemmatizer the forms stay apart
    plain = untagged_candidates(text, segment(text, "fr"), stopwords, 1)
    assert [c.phrase for c in plain] == ["éolienne", "tourne", "éoliennes", "mer", "produisent", "parcs", "éoliens", "parc"]


def test_languages_simplemma_lacks_have_no_lemmatizer() -> None:
    from keyextract.languages import word_lemmatizer

    assert word_lemmatizer("pt")("soldados") == "soldado"
    assert word_lemmatizer("hr") is not None and word_lemmatizer("no")("husene") == "hus"
    assert word_lemmatizer("vi") is None and word_lemmatizer("eu") is None


def _contenders(text: str, max_words: int = 5) -> list[str]:
    return [c.phrase for c in extract_candidates(text, segment(text), STOP, max_words)]


def test_a_sub_span_never_cuts_a_name() -> None:
    text = "The legendary director Terrence Malick spoke at the New York Stock Exchange trading floor."
    assert _contenders(text) == [
        "legendary director", "legendary director Terrence Malick", "director Terrence Malick", "Terrence Malick",
        "New York Stock Exchange", "New York Stock Exchange trading", "trading floor",
    ]
    # where the last max_words words would cut a name, the phrase reaches back to its start
    assert _contenders("New York Stock Exchange trading volume rose.", 4) == ["New York Stock Exchange", "trading volume"]


def test_a_capitalised_common_word_after_a_lowercase_one_starts_a_new_phrase() -> None:
    # titles that run into their text: the full stop or line break is lost
    assert _contenders("Localization in distributed sensor networks Accurate localization is hard.") == [
        "Localization", "distributed sensor", "distributed sensor networks", "sensor networks", "Accurate localization",
    ]
    assert _contenders("Clustering with pairwise constraints Data clustering is a core task.") == [
        "pairwise constraints", "Data clustering", "core task",
    ]
    # names LemmInflect does not know, and acronyms, stay in their phrase
    assert _contenders("The studio hired novelist Terrence Malick and an IBM director.") == [
        "studio", "novelist Terrence Malick", "Terrence Malick", "IBM director",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a participle before a noun modifies it; an -ing word LemmInflect knows as a noun may follow one
        ("We propose a training method for distributed databases.", ["training method", "distributed databases"]),
        ("Machine learning algorithms need labelled data.", ["Machine learning algorithms", "labelled data"]),
        # an -ing word after a noun, with no object after it, is the phrase's head
        ("They study data mining in cloud computing.", ["data mining", "cloud computing"]),
        # with an object after it, it is a verb
        ("The results showing improvements were published.", ["results", "improvements"]),
    ],
)
def test_participles_inside_noun_phrases(text: str, expected: list[str]) -> None:
    assert [p for p, _ in candidates(text, max_words=5)] == expected

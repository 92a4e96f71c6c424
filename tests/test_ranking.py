"""Ranking: cosine relevance and MMR choices on hand-made vectors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from keyextract.candidates import noun_lemma
from keyextract.ranking import (
    SPECIFICITY_WEIGHT, attention_prior, contest_winners, cosines, frequency_prior, mmr, nesting_units,
    position_prior, shortlist, specificity_prior,
)

DOC = np.array([1.0, 0.0])
# a and b are near-duplicates and both relevant; c is less relevant but different.
CANDS = np.array([[1.0, 0.1], [1.0, 0.12], [0.8, 0.6]])
REL = [1 / math.sqrt(1.01), 1 / math.sqrt(1.0144), 0.8]


def test_zero_diversity_is_pure_relevance_order() -> None:
    picks = mmr(cosines(CANDS, DOC), CANDS, top_n=3, diversity=0.0)
    assert [i for i, _ in picks] == [0, 1, 2]
    assert [s for _, s in picks] == pytest.approx(REL)
    assert all(type(s) is float for _, s in picks)


def test_low_diversity_keeps_the_near_duplicate() -> None:
    # b: 0.5*0.99288 - 0.5*0.99998 = -0.0036 beats c: 0.5*0.8 - 0.5*0.8557 = -0.0279
    assert [i for i, _ in mmr(cosines(CANDS, DOC), CANDS, top_n=3, diversity=0.5)] == [0, 1, 2]


def test_high_diversity_skips_the_near_duplicate() -> None:
    # b: 0.2*0.99288 - 0.8*0.99998 = -0.6014 loses to c: 0.2*0.8 - 0.8*0.8557 = -0.5246
    assert [i for i, _ in mmr(cosines(CANDS, DOC), CANDS, top_n=2, diversity=0.8)] == [0, 2]
    assert [i for i, _ in mmr(cosines(CANDS, DOC), CANDS, top_n=2, diversity=0.0)] == [0, 1]


def test_the_selected_set_comes_back_best_score_first() -> None:
    # MMR picks a, then c (diverse), then b; the list shown is sorted by the score shown.
    picks = mmr(cosines(CANDS, DOC), CANDS, top_n=3, diversity=0.8)
    assert [i for i, _ in picks] == [0, 1, 2]
    assert [s for _, s in picks] == pytest.approx(REL)
    far = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.6, 0.8]])
    picks = mmr(cosines(far, DOC), far, top_n=3, diversity=0.9)  # picks 0, then 2 (orthogonal), then 3
    assert [i for i, _ in picks] == [0, 3, 2]
    assert [s for _, s in picks] == sorted((s for _, s in picks), reverse=True)


def test_top_n_larger_than_candidates_and_zero_candidates() -> None:
    assert len(mmr(cosines(CANDS, DOC), CANDS, top_n=10, diversity=0.3)) == 3
    assert mmr(cosines(np.zeros((0, 2)), DOC), np.zeros((0, 2)), top_n=5) == []


def test_ties_go_to_the_earlier_candidate() -> None:
    same = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    assert [i for i, _ in mmr(cosines(same, DOC), same, top_n=3, diversity=0.0)] == [0, 1, 2]
    assert [i for i, _ in mmr(cosines(same, DOC), same, top_n=3, diversity=0.5)] == [0, 1, 2]


def test_zero_vectors_score_zero_instead_of_nan() -> None:
    picks = mmr(cosines(np.array([[0.0, 0.0], [1.0, 0.0]]), DOC), np.array([[0.0, 0.0], [1.0, 0.0]]), top_n=2)
    assert picks == [(1, pytest.approx(1.0)), (0, 0.0)]


@pytest.mark.parametrize("diversity", [-0.1, 1.5])
def test_diversity_outside_unit_interval_is_refused(diversity: float) -> None:
    with pytest.raises(ValueError, match="diversity"):
        mmr(cosines(CANDS, DOC), CANDS, top_n=2, diversity=diversity)


def test_priors_favour_early_and_frequent_phrases() -> None:
    assert position_prior(np.array([0, 150, 450]), 0.3) == pytest.approx([0.3, 0.15, 0.075])
    assert frequency_prior(np.array([1, 1, 4]), 0.05) == pytest.approx([0.0, 0.0, 0.05 * math.log(4)])
    assert frequency_prior(np.array([0]), 0.05).tolist() == [0.0]  # a count below 1 counts as 1
    assert (position_prior(np.array([7]), 0.0) + frequency_prior(np.array([3]), 0.0)).tolist() == [0.0]


def test_attention_prior_is_a_weighted_z_score_of_log_attention() -> None:
    attention = np.array([1.0, math.e, math.e**2])  # logs 0, 1, 2: mean 1, std sqrt(2/3)
    assert attention_prior(attention, 0.2) == pytest.approx([-0.2 * 1.5**0.5, 0.0, 0.2 * 1.5**0.5], abs=1e-5)
    # no information, no prior: one candidate, equal values, or no attention computed
    assert attention_prior(np.array([3.0]), 0.2).tolist() == [0.0]
    assert attention_prior(np.array([2.0, 2.0]), 0.2).tolist() == [0.0, 0.0]
    assert attention_prior(np.zeros(3), 0.2).tolist() == [0.0, 0.0, 0.0]


def test_each_contest_keeps_its_most_relevant_contender() -> None:
    # contest 0: a noun phrase and two of its sub-spans (candidates 0, 1, 2); contest 1: candidate 1
    # again, elsewhere, alone with candidate 3; candidate 4 contends nowhere (a Chinese phrase)
    relevance = np.array([0.5, 0.4, 0.7, 0.3, 0.1])
    groups = [[0], [0, 1], [0], [1], []]
    assert contest_winners(relevance, groups).tolist() == [False, True, True, False, True]
    # a tie goes to the lower index
    assert contest_winners(np.array([0.5, 0.5]), [[0], [0]]).tolist() == [True, False]
    assert contest_winners(np.zeros(0), []).tolist() == []


def test_relevance_given_decides_the_order() -> None:
    relevance = cosines(CANDS, DOC) + np.array([0.0, 0.0, 0.5])  # a prior on the third
    picks = mmr(relevance, CANDS, top_n=3, diversity=0.0)
    assert [i for i, _ in picks] == [2, 0, 1]
    assert picks[0][1] == pytest.approx(0.8 + 0.5)
    assert [i for i, _ in mmr(relevance, None, top_n=2)] == [2, 0]  # no vectors needed at diversity 0


# --- one phrase, and its parts, listed once ------------------------------------------------------


def test_nesting_units_are_words_or_chinese_characters() -> None:
    assert nesting_units("neural networks", noun_lemma) == ("neural", "network")
    assert nesting_units("neural networks") == ("neural", "networks")
    assert nesting_units("python调用", noun_lemma) == ("python", "调", "用")
    assert nesting_units("台湾半导体产业") == ("台", "湾", "半", "导", "体", "产", "业")
    assert nesting_units("time-based c++ 5g") == ("time-based", "c++", "5g")
    assert nesting_units("") == ()


UNITS = [nesting_units(k, noun_lemma) for k in (
    "incremental garbage collection", "garbage collection", "algorithms", "algorithm", "collection", "heap",
)]


def test_a_phrase_nested_in_a_pick_or_holding_one_is_not_listed() -> None:
    relevance = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
    # 1 and 4 are nested in 0; 3 is 2 in another surface form
    assert [i for i, _ in mmr(relevance, None, top_n=6, units=UNITS)] == [0, 2, 5]
    # the part first: it is listed, and its container is not
    relevance = np.array([0.9, 1.0, 0.8, 0.7, 0.6, 0.5])
    assert [i for i, _ in mmr(relevance, None, top_n=6, units=UNITS)] == [1, 2, 5]
    # keep_nested lists nested phrases, but never the same phrase twice
    assert [i for i, _ in mmr(relevance, None, top_n=6, units=UNITS, keep_nested=True)] == [1, 0, 2, 4, 5]
    # no units, no blocking
    assert [i for i, _ in mmr(relevance, None, top_n=6)] == [1, 0, 2, 3, 4, 5]


def test_chinese_parts_of_a_phrase_are_blocked_by_characters() -> None:
    keys = ["半导体产业", "半导体", "台湾半导体产业", "台湾半导体", "台湾", "晶圆"]
    units = [nesting_units(k) for k in keys]
    relevance = np.array([1.0, 0.95, 0.9, 0.85, 0.8, 0.5])
    # 半导体产业 first: 半导体 is inside it, 台湾半导体产业 holds it; 台湾半导体 and 台湾 are neither
    assert [keys[i] for i, _ in mmr(relevance, None, top_n=6, units=units)] == ["半导体产业", "台湾半导体", "晶圆"]
    # with their spans in 台湾半导体产业的晶圆 (台湾 also alone later): 台湾半导体 is another cut of
    # the stretch 半导体产业 was cut from; 台湾 touches it but does not overlap it
    spans = [[(2, 7)], [(2, 5)], [(0, 7)], [(0, 5)], [(0, 2), (12, 14)], [(8, 10)]]
    picks = mmr(relevance, None, top_n=6, units=units, spans=spans)
    assert [keys[i] for i, _ in picks] == ["半导体产业", "台湾", "晶圆"]
    # keep_nested lists them all
    assert len(mmr(relevance, None, top_n=6, units=units, spans=spans, keep_nested=True)) == 6


def test_with_diversity_blocked_candidates_are_never_picked() -> None:
    # 1 is nested in 0 and far more relevant than 2: plain MMR takes it second; with units it is
    # never listed, even when fewer than top_n are left
    cands = np.array([[1.0, 0.0], [0.99, math.sqrt(1 - 0.99**2)], [0.6, 0.8]])
    units = [("semiconductor", "industry"), ("semiconductor",), ("wafer",)]
    relevance = cosines(cands, DOC)
    assert [i for i, _ in mmr(relevance, cands, top_n=2, diversity=0.3)] == [0, 1]
    assert [i for i, _ in mmr(relevance, cands, top_n=2, diversity=0.3, units=units)] == [0, 2]
    picks = mmr(relevance, cands, top_n=3, diversity=0.3, units=units)
    assert [i for i, _ in picks] == [0, 2]
    assert [s for _, s in picks] == pytest.approx([1.0, 0.6])


def test_specificity_prior_is_zero_for_specificity_one() -> None:
    assert specificity_prior(np.array([1.0, 0.5, 0.0])).tolist() == pytest.approx([0.0, -0.5 * SPECIFICITY_WEIGHT, -SPECIFICITY_WEIGHT])


def test_shortlist_keeps_the_most_relevant_in_document_order() -> None:
    assert shortlist(np.array([0.1, 0.5, 0.3, 0.5, 0.2]), 3).tolist() == [1, 2, 3]
    assert shortlist(np.array([0.2, 0.2, 0.2]), 2).tolist() == [0, 1]  # ties: the earlier
    assert shortlist(np.array([0.9, -1.0]), 2).tolist() == [0, 1]
    assert shortlist(np.array([0.9, -1.0]), 5).tolist() == [0, 1]
    assert shortlist(np.zeros(0), 3).tolist() == []

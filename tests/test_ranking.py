"""Ranking: cosine relevance and MMR choices on hand-made vectors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from keyextract.ranking import (
    NESTED_PENALTY, SPECIFICITY_WEIGHT, attention_prior, contest_winners, frequency_prior, mmr, nested_pairs,
    position_prior, shortlist, specificity_prior,
)

DOC = np.array([1.0, 0.0])
# a and b are near-duplicates and both relevant; c is less relevant but different.
CANDS = np.array([[1.0, 0.1], [1.0, 0.12], [0.8, 0.6]])
REL = [1 / math.sqrt(1.01), 1 / math.sqrt(1.0144), 0.8]


def test_zero_diversity_is_pure_relevance_order() -> None:
    picks = mmr(DOC, CANDS, top_n=3, diversity=0.0)
    assert [i for i, _ in picks] == [0, 1, 2]
    assert [s for _, s in picks] == pytest.approx(REL)
    assert all(type(s) is float for _, s in picks)


def test_low_diversity_keeps_the_near_duplicate() -> None:
    # b: 0.5*0.99288 - 0.5*0.99998 = -0.0036 beats c: 0.5*0.8 - 0.5*0.8557 = -0.0279
    assert [i for i, _ in mmr(DOC, CANDS, top_n=3, diversity=0.5)] == [0, 1, 2]


def test_high_diversity_skips_the_near_duplicate() -> None:
    # b: 0.2*0.99288 - 0.8*0.99998 = -0.6014 loses to c: 0.2*0.8 - 0.8*0.8557 = -0.5246
    assert [i for i, _ in mmr(DOC, CANDS, top_n=2, diversity=0.8)] == [0, 2]
    assert [i for i, _ in mmr(DOC, CANDS, top_n=2, diversity=0.0)] == [0, 1]


def test_the_selected_set_comes_back_best_score_first() -> None:
    # MMR picks a, then c (diverse), then b; the list shown is sorted by the score shown.
    picks = mmr(DOC, CANDS, top_n=3, diversity=0.8)
    assert [i for i, _ in picks] == [0, 1, 2]
    assert [s for _, s in picks] == pytest.approx(REL)
    far = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.6, 0.8]])
    picks = mmr(DOC, far, top_n=3, diversity=0.9)  # picks 0, then 2 (orthogonal), then 3
    assert [i for i, _ in picks] == [0, 3, 2]
    assert [s for _, s in picks] == sorted((s for _, s in picks), reverse=True)


def test_top_n_larger_than_candidates_and_zero_candidates() -> None:
    assert len(mmr(DOC, CANDS, top_n=10, diversity=0.3)) == 3
    assert mmr(DOC, np.zeros((0, 2)), top_n=5) == []


def test_ties_go_to_the_earlier_candidate() -> None:
    same = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    assert [i for i, _ in mmr(DOC, same, top_n=3, diversity=0.0)] == [0, 1, 2]
    assert [i for i, _ in mmr(DOC, same, top_n=3, diversity=0.5)] == [0, 1, 2]


def test_zero_vectors_score_zero_instead_of_nan() -> None:
    picks = mmr(DOC, np.array([[0.0, 0.0], [1.0, 0.0]]), top_n=2)
    assert picks == [(1, pytest.approx(1.0)), (0, 0.0)]


@pytest.mark.parametrize("diversity", [-0.1, 1.5])
def test_diversity_outside_unit_interval_is_refused(diversity: float) -> None:
    with pytest.raises(ValueError, match="diversity"):
        mmr(DOC, CANDS, top_n=2, diversity=diversity)


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


def test_prior_is_added_to_relevance_and_can_reorder() -> None:
    picks = mmr(DOC, CANDS, top_n=3, diversity=0.0, prior=np.array([0.0, 0.0, 0.5]))
    assert [i for i, _ in picks] == [2, 0, 1]
    assert picks[0][1] == pytest.approx(0.8 + 0.5)


# --- nested candidates ---------------------------------------------------------------------------


def test_nested_pairs_are_occurrences_inside_occurrences() -> None:
    # 台湾半导体产业 (0, 7) holds 台湾 (0, 2), 半导体 (2, 5), 产业 (5, 7) and 半导体产业 (2, 7);
    # 芯片 occurs apart; "networks" (20, 28) occurs apart from "neural networks" (40, 55)
    spans = [[(0, 7)], [(2, 7)], [(2, 5), (9, 12)], [(5, 7)], [(0, 2)], [(12, 14)], [(20, 28)], [(40, 55)]]
    nested = nested_pairs(spans).toarray()
    assert (nested == nested.T).all() and not nested.diagonal().any()
    assert {(i, j) for i, j in zip(*np.nonzero(nested)) if i < j} == {(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (1, 3)}
    assert nested_pairs([]).shape == (0, 0)


def test_nested_candidate_after_its_container_loses_the_penalty() -> None:
    # relevance: 0 -> 1.00, 1 -> 0.99 (part of 0), 2 -> 0.98 (unrelated)
    cands = np.array([[1.0, 0.0], [0.99, math.sqrt(1 - 0.99**2)], [0.98, math.sqrt(1 - 0.98**2)]])
    nested = nested_pairs([[(0, 5)], [(0, 3)], [(6, 8)]])  # 半导体产业, 半导体, 晶圆
    picks = mmr(DOC, cands, top_n=3, diversity=0.0, nested=nested)
    assert [i for i, _ in picks] == [0, 2, 1]
    assert [s for _, s in picks] == pytest.approx([1.0, 0.98, 0.99 - NESTED_PENALTY])
    # without the nesting information: plain relevance order
    assert [i for i, _ in mmr(DOC, cands, top_n=3, diversity=0.0)] == [0, 1, 2]


def test_a_clearly_better_nested_candidate_keeps_its_place() -> None:
    cands = np.array([[1.0, 0.0], [0.9, math.sqrt(1 - 0.81)], [0.5, math.sqrt(0.75)]])
    picks = mmr(DOC, cands, top_n=3, diversity=0.0, nested=nested_pairs([[(0, 5)], [(0, 3)], [(6, 8)]]))
    assert [i for i, _ in picks] == [0, 1, 2]  # 0.9 - 0.02 still beats 0.5


def test_with_diversity_nested_candidates_are_not_picked_while_others_are_left() -> None:
    # 1 is nested in 0 and far more relevant than 2: plain MMR takes it second; asked for
    # diversity, nesting keeps it out while 2 is left, and lets it in once only nested remain
    cands = np.array([[1.0, 0.0], [0.99, math.sqrt(1 - 0.99**2)], [0.6, 0.8]])
    nested = nested_pairs([[(0, 5)], [(0, 3)], [(6, 8)]])  # 半导体产业, 半导体, 晶圆
    assert [i for i, _ in mmr(DOC, cands, top_n=2, diversity=0.3)] == [0, 1]
    assert [i for i, _ in mmr(DOC, cands, top_n=2, diversity=0.3, nested=nested)] == [0, 2]
    picks = mmr(DOC, cands, top_n=3, diversity=0.3, nested=nested)
    assert [i for i, _ in picks] == [0, 1, 2]  # all three, shown by relevance
    assert [s for _, s in picks] == pytest.approx([1.0, 0.99, 0.6])


def test_specificity_prior_is_zero_for_specificity_one() -> None:
    assert specificity_prior(np.array([1.0, 0.5, 0.0])).tolist() == pytest.approx([0.0, -0.5 * SPECIFICITY_WEIGHT, -SPECIFICITY_WEIGHT])


def test_shortlist_keeps_the_most_relevant_in_document_order() -> None:
    assert shortlist(np.array([0.1, 0.5, 0.3, 0.5, 0.2]), 3).tolist() == [1, 2, 3]
    assert shortlist(np.array([0.2, 0.2, 0.2]), 2).tolist() == [0, 1]  # ties: the earlier
    assert shortlist(np.array([0.9, -1.0]), 2).tolist() == [0, 1]
    assert shortlist(np.array([0.9, -1.0]), 5).tolist() == [0, 1]
    assert shortlist(np.zeros(0), 3).tolist() == []

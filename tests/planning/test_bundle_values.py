"""Sets of a person's trainings valued as the champion's lists value them: overlaps once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.models.marginal import marginal_lists
from recsys.planning.bundle_values import chosen_marginals, subset_values


def _person(alone: list[float], rows: list[tuple[int, str, float, float, float]]):
    """One person's items (in list order) and the competency rows they develop."""
    items = pd.DataFrame(
        {
            "person": 0,
            "nip": "P1",
            "training_id": [f"T{i}" for i in range(len(alone))],
            "gain_alone": alone,
        }
    )
    overlaps = pd.DataFrame(rows, columns=["item", "competency", "level", "closable", "weight"])
    return items, overlaps


def test_two_trainings_closing_the_same_gap_count_it_once() -> None:
    # both close competency C from level 1 to 3 (weight 1); each alone gains 1.0, i.e.
    # closes half of that gap; the second then finds half of it open
    items, overlaps = _person([1.0, 1.0], [(0, "C", 1, 2, 1.0), (1, "C", 1, 2, 1.0)])
    masks = np.array([[1, 0], [0, 1], [1, 1]], dtype=float)
    values, marginal = subset_values(items, overlaps, np.array([[0, 1]]), masks)
    assert values[:, 0] == pytest.approx([1.0, 1.0, 1.5])
    assert marginal[2, 0] == pytest.approx([1.0, 0.5])
    assert chosen_marginals(items, overlaps, np.array([True, True])) == pytest.approx([1.0, 0.5])


def test_trainings_closing_different_gaps_add_up() -> None:
    items, overlaps = _person([1.0, 0.4], [(0, "C", 1, 2, 1.0), (1, "D", 2, 1, 2.0)])
    values, _ = subset_values(items, overlaps, np.array([[0, 1]]), np.array([[1.0, 1.0]]))
    assert values[0, 0] == pytest.approx(1.4)


def test_a_set_is_worth_what_the_champions_list_says_it_is() -> None:
    rng = np.random.default_rng(3)
    competencies = ["A", "B", "C", "D"]
    rows, alone, gaps = [], [], []
    for item in range(5):
        touched = rng.choice(competencies, size=int(rng.integers(1, 4)), replace=False)
        gap = 0.0
        for code in touched:
            level = {"A": 1.0, "B": 1.5, "C": 2.0, "D": 1.2}[code]
            closable, weight = float(rng.integers(1, 3)), float(rng.uniform(0.5, 2))
            rows.append((item, code, level, closable, weight))
            gap += closable * weight
        gaps.append(gap)
        alone.append(gap * float(rng.uniform(0.1, 0.6)))
    items, overlaps = _person(alone, rows)
    scored = pd.DataFrame(
        {
            "nip": "P1",
            "training_id": items["training_id"],
            "expected_gain": alone,
            "weighted_gap": gaps,
        }
    )
    detail = overlaps.rename(columns={"item": "pair"})
    listed = marginal_lists(scored, detail, k=5)
    # items in the list's order: every prefix is worth the list's marginal gains
    order = listed.index.to_numpy()
    ordered = items.iloc[order].reset_index(drop=True).assign(person=0)
    remap = {old: new for new, old in enumerate(order)}
    moved = overlaps.assign(item=overlaps["item"].map(remap))
    masks = np.tril(np.ones((5, 5)))
    values, _ = subset_values(ordered, moved, np.array([np.arange(5)]), masks)
    assert values[:, 0] == pytest.approx(np.cumsum(listed["expected_gain"].to_numpy()))

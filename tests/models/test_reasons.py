"""Reasons of a training list built by marginal gain: an item that adds clearly less than it
would alone says so, the first item names the ranker, and old callers get what they got."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.models.reasons import (
    ON_TOP_SHARE,
    _tenth_texts,
    explain_mentors,
    explain_trainings,
    explain_trainings_in,
    ranker_name,
)
from recsys.models.selection import RANKERS


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def lists(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two people's lists (pair ids 10–13) and their per-competency detail."""
    codes = ds.competencies["code"].astype(str).head(3).tolist()
    trained = ds.enrollments["training_id"].astype(str).iloc[0]
    top = pd.DataFrame(
        {
            "nip": ["A", "A", "A", "B"],
            "rank": [1, 2, 3, 1],
            "training_id": [trained] * 4,
            "expected_gain": [2.0, 0.5, 0.95, 1.0],
            "gain_lower": [1.0, 0.1, 0.5, 0.2],
            "gain_upper": [3.0, 0.9, 1.4, 1.8],
            "gain_alone": [2.0, 2.0, 1.0, 1.0],
            "ranker": ["structured"] * 3 + ["gap_rule"],
        },
        index=[10, 11, 12, 13],
    )
    detail = pd.DataFrame(
        {
            "pair": [10, 10, 11, 12, 13],
            "competency": [codes[0], codes[1], codes[0], codes[2], codes[1]],
            "level": [1.0, 2.04, 1.0, 2.5, 2.0],
            "target": [4, 3, 3, 3, 4],
            "closable": [3.0, 0.96, 2.0, 0.5, 2.0],
            "weight": [1.0, 0.5, 1.0, 1.0, 0.8],
            "assessed": [True, True, True, True, False],
        }
    )
    return top, detail


def test_an_item_below_says_it_adds_on_top_and_the_first_names_the_ranker(
    ds: Dataset, lists: tuple
) -> None:
    top, detail = lists
    _, reasons = explain_trainings(top, detail, ds, "id")
    first, second, third, other = reasons
    assert first.endswith("; diurutkan oleh model terstruktur.")
    assert "tambahan setelah" not in first
    # 0.5 of 2.0 alone: clearly less, so it says what it would gain alone
    assert "perkiraan kenaikan nilai SKP +0,5 poin (0,1 s.d. 0,9); " in second
    assert "tambahan setelah pelatihan di atasnya (sendiri: +2,0 poin)" in second
    assert ON_TOP_SHARE <= 0.95  # 95% of its gain alone: not worth a remark
    assert "tambahan setelah" not in third
    assert not any("diurutkan" in r for r in (second, third))
    assert other.endswith("; diurutkan oleh aturan kesenjangan kompetensi.")
    english = explain_trainings(top, detail, ds, "en")[1]
    assert english[0].endswith("; ranked by the structured model.")
    assert "on top of the trainings above (alone: +2.0 points)" in english[1]
    # numbers as each language writes them, the levels too; the names as they are
    assert "Integritas (1,0→3)" in second and "Integritas (1.0→3)" in english[1]
    assert "+0.5 points (0.1 to 0.9)" in english[1]
    assert english[3].endswith("ranked by the competency-gap rule.")


def test_the_existing_parts_stay_and_old_callers_get_what_they_got(
    ds: Dataset, lists: tuple
) -> None:
    top, detail = lists
    gaps, reasons = explain_trainings(top, detail, ds, "en")
    old_gaps, old = explain_trainings(
        top.drop(columns=["rank", "gain_alone", "ranker"]), detail, ds, "en"
    )
    assert gaps == old_gaps
    assert not any("ranked by" in r or "on top of" in r for r in old)
    assert all(r.startswith("Closes the gap in ") and "forecast SKP gain" in r for r in old)
    assert "competency level estimated" in old[3] and "competency level estimated" in reasons[3]
    # the new parts are added to the old reason, nothing else changes
    for new, before in zip(reasons, old, strict=True):
        kept = [p for p in new.rstrip(".").split("; ") if not p.startswith(("ranked", "on top"))]
        assert kept == before.rstrip(".").split("; ")
    # without a rank, no item can be told to be first or below
    no_rank = explain_trainings(top.drop(columns="rank"), detail, ds, "en")[1]
    assert no_rank == old


def test_every_ranker_has_a_name_in_both_languages() -> None:
    for lang in ("id", "en"):
        names = [ranker_name(r, lang) for r in RANKERS]
        assert len(set(names)) == len(RANKERS)
        assert all(name not in RANKERS for name in names)
    assert ranker_name("uplift", "id") == "model uplift fleksibel"
    assert ranker_name("blend", "en") == "a blend of several models"
    assert ranker_name("something_new", "en") == "something_new"
    with pytest.raises(ValueError, match="unsupported language"):
        ranker_name("structured", "fr")


def test_the_command_line_names_the_rankers_the_same_way() -> None:
    from recsys.cli.messages import _MESSAGES

    for name in RANKERS:
        key = f"ranker.name.{name}"
        if key in _MESSAGES:
            for lang in ("id", "en"):
                assert _MESSAGES[key][lang] == ranker_name(name, lang), (key, lang)


def test_a_bound_that_rounds_to_zero_never_reads_minus_zero(ds: Dataset, lists: tuple) -> None:
    top, detail = lists
    tiny = top.assign(expected_gain=[0.01, 0.5, 0.95, 1.0], gain_lower=[-0.04, 0.1, 0.5, 0.2])
    reasons = explain_trainings(tiny, detail, ds, "id")[1]
    assert "perkiraan kenaikan nilai SKP +0,0 poin (0,0 s.d. 3,0)" in reasons[0]
    assert not any("-0.0" in r for r in reasons)


def test_every_language_at_once_is_each_language_alone(ds: Dataset, lists: tuple) -> None:
    top, detail = lists
    gaps, reasons = explain_trainings_in(top, detail, ds, ["id", "en"])
    for lang in ("id", "en"):
        assert (gaps, reasons[lang]) == explain_trainings(top, detail, ds, lang)
    assert explain_trainings_in(top.iloc[:0], detail, ds, ["en"]) == ([], {"en": []})


def test_gains_read_as_rounded_one_by_one() -> None:
    # ties at a half (exact in binary or not), signs of zero, large and missing values
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.normal(0, 5, 20_000),
            np.arange(-400, 400) / 20,
            [0.0, -0.0, -0.04, -0.05, 0.05, 0.15, 0.25, 0.35, -0.35, 2.5e15 + 0.5, 1e300],
            [np.nan, np.inf, -np.inf],
        ]
    )
    expected = [format(round(v, 1) + 0.0, ".1f") for v in values.tolist()]
    assert _tenth_texts(pd.Series(values)) == expected


def test_mentor_reasons_write_numbers_as_their_language_does(ds: Dataset) -> None:
    code = ds.competencies["code"].astype(str).iloc[0]
    name = ds.competencies["name"].astype(str).iloc[0]
    top = pd.DataFrame(
        {
            "expected_gain": [1.25],
            "gain_lower": [0.4],
            "gain_upper": [2.06],
            "is_supervisor": [False],
            "has_record": [True],
            "distance": ["same_unit"],
        },
        index=[7],
    )
    detail = pd.DataFrame(
        {
            "pair": [7],
            "priority": [1.0],
            "competency": [code],
            "level": [2.5],
            "mentor_level": [4.0],
            "assessed": [True],
        }
    )
    covered, reasons, _ = explain_mentors(top, detail, ds, "id")
    assert f"Unggul di {name} (2,5→4,0)" in reasons[0]
    assert "perkiraan kenaikan nilai SKP +1,2 poin (0,4 s.d. 2,1)" in reasons[0]
    assert covered == [f"{code} 2.5→4.0"]  # the data column is the same in every language
    english = explain_mentors(top, detail, ds, "en")[1][0]
    assert f"Ahead in {name} (2.5→4.0)" in english
    assert "forecast SKP gain +1.2 points (0.4 to 2.1)" in english

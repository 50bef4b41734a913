"""The program evaluation on a demo world: Kirkpatrick levels per training and provider,
verdicts that follow the evidence (a training made useless is flagged), effects that track
the world's truth, unit service effects, and clear errors for what cannot be evaluated."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy import stats

from recsys.data.loading import Dataset, load_dataset
from recsys.evaluation.evaluation_document import evaluation_tables, write_evaluation
from recsys.evaluation.ground_truth import true_training_effects
from recsys.evaluation.kirkpatrick import (
    DOES_NOT_WORK,
    TOO_FEW,
    TRAINING_COLUMNS,
    VERDICTS,
    ProgramEvaluation,
    evaluate_program,
)
from recsys.features import outcomes as O
from recsys.simulation.world import TRUTH_DIR

YEAR = 2024


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def evaluation(ds: Dataset) -> ProgramEvaluation:
    return evaluate_program(ds, YEAR)


def _with(ds: Dataset, **tables: pd.DataFrame) -> Dataset:
    """``ds`` with some tables replaced."""
    return replace(ds, tables={**ds.tables, **tables})


def test_every_training_of_the_year_has_its_four_levels_and_a_verdict(
    ds: Dataset, evaluation: ProgramEvaluation
) -> None:
    table = evaluation.trainings
    assert list(table.columns) == list(TRAINING_COLUMNS)
    started = ds.enrollments[ds.enrollments["start_date"].dt.year == YEAR]
    assert set(table["training_id"].astype(str)) == set(started["training_id"].astype(str))
    assert table["enrolled"].sum() == len(started)  # nobody dropped silently
    assert set(table["verdict"]) <= set(VERDICTS)
    assert (table["completed"] + table["dropped"] <= table["enrolled"]).all()
    assert table["dropout_rate"].between(0, 1).all()
    assert table["reaction_mean"].dropna().between(1, 5).all()
    assert (table["learning_n"] <= table["completed"]).all()
    # post − pre is positive on average in a world where trainings teach
    assert (table["learning_gain"] * table["learning_n"]).sum() / table["learning_n"].sum() > 0
    few = table["verdict"] == TOO_FEW
    assert table.loc[few, "effect"].isna().all()  # never a number from a handful of scores
    judged = table[~few]
    assert (judged["participants"] >= evaluation.min_participants).all()
    assert (judged["effect_lower"] <= judged["effect"]).all()
    assert (judged["effect"] <= judged["effect_upper"]).all()


def test_effects_track_the_worlds_truth(small_world: Path, ds: Dataset, evaluation) -> None:
    truth = true_training_effects(ds, small_world / TRUTH_DIR, YEAR)
    assert truth is not None
    judged = evaluation.trainings[evaluation.trainings["verdict"] != TOO_FEW]
    truth = truth.reindex(judged["training_id"].astype(str)).to_numpy()
    assert len(judged) >= 20
    rho = stats.spearmanr(judged["effect"], truth).statistic
    assert rho > 0.2, rho  # about 0 ± 0.15 if the effects were noise
    covered = (judged["effect_lower"] <= truth) & (truth <= judged["effect_upper"])
    assert covered.mean() >= 0.7, covered.mean()


def test_a_training_made_useless_is_flagged_as_not_working(ds: Dataset) -> None:
    """Take the year's most attended training and take 3 SKP points off each participant's
    outcome appraisal: the evaluation must say it does not work."""
    started = ds.enrollments[
        (ds.enrollments["start_date"].dt.year == YEAR) & (ds.enrollments["status"] == "completed")
    ]
    target = started["training_id"].astype(str).value_counts().index[0]
    hit = started[started["training_id"].astype(str) == target].reset_index(drop=True)
    outcome = O.activity_outcomes(hit, ds.performance, key="enrollment_id")
    keys = pd.MultiIndex.from_arrays([hit["nip"].astype(str), outcome[O.OUTCOME_PERIOD]])
    performance = ds.performance.copy()
    rows = pd.MultiIndex.from_arrays(
        [performance["nip"].astype(str), performance["period_end"]]
    ).isin(keys.dropna())
    performance.loc[rows, "score"] -= 3.0
    before = evaluate_program(ds, YEAR, trainings=[target]).trainings.iloc[0]
    after = evaluate_program(_with(ds, performance=performance), YEAR, trainings=[target])
    row = after.trainings.iloc[0]
    assert row["verdict"] == DOES_NOT_WORK
    assert row["effect"] < before["effect"] - 1.5
    assert target in after.flagged()


def test_providers_and_dropout_add_up(evaluation: ProgramEvaluation) -> None:
    trainings, providers = evaluation.trainings, evaluation.providers
    assert providers["enrolled"].sum() == trainings["enrolled"].sum()
    assert set(providers["provider"]) == set(trainings["provider"])
    assert providers["verdict"].isin(VERDICTS).all()
    drop = evaluation.dropout
    finished = trainings["completed"].sum() + trainings["dropped"].sum()
    assert drop["enrolled"].sum() == finished
    assert drop["dropped"].sum() == trainings["dropped"].sum()
    # e-learning drops out more than classroom training (the world's mechanism)
    rate = drop.groupby("modality").apply(
        lambda g: g["dropped"].sum() / g["enrolled"].sum(), include_groups=False
    )
    assert rate["e_learning"] > rate["klasikal"]


def test_unit_service_effect_recovers_the_mechanism(
    small_world: Path, evaluation: ProgramEvaluation
) -> None:
    import json

    units = evaluation.units
    assert units is not None, evaluation.unit_note
    params = json.loads((small_world / "_truth" / "params.json").read_text())["mechanism"]
    coef = units.coefficients
    row = coef[(coef["outcome"] == "satisfaction_index") & (coef["term"] == "trained_share")]
    lower, upper = float(row["lower_90"].iloc[0]), float(row["upper_90"].iloc[0])
    true = params["satisfaction_per_trained_share"]
    assert lower - 1.0 <= true <= upper + 1.0, (lower, upper, true)
    table = units.units
    assert (table["satisfaction_effect"] >= 0).all() and (table["service_days_effect"] <= 0).all()
    assert table["better_than_expected"].dtype == bool
    assert table["better_than_expected"].mean() < 0.5


def test_what_cannot_be_evaluated_is_said_clearly(ds: Dataset) -> None:
    with pytest.raises(ValueError, match="no enrollment started in 2031"):
        evaluate_program(ds, 2031)
    with pytest.raises(ValueError, match=r"unknown training.*NOPE-1"):
        evaluate_program(ds, YEAR, trainings=["NOPE-1"])
    with pytest.raises(ValueError, match="unknown provider 'Nobody'"):
        evaluate_program(ds, YEAR, provider="Nobody")
    early = ds.performance[ds.performance["period_end"].dt.year < 2025]
    with pytest.raises(ValueError, match="no training completed in 2025 has an appraisal outcome"):
        evaluate_program(_with(ds, performance=early), 2025)
    no_metrics = _with(ds, service_metrics=ds.service_metrics.iloc[0:0])
    partial = evaluate_program(no_metrics, YEAR)
    assert partial.units is None and "service_metrics" in partial.unit_note


def test_the_workbook_speaks_indonesian_and_holds_no_person(
    tmp_path: Path, evaluation: ProgramEvaluation
) -> None:
    path = write_evaluation(evaluation, tmp_path / "evaluasi.xlsx")
    book = load_workbook(path, read_only=True)
    assert book.sheetnames[:3] == ["Ringkasan", "Per Pelatihan", "Per Penyelenggara"]
    assert "Tinjau Ulang" in book.sheetnames and "Layanan Unit" in book.sheetnames
    rows = list(book["Per Pelatihan"].values)
    header = rows[0]
    assert "Kesimpulan" in header and "L4 Dampak SKP (poin)" in header
    verdicts = {r[header.index("Kesimpulan")] for r in rows[1:]}
    assert verdicts <= {"berhasil", "belum jelas", "tidak berhasil", "peserta terlalu sedikit"}
    for name in book.sheetnames:
        cells = {str(c).lower() for row in book[name].values for c in row[:1]}
        assert "nip" not in cells
    english = evaluation_tables(evaluation, "en")
    assert "By training" in english and "Verdict" in english["By training"].columns
    with pytest.raises(ValueError, match=r"\.csv"):
        write_evaluation(evaluation, tmp_path / "evaluasi.csv")
    assert not (tmp_path / "evaluasi.csv").exists()
    assert np.isfinite(evaluation.summary()["dropout_rate"])
    assert evaluation.summary()["l4_placebo_dispersion"] == evaluation.effects.dispersion >= 1.0

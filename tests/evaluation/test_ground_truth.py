"""Finding a data set's ground truth, and telling which parts of it can be used."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest

from recsys.evaluation.ground_truth import (
    MENTOR_FILES,
    PARAMS_FILE,
    TRAINING_FILES,
    Problem,
    check_ground_truth,
    find_ground_truth,
)
from recsys.simulation.world import TRUTH_DIR

EVERY_FILE = {*TRAINING_FILES, *MENTOR_FILES, PARAMS_FILE}


@pytest.fixture()
def world(small_world: Path, tmp_path: Path) -> Path:
    """A copy of the small world's ground truth, safe to break (the tables are not needed)."""
    shutil.copytree(small_world / TRUTH_DIR, tmp_path / TRUTH_DIR)
    return tmp_path


def test_a_demo_world_has_usable_truth_for_both_evaluations(small_world: Path) -> None:
    truth = find_ground_truth(small_world)
    assert truth is not None
    assert truth.trainings and truth.mentors and truth.usable
    assert truth.problems == ()
    assert truth.path == small_world / TRUTH_DIR
    assert truth.world == small_world
    assert find_ground_truth(str(small_world)) == truth  # a folder given as text


@pytest.mark.parametrize(
    "url", ["sqlite:///siasn.db", "postgresql://hr@db.example/siasn", "mysql+pymysql://h/s"]
)
def test_a_database_has_no_ground_truth(url: str) -> None:
    assert find_ground_truth(url) is None


def test_a_folder_without_truth_has_none(tmp_path: Path) -> None:
    assert find_ground_truth(tmp_path) is None
    (tmp_path / TRUTH_DIR).write_text("a file, not a folder")
    assert find_ground_truth(tmp_path) is None


def test_an_unrelated_truth_folder_is_unusable_file_by_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / TRUTH_DIR).mkdir()
    (tmp_path / TRUTH_DIR / "notes.txt").write_text("another tool's notes")
    with caplog.at_level(logging.WARNING, logger="recsys.evaluation.ground_truth"):
        truth = find_ground_truth(tmp_path)
    assert truth is not None
    assert not truth.trainings and not truth.mentors and not truth.usable
    assert {p.file for p in truth.problems} == EVERY_FILE
    assert {p.kind for p in truth.problems} == {"missing"}
    assert "training_gain.parquet: not found" in caplog.text


def test_missing_columns_make_only_their_evaluation_unusable(world: Path) -> None:
    gain = world / TRUTH_DIR / "training_gain.parquet"
    pd.read_parquet(gain).drop(columns=["expected_gain"]).to_parquet(gain)
    truth = find_ground_truth(world)
    assert truth is not None
    assert not truth.trainings and truth.mentors
    assert truth.problems == (Problem("training_gain.parquet", "columns", "expected_gain"),)
    assert str(truth.problems[0]) == "training_gain.parquet: missing columns expected_gain"


def test_a_missing_mentor_file_leaves_the_training_evaluation(world: Path) -> None:
    (world / TRUTH_DIR / "mentor_gain.parquet").unlink()
    truth = check_ground_truth(world / TRUTH_DIR)
    assert truth.trainings and not truth.mentors and truth.usable
    assert truth.problems == (Problem("mentor_gain.parquet", "missing"),)


def test_an_unreadable_parquet_file_is_a_problem_not_a_crash(world: Path) -> None:
    (world / TRUTH_DIR / "training_gain.parquet").write_bytes(b"not parquet at all")
    truth = find_ground_truth(world)
    assert truth is not None
    assert not truth.trainings and truth.mentors
    (problem,) = truth.problems
    assert (problem.file, problem.kind) == ("training_gain.parquet", "unreadable")
    assert str(problem).startswith("training_gain.parquet: unreadable (")


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (json.dumps({"seed": 7}), "columns"),  # no "mechanism"
        (json.dumps({"mechanism": "linear"}), "columns"),  # not the mechanism's parameters
        (json.dumps(["mechanism"]), "columns"),
        ("{not json", "unreadable"),
    ],
)
def test_params_without_the_mechanism_make_the_mentor_evaluation_unusable(
    world: Path, content: str, kind: str
) -> None:
    (world / TRUTH_DIR / PARAMS_FILE).write_text(content)
    truth = find_ground_truth(world)
    assert truth is not None
    assert truth.trainings and not truth.mentors
    assert [(p.file, p.kind) for p in truth.problems] == [(PARAMS_FILE, kind)]

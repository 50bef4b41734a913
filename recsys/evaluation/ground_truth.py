"""Where a data set's ground truth is, and whether it can be used.

A demo world (``recsys simulate``) carries its ground truth in ``<folder>/_truth/``. Only
evaluation reads it, and evaluation on truth is optional: a folder that has a ``_truth/``
without the expected files or columns (another tool's folder, an older demo world) is
skipped with the reasons, never a crash. Database URLs have no ground truth.

This module is the one place that decides where ground truth lives and what it must hold.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from recsys.data.loading import Dataset
from recsys.features.outcomes import OUTCOME, activity_outcomes
from recsys.simulation.world import TRUTH_DIR

log = logging.getLogger(__name__)

#: What the training evaluation reads: file → columns it needs.
TRAINING_FILES: dict[str, tuple[str, ...]] = {
    "training_gain.parquet": ("nip", "training_id", "expected_gain"),
}
#: What the mentor evaluation (and :class:`~recsys.simulation.oracle.MentorOracle`) reads.
MENTOR_FILES: dict[str, tuple[str, ...]] = {
    "mentor_gain.parquet": ("mentee_nip", "mentor_nip", "true_gain"),
    "competency_weights.parquet": ("position", "competency", "weight"),
    "competency_levels.parquet": ("nip", "competency", "true_level"),
    "employees.parquet": ("nip", "learn_rate", "mentor_skill"),
}
#: What the program evaluation's check reads: each completed enrollment's true SKP gain.
ENROLLMENT_FILE = "enrollment_gain.parquet"
#: The mechanism's parameters (mentor oracle); must hold this key.
PARAMS_FILE = "params.json"
PARAMS_KEY = "mechanism"


@dataclass(frozen=True)
class Problem:
    """Why part of a ground-truth folder cannot be used: ``kind`` is ``missing`` (no such
    file), ``columns`` (``detail`` lists the missing columns) or ``unreadable``."""

    file: str
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        if self.kind == "missing":
            return f"{self.file}: not found"
        if self.kind == "columns":
            return f"{self.file}: missing columns {self.detail}"
        return f"{self.file}: unreadable ({self.detail})"


@dataclass(frozen=True)
class GroundTruth:
    """A ground-truth folder and what it can be used for.

    ``trainings``: the training evaluation can run; ``mentors``: the mentor evaluation can
    run; ``problems``: why a part cannot (empty when both can).
    """

    path: Path
    trainings: bool
    mentors: bool
    problems: tuple[Problem, ...]

    @property
    def world(self) -> Path:
        """The demo world folder the truth belongs to."""
        return self.path.parent

    @property
    def usable(self) -> bool:
        return self.trainings or self.mentors


def _check_parquet(folder: Path, name: str, columns: tuple[str, ...]) -> Problem | None:
    path = folder / name
    if not path.is_file():
        return Problem(name, "missing")
    try:
        present = set(pq.read_schema(path).names)
    except Exception as exc:  # any unreadable file is a reason to skip, never a crash
        return Problem(name, "unreadable", type(exc).__name__)
    lacking = [c for c in columns if c not in present]
    return Problem(name, "columns", ", ".join(lacking)) if lacking else None


def _check_params(folder: Path) -> Problem | None:
    path = folder / PARAMS_FILE
    if not path.is_file():
        return Problem(PARAMS_FILE, "missing")
    try:
        params = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Problem(PARAMS_FILE, "unreadable", type(exc).__name__)
    if not isinstance(params, dict) or not isinstance(params.get(PARAMS_KEY), dict):
        return Problem(PARAMS_FILE, "columns", PARAMS_KEY)
    return None


def check_ground_truth(folder: Path) -> GroundTruth:
    """What the ground-truth ``folder`` can be used for (nothing is loaded)."""
    training = [_check_parquet(folder, n, c) for n, c in TRAINING_FILES.items()]
    mentor = [_check_parquet(folder, n, c) for n, c in MENTOR_FILES.items()]
    mentor.append(_check_params(folder))
    training_problems = [p for p in training if p is not None]
    mentor_problems = [p for p in mentor if p is not None]
    return GroundTruth(
        path=folder,
        trainings=not training_problems,
        mentors=not mentor_problems,
        problems=(*training_problems, *mentor_problems),
    )


def find_ground_truth(data: str | Path) -> GroundTruth | None:
    """The ground truth of the data set ``data`` (a folder or a database URL).

    None when there is none (a database, or a folder without ``_truth/``). A folder whose
    ``_truth/`` lacks expected files or columns gives a :class:`GroundTruth` that says which
    parts are unusable and why; the reasons are also logged as a warning.
    """
    text = str(data)
    if "://" in text:
        return None
    folder = Path(text) / TRUTH_DIR
    if not folder.is_dir():
        return None
    truth = check_ground_truth(folder)
    if truth.problems:
        log.warning(
            "ground truth in %s is partly unusable and skipped there: %s",
            folder,
            "; ".join(map(str, truth.problems)),
        )
    return truth


def true_training_effects(ds: Dataset, folder: Path, year: int) -> pd.Series | None:
    """Each training's true average effect on the participants a program evaluation of
    ``year`` is about (:mod:`recsys.evaluation.training_effects`): the mean true SKP gain
    over its completed enrollments that started in ``year`` and have an appraisal outcome,
    by training id (text). None when the truth ``folder`` has no enrollment gains (a world
    simulated before they were recorded)."""
    path = folder / ENROLLMENT_FILE
    if _check_parquet(folder, ENROLLMENT_FILE, ("enrollment_id", "true_gain")) is not None:
        return None
    gains = pd.read_parquet(path, columns=["enrollment_id", "true_gain"])
    e = ds.enrollments
    done = e[(e["status"].astype(str) == "completed") & (e["start_date"].dt.year == year)]
    done = done.reset_index(drop=True)
    outcome = activity_outcomes(done, ds.performance, key="enrollment_id")
    done = done[outcome[OUTCOME].notna().to_numpy()]
    merged = (
        done[["enrollment_id", "training_id"]]
        .astype(str)
        .merge(gains.astype({"enrollment_id": str}), on="enrollment_id")
    )
    return merged.groupby("training_id")["true_gain"].mean().rename("true_effect")

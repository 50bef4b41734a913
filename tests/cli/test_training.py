"""``recsys train`` and ``recsys evaluate`` on a data folder whose ``_truth/`` is another
tool's: the truth is skipped with a warning, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from recsys.simulation.world import TRUTH_DIR
from tests.cli.test_cli import assert_clean_failure, run


@pytest.fixture(scope="module")
def unrelated_truth(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the small world whose ``_truth/`` holds notes and a training_gain.parquet
    of some other tool (without the columns the evaluation needs)."""
    data = tmp_path_factory.mktemp("unrelated") / "data"
    shutil.copytree(small_world, data, ignore=shutil.ignore_patterns(TRUTH_DIR))
    (data / TRUTH_DIR).mkdir()
    (data / TRUTH_DIR / "notes.txt").write_text("kept by another tool")
    pd.DataFrame({"nip": ["199001012015011001"], "score": [1.0]}).to_parquet(
        data / TRUTH_DIR / "training_gain.parquet"
    )
    return data


@pytest.fixture(scope="module")
def trained(
    unrelated_truth: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], Path]:
    """``recsys train`` on that folder into an empty store: the run, its settings, its cwd."""
    root = tmp_path_factory.mktemp("store")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'tracking.db'}", "RECSYS_LANG": "en"}
    return run("train", "--data", str(unrelated_truth), cwd=root, env=env), env, root


def test_train_skips_an_unrelated_truth_folder_with_a_warning(
    trained: tuple, unrelated_truth: Path
) -> None:
    result, _, _ = trained
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "KeyError" not in output
    shown = " ".join(result.stdout.split())  # rich wraps long lines
    assert f"Warning: the ground truth in {unrelated_truth / TRUTH_DIR}" in shown
    assert "training_gain.parquet: missing training_id, expected_gain" in shown
    assert "mentor_gain.parquet: not found" in shown
    assert "is now the champion" in shown
    # no usable truth, so no evaluation against it: the time-split metrics only
    assert "share_of_oracle_top5" not in shown
    assert "WARNING" not in result.stderr  # said once, for people; the log is for --verbose


def test_evaluate_without_usable_truth_fails_cleanly(trained: tuple, unrelated_truth: Path) -> None:
    _, env, root = trained
    result = run("evaluate", "--data", str(unrelated_truth), cwd=root, env=env)
    assert_clean_failure(result)
    assert "has no ground truth (_truth/)" in " ".join(result.stderr.split())
    # in Bahasa Indonesia by default
    indonesian = {k: v for k, v in env.items() if k != "RECSYS_LANG"}
    result = run("evaluate", "--data", str(unrelated_truth), cwd=root, env=indonesian)
    assert_clean_failure(result)
    assert "tidak memiliki kebenaran dasar (_truth/)" in " ".join(result.stderr.split())
    assert "Peringatan:" in result.stdout

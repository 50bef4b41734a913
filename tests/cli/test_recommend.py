"""``recsys recommend trainings`` as a user runs it: one person's table ends with the whole
list's forecast gain and the ranker that made it; the export carries each list's gain."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from recsys.models.reasons import ranker_name
from recsys.models.trainings import TRAINING_EXPORT_COLUMNS
from tests.cli.test_cli import run


@pytest.fixture(scope="module")
def champion(
    small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], Path]:
    """``recsys train`` on the small world into an empty store: its settings and cwd."""
    root = tmp_path_factory.mktemp("recommend")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'tracking.db'}"}
    trained = run("train", "--data", str(small_world), cwd=root, env=env)
    assert trained.returncode == 0, trained.stderr
    return env, root


def _recommend(champion: tuple, *args: str) -> subprocess.CompletedProcess[str]:
    env, root = champion
    result = run("recommend", "trainings", *args, cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    return result


def _nip(small_world: Path) -> str:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    junior = (employees["active"] == "true") & (employees["position_type"] == "pelaksana")
    return str(employees.loc[junior, "nip"].iloc[1])


def test_one_persons_table_ends_with_the_lists_gain_and_ranker(
    champion: tuple, small_world: Path, tmp_path: Path
) -> None:
    nip = _nip(small_world)
    data = ("--data", str(small_world), "--nip", nip)
    out = tmp_path / "one.parquet"
    _recommend(champion, *data, "--out", str(out))
    recs = pd.read_parquet(out)
    assert len(recs) > 1 and recs["title"].is_unique  # a marginal list: no course twice
    gain = recs["expected_gain"].sum()
    assert recs["list_gain"].to_numpy() == pytest.approx([gain] * len(recs))
    (ranker,) = set(recs["ranker"])
    indonesian = " ".join(_recommend(champion, *data).stdout.split())  # rich wraps lines
    assert (
        f"Perkiraan kenaikan SKP seluruh daftar: +{recs['list_gain'].iloc[0]:.1f} poin"
        in indonesian
    )
    assert f"diurutkan oleh {ranker_name(ranker, 'id')}." in indonesian
    assert indonesian.rstrip().endswith(f"diurutkan oleh {ranker_name(ranker, 'id')}.")
    english = " ".join(_recommend(champion, *data, "--lang", "en").stdout.split())
    assert f"Forecast SKP gain of the whole list: +{gain:.1f} points" in english
    assert english.rstrip().endswith(f"ranked by {ranker_name(ranker, 'en')}.")


def test_the_export_carries_each_lists_gain(
    champion: tuple, small_world: Path, tmp_path: Path
) -> None:
    for suffix in ("parquet", "xlsx"):
        out = tmp_path / f"all.{suffix}"
        args = ("--data", str(small_world), "--all", "--k", "3", "--out", str(out))
        _recommend(champion, *args)
        frame = (
            pd.read_parquet(out) if suffix == "parquet" else pd.read_excel(out, dtype={"nip": str})
        )
        assert list(frame.columns) == list(TRAINING_EXPORT_COLUMNS)
        assert "list_gain" in frame.columns
        per_person = frame.groupby("nip").agg(
            total=("expected_gain", "sum"), list_gain=("list_gain", "first"), n=("rank", "size")
        )
        assert per_person["n"].max() <= 3
        assert (per_person["list_gain"] - per_person["total"]).abs().max() < 1e-9
        assert frame.groupby("nip")["list_gain"].nunique().max() == 1

"""``recsys recommend trainings`` and ``recommend mentors`` as a user runs them: one person's
training table ends with the whole list's forecast gain and the ranker that made it; the
export carries each list's gain. Mentor lists follow the agency's capacity-respecting
matching: the first suggestion is the matching's, and a person it leaves out is told why."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from recsys.cli.messages import t
from recsys.models.reasons import ranker_name
from recsys.models.trainings import TRAINING_EXPORT_COLUMNS
from recsys.planning.mentor_suggestions import SUGGESTION_EXPORT_COLUMNS
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
    total = f"{recs['list_gain'].iloc[0]:.1f}".replace(".", ",")  # Indonesian decimals
    assert f"Perkiraan kenaikan SKP seluruh daftar: +{total} poin" in indonesian
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
        if suffix == "parquet":
            frame = pd.read_parquet(out)
        else:  # the workbook is for HR: its headers are words in Bahasa Indonesia
            frame = _from_workbook(out, TRAINING_EXPORT_COLUMNS)
        assert list(frame.columns) == list(TRAINING_EXPORT_COLUMNS)
        assert "list_gain" in frame.columns
        per_person = frame.groupby("nip").agg(
            total=("expected_gain", "sum"), list_gain=("list_gain", "first"), n=("rank", "size")
        )
        assert per_person["n"].max() <= 3
        assert (per_person["list_gain"] - per_person["total"]).abs().max() < 1e-9
        assert frame.groupby("nip")["list_gain"].nunique().max() == 1


# ----------------------------------------------------------------------------- mentors


def _mentors(champion: tuple, *args: str) -> subprocess.CompletedProcess[str]:
    env, root = champion
    result = run("recommend", "mentors", *args, cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def one_per_mentor(
    champion: tuple, small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> pd.DataFrame:
    """``recommend mentors --all --capacity 1`` written to Excel, read back."""
    out = tmp_path_factory.mktemp("mentors") / "mentors.xlsx"
    shown = _mentors(
        champion, "--data", str(small_world), "--all", "--capacity", "1", "--out", str(out)
    )
    assert "Pencocokan mentor instansi:" in " ".join(shown.stdout.split())
    frame = _from_workbook(out, SUGGESTION_EXPORT_COLUMNS)
    words = {t(f"status.{code}", "id"): code for code in ("assigned", "alternative", "unassigned")}
    assert set(frame["status"]) <= set(words)  # statuses in words too
    return frame.assign(status=frame["status"].map(words))


def _from_workbook(out: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """An exported workbook read back: its Indonesian headers checked, then the columns'
    own names."""
    headers = [t(f"export.col.{c}", "id") for c in columns]
    frame = pd.read_excel(out, dtype=dict.fromkeys(("NIP", "NIP mentor"), str), engine="openpyxl")
    assert list(frame.columns) == headers
    return frame.set_axis(list(columns), axis=1)


def test_the_mentor_export_follows_the_matching(
    one_per_mentor: pd.DataFrame, small_world: Path
) -> None:
    frame = one_per_mentor
    assert list(frame.columns) == list(SUGGESTION_EXPORT_COLUMNS)
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    active = employees.loc[employees["active"] == "true", "nip"]
    assert set(frame["nip"]) == set(active)  # everybody: suggested a mentor or told why
    first = frame[frame["rank"] == 1]
    assert (first["status"] == "assigned").all() and len(first) > 500
    assert first["mentor_nip"].value_counts().max() == 1  # capacity 1
    assert set(frame.loc[frame["rank"] > 1, "status"]) == {"alternative"}
    left_out = frame[frame["status"] == "unassigned"]
    assert len(left_out) > 100 and left_out["nip"].is_unique
    assert left_out["rank"].isna().all() and left_out["mentor_nip"].isna().all()
    assert not set(left_out["nip"]) & set(first["nip"])
    assert left_out["reason"].str.len().min() > 10


def test_one_persons_mentors_say_which_is_the_matchings(
    champion: tuple, small_world: Path, one_per_mentor: pd.DataFrame
) -> None:
    nip = _nip(small_world)
    data = ("--data", str(small_world), "--nip", nip)
    indonesian = " ".join(_mentors(champion, *data).stdout.split())
    assert f"Rekomendasi mentor untuk NIP {nip}" in indonesian
    assert "hasil pencocokan" in indonesian  # the status cell of the first row
    english = " ".join(_mentors(champion, *data, "--lang", "en").stdout.split())
    assert "Agency mentor matching:" in english and "assigned" in english
    # someone the matching leaves out (one mentee per mentor) is told why
    frame = one_per_mentor
    left_out = frame[frame["status"] == "unassigned"].iloc[0]
    told = " ".join(
        _mentors(
            champion, "--data", str(small_world), "--nip", left_out["nip"], "--capacity", "1"
        ).stdout.split()
    )
    assert f"NIP {left_out['nip']} tidak mendapat mentor dari pencocokan instansi" in told
    assert " ".join(str(left_out["reason"]).split()) in told

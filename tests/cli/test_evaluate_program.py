"""``recsys evaluate-program`` as a user runs it: the Indonesian workbook written, the
summary printed, the evaluation logged to MLflow; bad input ends the command naming what is
wrong, and nothing is written."""

from __future__ import annotations

from pathlib import Path

from mlflow.tracking import MlflowClient
from openpyxl import load_workbook

from recsys.tracking.evaluations import EXPERIMENT
from tests.cli.test_cli import assert_clean_failure, run


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_evaluation_is_written_summarised_and_logged(small_world: Path, tmp_path: Path) -> None:
    store = tmp_path / "tracking.db"
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{store}"}
    out = tmp_path / "evaluasi.xlsx"
    result = run(
        "evaluate-program",
        "--data",
        str(small_world),
        "--year",
        "2024",
        "--out",
        str(out),
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    said = _flat(result.stdout)
    assert "Evaluasi pelatihan yang dimulai tahun 2024" in said
    assert "berhasil" in said and "Buku kerja evaluasi ditulis" in said
    book = load_workbook(out, read_only=True)
    assert "Per Pelatihan" in book.sheetnames
    client = MlflowClient(tracking_uri=f"sqlite:///{store}")
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    logged = runs[0]
    assert logged.data.params["year"] == "2024"
    assert logged.data.metrics["trainings"] > 0
    artifacts = {a.path for a in client.list_artifacts(logged.info.run_id, "evaluation")}
    assert "evaluation/trainings.csv" in artifacts


def test_english_on_request(small_world: Path, tmp_path: Path) -> None:
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 't.db'}"}
    out = tmp_path / "evaluation.xlsx"
    result = run(
        "evaluate-program",
        "--data",
        str(small_world),
        "--year",
        "2024",
        "--out",
        str(out),
        "--lang",
        "en",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Evaluation of the trainings started in 2024" in _flat(result.stdout)
    assert "By training" in load_workbook(out, read_only=True).sheetnames


def test_bad_input_is_named_and_nothing_is_written(small_world: Path, tmp_path: Path) -> None:
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 't.db'}"}
    cases = [
        (["--year", "2031"], "2031"),
        (["--year", "2024", "--training", "NOPE-1"], "NOPE-1"),
        (["--year", "2024", "--provider", "Nobody"], "Nobody"),
        (["--year", "2024", "--min-effect", "-1"], "--min-effect"),
    ]
    for args, named in cases:
        out = tmp_path / "evaluasi.xlsx"
        result = run(
            "evaluate-program",
            "--data",
            str(small_world),
            *args,
            "--out",
            str(out),
            cwd=tmp_path,
            env=env,
        )
        assert_clean_failure(result)
        assert named in _flat(result.stdout + result.stderr), (args, result.stdout)
        assert not out.exists()
    wrong = run(
        "evaluate-program",
        "--data",
        str(small_world),
        "--year",
        "2024",
        "--out",
        str(tmp_path / "evaluasi.csv"),
        cwd=tmp_path,
        env=env,
    )
    assert_clean_failure(wrong)
    assert ".xlsx" in _flat(wrong.stdout + wrong.stderr)


def test_read_flagged_reads_the_workbook_and_refuses_others(tmp_path: Path) -> None:
    import pandas as pd

    from recsys.evaluation.evaluation_document import read_flagged

    book = tmp_path / "evaluasi.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        pd.DataFrame({"Ringkasan": ["x"]}).to_excel(writer, sheet_name="Ringkasan", index=False)
        pd.DataFrame({"ID Pelatihan": ["PLT-001", "PLT-002"], "Judul": ["a", "b"]}).to_excel(
            writer, sheet_name="Tinjau Ulang", index=False
        )
    assert read_flagged(book) == ["PLT-001", "PLT-002"]
    other = tmp_path / "lain.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(other, index=False)
    import pytest

    with pytest.raises(ValueError, match="not a program evaluation workbook"):
        read_flagged(other)

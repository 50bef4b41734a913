"""The ``recsys`` command as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from recsys import __version__
from recsys.cli.main import main
from recsys.cli.messages import t
from recsys.data import load_dataset, write_dataset
from recsys.data.contract_doc import render_markdown

RECSYS = [sys.executable, "-m", "recsys"]
#: The repository root (this file is tests/cli/test_cli.py).
REPO = Path(__file__).resolve().parents[2]


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``recsys`` in a child process, free of any RECSYS_ settings of the caller."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RECSYS_")}
    return subprocess.run(
        [*RECSYS, *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env={**clean, "COLUMNS": "200", **(env or {})},
        timeout=300,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int = 1) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


COMMANDS = (
    "simulate",
    "validate",
    "contract",
    "train",
    "evaluate",
    "recommend trainings",
    "recommend mentors",
    "match-mentors",
    "plan",
    "evaluate-program",
    "export",
    "demo",
)


def test_help_lists_every_command_and_each_has_help() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command.split()[0] in result.stdout
        sub = run(*command.split(), "--help")
        assert sub.returncode == 0, sub.stderr
        assert "--help" in sub.stdout


def test_the_console_script_is_the_command() -> None:
    """``recsys`` (pyproject's console script) and ``python -m recsys`` are one program."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["recsys"].partition(":")
    assert getattr(importlib.import_module(module), name) is main
    version = run("--version")
    assert version.returncode == 0, version.stderr
    assert __version__ in version.stdout


def test_simulate_writes_a_world(tmp_path: Path) -> None:
    result = run("simulate", "--out", str(tmp_path / "w"), "--employees", "300", "--seed", "2")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "w" / "employees.csv").exists()
    assert (tmp_path / "w" / "_truth" / "training_gain.parquet").exists()
    assert "300" in result.stdout
    employees = pd.read_csv(tmp_path / "w" / "employees.csv")
    assert len(employees) == 300


def test_simulate_parquet(tmp_path: Path) -> None:
    result = run("simulate", "--out", str(tmp_path / "w"), "-n", "200", "--format", "parquet")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "w" / "enrollments.parquet").exists()
    assert not (tmp_path / "w" / "enrollments.csv").exists()


@pytest.mark.parametrize(
    ("args", "indonesian", "english"),
    [
        (
            ["--employees", "5"],
            "--employees harus antara 100 dan 5.000.000, bukan 5",
            "--employees must be between 100 and 5,000,000, got 5",
        ),
        (["--format", "json"], "--format harus salah satu dari", "--format must be one of"),
        (["--seed", "-1"], "--seed harus 0 atau lebih", "--seed must be 0 or more"),
    ],
)
def test_simulate_bad_options_fail_cleanly(
    tmp_path: Path, args: list[str], indonesian: str, english: str
) -> None:
    for lang, message in (("id", indonesian), ("en", english)):
        result = run("simulate", "--out", str(tmp_path / "w"), *args, "--lang", lang)
        assert_clean_failure(result)
        assert message in result.stderr
        # checked before any work: no progress bar, nothing written
        assert t("simulating", lang) not in result.stdout + result.stderr
        assert not (tmp_path / "w").exists()


def test_simulate_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = run("simulate", "--out", str(tmp_path), "-n", "200")
    assert_clean_failure(result)
    assert "tidak kosong" in result.stderr and "--force" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_unknown_option_is_a_usage_error() -> None:
    result = run("simulate", "--bogus")
    assert_clean_failure(result, code=2)


def test_validate_a_clean_world(small_world: Path, tmp_path: Path) -> None:
    result = run("validate", "--data", str(small_world), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert "Semua baris lolos pemeriksaan" in result.stdout
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    tables = {t["name"]: t for t in report["tables"]}
    assert tables["employees"]["loaded"] == tables["employees"]["read"] > 0
    assert not (tmp_path / "r" / "quarantine").exists() or not any(
        (tmp_path / "r" / "quarantine").iterdir()
    )


def test_validate_quarantines_bad_rows_and_keeps_the_rest(
    small_world: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(small_world, data)
    enrollments = pd.read_csv(data / "enrollments.csv", dtype=str, keep_default_na=False)
    enrollments.loc[0, "nip"] = "199901012020011999"  # nobody has this NIP
    enrollments.loc[1, "status"] = "selesai"  # not a contract status
    enrollments.to_csv(data / "enrollments.csv", index=False)
    result = run(
        "validate", "--data", str(data), "--report-dir", str(tmp_path / "r"), "--lang", "en"
    )
    assert result.returncode == 0, result.stderr
    assert "2 rows quarantined" in result.stdout
    quarantine = pd.read_csv(tmp_path / "r" / "quarantine" / "enrollments.csv", dtype=str)
    assert len(quarantine) == 2
    assert quarantine["reason"].str.contains("nip").any()
    assert quarantine["reason"].str.contains("status").any()
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    entry = next(t for t in report["tables"] if t["name"] == "enrollments")
    assert entry["read"] == len(enrollments)
    assert entry["loaded"] + entry["quarantined"] == entry["read"]
    assert entry["quarantined"] == 2


def test_validate_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = run("validate", "--data", str(tmp_path / "nowhere"))
    assert_clean_failure(result)
    assert "nowhere" in result.stderr
    # the work that failed takes its progress bar away: the error is all there is
    assert t("loading", "id") not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Galat: folder data {tmp_path / 'nowhere'} tidak ada"
    ]


def test_validate_missing_column_names_file_and_column(small_world: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(small_world, data)
    trainings = pd.read_csv(data / "trainings.csv", dtype=str, keep_default_na=False)
    trainings.drop(columns=["hours_jp"]).to_csv(data / "trainings.csv", index=False)
    result = run("validate", "--data", str(data), "--report-dir", str(tmp_path / "r"))
    assert_clean_failure(result)
    assert "trainings.csv" in result.stderr
    assert "hours_jp" in result.stderr
    assert not (tmp_path / "r").exists()


def test_contract_doc_in_the_repository_is_current() -> None:
    committed = (REPO / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "run: recsys contract --out docs/data-contract.md"


def test_demo_runs_on_defaults_and_says_where_things_are(tmp_path: Path) -> None:
    env = {
        "RECSYS_DEMO_DIR": str(tmp_path / "demo"),
        "RECSYS_DEMO_EMPLOYEES": "400",
        "RECSYS_REPORTS_DIR": str(tmp_path / "reports"),
        "RECSYS_LANG": "en",
    }
    result = run("demo", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo" / "employees.csv").exists()
    assert (tmp_path / "reports" / "load" / "demo" / "report.json").exists()
    assert "Where things are" in result.stdout
    assert str(tmp_path / "demo") in result.stdout
    # everybody scored into the embedded store, for the API to serve at once
    assert (tmp_path / "store" / "recommendations.db").exists()
    assert "Generation 1 is complete and now served: 400 employees" in " ".join(
        result.stdout.split()
    )
    # running it again refreshes the same demo world, and scores a new generation
    again = run("demo", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "Generation 2 is complete" in " ".join(again.stdout.split())


def test_demo_refuses_a_folder_with_other_data(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "employees.csv").write_text("nip\n")
    result = run("demo", cwd=tmp_path, env={"RECSYS_DEMO_DIR": str(tmp_path / "demo")})
    assert_clean_failure(result)
    assert (tmp_path / "demo" / "employees.csv").read_text() == "nip\n"


def test_validate_a_database_url(small_world: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'siasn.db'}"
    write_dataset(load_dataset(small_world).tables, url)
    result = run("validate", "--data", url, "--report-dir", str(tmp_path / "r"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    employees = next(t for t in report["tables"] if t["name"] == "employees")
    assert employees["loaded"] == len(pd.read_csv(small_world / "employees.csv"))
    assert json.loads(result.stdout)["source"] == report["source"]


def test_validate_a_database_that_does_not_exist(tmp_path: Path) -> None:
    result = run("validate", "--data", f"sqlite:///{tmp_path / 'missing.db'}")
    assert_clean_failure(result)
    assert "missing.db" in result.stderr
    assert not (tmp_path / "missing.db").exists()

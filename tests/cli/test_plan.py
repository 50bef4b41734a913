"""``recsys plan`` as a user runs it: the plan document written within the budget, its
summary in Bahasa Indonesia (English with --lang en), the plan logged to MLflow; bad input
ends the command naming the option, and nothing is written."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from openpyxl import load_workbook

import mlflow
from recsys.cli.messages import t
from recsys.cli.plan import (
    _baseline_label,
    _values,
    parse_idr,
    read_mandatory,
    read_seats,
    read_unit_budgets,
)
from recsys.data import load_dataset
from recsys.planning.agency_program import plan_document, plan_program
from recsys.planning.plan_document import plan_tables
from recsys.planning.program import PlanLimits
from recsys.planning.program_inputs import PLAN_RULE_WEIGHT
from recsys.settings import get_settings
from recsys.tracking import registry
from recsys.tracking.plans import EXPERIMENT
from tests.cli.test_cli import assert_clean_failure, run

#: A small agency of the small world (about 160 staff): quick to plan.
AGENCY = "Pemerintah Kota Sawahlunto"
BUDGET = 150_000_000


@pytest.fixture(scope="module")
def champion(
    small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], Path]:
    """``recsys train`` on the small world into an empty store: its settings and cwd."""
    root = tmp_path_factory.mktemp("plan")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'tracking.db'}"}
    trained = run("train", "--data", str(small_world), cwd=root, env=env)
    assert trained.returncode == 0, trained.stderr
    return env, root


def _plan(
    small_world: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return run("plan", "--data", str(small_world), *args, cwd=cwd, env=env)


def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps lines


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("budget", "lang", "says"),
    [
        ("-5", "id", "harus angka ≥ 0, bukan -5,0"),
        ("-5", "en", "must be a number ≥ 0, got -5.0"),
        ("nan", "id", "bukan jumlah rupiah"),
        ("1.000.000.000.000.000.000", "id", "Rp 1.000.000.000.000.000.000 melampaui RKA"),
        ("1.000.000.000.000.000.000", "en", "IDR 1,000,000,000,000,000,000 is beyond any"),
        ("lima miliar", "en", "not an amount of rupiah"),
    ],
)
def test_a_bad_budget_names_the_option_and_writes_nothing(
    small_world: Path, tmp_path: Path, budget: str, lang: str, says: str
) -> None:
    out = tmp_path / "rencana.xlsx"
    result = _plan(small_world, f"--budget={budget}", "--out", str(out), "--lang", lang)
    assert_clean_failure(result)
    assert "--budget" in result.stderr and says in _flat(result.stderr)
    assert not out.exists()


def test_a_bad_suffix_is_refused_before_any_work(small_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "rencana.parquet"
    result = _plan(tmp_path / "no data here", "--budget", "1.000.000", "--out", str(out))
    assert_clean_failure(result)
    assert "rencana.parquet" in _flat(result.stderr) and ".xlsx" in result.stderr
    assert not out.exists()


def test_an_unknown_agency_is_named_with_the_known_ones(small_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "rencana.csv"
    args = ("--budget", "1.000.000", "--agency", "Pemerintah Kota Atlantis", "--out", str(out))
    result = _plan(small_world, *args)
    assert_clean_failure(result)
    assert "Pemerintah Kota Atlantis" in result.stderr and AGENCY in _flat(result.stderr)
    assert "tidak ada dalam data ini" in _flat(result.stderr)
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--classroom-share", "1.5", "harus dalam (0, 1]"),
        ("--remote-share", "-0.1", "harus dalam [0, 1]"),
        ("--max-jp", "0", "harus > 0"),
    ],
)
def test_a_bad_limit_names_its_option(
    small_world: Path, tmp_path: Path, option: str, value: str, says: str
) -> None:
    out = tmp_path / "rencana.xlsx"
    result = _plan(small_world, "--budget", "1000", f"{option}={value}", "--out", str(out))
    assert_clean_failure(result)
    assert f"nilai {option} tidak valid ({says})" in _flat(result.stderr)
    assert not out.exists()


def test_a_unit_budget_file_must_have_its_columns_and_amounts(
    small_world: Path, tmp_path: Path
) -> None:
    no_columns = tmp_path / "units.csv"
    no_columns.write_text("bagian,uang\nDinas A,1000\n")
    out = tmp_path / "rencana.xlsx"
    args = ("--budget", "1000", "--unit-budgets", str(no_columns), "--out", str(out))
    result = _plan(small_world, *args)
    assert_clean_failure(result)
    assert "--unit-budgets" in result.stderr and "unit_kerja" in _flat(result.stderr)
    bad_amount = tmp_path / "amounts.csv"
    bad_amount.write_text("unit;budget_idr\nDinas A;satu juta\n")
    result = _plan(
        small_world,
        "--budget",
        "1000",
        "--unit-budgets",
        str(bad_amount),
        "--out",
        str(out),
        "--lang",
        "en",
    )
    assert_clean_failure(result)
    assert "row 2" in _flat(result.stderr) and "Dinas A" in result.stderr
    assert not out.exists()


# ----------------------------------------------------------------------------- reading input


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1500000000", 1_500_000_000),
        ("1.500.000.000", 1_500_000_000),
        ("Rp 1.500.000.000", 1_500_000_000),
        ("1.500.000,50", 1_500_000.5),
        ("1.500", 1_500),
        ("0", 0),
        ("-5", -5),
    ],
)
def test_amounts_are_read_as_indonesians_write_them(text: str, amount: float) -> None:
    assert parse_idr(text) == amount


@pytest.mark.parametrize("text", ["nan", "inf", "1e9", "1,500,000", "", "satu juta", "1.50.000"])
def test_what_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_idr(text)


def test_an_indonesian_locale_unit_budget_csv(tmp_path: Path) -> None:
    path = tmp_path / "anggaran.csv"
    path.write_text(
        "\ufeffUnit_Kerja;Anggaran\nDinas Pendidikan;1.500.000\nSekretariat Daerah;2.250.000,5\n"
    )
    assert read_unit_budgets(path, "id") == {
        "Dinas Pendidikan": 1_500_000,
        "Sekretariat Daerah": 2_250_000.5,
    }


def test_a_unit_budget_workbook_and_a_seats_file(tmp_path: Path) -> None:
    book = tmp_path / "anggaran.xlsx"
    pd.DataFrame({"unit": ["Dinas A", "Dinas B"], "budget_idr": [1_000_000, "2.000.000"]}).to_excel(
        book, index=False
    )
    assert read_unit_budgets(book, "en") == {"Dinas A": 1_000_000, "Dinas B": 2_000_000}
    seats = tmp_path / "kursi.csv"
    seats.write_text("training_id,seats\nPLT-001,12\nPLT-002,0\n")
    assert read_seats(seats, "en") == {"PLT-001": 12, "PLT-002": 0}


# ----------------------------------------------------------------------------- planning


@pytest.fixture(scope="module")
def planned(
    champion: tuple[dict[str, str], Path], small_world: Path
) -> dict[str, subprocess.CompletedProcess[str] | Path]:
    """The small agency's plan written as a workbook (Indonesian, with the budget curve) and
    as CSV (English, no curve)."""
    env, root = champion
    xlsx, csv = root / "out" / "rencana.xlsx", root / "out" / "rencana.csv"
    common = ("--budget", f"{BUDGET:,}".replace(",", "."), "--agency", AGENCY)
    return {
        "xlsx": xlsx,
        "csv": csv,
        "id": _plan(small_world, *common, "--out", str(xlsx), env=env, cwd=root),
        "en": _plan(
            small_world,
            *common,
            "--out",
            str(csv),
            "--no-curve",
            "--lang",
            "en",
            env=env,
            cwd=root,
        ),
    }


@pytest.fixture
def in_process(
    champion: tuple[dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """This process's settings pointed at the champion's store."""
    env, _ = champion
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env["MLFLOW_TRACKING_URI"])
    get_settings.cache_clear()
    before = mlflow.get_tracking_uri()
    yield
    mlflow.set_tracking_uri(before)
    get_settings.cache_clear()


@pytest.mark.slow
def test_the_workbook_has_every_sheet_and_stays_within_the_budget(
    planned: dict, small_world: Path, in_process: None
) -> None:
    result = planned["id"]
    assert result.returncode == 0, result.stderr
    ds = load_dataset(small_world)
    program = plan_program(
        ds, registry.load_champion(), PlanLimits(budget_idr=BUDGET), agency=AGENCY
    )
    expected = plan_tables(plan_document(program, ds), "id")
    book = load_workbook(planned["xlsx"], read_only=True)
    assert book.sheetnames == list(expected)
    items = pd.read_excel(planned["xlsx"], sheet_name="Rencana", engine="openpyxl")
    cost = next(c for c in items.columns if c.startswith("(g)"))
    assert 0 < items[cost].sum() <= BUDGET


@pytest.mark.slow
def test_the_summary_speaks_indonesian_by_default(planned: dict) -> None:
    result = planned["id"]
    assert result.returncode == 0, result.stderr
    text = _flat(result.stdout)
    for key in (
        "plan.row.staff",
        "plan.row.cost",
        "plan.row.gain",
        "plan.row.at_minimum",
        "plan.row.below",
        "plan.row.gap",
        "plan.row.greedy_is_gap_rule",  # one row: greedy on the rule's forecasts is its plan
        "plan.row.values",
        "plan.values.rule",  # the default plan is made on the gap rule's forecasts
    ):
        assert t(key, "id") in text, key
    assert t("plan.row.gap_rule", "id") not in text
    assert "Rp 150.000.000" in text
    assert "Dokumen rencana ditulis ke" in text
    assert "program-plans" in text


def test_the_summary_says_what_the_forecasts_were_made_from() -> None:
    assert _values(1.0, "id") == "aturan kesenjangan kompetensi"
    assert _values(0.0, "en") == "the champion model"
    assert _values(0.25, "id") == "25,0% aturan kesenjangan kompetensi, sisanya model juara"
    assert _values(0.25, "en").startswith("25.0% the competency-gap rule")


@pytest.mark.slow
def test_csv_output_and_english_on_request(planned: dict) -> None:
    result = planned["en"]
    assert result.returncode == 0, result.stderr
    text = _flat(result.stdout)
    assert t("plan.row.gain", "en") in text and "IDR 150,000,000" in text
    assert "Plan document written to" in text
    items = pd.read_csv(planned["csv"], dtype=str)
    assert len(items) > 0
    assert items.iloc[:, 0].notna().all()


@pytest.mark.slow
def test_each_plan_is_logged_to_mlflow(
    planned: dict, champion: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = champion
    client = MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    runs = {r.info.run_id: r for r in client.search_runs([experiment.experiment_id])}
    for name in ("id", "en"):
        assert any(run_id in planned[name].stdout for run_id in runs)
    run = next(r for r in runs.values() if r.data.params.get("curve") == "True")
    assert run.data.params["agency"] == AGENCY
    assert float(run.data.params["budget_idr"]) == BUDGET
    assert float(run.data.params["rule_weight"]) == PLAN_RULE_WEIGHT
    for metric in (
        "total_gain",
        "gain_lower",
        "gain_upper",
        "cost_idr",
        "share_at_minimum",
        "gap",
        "seconds",
        "greedy_gain",
        "gap_rule_gain",
    ):
        assert metric in run.data.metrics, metric
    assert run.data.metrics["cost_idr"] <= BUDGET
    plan = Path(client.download_artifacts(run.info.run_id, "plan", str(tmp_path)))
    assert {"items.csv", "shortfall.csv", "curve.csv", "summary.json"} <= {
        p.name for p in plan.iterdir()
    }
    documents = [a.path for a in client.list_artifacts(run.info.run_id, "document")]
    assert documents == ["document/rencana.xlsx"]


@pytest.mark.slow
def test_an_unknown_unit_in_the_unit_budgets_is_named(
    champion: tuple[dict[str, str], Path], small_world: Path, tmp_path: Path
) -> None:
    env, root = champion
    units = tmp_path / "anggaran.csv"
    units.write_text("unit_kerja;anggaran\nDinas Perikanan Kota Atlantis;1.500.000\n")
    out = tmp_path / "rencana.xlsx"
    args = ("--budget", "150.000.000", "--agency", AGENCY, "--unit-budgets", str(units))
    result = _plan(small_world, *args, "--out", str(out), env=env, cwd=root)
    assert_clean_failure(result)
    assert "--unit-budgets" in result.stderr
    assert "unit kerja 'Dinas Perikanan Kota Atlantis' tidak dikenal" in _flat(result.stderr)
    assert not out.exists()


@pytest.mark.slow
def test_an_indonesian_unit_budget_file_constrains_the_plan(
    champion: tuple[dict[str, str], Path], small_world: Path, tmp_path: Path
) -> None:
    env, root = champion
    staff = pd.read_csv(small_world / "employees.csv", dtype=str)
    unit = staff.loc[(staff["agency"] == AGENCY) & (staff["active"] == "true"), "unit"].mode()[0]
    units = tmp_path / "anggaran.csv"
    units.write_text(f"unit_kerja;anggaran\n{unit};1.500.000\n")
    out = tmp_path / "rencana.csv"
    args = ("--budget", "150.000.000", "--agency", AGENCY, "--unit-budgets", str(units))
    result = _plan(small_world, *args, "--no-curve", "--out", str(out), env=env, cwd=root)
    assert result.returncode == 0, result.stderr
    items = pd.read_csv(out)
    unit_column = next(c for c in items.columns if "Unit" in c)
    cost = next(c for c in items.columns if c.startswith("(g)"))
    assert items.loc[items[unit_column] == unit, cost].sum() <= 1_500_000


def test_a_mandatory_file_is_read_and_a_half_filled_row_named(tmp_path: Path) -> None:
    good = tmp_path / "wajib.csv"
    good.write_text("NIP;id_pelatihan\n199001012015011001;PLT-001\n;\n199001012015011002;PLT-009\n")
    frame = read_mandatory(good, "en")
    assert frame.to_dict("list") == {
        "nip": ["199001012015011001", "199001012015011002"],
        "training_id": ["PLT-001", "PLT-009"],
    }
    bad = tmp_path / "wajib-rusak.csv"
    bad.write_text("nip,training_id\n199001012015011001,\n")
    result = run(
        "plan",
        "--data",
        str(tmp_path),
        "--budget",
        "1000",
        "--mandatory",
        str(bad),
        "--out",
        str(tmp_path / "r.xlsx"),
    )
    assert result.returncode != 0 and "--mandatory" in result.stdout + result.stderr
    assert not (tmp_path / "r.xlsx").exists()


@pytest.mark.slow
def test_mandatory_trainings_are_in_the_plan(
    champion: tuple[dict[str, str], Path], small_world: Path, tmp_path: Path
) -> None:
    env, root = champion
    staff = pd.read_csv(small_world / "employees.csv", dtype=str)
    nips = staff.loc[(staff["agency"] == AGENCY) & (staff["active"] == "true"), "nip"].iloc[:2]
    catalog = pd.read_csv(small_world / "trainings.csv", dtype=str)
    klasikal = catalog[catalog["modality"] == "klasikal"]
    course = klasikal.sort_values("cost_idr", key=lambda c: c.astype(float))["training_id"].iat[0]
    wajib = tmp_path / "wajib.csv"
    wajib.write_text("nip;id_pelatihan\n" + "".join(f"{n};{course}\n" for n in nips))
    out = tmp_path / "rencana.csv"
    args = ("--budget", "150.000.000", "--agency", AGENCY, "--mandatory", str(wajib))
    result = _plan(small_world, *args, "--no-curve", "--out", str(out), env=env, cwd=root)
    assert result.returncode == 0, result.stderr
    items = pd.read_csv(out, dtype=str)
    nip = next(c for c in items.columns if "NIP" in c)
    training = next(c for c in items.columns if "Kode" in c or "training" in c.lower())
    planned = set(zip(items[nip], items[training], strict=True))
    assert {(n, course) for n in nips} <= planned
    # a mandatory training beyond the budget is refused, naming the option
    poor = _plan(
        small_world,
        "--budget",
        "1",
        "--agency",
        AGENCY,
        "--mandatory",
        str(wajib),
        "--no-curve",
        "--out",
        str(tmp_path / "x.csv"),
        env=env,
        cwd=root,
    )
    assert poor.returncode != 0 and "--mandatory" in poor.stdout + poor.stderr
    assert not (tmp_path / "x.csv").exists()


def test_excluded_trainings_are_checked_and_named(
    champion: tuple[dict[str, str], Path], small_world: Path, tmp_path: Path
) -> None:
    """``--exclude``: an unknown training id, or a workbook that is not a program
    evaluation, ends the command naming the option; nothing is written."""
    env, root = champion
    out = tmp_path / "rencana.xlsx"
    args = ("--budget", "150.000.000", "--agency", AGENCY)
    unknown = _plan(small_world, *args, "--exclude", "NOPE-1", "--out", str(out), env=env, cwd=root)
    assert_clean_failure(unknown)
    assert "--exclude" in unknown.stderr
    assert "NOPE-1: bukan pelatihan dalam katalog" in _flat(unknown.stderr)
    other = tmp_path / "lain.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(other, index=False)
    wrong = _plan(small_world, *args, "--exclude", str(other), "--out", str(out), env=env, cwd=root)
    assert_clean_failure(wrong)
    assert "--exclude" in wrong.stderr and "evaluation" in _flat(wrong.stderr)
    assert not out.exists()


def test_one_baseline_plan_under_two_names_is_one_row() -> None:
    assert _baseline_label(("greedy", "gap_rule"), "id") == t("plan.row.greedy_is_gap_rule", "id")
    assert _baseline_label(("gap_rule",), "en") == "Baseline: the gap rule's plan"
    assert _baseline_label(("greedy", "mine"), "en") == "Baseline: greedy per rupiah = mine"

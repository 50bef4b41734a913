"""The analysts' notebooks: committed without outputs, parameterized, executed end to end on
a small world (every cell must pass, every figure must show, the model notebooks must log
to MLflow) and rendered to HTML.

Executing all seven takes about two minutes on two idle cores; it happens once, in one
test, so that parallel workers (pytest -n) do not each run them. Nothing here has a time limit
short enough to trip on a busy machine: cells run without one, commands get many minutes.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from mlflow.tracking import MlflowClient

from recsys.analysis.notebook import EXPERIMENT
from recsys.notebooks import hygiene, runner
from recsys.notebooks.render import render

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
#: Seconds a command may take: rendering seven notebooks is quick on an idle machine, not on a
#: loaded one.
COMMAND_TIMEOUT = 900
#: Each notebook and the figures it must show at least.
FIGURES = {
    "1.0-explore-data": 1,
    "2.0-training-needs": 2,
    "3.0-training-recommender": 3,
    "4.0-impact-estimation": 4,
    "5.0-mentor-matching": 3,
    "6.0-program-plan": 3,
    "7.0-program-evaluation": 4,
}
#: Notebooks that train or compare models, and so log an MLflow run.
TRACKED = {
    "3.0-training-recommender",
    "4.0-impact-estimation",
    "5.0-mentor-matching",
    "6.0-program-plan",
    "7.0-program-evaluation",
}
PNG_MAGIC = b"\x89PNG"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recsys.notebooks", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


# ----------------------------------------------------------------------------- the sources


def test_the_notebooks_are_numbered_by_topic() -> None:
    found = runner.list_notebooks(NOTEBOOK_DIR)
    assert [p.stem for p in found] == list(FIGURES)
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == [p.name for p in found]


@pytest.mark.parametrize("name", FIGURES)
def test_each_notebook_has_one_parameters_cell(name: str) -> None:
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    tagged = [c for c in nb.cells if runner.PARAMETERS_TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
    declared = runner.declared_parameters(NOTEBOOK_DIR / f"{name}.ipynb")
    assert declared["data"] == "None"  # the demo world of the settings
    if name in TRACKED:
        assert {"seed", "mlflow_tracking_uri"} <= declared.keys()
    assert nb.metadata.kernelspec.name == runner.KERNEL_NAME


def test_committed_notebooks_have_no_outputs() -> None:
    found = hygiene.check(sorted(NOTEBOOK_DIR.glob("*.ipynb")))
    assert found == {}, f"strip them with `python -m recsys.notebooks strip`: {found}"


def test_the_check_catches_a_notebook_with_outputs(tmp_path: Path) -> None:
    dirty = tmp_path / "1.0-explore-data.ipynb"
    shutil.copy(NOTEBOOK_DIR / dirty.name, dirty)
    nb = nbformat.read(dirty, as_version=4)
    code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells[code].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    nb.cells[code].execution_count = 3
    nbformat.write(nb, dirty)

    assert hygiene.saved_outputs(dirty) == [
        f"cell {code} has 1 output(s)",
        f"cell {code} has execution count 3",
    ]
    failed = cli("check", str(dirty), cwd=tmp_path)
    assert failed.returncode == 1
    assert "has 1 output(s)" in failed.stdout
    assert hygiene.strip(dirty) is True
    assert hygiene.strip(dirty) is False  # already clean
    passed = cli("check", str(dirty), cwd=tmp_path)
    assert passed.returncode == 0, passed.stdout


# ----------------------------------------------------------------------------- executing them


def images(nb: nbformat.NotebookNode) -> list[bytes]:
    return [
        base64.b64decode(output["data"]["image/png"])
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]


def streams(nb: nbformat.NotebookNode, name: str) -> list[str]:
    return [
        output["text"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == name
    ]


@pytest.mark.slow
def test_every_notebook_runs_on_a_small_world(
    small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("notebook-runs")
    uri = f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"
    before = sorted(p.name for p in NOTEBOOK_DIR.iterdir())
    done, failed = runner.run_all(
        runner.list_notebooks(NOTEBOOK_DIR),
        root / runner.EXECUTED_DIR,
        # A fixed 8 cross-fittings instead of "auto" (up to 80) keeps 4.0 quick here; the
        # repeats are tested in tests/models/test_impact_repeat.py.
        {"data": str(small_world), "mlflow_tracking_uri": uri, "n_repeats": 8, "unused": 1},
    )
    assert not failed, "\n".join(str(error) for error in failed)
    assert [e.notebook.stem for e in done] == list(FIGURES)
    # nothing is written beside the sources (executed copies, MLflow artifacts, ...)
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == before

    for execution in done:
        name = execution.notebook.stem
        assert execution.parameters["data"] == str(small_world)
        assert "unused" not in execution.parameters  # only what the notebook declares
        nb = nbformat.read(execution.output, as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and str(small_world) in injected[0].source
        pictures = images(nb)
        assert len(pictures) >= FIGURES[name], f"{name}: {len(pictures)} figure(s)"
        assert all(p.startswith(PNG_MAGIC) for p in pictures)
        assert streams(nb, "stderr") == [], f"{name} wrote to stderr"

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    assert experiment.artifact_location == (root / "mlflow" / "artifacts").as_uri()
    runs = client.search_runs([experiment.experiment_id])
    assert {run.data.tags["notebook"] for run in runs} == TRACKED
    for run in runs:
        assert run.data.metrics, run.data.tags["notebook"]
        assert "data_fingerprint" in run.data.tags
        figures = [a.path for a in client.list_artifacts(run.info.run_id, "figures")]
        assert figures and all(path.endswith(".png") for path in figures)
    by_name = {run.data.tags["notebook"]: run.data for run in runs}
    assert by_name["3.0-training-recommender"].metrics["model_share_top5"] > 0.7
    assert "semi_pehe" in by_name["4.0-impact-estimation"].metrics
    assert by_name["4.0-impact-estimation"].params["n_repeats"] == "8"
    assert by_name["5.0-mentor-matching"].metrics["match_gap"] == pytest.approx(0.0, abs=1e-6)
    program = by_name["6.0-program-plan"].metrics
    assert program["cost_idr"] <= program["budget_idr"] and program["gap"] <= 0.01
    evaluation = by_name["7.0-program-evaluation"].metrics
    assert evaluation["trainings"] > 0 and 0 < evaluation["truth_coverage"] <= 1

    # one command renders every executed notebook to standalone HTML, code hidden
    rendered = cli("render", "--out", str(root), cwd=root)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    pages = sorted(root.glob("*.html"))
    assert [p.stem for p in pages] == list(FIGURES)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html.count("data:image/png;base64") >= FIGURES[page.stem]
        assert "load_dataset" not in html  # code hidden
        # nothing fetched from the internet when opened (air-gapped networks)
        assert not re.search(r"""(?:src=|import\()["']https?://""", html)
    with_code = render(
        runner.list_notebooks(root / runner.EXECUTED_DIR)[:1], root / "code", show_code=True
    )
    assert "load_dataset" in with_code[0].read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_notebook_reads_a_database_url(small_world: Path, tmp_path: Path) -> None:
    from recsys.data.loading import load_dataset
    from recsys.data.sources import write_dataset

    url = f"sqlite:///{tmp_path / 'simpeg.db'}"
    write_dataset(load_dataset(small_world).tables, url)
    needs_notebook = [
        n for n in runner.list_notebooks(NOTEBOOK_DIR) if n.stem == "2.0-training-needs"
    ]
    done, failed = runner.run_all(needs_notebook, tmp_path / "runs", {"data": url})
    assert not failed, "\n".join(str(error) for error in failed)
    nb = nbformat.read(done[0].output, as_version=4)
    assert len(images(nb)) >= FIGURES["2.0-training-needs"]
    assert any(url in text for text in streams(nb, "stdout"))  # it says which data set


@pytest.mark.slow
def test_a_failing_cell_fails_the_execution(tmp_path: Path) -> None:
    notebook = NOTEBOOK_DIR / "1.0-explore-data.ipynb"
    with pytest.raises(runner.NotebookError, match="FileNotFoundError") as caught:
        runner.execute(notebook, tmp_path, {"data": str(tmp_path / "no-such-world")})
    assert caught.value.notebook == notebook
    assert caught.value.cell is not None
    executed = nbformat.read(caught.value.output, as_version=4)  # kept, with the traceback
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0]["ename"] == "FileNotFoundError"


@pytest.mark.slow
def test_run_reports_a_failure_and_exits_non_zero(tmp_path: Path) -> None:
    result = cli(
        "run",
        "--notebooks",
        str(NOTEBOOK_DIR),
        "--only",
        "1.0",
        "--data",
        str(tmp_path / "missing"),
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "1.0-explore-data.ipynb failed" in result.stdout
    assert "FileNotFoundError" in result.stdout


def test_render_without_executed_notebooks_says_what_to_do(tmp_path: Path) -> None:
    result = cli("render", "--out", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert "python -m recsys.notebooks run" in result.stdout

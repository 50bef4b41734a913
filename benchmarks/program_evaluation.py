"""Benchmark: the program evaluation (issue 15) against the truth of a family of worlds.

For each world of the suite (:data:`worlds.SUITE` × seeds, simulated once into
benchmarks/out/worlds/) and the default demo world (20,000 employees, seed 42), it evaluates
the trainings that started in ``--year`` exactly as ``recsys evaluate-program`` does (observed
records only), then reads the truth (``_truth/enrollment_gain.parquet``: each completed
enrollment's true SKP gain; a training's true average effect is the mean over its completers
with an outcome; ``params.json``: the unit service mechanism):

* the share of trainings (with enough participants) whose 90% effect interval covers the
  true average effect (target 85–95% on every world);
* the precision of the "does not work" flags: the share of flagged trainings whose true
  effect is below the smallest effect worth funding (target ≥ 80%);
* the unit service slope (IKM points from none to all staff trained) against the mechanism's;
* seconds.

With ``--plan`` it also trains the champion on the demo world and plans next year, to show
that flagged trainings lose their place: their share of this year's completions against
their share of next year's planned seats.

    .venv/bin/python benchmarks/program_evaluation.py [--employees 6000] [--seeds 1 2] [--plan]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import OUT, machine, write_section
from worlds import SUITE

from recsys.data import load_dataset
from recsys.evaluation.ground_truth import ENROLLMENT_FILE, true_training_effects
from recsys.evaluation.kirkpatrick import DOES_NOT_WORK, TOO_FEW, evaluate_program
from recsys.simulation.world import TRUTH_DIR

GAIN = ENROLLMENT_FILE


def world(mechanism: str, seed: int, employees: int, name: str | None = None) -> Path:
    """A world simulated once (again if it predates the enrollment truth)."""
    path = OUT / "worlds" / (name or f"{mechanism}-{employees}-{seed}")
    if not (path / TRUTH_DIR / GAIN).exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            shutil.rmtree(path)
        subprocess.run(
            [
                *(sys.executable, "-m", "recsys", "simulate", "--out", str(path), "--force"),
                *("--employees", str(employees), "--seed", str(seed)),
                *("--mechanism", mechanism),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


def judge(path: Path, year: int) -> tuple[dict[str, object], object]:
    ds = load_dataset(path)
    started = time.perf_counter()
    ev = evaluate_program(ds, year)
    seconds = time.perf_counter() - started
    table = ev.trainings.assign(training_id=ev.trainings["training_id"].astype(str))
    truth = true_training_effects(ds, path / TRUTH_DIR, year)
    assert truth is not None, f"{path} has no enrollment truth"
    table["truth"] = truth.reindex(table["training_id"]).to_numpy()
    judged = table[table["verdict"] != TOO_FEW]
    covered = (judged["effect_lower"] <= judged["truth"]) & (
        judged["truth"] <= judged["effect_upper"]
    )
    flagged = judged[judged["verdict"] == DOES_NOT_WORK]
    truly_small = flagged["truth"] < ev.min_effect
    params = json.loads((path / TRUTH_DIR / "params.json").read_text())["mechanism"]
    row: dict[str, object] = {
        "world": path.name,
        "trainings": len(table),
        "judged": len(judged),
        "coverage": float(covered.mean()),
        "bias": float((judged["effect"] - judged["truth"]).mean()),
        "mean_se": float(judged["std_error"].median()),
        "works": int((judged["verdict"] == "works").sum()),
        "unclear": int((judged["verdict"] == "unclear").sum()),
        "flags": len(flagged),
        "flags_right": int(truly_small.sum()),
        "truly_small": int((judged["truth"] < ev.min_effect).sum()),
        "seconds": seconds,
    }
    if ev.units is not None:
        coef = ev.units.coefficients
        slope = coef[(coef["outcome"] == "satisfaction_index") & (coef["term"] == "trained_share")]
        s = slope.iloc[0]
        true = params["satisfaction_per_trained_share"]
        row.update(
            unit_slope=float(s["estimate"]),
            unit_lower=float(s["lower_90"]),
            unit_upper=float(s["upper_90"]),
            unit_true=float(true),
        )
    return row, ev


def plan_check(path: Path, ev: object, year: int) -> dict[str, float]:
    """Train the champion as `recsys train` does and plan the next year twice: as it learns
    from the outcomes alone, and with the evaluation's flagged trainings excluded
    (`recsys plan --exclude evaluasi.xlsx`). Flagged trainings' share of this year's
    completions, of each plan's seats, and the champion's mean forecast for them."""
    from recsys.models.trainings import TrainingRecommender
    from recsys.planning.agency_program import plan_program
    from recsys.planning.program import PlanLimits

    ds = load_dataset(path)
    flagged = set(ev.flagged())  # type: ignore[attr-defined]
    model = TrainingRecommender().fit(ds)
    people = int(ds.employees["active"].sum())
    limits = PlanLimits(budget_idr=1_000_000.0 * people)
    kwargs = {"baselines": False, "curve": False, "service": False}
    learned = plan_program(ds, model, limits, **kwargs).plan.items  # type: ignore[arg-type]
    excluded = plan_program(
        ds,
        model,
        limits,
        excluded=sorted(flagged),
        **kwargs,  # type: ignore[arg-type]
    ).plan.items
    e = ds.enrollments
    done = e[(e["status"] == "completed") & (e["start_date"].dt.year == year)]
    gain = learned.assign(flag=learned["training_id"].astype(str).isin(flagged))
    return {
        "flagged": float(len(flagged)),
        "share_completed": float(done["training_id"].astype(str).isin(flagged).mean()),
        "share_learned": float(gain["flag"].mean()),
        "share_excluded": float(excluded["training_id"].astype(str).isin(flagged).mean()),
        "gain_flagged": float(gain.loc[gain["flag"], "gain"].mean()),
        "gain_other": float(gain.loc[~gain["flag"], "gain"].mean()),
        "planned_items": float(len(learned)),
        "flagged_ids": ", ".join(sorted(flagged)),  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=6000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--mechanisms", nargs="+", default=list(SUITE))
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--plan", action="store_true")
    args = parser.parse_args()
    rows = []
    paths = [world(m, s, args.employees) for m in args.mechanisms for s in args.seeds] + [
        world("demo", 42, 20000, name="demo-20000-42")
    ]
    evaluations = {}
    for path in paths:
        row, ev = judge(path, args.year)
        rows.append(row)
        evaluations[path.name] = ev
        print(json.dumps(row), flush=True)
    # the default demo world, or the first demo world whose evaluation flags a training
    demos = [paths[-1], *(p for p in paths if p.name.startswith("demo-") and p != paths[-1])]
    shown = next((p for p in demos if evaluations[p.name].flagged()), paths[-1])
    plan = plan_check(shown, evaluations[shown.name], args.year) if args.plan else None
    if plan:
        plan["world"] = shown.name  # type: ignore[assignment]
    if plan:
        print(json.dumps(plan), flush=True)
    write(pd.DataFrame(rows), args, plan)


def _chance_outside(judged: np.ndarray, level: float = 0.9) -> float:
    """How many worlds exact ``level`` intervals would leave outside 0.85–0.95 by chance:
    each world's coverage is a binomial share of its judged trainings."""
    expected = 0.0
    for n in judged:
        k = np.arange(n + 1)
        share = k / max(n, 1)
        outside = (share < 0.85 - 1e-9) | (share > 0.95 + 1e-9)
        expected += float(stats.binom.pmf(k, n, level)[outside].sum())
    return expected


def write(table: pd.DataFrame, args: argparse.Namespace, plan: dict[str, float] | None) -> None:
    lines = [
        "## Program evaluation: effects per training against the truth (issue 15)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. Trainings that started in "
        f"{args.year}, evaluated as `recsys evaluate-program` does (observed records only; "
        "90% intervals, at least 10 participants with an SKP outcome, smallest effect worth "
        f"funding 0.25 SKP points). {len(table) - 1} suite worlds ({len(args.mechanisms)} "
        f"mechanisms × seeds {args.seeds}, {args.employees:,} employees) and the default demo "
        "world (20,000, seed 42). *coverage*: share of judged trainings whose interval holds "
        "the true average effect on their participants; *flags*: trainings found not to work, "
        "*right*: of them, truly below 0.25 points; *unit slope*: IKM points from none to all "
        "staff trained in the year, against the mechanism's.",
        "",
        "| world | trainings | judged | coverage | bias | median se | works | unclear "
        "| flags | right | truly small | unit slope (90%) | true | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in table.to_dict("records"):
        unit = (
            f"{r['unit_slope']:.2f} ({r['unit_lower']:.2f}–{r['unit_upper']:.2f})"
            if "unit_slope" in r and np.isfinite(r["unit_slope"])
            else "n/a"
        )
        lines.append(
            f"| {r['world']} | {r['trainings']} | {r['judged']} | {r['coverage']:.2f} "
            f"| {r['bias']:+.2f} | {r['mean_se']:.2f} | {r['works']} | {r['unclear']} "
            f"| {r['flags']} | {r['flags_right']} | {r['truly_small']} | {unit} "
            f"| {r.get('unit_true', float('nan')):.1f} | {r['seconds']:.1f} |"
        )
    flags, right = int(table["flags"].sum()), int(table["flags_right"].sum())
    unit_ok = (table["unit_lower"] <= table["unit_true"]) & (
        table["unit_true"] <= table["unit_upper"]
    )
    judged = table["judged"].to_numpy(dtype=int)
    pooled = float((table["coverage"] * table["judged"]).sum() / judged.sum())
    inside = table["coverage"].between(0.85 - 1e-9, 0.95 + 1e-9)
    lines += [
        "",
        f"Coverage: mean {table['coverage'].mean():.2f}, range {table['coverage'].min():.2f}–"
        f"{table['coverage'].max():.2f}; pooled over the {judged.sum()} judged trainings "
        f"{pooled:.3f}; within 0.85–0.95 in {int(inside.sum())} of {len(table)} worlds, where "
        f"exact 90% intervals would leave {_chance_outside(judged):.1f} worlds outside by "
        "chance alone (binomial, each world's number of judged trainings). "
        f"Flags: {flags}, of "
        f"which {right} right: precision {right / max(flags, 1):.2f} (target ≥ 0.80). The unit "
        f"slope's interval holds the mechanism's in {int(unit_ok.sum())} of {len(table)} worlds.",
    ]
    if plan:
        lines += [
            "",
            f"Next year's plan on the demo world {plan['world']} (the default demo world "
            "unless its evaluation flags nothing; champion trained as `recsys train` does, "
            f"budget 1 M IDR per active employee): the {int(plan['flagged'])} trainings flagged "
            f"as not working ({plan['flagged_ids']}) held {plan['share_completed']:.1%} of "
            f"{args.year}'s completions. Learning from the outcomes alone, the plan gives "
            f"them {plan['share_learned']:.2%} of its {int(plan['planned_items']):,} seats "
            f"(forecast {plan['gain_flagged']:.2f} SKP points per seat they get, against "
            f"{plan['gain_other']:.2f} for the others); with the evaluation applied "
            f"(`recsys plan --exclude evaluasi.xlsx`), {plan['share_excluded']:.2%}.",
        ]
    lines += ["", "Reproduce: `.venv/bin/python benchmarks/program_evaluation.py --plan`."]
    write_section("program_evaluation", lines)


if __name__ == "__main__":
    main()

"""Benchmark: the training recommender on a family of differently built demo worlds.

A model is only as good as its worst world. For each world (named mechanisms × seeds, see
:data:`recsys.simulation.mechanism.MECHANISMS`) it simulates the world once into
benchmarks/out/worlds/, fits the recommender exactly as ``recsys train`` does (the ranker is
chosen on the world's own held-out outcomes, never on its truth), then reads the truth:

* share of the oracle's top-5 true gain for the served model, every candidate ranker and
  every baseline (gap rule, popularity, popularity by position);
* whether the validation picked the candidate the truth says is best;
* how often the served model's 90% intervals cover the true expected gain;
* fit seconds.

Then the mean and the worst world, written to benchmarks/RESULTS.md between the markers.

    .venv/bin/python benchmarks/worlds.py [--employees 6000] [--seeds 1 2] [--mechanisms ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import OUT, machine, write_section

from recsys.data import load_dataset
from recsys.evaluation.trainings import BASELINES, evaluate_on_truth
from recsys.models.selection import RANKERS
from recsys.models.trainings import TrainingRecommender
from recsys.simulation.world import TRUTH_DIR

#: The suite: the demo world and worlds that differ from it in several ways at once.
SUITE = (
    "demo",
    "capped_need",
    "threshold_ability",
    "saturating_supervisor",
    "flat_quality",
    "education_fit_noisy",
    "big_catalog_no_mentoring",
    "age_fit_stale",
)
K = 5


def world(mechanism: str, seed: int, employees: int) -> Path:
    """The suite's world, simulated once (again if its truth is missing)."""
    path = OUT / "worlds" / f"{mechanism}-{employees}-{seed}"
    if not (path / TRUTH_DIR / "params.json").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
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


def judge(path: Path) -> dict[str, object]:
    """Fit on the world as `recsys train` does and read its truth."""
    ds = load_dataset(path)
    started = time.perf_counter()
    model = TrainingRecommender().fit(ds)
    seconds = time.perf_counter() - started
    metrics = evaluate_on_truth(model, ds, path / TRUTH_DIR, k=K)
    candidates = {r: metrics[f"candidate_{r}_share_of_oracle_top{K}"] for r in RANKERS}
    best = max(candidates, key=lambda r: candidates[r])
    params = json.loads((path / TRUTH_DIR / "params.json").read_text())
    return {
        "world": path.name,
        "mechanism": params.get("mechanism", {}).get("name", path.name),
        "served": model.ranker_,
        "why": model.ranker_reason_,
        "model": metrics[f"share_of_oracle_top{K}"],
        **{f"cand_{r}": v for r, v in candidates.items()},
        **{b: metrics[f"{b}_share_of_oracle_top{K}"] for b in BASELINES},
        "truth_best": best,
        "picked_best": model.ranker_ == best
        or candidates[model.ranker_] >= candidates[best] - 0.005,
        "coverage": metrics["interval_coverage_topk"],
        "fit_s": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=6000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--mechanisms", nargs="+", default=list(SUITE))
    args = parser.parse_args()
    rows = []
    for mechanism in args.mechanisms:
        for seed in args.seeds:
            path = world(mechanism, seed, args.employees)
            row = judge(path)
            rows.append(row)
            print(json.dumps(row, default=str), flush=True)
    table = pd.DataFrame(rows)
    write(table, args)


def write(table: pd.DataFrame, args: argparse.Namespace) -> None:
    shares = ["model", *(f"cand_{r}" for r in RANKERS), *BASELINES]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. {len(table)} worlds: "
        f"{len(args.mechanisms)} mechanisms × seeds {args.seeds}, {args.employees:,} employees "
        "each. Share of the oracle's top-5 true expected gain (every active employee). "
        "`model` is what `recsys train` serves: the ranker chosen on the world's own "
        "out-of-time outcomes (never its truth); `cand_*` are the candidates whichever is "
        "served; coverage is of the served model's 90% intervals on the top-5 items.",
        "",
        "| world | served | model | structured | uplift | blend | gap rule | popularity "
        "| position pop. | truth-best | picked best | coverage | fit s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for r in table.to_dict("records"):
        lines.append(
            f"| {r['world']} | {r['served']} | {r['model']:.3f} | {r['cand_structured']:.3f} "
            f"| {r['cand_uplift']:.3f} | {r['cand_blend']:.3f} | {r['gap_rule']:.3f} "
            f"| {r['popularity']:.3f} | {r['position_popularity']:.3f} | {r['truth_best']} "
            f"| {'yes' if r['picked_best'] else 'no'} | {r['coverage']:.2f} | {r['fit_s']:.0f} |"
        )
    mean = table[shares].mean()
    worst = table[shares].min()
    margin = table["model"] - table["gap_rule"]
    lines += [
        f"| **mean** | | {mean['model']:.3f} | {mean['cand_structured']:.3f} "
        f"| {mean['cand_uplift']:.3f} | {mean['cand_blend']:.3f} | {mean['gap_rule']:.3f} "
        f"| {mean['popularity']:.3f} | {mean['position_popularity']:.3f} | | "
        f"{table['picked_best'].mean():.0%} | {table['coverage'].mean():.2f} "
        f"| {table['fit_s'].median():.0f} |",
        f"| **worst** | | {worst['model']:.3f} | {worst['cand_structured']:.3f} "
        f"| {worst['cand_uplift']:.3f} | {worst['cand_blend']:.3f} | {worst['gap_rule']:.3f} "
        f"| {worst['popularity']:.3f} | {worst['position_popularity']:.3f} | | | "
        f"{table['coverage'].min():.2f} | |",
        "",
        f"Model minus gap rule: mean {margin.mean():+.3f}, worst world {margin.min():+.3f}. "
        f"Coverage range {table['coverage'].min():.2f}–{table['coverage'].max():.2f} "
        "(target 0.85–0.95). Validation picked the truth-best candidate (within 0.005) in "
        f"{int(table['picked_best'].sum())} of {len(table)} worlds.",
    ]
    print(write_section("worlds", lines))
    np.seterr(all="ignore")


if __name__ == "__main__":
    main()

"""Benchmark: training the recommender, batch recommendations, and the quality table.

At 100k employees (a demo world generated once into benchmarks/out/): training time and peak
memory (targets ≤ 5 min, ≤ 8 GB), recommendations for every active employee (target ≤ 60 s),
and the quality table against the baselines. Each timed step runs in a fresh child process.
Writes the figures to benchmarks/RESULTS.md between the markers below.

    .venv/bin/python benchmarks/training.py [--employees 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import demo_world, machine, measure, write_section

HERE = Path(__file__).resolve().parent

FIT = """
import pickle
from recsys.data import load_dataset
from recsys.models.trainings import TrainingRecommender
ds = load_dataset({world!r})
model = TrainingRecommender().fit(ds)
pickle.dump(model, open({model!r}, "wb"))
"""
RECOMMEND = """
import pickle
from recsys.data import load_dataset
ds = load_dataset({world!r})
model = pickle.load(open({model!r}, "rb"))
nips = ds.employees.loc[ds.employees["active"], "nip"]
recs = model.recommend(ds, nips, k=5)
assert recs["nip"].nunique() > 0.9 * len(nips)
"""
QUALITY = """
import json, pickle, pandas as pd
from recsys.data import load_dataset
from recsys.evaluation.trainings import evaluate_on_truth, evaluate_time_split
from recsys.models.trainings import TrainingRecommender
ds = load_dataset({world!r})
model = pickle.load(open({model!r}, "rb"))
metrics = evaluate_on_truth(model, ds, {truth!r}, k=5)
cutoff = pd.Timestamp("2024-01-01")
split = evaluate_time_split(ds, cutoff, model=TrainingRecommender(n_bootstrap=5))
json.dump({{"truth": metrics, "split": split}}, open({out!r}, "w"))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    world = demo_world(args.employees)
    model = out / "training-model.pkl"
    fits = [measure(FIT.format(world=str(world), model=str(model))) for _ in range(args.runs)]
    print("fit", fits, flush=True)
    recs = [measure(RECOMMEND.format(world=str(world), model=str(model))) for _ in range(args.runs)]
    print("recommend", recs, flush=True)
    quality_file = out / "quality.json"
    measure(
        QUALITY.format(
            world=str(world), model=str(model), truth=str(world / "_truth"), out=str(quality_file)
        )
    )
    quality = json.loads(quality_file.read_text())
    t, s = quality["truth"], quality["split"]
    lines = [
        "## Training recommender: training, batch recommendations, quality",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; demo world of "
        f"{args.employees:,} employees (seed 1). Median of {args.runs} runs, each in a fresh "
        "process; peak = max RSS of that process (data loading included).",
        "",
        "| step | seconds | peak memory (GiB) | target |",
        "|---|---:|---:|---|",
        f"| train (fit on the whole history) | {statistics.median(x for x, _ in fits):.1f} | "
        f"{statistics.median(m for _, m in fits):.2f} | ≤ 300 s, ≤ 8 GB |",
        f"| recommend top-5 for every active employee | "
        f"{statistics.median(x for x, _ in recs):.1f} | "
        f"{statistics.median(m for _, m in recs):.2f} | ≤ 60 s |",
        "",
        f"Quality on the ground truth ({int(t['people']):,} active employees, candidates: "
        "active trainings not yet completed):",
        "",
        "| ranking | top-5 realized true gain / oracle's | time split: Spearman with observed "
        "uplift | time split: top − bottom fifth uplift (SKP points) |",
        "|---|---:|---:|---:|",
    ]
    for name, label in (
        ("model", "training recommender"),
        ("gap_rule", "gap-matching rule"),
        ("position_popularity", "same-position popularity"),
        ("popularity", "popularity"),
    ):
        share = t["share_of_oracle_top5"] if name == "model" else t[f"{name}_share_of_oracle_top5"]
        lines.append(
            f"| {label} | {share:.3f} | {s[f'{name}_spearman']:.3f} | "
            f"{s[f'{name}_top_minus_bottom']:.2f} |"
        )
    lines += [
        "",
        f"Model's 90% intervals on its top-5: coverage of the true expected gain "
        f"{t['interval_coverage_topk']:.2f}, mean width {t['interval_width_topk']:.2f} points, "
        f"RMSE {t['rmse_topk']:.2f} points. Time split: learn before 2024-01-01, judge the "
        f"{int(s['test_enrollments']):,} enrollments of 2024 with observed outcomes.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/training.py`.",
    ]
    section = write_section("training", lines)
    print(section)


if __name__ == "__main__":
    main()

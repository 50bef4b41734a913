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
import json, pickle
from recsys.data import load_dataset
from recsys.evaluation.trainings import evaluate_on_truth
ds = load_dataset({world!r})
model = pickle.load(open({model!r}, "rb"))
metrics = evaluate_on_truth(model, ds, {truth!r}, k=5)
validation = model.validation_.set_index("ranker")[["value", "vs_gap_rule", "vs_gap_rule_lower"]]
json.dump(
    {{"truth": metrics, "ranker": model.ranker_, "why": model.ranker_reason_,
      "validation": validation.to_dict("index")}},
    open({out!r}, "w"),
)
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
    t, v = quality["truth"], quality["validation"]
    lines = [
        "## Training recommender: training, batch recommendations, quality",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; demo world of "
        f"{args.employees:,} employees (seed 1). Median of {args.runs} runs, each in a fresh "
        "process; peak = max RSS of that process (data loading included). Training fits the "
        "four candidate rankers and runs the out-of-time validation that chooses among them.",
        "",
        "| step | seconds | peak memory (GiB) | target |",
        "|---|---:|---:|---|",
        f"| train (fit on the whole history, validation included) | "
        f"{statistics.median(x for x, _ in fits):.1f} | "
        f"{statistics.median(m for _, m in fits):.2f} | ≤ 120 s, ≤ 8 GB |",
        f"| recommend top-5 for every active employee ({quality['ranker']}) | "
        f"{statistics.median(x for x, _ in recs):.1f} | "
        f"{statistics.median(m for _, m in recs):.2f} | ≤ 60 s |",
        "",
        f"Served ranker: `{quality['ranker']}` ({quality['why']}). Quality on the ground truth "
        f"({int(t['people']):,} active employees, candidates: active trainings not yet "
        "completed), beside the out-of-time validation that chose it (observed outcomes only; "
        "value = soft top-5 policy's gain per training, doubly robust, SKP points):",
        "",
        "| ranking | top-5 realized true gain / oracle's | validation value | vs gap rule "
        "(lower 5%) |",
        "|---|---:|---:|---:|",
    ]
    for name in ("structured", "uplift", "blend", "gap_rule"):
        share = t[f"candidate_{name}_share_of_oracle_top5"]
        row = v.get(name, {})
        lines.append(
            f"| {name}{' (served)' if name == quality['ranker'] else ''} | {share:.3f} | "
            f"{row.get('value', float('nan')):.2f} | {row.get('vs_gap_rule', float('nan')):+.2f} "
            f"({row.get('vs_gap_rule_lower', float('nan')):+.2f}) |"
        )
    for name, label in (
        ("position_popularity", "same-position popularity"),
        ("popularity", "popularity"),
    ):
        lines.append(f"| {label} | {t[f'{name}_share_of_oracle_top5']:.3f} | | |")
    lines += [
        "",
        f"Served model's 90% intervals on its top-5: coverage of the true expected gain "
        f"{t['interval_coverage_topk']:.2f}, mean width {t['interval_width_topk']:.2f} points, "
        f"RMSE {t['rmse_topk']:.2f} points.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/training.py`.",
    ]
    section = write_section("training", lines)
    print(section)


if __name__ == "__main__":
    main()

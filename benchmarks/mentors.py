"""Benchmark: the mentor recommender and cohort matching end to end on a demo world.

At 100k employees (a demo world generated once into benchmarks/out/): fitting the mentor
model, one mentee's recommendations, matching every active junior (pelaksana,
fungsional) of the world to mentors with capacity 3 — candidate graph, exact min-cost flow,
HiGHS LP bound and the greedy comparison included — and the served suggestions for the
whole active staff (the agency matching recomputed, as each batch scoring does). Each
timed step runs in a fresh child process (median of ``--runs``). Then the quality table
against the ground truth. The solver alone at 100k mentees × 20k mentors is in
``benchmarks/matching.py``.

    .venv/bin/python benchmarks/mentors.py [--employees 100000] [--runs 3]
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
from recsys.models.mentors.recommender import MentorRecommender
ds = load_dataset({world!r})
model = MentorRecommender().fit(ds)
pickle.dump(model, open({model!r}, "wb"))
"""
ONE = """
import pickle
from recsys.data import load_dataset
ds = load_dataset({world!r})
model = pickle.load(open({model!r}, "rb"))
emp = ds.employees
nip = emp.loc[emp["active"] & (emp["position_type"] == "pelaksana"), "nip"].iloc[0]
assert len(model.recommend(ds, [nip], k=3)) > 0
"""
MATCH = """
import json, pickle
from recsys.planning import matching
from recsys.data import load_dataset
from recsys.planning.mentor_suggestions import GRAPH_TOP
ds = load_dataset({world!r})
model = pickle.load(open({model!r}, "rb"))
emp = ds.employees
junior = emp["active"] & emp["position_type"].astype(str).isin(["pelaksana", "fungsional"])
cohort = emp.loc[junior, "nip"]
graph = model.candidates(ds, cohort, top=GRAPH_TOP)
result = matching.match(graph, cohort, 3)
greedy = matching.greedy(graph, cohort, 3)
summary = {{"mentees": len(cohort), "edges": len(graph)}}
summary["mentors"] = int(graph["mentor_nip"].nunique())
summary.update(optimal=result.summary(), greedy=greedy.summary())
json.dump(summary, open({out!r}, "w"))
"""
SUGGEST = """
import json, pickle
from recsys.data import load_dataset
from recsys.planning.mentor_suggestions import suggest_mentors
ds = load_dataset({world!r})
model = pickle.load(open({model!r}, "rb"))
staff = ds.employees.loc[ds.employees["active"], "nip"]
made = suggest_mentors(model, ds, staff, k=3)
summary = {{"people": len(staff), "suggested": int(made.suggestions["nip"].nunique())}}
summary["unassigned"] = len(made.unassigned)
summary["first_max"] = int(made.suggestions.loc[made.suggestions["rank"] == 1, "mentor_nip"]
                           .value_counts().max())
json.dump(summary, open({out!r}, "w"))
"""
QUALITY = """
import json, pickle
from recsys.data import load_dataset
from recsys.evaluation.mentors import (
    evaluate_cohort, evaluate_matching, evaluate_recommendations
)
ds = load_dataset({world!r})
model = pickle.load(open({model!r}, "rb"))
metrics = evaluate_recommendations(model, ds, {world!r}, k=3)
metrics.update(evaluate_cohort(model, ds, {world!r}))
metrics.update(evaluate_matching(model, ds, {world!r}, max_mentees=2_000))
json.dump(metrics, open({out!r}, "w"))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    world = demo_world(args.employees)
    model = out / "mentor-model.pkl"
    match_out, quality_out = out / "mentor-match.json", out / "mentor-quality.json"
    suggest_out = out / "mentor-suggest.json"
    steps = {
        "fit": FIT.format(world=str(world), model=str(model)),
        "recommend one mentee": ONE.format(world=str(world), model=str(model)),
        "match all juniors": MATCH.format(world=str(world), model=str(model), out=str(match_out)),
        "suggest mentors, whole staff": SUGGEST.format(
            world=str(world), model=str(model), out=str(suggest_out)
        ),
    }
    figures: dict[str, tuple[float, float]] = {}
    for name, code in steps.items():
        runs = [measure(code) for _ in range(args.runs)]
        figures[name] = (
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
        )
        print(name, figures[name], flush=True)
    measure(QUALITY.format(world=str(world), model=str(model), out=str(quality_out)))
    matched = json.loads(match_out.read_text())
    suggested = json.loads(suggest_out.read_text())
    quality = json.loads(quality_out.read_text())
    optimal, greedy = matched["optimal"], matched["greedy"]
    lines = [
        "## Mentor recommender and cohort matching, end to end",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. Demo world of "
        f"{args.employees:,} employees (seed 1); each step in a fresh process (loading the "
        f"data included), median of {args.runs} runs.",
        "",
        "| step | seconds | peak memory (GiB) |",
        "|---|---:|---:|",
        *(f"| {name} | {s:.1f} | {m:.2f} |" for name, (s, m) in figures.items()),
        "",
        f"Matching every active junior: {matched['mentees']:,} mentees, "
        f"{matched['mentors']:,} candidate mentors, {matched['edges']:,} candidate edges (the "
        f"30 best per mentee), capacity 3. Min-cost flow: {optimal['n_matched']:,} matched, "
        f"total forecast gain {optimal['total_gain']:,.1f} points, LP bound "
        f"{optimal['lp_bound']:,.1f} (gap {optimal['gap']:.2e}); greedy "
        f"{greedy['total_gain']:,.1f}.",
        "",
        f"Suggesting mentors to the whole active staff ({suggested['people']:,} people, "
        "three each: the agency matching's mentor first, then alternatives with room): "
        f"{suggested['suggested']:,} with suggestions, {suggested['unassigned']:,} left out "
        f"by the matching; the most common first mentor is first for "
        f"{suggested['first_max']:,}.",
        "",
        "Quality against the ground truth (500 sampled mentees; cohorts of 2,000, capacity 3, "
        "true gain with each mentor's actual load; `matching_*`: shares of the exact "
        "true-gain optimum, see benchmarks/mentor_worlds.py):",
        "",
        "| measure | value |",
        "|---|---:|",
        *(f"| {k} | {v:,.3f} |" for k, v in sorted(quality.items())),
        "",
        "Reproduce: `.venv/bin/python benchmarks/mentors.py`.",
    ]
    print(write_section("mentors", lines))


if __name__ == "__main__":
    main()

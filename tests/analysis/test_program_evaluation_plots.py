"""The program evaluation's figures (notebook 7.0): what they draw from the evaluation's
frames, in which order and colour, and the named error when there is nothing to draw."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from recsys.analysis import plots
from recsys.data import load_dataset
from recsys.evaluation.kirkpatrick import (
    DOES_NOT_WORK,
    TOO_FEW,
    UNCLEAR,
    VERDICTS,
    WORKS,
    evaluate_program,
)
from recsys.planning.needs import default_year


def drawn(fig: Figure) -> Figure:
    """The figure, drawn once (constrained layout and text only settle on drawing)."""
    fig.savefig(io.BytesIO(), format="png")
    return fig


@pytest.fixture
def trainings() -> pd.DataFrame:
    """Four trainings of a year, one per verdict; the too-few one has no effect."""
    return pd.DataFrame(
        {
            "training_id": ["T1", "T2", "T3", "T4"],
            "title": ["Works well", "Hard to tell", "Too small an effect", "Handful"],
            "reaction_mean": [4.2, 3.8, 4.5, 3.0],
            "learning_gain": [12.0, 8.0, 15.0, np.nan],
            "learning_lower": [10.0, 5.0, 12.0, np.nan],
            "learning_upper": [14.0, 11.0, 18.0, np.nan],
            "behavior_mean": [3.9, 3.1, np.nan, 2.8],
            "effect": [1.2, 0.3, -0.4, np.nan],
            "effect_lower": [0.6, -0.5, -0.9, np.nan],
            "effect_upper": [1.8, 1.1, 0.1, np.nan],
            "verdict": [WORKS, UNCLEAR, DOES_NOT_WORK, TOO_FEW],
        }
    )


def tick_labels(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def vertical_lines(ax: Axes) -> set[tuple[float, str]]:
    """The x position and style of each line drawn across the axes."""
    return {
        (float(np.asarray(line.get_xdata(), dtype=float)[0]), str(line.get_linestyle()))
        for line in ax.lines
    }


def dots(ax: Axes) -> PathCollection:
    """The last scatter of the axes."""
    scatter = ax.collections[-1]
    assert isinstance(scatter, PathCollection)
    return scatter


def test_every_verdict_has_a_colour() -> None:
    assert set(plots.VERDICT_COLORS) == set(VERDICTS)


def test_the_forest_sorts_the_estimated_trainings_and_marks_zero_and_min_effect(
    trainings: pd.DataFrame,
) -> None:
    fig = drawn(plots.training_effects_forest(trainings, min_effect=0.25, level=0.9))
    ax = fig.axes[0]
    # smallest effect at the bottom; the training without an effect is left out and counted
    assert [label.split()[0] for label in tick_labels(ax)] == ["T3", "T2", "T1"]
    assert "1 with too few participants left out" in ax.get_title()
    assert "90% interval" in ax.get_xlabel()
    assert vertical_lines(ax) == {(0.0, "-"), (0.25, "--")}
    colors = np.asarray(dots(ax).get_facecolor())[:, :3]
    expected = [plots.VERDICT_COLORS[v] for v in (DOES_NOT_WORK, UNCLEAR, WORKS)]
    np.testing.assert_allclose(colors, [to_rgb(c) for c in expected])
    assert legend_texts(ax) == [
        "works (1)",
        "unclear (1)",
        "does_not_work (1)",
        "min_effect (0.25)",
    ]


def test_the_four_levels_share_the_forests_order(trainings: pd.DataFrame) -> None:
    fig = drawn(plots.kirkpatrick_levels(trainings, min_effect=0.25))
    axes = fig.axes
    assert len(axes) == 4
    assert [label.split()[0] for label in tick_labels(axes[0])] == ["T3", "T2", "T1"]
    for ax, column in zip(
        axes, ("reaction_mean", "learning_gain", "behavior_mean", "effect"), strict=True
    ):
        x = np.asarray(np.ma.filled(np.ma.asarray(dots(ax).get_offsets())[:, 0], np.nan), float)
        expected = trainings.set_index("training_id").loc[["T3", "T2", "T1"], column]
        np.testing.assert_allclose(x, expected.to_numpy())
    assert axes[0].get_xlim() == pytest.approx((0.8, 5.2))
    assert vertical_lines(axes[3]) == {(0.0, "-"), (0.25, "--")}


@pytest.mark.parametrize(
    "figure", [plots.training_effects_forest, plots.kirkpatrick_levels], ids=["forest", "levels"]
)
def test_without_any_effect_there_is_nothing_to_plot(
    trainings: pd.DataFrame, figure: Callable[..., Figure]
) -> None:
    few = trainings.assign(effect=np.nan, verdict=TOO_FEW)
    with pytest.raises(ValueError, match="no training has an effect"):
        figure(few, min_effect=0.25)


def test_an_unknown_verdict_is_named(trainings: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="unknown verdict"):
        plots.training_effects_forest(trainings.assign(verdict="maybe"), min_effect=0.25)


@pytest.fixture
def service() -> pd.DataFrame:
    """Three units over three years."""
    years = pd.to_datetime(["2022-12-31", "2023-12-31", "2024-12-31"])
    return pd.DataFrame(
        {
            "unit": np.repeat(["A", "B", "C"], 3),
            "period_end": np.tile(years, 3),
            "satisfaction_index": [70, 72, 80, 75, 76, 77, 80, 79, 81.0],
            "avg_service_days": [5, 4.5, 3, 2, 2.1, 2, 10, 9, 9.5],
        }
    )


def test_unit_trends_draw_every_unit_and_the_highlighted_ones_in_colour(
    service: pd.DataFrame,
) -> None:
    fig = drawn(plots.unit_service_trends(service, ["A"], year=2024))
    satisfaction, days = fig.axes
    for ax in (satisfaction, days):
        colors = [line.get_color() for line in ax.lines]
        assert colors.count(plots.MODEL_COLOR) == 1  # unit A
        assert colors.count(plots.BASELINE_COLORS[2]) == 2  # B and C
        assert colors.count("black") == 1  # the median unit
        median = np.asarray(ax.lines[-1].get_ydata(), dtype=float)
        column = "satisfaction_index" if ax is satisfaction else "avg_service_days"
        expected = service.groupby(service["period_end"].dt.year)[column].median()
        np.testing.assert_allclose(median, expected.to_numpy())
    assert days.get_yscale() == "log"
    assert legend_texts(satisfaction) == [
        "units (3)",
        "median unit",
        "better than expected in 2024 (1)",
    ]


def test_unit_trends_need_service_metrics(service: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="no service metrics"):
        plots.unit_service_trends(service.iloc[:0])
    plain = drawn(plots.unit_service_trends(service))  # no highlight, no year
    assert plots.MODEL_COLOR not in [line.get_color() for line in plain.axes[0].lines]


def test_effects_against_truth_count_the_intervals_that_hold_it(trainings: pd.DataFrame) -> None:
    # T1 holds its truth, T2 misses it, T3 holds it; T4 has no estimate
    table = trainings.assign(true_effect=[1.0, 1.5, 0.0, 0.4])
    fig = drawn(plots.effects_against_truth(table, level=0.9))
    ax = fig.axes[0]
    assert "67% of 90% intervals hold it" in ax.get_title()
    assert {"interval holds the truth (2)", "interval misses it (1)"} <= set(legend_texts(ax))
    with pytest.raises(ValueError, match="both an estimate and a true effect"):
        plots.effects_against_truth(table.assign(true_effect=np.nan))


def test_the_figures_read_a_real_evaluation(small_world: Path) -> None:
    ds = load_dataset(small_world)
    year = default_year(ds) - 1
    ev = evaluate_program(ds, year)
    estimated = ev.trainings["effect"].notna().sum()
    forest = drawn(plots.training_effects_forest(ev.trainings, min_effect=ev.min_effect))
    assert len(tick_labels(forest.axes[0])) == estimated
    assert len(drawn(plots.kirkpatrick_levels(ev.trainings, min_effect=ev.min_effect)).axes) == 4
    assert ev.units is not None
    better = ev.units.units.loc[ev.units.units["better_than_expected"], "unit"]
    trends = drawn(plots.unit_service_trends(ds.service_metrics, better, year=year))
    highlighted = [line for line in trends.axes[0].lines if line.get_color() == plots.MODEL_COLOR]
    assert len(highlighted) == len(better) > 0

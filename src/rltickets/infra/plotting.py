"""What every figure shares: the non-interactive backend, paradigm labels and colours, the mean ± 1 std lines and
the log axis of % weights remaining. Figures are drawn from the tidy tables only."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

PERCENT_TICKS = [100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1]


PARADIGM_LABELS = {"rl": "RL (PPO)", "bc": "Behavioural cloning"}


PARADIGM_COLOURS = {"RL (PPO)": "tab:red", "Behavioural cloning": "tab:blue"}


def mean_sd_lines(ax, data: pd.DataFrame, y: str, hue: str, palette: dict, hue_order=None) -> None:
    """One line per `hue` value of `y` against % weights remaining: mean over seeds, band ± 1 std."""
    sns.lineplot(
        data=data,
        x="percent_remaining",
        y=y,
        hue=hue,
        hue_order=hue_order,
        palette=palette,
        errorbar="sd",
        marker="o",
        markersize=4,
        ax=ax,
    )


def percent_remaining_axis(ax, percent_remaining: pd.Series) -> None:
    """Log x axis of % weights remaining, labelled 100, 50, 20, ..., sparser to the right."""
    ax.set_xscale("log")
    ticks = [t for t in PERCENT_TICKS if percent_remaining.min() * 0.9 <= t <= 100]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.invert_xaxis()
    ax.set_xlabel("% weights remaining (actor)")

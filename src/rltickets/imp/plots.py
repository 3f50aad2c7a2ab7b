"""Fig. 2: RL vs BC tickets, best return against % weights remaining."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..infra.plotting import PARADIGM_COLOURS, PARADIGM_LABELS, mean_sd_lines, percent_remaining_axis
from .tables import disconnected_flags

DISCONNECTED_STYLE = {"marker": "x", "color": "black", "s": 28, "linewidths": 1.2, "zorder": 5}


def mark_disconnected(ax, data: pd.DataFrame, y: str) -> int:
    """Overlay an x on every disconnected network's point (its seed's own value, not the mean); returns how many.

    The lines stay means over seeds with the disconnected networks' measured values in them: the marks show where
    those lie, and the legend counts them."""
    lost = data[disconnected_flags(data)]
    if len(lost):
        ax.scatter(
            lost["percent_remaining"], lost[y], label=f"disconnected network ({len(lost)})", **DISCONNECTED_STYLE
        )
    return len(lost)


def plot_rl_vs_bc(table: pd.DataFrame):
    """Fig. 2: best performance vs % weights remaining (log x, sparser to the right), mean ± 1 std over seeds,
    RL vs BC, one panel per task; an x marks each disconnected network (no input-to-output path left)."""
    data = table.assign(Paradigm=table["paradigm"].map(PARADIGM_LABELS))
    tasks = sorted(data["task"].unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        sub = data[data["task"] == task]
        mean_sd_lines(ax, sub, "best_return", "Paradigm", PARADIGM_COLOURS)
        mark_disconnected(ax, sub, "best_return")
        random_return = sub["random_return"].iloc[0]
        ax.axhline(random_return, color="grey", ls=":", lw=1, label="random policy")
        percent_remaining_axis(ax, sub["percent_remaining"])
        n = sub.groupby("paradigm")["seed"].nunique().min()
        ax.set_title(f"{task} (n = {n} seeds)")
        ax.set_ylabel("best return (mean ± 1 std)")
        ax.legend(fontsize=8)
    fig.suptitle("IMP tickets, RL vs behavioural cloning (the setting of Vischer et al., Fig. 2)")
    fig.tight_layout()
    return fig

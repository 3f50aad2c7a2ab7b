"""The claim-1 sensitivity figure: per task (rows) and metric (columns), every arm's BC − RL critical-level
difference per seed and its mean, at one threshold; drawn from the sensitivity table only."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..core.statistics import REPRODUCED
from ..infra import plotting  # noqa: F401 - the non-interactive backend

METRIC_TITLES = {"best": "best return", "last3": "last 3 evaluations", "final": "final return"}


def plot_sensitivity(table: pd.DataFrame, threshold: float):
    """Rows: tasks; columns: metrics; x: arms (base first). Dots: one seed's BC − RL critical level (jittered; an
    open dot where one of the pair's chains had a disconnected level); black bar: the mean over seeds. Above each
    arm: k of n seeds where BC outlasts RL, with a star where the claims' test finds BC > RL."""
    data = table[np.isclose(table["threshold"].astype(float), threshold)]
    tasks = list(dict.fromkeys(data["task"]))
    metrics = list(dict.fromkeys(data["metric"]))
    arms = list(dict.fromkeys(data["arm"]))
    fig, axes = plt.subplots(
        len(tasks),
        len(metrics),
        figsize=(len(metrics) * max(4.0, 0.6 * len(arms) + 1.0), 1.0 + 2.8 * len(tasks)),
        squeeze=False,
    )
    rng = np.random.default_rng(0)  # the jitter only, so that the figure is the same on every run
    for row, task in enumerate(tasks):
        for col, metric in enumerate(metrics):
            ax = axes[row][col]
            sub = data[(data["task"] == task) & (data["metric"] == metric)]
            ax.axhline(0, color="grey", lw=0.8)
            for x, arm in enumerate(arms):
                group = sub[sub["arm"] == arm]
                if group.empty:
                    continue
                jitter = rng.uniform(-0.15, 0.15, len(group))
                lost = (group["rl_disconnected_levels"] + group["bc_disconnected_levels"]).to_numpy() > 0
                y = group["difference"].to_numpy(dtype=float)
                ax.scatter(x + jitter[~lost], y[~lost], s=18, color="tab:blue", alpha=0.8)
                ax.scatter(x + jitter[lost], y[lost], s=18, facecolors="none", edgecolors="tab:blue")
                mean = float(group["mean_difference"].iloc[0])
                ax.hlines(mean, x - 0.3, x + 0.3, color="black", lw=2)
                first = group.iloc[0]
                star = " *" if first["verdict"] == REPRODUCED else ""
                ax.annotate(
                    f"{int(first['k_bc_outlasts'])}/{int(first['n'])}{star}",
                    (x, 1.0),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
            ax.set_xticks(range(len(arms)), arms, rotation=45, ha="right", fontsize=7)
            ax.set_xlim(-0.6, len(arms) - 0.4)
            ax.set_ylabel("BC − RL (levels)")
            ax.set_title(f"{task}: {METRIC_TITLES.get(metric, metric)}", fontsize=9, pad=14)
    fig.suptitle(
        f"Claim 1 sensitivity: critical level BC − RL per seed (≥ {threshold:g} of dense), bar: mean\n"
        "k/n: seeds where BC outlasts RL; *: the one-sided test finds BC > RL; open dot: a disconnected level",
        fontsize=9,
    )
    fig.tight_layout()
    return fig

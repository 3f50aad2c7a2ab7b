"""Figures, drawn from the tidy tables only."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

PERCENT_TICKS = [100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1]
PARADIGM_LABELS = {"rl": "RL (PPO)", "bc": "Behavioural cloning"}
PARADIGM_COLOURS = {"RL (PPO)": "tab:red", "Behavioural cloning": "tab:blue"}


def plot_rl_vs_bc(table: pd.DataFrame):
    """Fig. 2: best performance vs % weights remaining (log x, sparser to the right), mean ± 1 std over seeds,
    RL vs BC, one panel per task."""
    data = table.assign(Paradigm=table["paradigm"].map(PARADIGM_LABELS))
    tasks = sorted(data["task"].unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        sub = data[data["task"] == task]
        sns.lineplot(
            data=sub,
            x="percent_remaining",
            y="best_return",
            hue="Paradigm",
            palette=PARADIGM_COLOURS,
            errorbar="sd",
            marker="o",
            markersize=4,
            ax=ax,
        )
        random_return = sub["random_return"].iloc[0]
        ax.axhline(random_return, color="grey", ls=":", lw=1, label="random policy")
        ax.set_xscale("log")
        ticks = [t for t in PERCENT_TICKS if sub["percent_remaining"].min() * 0.9 <= t <= 100]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.invert_xaxis()
        n = sub.groupby("paradigm")["seed"].nunique().min()
        ax.set_title(f"{task} (n = {n} seeds)")
        ax.set_xlabel("% weights remaining (actor)")
        ax.set_ylabel("best return (mean ± 1 std)")
        ax.legend(fontsize=8)
    fig.suptitle("IMP tickets, RL vs behavioural cloning (the setting of Vischer et al., Fig. 2)")
    fig.tight_layout()
    return fig

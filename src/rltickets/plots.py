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


def plot_rl_vs_bc(table: pd.DataFrame):
    """Fig. 2: best performance vs % weights remaining (log x, sparser to the right), mean ± 1 std over seeds,
    RL vs BC, one panel per task."""
    data = table.assign(Paradigm=table["paradigm"].map(PARADIGM_LABELS))
    tasks = sorted(data["task"].unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        sub = data[data["task"] == task]
        mean_sd_lines(ax, sub, "best_return", "Paradigm", PARADIGM_COLOURS)
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


CONDITION_LABELS = {
    "mask_weights": "mask / weights  m ⊙ W (ticket)",
    "mask_permuted": "mask / permuted  m ⊙ W'",
    "permuted_permuted": "permuted / permuted  m' ⊙ W'",
    "random_reinit": "random / reinit  m~ ⊙ W~",
}
CONDITION_COLOURS = dict(
    zip(CONDITION_LABELS.values(), ["black", "tab:green", "tab:orange", "tab:purple"], strict=True)
)


def _conditions_panel(ax, data: pd.DataFrame, y: str) -> None:
    labelled = data.assign(Condition=data["condition"].map(CONDITION_LABELS))
    order = [c for c in CONDITION_LABELS.values() if c in set(labelled["Condition"])]
    mean_sd_lines(ax, labelled, y, "Condition", CONDITION_COLOURS, order)
    percent_remaining_axis(ax, data["percent_remaining"])
    ax.legend(fontsize=7)


def plot_conditions(table: pd.DataFrame, tasks: list[str], title: str, normalised: bool = False):
    """The ticket and its disentangling baselines vs % weights remaining: rows = tasks, columns = RL / BC.

    Best return (or normalised performance) per level, mean ± 1 std over seeds; baselines are trained at the
    levels listed in the config, the ticket at every level."""
    paradigms = [p for p in ("rl", "bc") if p in set(table["paradigm"])]
    y = "normalised_best" if normalised else "best_return"
    fig, axes = plt.subplots(
        len(tasks), len(paradigms), figsize=(4.8 * len(paradigms), 3.4 * len(tasks)), squeeze=False
    )
    for row, task in zip(axes, tasks, strict=True):
        for ax, paradigm in zip(row, paradigms, strict=True):
            sub = table[(table["task"] == task) & (table["paradigm"] == paradigm)]
            _conditions_panel(ax, sub, y)
            if not normalised:
                ax.axhline(sub["random_return"].iloc[0], color="grey", ls=":", lw=1)
            ax.set_title(f"{task}, {PARADIGM_LABELS[paradigm]} (n = {sub['seed'].nunique()} seeds)", fontsize=9)
            ax.set_ylabel("normalised performance" if normalised else "best return (mean ± 1 std)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_conditions_task_average(table: pd.DataFrame, tasks: list[str], title: str):
    """Fig. 1 right: normalised performance of the 4 conditions averaged over `tasks` (each seed's curve
    normalised by its own dense and random returns), one panel per paradigm; bands ± 1 std over task×seed."""
    sub = table[table["task"].isin(tasks)]
    paradigms = [p for p in ("rl", "bc") if p in set(sub["paradigm"])]
    fig, axes = plt.subplots(1, len(paradigms), figsize=(5.2 * len(paradigms), 3.8), squeeze=False)
    for ax, paradigm in zip(axes[0], paradigms, strict=True):
        data = sub[sub["paradigm"] == paradigm]
        # Levels share their % remaining across tasks only approximately (rounding): average x per level.
        data = data.assign(percent_remaining=data.groupby("level")["percent_remaining"].transform("mean"))
        _conditions_panel(ax, data, "normalised_best")
        ax.axhline(0, color="grey", ls=":", lw=1)
        ax.set_title(f"{PARADIGM_LABELS[paradigm]}: mean over {', '.join(tasks)}", fontsize=9)
        ax.set_ylabel("normalised performance")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_summary_panels(table: pd.DataFrame, task: str, paradigm: str, title: str):
    """Poster summary for one task: (left) BC vs RL tickets, normalised; (right) `paradigm`'s baselines."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    tickets = table[(table["task"] == task) & (table["condition"] == "mask_weights")]
    labelled = tickets.assign(Paradigm=tickets["paradigm"].map(PARADIGM_LABELS))
    mean_sd_lines(left, labelled, "normalised_best", "Paradigm", PARADIGM_COLOURS)
    percent_remaining_axis(left, tickets["percent_remaining"])
    left.set_title(f"{task}: supervised (BC) vs RL tickets", fontsize=9)
    left.set_ylabel("normalised performance")
    baselines = table[(table["task"] == task) & (table["paradigm"] == paradigm)]
    _conditions_panel(right, baselines, "normalised_best")
    right.set_title(f"{task}, {PARADIGM_LABELS[paradigm]}: disentangling baselines", fontsize=9)
    right.set_ylabel("normalised performance")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_run_statistics(table: pd.DataFrame):
    """Where the run's compute went: core-hours per rule (bars; wall time, one thread per job) and each rule's
    median wall time per job, with the median start-up (interpreter and imports, or the hand-over to a warm
    worker) drawn over it."""
    table = table.sort_values("wall_total_s", ascending=True)
    hours = table["wall_total_s"] / 3600
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.35 * len(table) + 1.5), sharey=True)
    left.barh(table["rule"], hours, color="tab:blue")
    left.set_xlabel("core-hours (wall time of all jobs; one thread per job)")
    for y, (value, jobs) in enumerate(zip(hours, table["jobs"], strict=True)):
        left.annotate(f" {jobs} jobs", (value, y), va="center", fontsize=8)
    right.barh(table["rule"], table["wall_median_s"], color="tab:grey", label="median wall time")
    right.barh(table["rule"], table["startup_median_s"].fillna(0), color="tab:orange", label="of which start-up")
    right.set_xlabel("per job (s)")
    right.legend(loc="lower right", fontsize=8)
    startup = table["startup_total_s"].sum() / table["wall_total_s"].sum()
    fig.suptitle(
        f"Run statistics from benchmark: files: {int(table['jobs'].sum())} jobs, {hours.sum():.2f} core-hours, "
        f"{100 * startup:.1f} % of it start-up"
    )
    fig.tight_layout()
    return fig

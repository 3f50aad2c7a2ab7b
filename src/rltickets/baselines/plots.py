"""The ticket against its disentangling baselines: the poster's toy-env panel, Fig. 1 right, the poster summary."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..imp.plots import mark_disconnected
from ..infra.plotting import PARADIGM_COLOURS, PARADIGM_LABELS, mean_sd_lines, percent_remaining_axis

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
    mark_disconnected(ax, data, y)
    percent_remaining_axis(ax, data["percent_remaining"])
    ax.legend(fontsize=7)


def plot_conditions(table: pd.DataFrame, tasks: list[str], title: str, normalised: bool = False):
    """The ticket and its disentangling baselines vs % weights remaining: rows = tasks, columns = RL / BC.

    Best return (or normalised performance) per level, mean ± 1 std over seeds; baselines are trained at the
    levels listed in the config, the ticket at every level. An x marks each disconnected network."""
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
    mark_disconnected(left, tickets, "normalised_best")
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

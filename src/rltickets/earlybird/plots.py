"""Figures of the Early-Bird study (thesis Fig. 3.3-3.8), drawn from results/tables/earlybird_runs.csv and the
Exp 1 similarity matrices. Every function returns a matplotlib Figure; saving is the caller's job."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLOURS = {"rewind": "#e0a800", "finetune": "#7b3294", "winning_ticket": "black", "unpruned": "grey"}
LABELS = {"rewind": "retrained (m ⊙ θ0)", "finetune": "fine-tuned (m ⊙ θ_e)"}


def plot_mask_similarity(similarity: dict[str, tuple[np.ndarray, dict[float, np.ndarray]]]):
    """Fig. 3.3: one heatmap per task (rows) and P (columns) of the mean mask similarity 1 − h."""
    tasks = list(similarity)
    fractions = sorted({p for _, per_p in similarity.values() for p in per_p})
    fig, axes = plt.subplots(
        len(tasks), len(fractions), figsize=(3.2 * len(fractions), 3.0 * len(tasks)), squeeze=False
    )
    for row, task in enumerate(tasks):
        episodes, per_p = similarity[task]
        for col, p in enumerate(fractions):
            ax = axes[row][col]
            matrix = per_p[p]
            if matrix.size:
                extent = (episodes[0], episodes[-1], episodes[-1], episodes[0])
                image = ax.imshow(matrix, cmap="viridis", extent=extent, interpolation="nearest")
                fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
            ax.set_title(f"{task}, P = {p:g}", fontsize=9)
            ax.set_xlabel("episode")
            ax.set_ylabel("episode")
    fig.suptitle("Mask similarity 1 − h between masks drawn every few episodes (mean over repetitions)")
    fig.tight_layout()
    return fig


def _mean_sd(data: pd.DataFrame, by: str, column: str) -> pd.DataFrame:
    return data.groupby(by)[column].agg(["mean", "std", "count"]).reset_index()


def _reference_line(ax, values: pd.Series, colour: str, style: str, label: str) -> None:
    if values.empty:
        return
    mean = values.mean()
    ax.axhline(mean, color=colour, linestyle=style, linewidth=1.2, label=label)
    if len(values) > 1:
        sd = values.std(ddof=1)
        ax.axhspan(mean - sd, mean + sd, color=colour, alpha=0.08)


def plot_against_prune_episode(runs: pd.DataFrame, experiment: str):
    """Fig. 3.4 (experiment='rewind') / Fig. 3.7 ('finetune'): per task, test return (top) and episodes to early
    stopping after pruning (bottom) against e_prune, one line per P (mean ± sd over repetitions), with the
    unpruned networks' mean as a grey line."""
    tasks = sorted(runs["task"].unique())
    fig, axes = plt.subplots(2, len(tasks), figsize=(5.5 * len(tasks), 6.5), squeeze=False, sharex="col")
    cmap = plt.get_cmap("viridis")
    fractions = sorted(runs.loc[runs["experiment"] == experiment, "prune_fraction"].unique())
    for col, task in enumerate(tasks):
        data = runs[runs["task"] == task]
        unpruned = data[data["experiment"] == "unpruned"]
        for row, column in enumerate(("test_return", "train_episodes")):
            ax = axes[row][col]
            for i, p in enumerate(fractions):
                part = data[(data["experiment"] == experiment) & (data["prune_fraction"] == p)]
                stats = _mean_sd(part, "prune_episode", column)
                colour = cmap(i / max(1, len(fractions) - 1) * 0.85)
                ax.errorbar(
                    stats["prune_episode"],
                    stats["mean"],
                    yerr=stats["std"],
                    marker="o",
                    ms=3,
                    capsize=2,
                    color=colour,
                    label=f"P = {p:g}",
                )
            _reference_line(ax, unpruned[column], COLOURS["unpruned"], "-", "unpruned (early stopping)")
            ax.set_ylabel("test return (greedy)" if column == "test_return" else "episodes to early stopping")
            if row == 0:
                ax.set_title(f"{task}: {LABELS[experiment]}")
            else:
                ax.set_xlabel("e_prune (episode at which pruned)")
        axes[0][col].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_retrain_vs_finetune(runs: pd.DataFrame, task: str):
    """Fig. 3.5 (CartPole) / 3.6 (Acrobot): per P, retrained vs fine-tuned networks against e_prune, with the
    one-shot winning ticket (dashed black) and the unpruned network (grey)."""
    data = runs[runs["task"] == task]
    fractions = sorted(data.loc[data["experiment"].isin(["rewind", "finetune"]), "prune_fraction"].unique())
    fig, axes = plt.subplots(
        2, max(1, len(fractions)), figsize=(3.6 * max(1, len(fractions)), 6), squeeze=False, sharex=True
    )
    for col, p in enumerate(fractions):
        at_p = data[data["prune_fraction"] == p]
        for row, column in enumerate(("test_return", "train_episodes")):
            ax = axes[row][col]
            for experiment in ("rewind", "finetune"):
                stats = _mean_sd(at_p[at_p["experiment"] == experiment], "prune_episode", column)
                ax.errorbar(
                    stats["prune_episode"],
                    stats["mean"],
                    yerr=stats["std"],
                    marker="o",
                    ms=3,
                    capsize=2,
                    color=COLOURS[experiment],
                    label=LABELS[experiment],
                )
            winning = at_p[at_p["experiment"] == "winning_ticket"]
            _reference_line(ax, winning[column], COLOURS["winning_ticket"], "--", "winning ticket (pruned at ES)")
            _reference_line(
                ax, data.loc[data["experiment"] == "unpruned", column], COLOURS["unpruned"], ":", "unpruned"
            )
            if row == 0:
                ax.set_title(f"P = {p:g}")
            else:
                ax.set_xlabel("e_prune")
            if col == 0:
                ax.set_ylabel("test return (greedy)" if column == "test_return" else "episodes to early stopping")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{task}: retrained vs fine-tuned EB tickets")
    fig.tight_layout()
    return fig


def plot_exploit(runs: pd.DataFrame):
    """Fig. 3.8: EB Exploit per task: test return against P (P = 0 is the unpruned network, top) and the search
    and fine-tune lengths stacked, next to the unpruned network's episodes to early stopping (bottom)."""
    tasks = sorted(runs["task"].unique())
    fig, axes = plt.subplots(2, len(tasks), figsize=(5 * len(tasks), 6.5), squeeze=False)
    for col, task in enumerate(tasks):
        data = runs[runs["task"] == task]
        unpruned = data[data["experiment"] == "unpruned"]
        exploit = data[data["experiment"] == "eb_exploit"]
        fractions = sorted(exploit["prune_fraction"].unique())
        labels = ["0"] + [f"{p:g}" for p in fractions]
        perf_means = [unpruned["test_return"].mean()] + [
            exploit.loc[exploit["prune_fraction"] == p, "test_return"].mean() for p in fractions
        ]
        perf_sds = [unpruned["test_return"].std(ddof=1)] + [
            exploit.loc[exploit["prune_fraction"] == p, "test_return"].std(ddof=1) for p in fractions
        ]
        x = np.arange(len(labels))
        top = axes[0][col]
        top.errorbar(x, perf_means, yerr=np.nan_to_num(perf_sds), marker="o", capsize=3, color="black")
        top.set_xticks(x, labels)
        top.set_ylabel("test return (greedy)")
        top.set_title(f"{task}: EB Exploit")
        bottom = axes[1][col]
        search = [0.0] + [exploit.loc[exploit["prune_fraction"] == p, "search_episodes"].mean() for p in fractions]
        tune = [0.0] + [exploit.loc[exploit["prune_fraction"] == p, "train_episodes"].mean() for p in fractions]
        bottom.bar(x, search, color="#4c72b0", label="search (until the EB point)")
        bottom.bar(x, tune, bottom=search, color=COLOURS["finetune"], label="fine-tune (until early stopping)")
        bottom.bar([0], [unpruned["train_episodes"].mean()], color=COLOURS["unpruned"], label="unpruned")
        bottom.set_xticks(x, labels)
        bottom.set_xlabel("P (fraction pruned)")
        bottom.set_ylabel("episodes")
        bottom.legend(fontsize=7)
    fig.tight_layout()
    return fig

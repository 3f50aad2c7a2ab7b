"""Figures of the minimal-task-representation stage (docs/protocol.md §1.6 items 4-5), drawn from tidy tables only."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from ..infra.plotting import PARADIGM_LABELS, PERCENT_TICKS  # noqa: E402

LABELS = {**PARADIGM_LABELS, "supervised": "Supervised"}
RESCALING_LABELS = {
    "none": "default init",
    "layer_equalized": "layer-equalised init [R]",
    "input_layer_matched": "input layer matched to hidden [R]",
    "obs_standardized": "standardised observations [R]",
}


def shown_levels(levels) -> list[int]:
    """Level 0, the middle level and the last one (the poster's "IMP iteration 0 vs 20")."""
    levels = sorted(set(int(k) for k in levels))
    last = levels[-1]
    mid = min(levels, key=lambda k: abs(k - last / 2))
    return sorted({levels[0], mid, last})


def _is_state_vector(frame: pd.DataFrame) -> pd.Series:
    return frame["channel"].isna() | (frame["channel"].astype(str) == "")


def mean_image(frame: pd.DataFrame) -> np.ndarray:
    """Mean survival over seeds of one channel at one level, as a (row, col) image."""
    means = frame.groupby(["row", "col"])["survival"].mean().reset_index()
    image = np.full((int(means["row"].max()) + 1, int(means["col"].max()) + 1), np.nan)
    image[means["row"].astype(int), means["col"].astype(int)] = means["survival"]
    return image


def plot_input_masks(input_mask: pd.DataFrame):
    """Fig. 1 left / poster "IMP iteration 0 vs 20": surviving fraction of each input unit's first-layer weights,
    mean over seeds, per digit pixel (supervised) and per cell of every gridworld channel (RL, BC)."""
    data = input_mask[(input_mask["init_rescaling"] == "none") & ~_is_state_vector(input_mask)]
    panels = []  # (label, frame of one task/paradigm/channel)
    for (task, paradigm, channel), frame in data.groupby(["task", "paradigm", "channel"], sort=False):
        panels.append((f"{task}\n{LABELS.get(paradigm, paradigm)}\n{channel}", frame))
    order = {"supervised": 0, "rl": 1, "bc": 2}
    panels.sort(key=lambda p: order.get(p[1]["paradigm"].iloc[0], 3))
    if not panels:
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.text(0.5, 0.5, "no image tasks in this run", ha="center", va="center")
        ax.axis("off")
        return fig
    levels = shown_levels(data["level"])
    fig, axes = plt.subplots(len(panels), len(levels), figsize=(2.2 * len(levels) + 1.2, 1.9 * len(panels)))
    axes = np.atleast_2d(axes).reshape(len(panels), len(levels))
    image = None
    for row, (label, frame) in enumerate(panels):
        n_seeds = frame["seed"].nunique()
        for col, level in enumerate(levels):
            ax = axes[row, col]
            at_level = frame[frame["level"] == level]
            if len(at_level):
                image = ax.imshow(mean_image(at_level), vmin=0, vmax=1, cmap="viridis")
                percent = 100 * at_level["fraction_remaining"].mean()
                ax.set_title(f"level {level} ({percent:.3g}% left)", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(f"{label}\nn = {n_seeds}", fontsize=7)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.3, label="surviving fraction of input weights")
    fig.suptitle("Input-layer masks of IMP tickets (mean over seeds)", fontsize=10)
    return fig


def _percent_axis(ax, frame: pd.DataFrame) -> None:
    """Log x axis of % weights remaining, sparser to the right, with plain-number ticks (as in Fig. 2)."""
    ax.set_xscale("log")
    ticks = [t for t in PERCENT_TICKS if frame["percent_remaining"].min() * 0.9 <= t <= 100]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.invert_xaxis()
    ax.set_xlabel("% weights remaining (actor)")
    ax.set_ylim(-0.03, 1.03)


def plot_state_dims(input_mask: pd.DataFrame):
    """Poster II-IV: surviving fraction of each named state dimension's input weights vs sparsity, RL vs BC."""
    data = input_mask[(input_mask["init_rescaling"] == "none") & _is_state_vector(input_mask)].copy()
    data["percent_remaining"] = 100 * data["fraction_remaining"]
    tasks = sorted(data["task"].unique())
    paradigms = [p for p in ("rl", "bc") if p in set(data["paradigm"])]
    if not tasks:
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.text(0.5, 0.5, "no state-vector tasks in this run", ha="center", va="center")
        ax.axis("off")
        return fig
    fig, axes = plt.subplots(len(tasks), len(paradigms), figsize=(5 * len(paradigms), 3.2 * len(tasks)), squeeze=False)
    for row, task in enumerate(tasks):
        for col, paradigm in enumerate(paradigms):
            ax = axes[row, col]
            sub = data[(data["task"] == task) & (data["paradigm"] == paradigm)]
            if len(sub) == 0:
                ax.axis("off")
                continue
            sns.lineplot(data=sub, x="percent_remaining", y="survival", hue="input_name", errorbar="sd", ax=ax)
            _percent_axis(ax, sub)
            ax.set_ylabel("surviving fraction of input weights")
            ax.set_title(f"{task}, {LABELS[paradigm]} (n = {sub['seed'].nunique()} seeds)", fontsize=9)
            ax.legend(fontsize=6, title=None, loc="lower left")
    fig.suptitle("Which state dimensions the tickets keep (mean ± 1 std over seeds)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_masked_input(curves: pd.DataFrame):
    """Poster I: dense agents trained on the observation with the ticket's pruned input units removed, against
    agents on the full observation (mean return vs steps, ± 1 std over seeds shaded)."""
    tasks = sorted(curves["task"].unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        sub = curves[curves["task"] == task].copy()
        inputs = sub.groupby("variant")["n_inputs"].mean()
        names = {"full": "full observation", "pruned": "pruned inputs removed"}
        sub["observation"] = [f"{names.get(v, v)} ({inputs[v]:.0f} inputs)" for v in sub["variant"]]
        sns.lineplot(data=sub, x="step", y="mean_return", hue="observation", errorbar="sd", ax=ax)
        ax.set_title(f"{task} (n = {sub['seed'].nunique()} seeds)", fontsize=9)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("mean return (deterministic evaluation)")
        ax.legend(fontsize=7, title=None)
    fig.suptitle("Training curves for the sparsified observation", fontsize=10)
    fig.tight_layout()
    return fig


def plot_init_rescaling(input_mask: pd.DataFrame, consistency: pd.DataFrame):
    """Poster "Extra": input masks under the default init and each init rescaling (our reconstructions [R]), and
    how well the seeds identify the same inputs: per level, the mean ± 1 sd over seeds of the leave-one-out rank
    agreement of the input-survival vectors (claim 4's measure)."""
    rescaled = consistency[consistency["init_rescaling"] != "none"][["task", "paradigm"]].drop_duplicates()
    pairs = [tuple(p) for p in rescaled.itertuples(index=False)]
    if not pairs:
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.text(0.5, 0.5, "no init-rescaling chains in this run", ha="center", va="center")
        ax.axis("off")
        return fig
    known = [s for s in RESCALING_LABELS if s in set(consistency["init_rescaling"])]
    settings = known + sorted(set(consistency["init_rescaling"]) - set(known))
    fig, axes = plt.subplots(len(pairs), len(settings) + 1, figsize=(4.6 * (len(settings) + 1), 3.2 * len(pairs)))
    axes = np.atleast_2d(axes).reshape(len(pairs), len(settings) + 1)
    for row, (task, paradigm) in enumerate(pairs):
        chain = input_mask[(input_mask["task"] == task) & (input_mask["paradigm"] == paradigm)].copy()
        chain["percent_remaining"] = 100 * chain["fraction_remaining"]
        for col, setting in enumerate(settings):
            ax = axes[row, col]
            sub = chain[chain["init_rescaling"] == setting]
            if len(sub) == 0:
                ax.axis("off")
                continue
            if _is_state_vector(sub).all():
                sns.lineplot(data=sub, x="percent_remaining", y="survival", hue="input_name", errorbar="sd", ax=ax)
                ax.legend(fontsize=6, title=None, loc="lower left")
            else:  # image inputs: mean survival per channel
                sns.lineplot(data=sub, x="percent_remaining", y="survival", hue="channel", errorbar="sd", ax=ax)
            _percent_axis(ax, sub)
            ax.set_ylabel("surviving fraction of input weights")
            ax.set_title(f"{task}, {LABELS[paradigm]}: {RESCALING_LABELS.get(setting, setting)}", fontsize=8)
        ax = axes[row, -1]
        sub = consistency[(consistency["task"] == task) & (consistency["paradigm"] == paradigm)]
        for setting in settings:
            line = sub[sub["init_rescaling"] == setting].sort_values("level")
            line = line[line["identification_n"] > 0]
            ax.errorbar(
                line["percent_remaining"],
                line["identification_mean"],
                yerr=line["identification_sd"].fillna(0),
                marker="o",
                ms=3,
                capsize=2,
                label=setting,
            )
        _percent_axis(ax, sub)
        ax.set_xlim(sub["percent_remaining"].max() * 1.1, sub["percent_remaining"].min() / 1.1)  # as the mask panels
        ax.set_ylim(-1.05, 1.05)
        ax.axhline(0, color="grey", lw=0.8, ls=":")
        ax.set_ylabel("rank agreement with the other seeds\n(Spearman, mean ± 1 sd over seeds)")
        ax.set_title(f"identification across seeds (n = {int(sub['n_seeds'].min())} seeds)", fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle("Input masks with and without init rescaling (reconstructions [R])", fontsize=10)
    fig.tight_layout()
    return fig

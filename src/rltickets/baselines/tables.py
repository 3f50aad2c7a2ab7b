"""The baselines stage's tidy tables: every condition of every level (conditions.csv), the mask share and the
three-way split of the ticket effect (mask_share.csv)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..core.statistics import GREATER, agreement_text, summarise
from ..core.tasks import TASKS
from ..imp.tables import IMP_COLUMNS, LEVEL_KEYS, METRIC_KEYS, disconnected_flags, level_row, normalise
from ..infra.artifacts import load_json

TICKET_CONDITION = "mask_weights"
CONDITION_KEYS = ("condition", *LEVEL_KEYS)
CONDITIONS_COLUMNS = ("condition", *IMP_COLUMNS)
# The ticket effect (ticket - random/reinit, normalised) in three parts that add up to it: what the init values,
# the mask's structure and the layer-wise ratios each add (docs/protocol.md §1.4).
SPLIT = {
    "init_values": (TICKET_CONDITION, "mask_permuted"),
    "mask_structure": ("mask_permuted", "permuted_permuted"),
    "layer_ratios": ("permuted_permuted", "random_reinit"),
}
SPLIT_LABELS = {
    "init_values": "ticket - mask/permuted",
    "mask_structure": "mask/permuted - permuted/permuted",
    "layer_ratios": "permuted/permuted - random/reinit",
}


def conditions_table(tickets: pd.DataFrame, baseline_paths: Iterable[str]) -> pd.DataFrame:
    """The tickets (imp.csv, condition `mask_weights`) and their baselines in one tidy table.

    Baselines are normalised exactly like their ticket: by the same seed's dense (level-0 ticket) best return
    and the task's random-policy return, so all four conditions share one scale per seed. `disconnected` is each
    network's own flag (a random mask can leave no path where the ticket's mask keeps one).
    """
    rows = []
    for path in baseline_paths:
        m = load_json(path, required_keys=(*METRIC_KEYS, "condition"))
        rows.append({"condition": m["condition"], **level_row(m)})
    references = ["random_return", "dense_best_return", "dense_last3_return"]
    reference = tickets.groupby(["task", "paradigm", "seed"])[references].first()
    columns = [*CONDITION_KEYS, "last3_return", "disconnected", "percent_remaining"]
    baselines = pd.DataFrame(rows, columns=columns)
    baselines = baselines.join(reference, on=["task", "paradigm", "seed"])
    table = pd.concat([tickets.assign(condition=TICKET_CONDITION), baselines], ignore_index=True)
    table["disconnected"] = disconnected_flags(table)
    table = normalise(table)
    table["action_space"] = table["task"].map(lambda t: TASKS[t].action_space if t in TASKS else "unknown")
    columns = ["condition", "action_space", "paradigm", "task", "seed", "level", "fraction_remaining"]
    columns += ["percent_remaining", "disconnected", "best_return", "final_return", "last3_return", "random_return"]
    columns += ["dense_best_return", "dense_last3_return", "normalised_best", "normalised_final", "normalised_last3"]
    return table[columns].sort_values(["task", "paradigm", "condition", "seed", "level"], ignore_index=True)


def _wide(conditions: pd.DataFrame, metric: str = "best") -> pd.DataFrame:
    """One row per (task, paradigm, seed, level) of the ticket chains: each condition's normalised performance
    and disconnected flag as columns, `baseline_level` where any baseline was trained. Every run gets a row, even
    one whose normalisation is undefined (dense no better than random) or that has no baselines: it then reports
    no usable level instead of silently vanishing."""
    keys = ["task", "paradigm", "seed", "level"]
    runs = pd.MultiIndex.from_frame(conditions[keys].drop_duplicates())
    frame = conditions.assign(_disconnected=disconnected_flags(conditions).astype(float))
    needed = [TICKET_CONDITION, "mask_permuted", "permuted_permuted", "random_reinit"]
    values = frame.pivot_table(index=keys, columns="condition", values=f"normalised_{metric}", dropna=False)
    values = values.reindex(index=runs, columns=needed)
    flags = frame.pivot_table(index=keys, columns="condition", values="_disconnected", aggfunc="max")
    flags = flags.reindex(index=runs, columns=needed).fillna(0).astype(bool)
    present = frame[frame["condition"] != TICKET_CONDITION].groupby(keys).size().reindex(runs).notna()
    wide = values.join(flags.add_suffix("_disconnected")).reset_index()
    wide["baseline_level"] = present.to_numpy()
    # Per (seed, level) where baselines were trained: disconnected networks among the four, and the ticket's flag.
    wide["n_disconnected"] = np.where(wide["baseline_level"], flags.to_numpy().sum(axis=1), 0)
    wide["ticket_disconnected"] = wide["baseline_level"] & flags[TICKET_CONDITION].to_numpy()
    return wide


def mask_share_per_seed(conditions: pd.DataFrame, min_gap: float) -> pd.DataFrame:
    """docs/protocol.md §1.4 per (task, paradigm, seed): the mean over levels of
    (perf(mask_permuted) - perf(random_reinit)) / (perf(mask_weights) - perf(random_reinit)), on normalised best
    performance, over the levels where the ticket beats random/reinit by at least `min_gap` (otherwise the
    ratio divides by noise). Also the three-way split (`SPLIT`: the mean of each difference over the levels where
    all four conditions ran, so the parts add up to ticket - random/reinit) and the mean gap mask_permuted - ticket.

    Disconnected networks: a level whose *ticket* is disconnected is left out of the share and the split (its
    mask/permuted shares the mask, so the ticket effect is undefined there), counted in `n_levels_ticket_disconnected`.
    A disconnected *baseline* (a random mask with no path left) enters with its measured performance: that is what
    its construction does at this sparsity. `n_disconnected` counts every disconnected network of the seed's levels.
    """
    wide = _wide(conditions)
    wide["denominator"] = wide[TICKET_CONDITION] - wide["random_reinit"]
    wide["share"] = (wide["mask_permuted"] - wide["random_reinit"]) / wide["denominator"]
    wide["gap"] = wide["mask_permuted"] - wide[TICKET_CONDITION]
    for part, (upper, lower) in SPLIT.items():
        wide[part] = wide[upper] - wide[lower]
    rows = []
    for (task, paradigm, seed), group in wide.groupby(["task", "paradigm", "seed"], sort=True):
        connected = group[~group["ticket_disconnected"]]
        used = connected[
            connected["denominator"].notna() & connected["share"].notna() & (connected["denominator"] >= min_gap)
        ]
        row = {
            "task": task,
            "paradigm": paradigm,
            "seed": seed,
            "mask_share": float(used["share"].mean()) if len(used) else np.nan,
            "n_levels": len(used),
            "levels_used": " ".join(str(int(k)) for k in used["level"]),
            "mask_permuted_gap": float(group["gap"].mean()),
            "n_levels_ticket_disconnected": int(group["ticket_disconnected"].sum()),
            "n_disconnected": int(group["n_disconnected"].sum()),
        }
        # The split over the levels where all four conditions ran, so that its parts add up to the ticket effect.
        complete = connected[connected[list(SPLIT)].notna().all(axis=1)]
        for part in SPLIT:
            row[part] = float(complete[part].mean()) if len(complete) else np.nan
        row["n_split_levels"] = len(complete)
        rows.append(row)
    return pd.DataFrame(rows)


def mask_share(
    conditions: pd.DataFrame, min_gap: float, min_n: int = 5, test: str = "wilcoxon", alpha: float = 0.05
) -> pd.DataFrame:
    """Per task and paradigm: the mask share over seeds (mean, std, 95 % t-interval, the one-sided exact test of
    share > 0.5, "k of n seeds agree") with the verdict of "the mask accounts for most of the ticket effect", and
    the three-way split of the ticket effect, each part with its mean, t-interval and seeds above 0."""
    per_seed = mask_share_per_seed(conditions, min_gap)
    rows = []
    for (task, paradigm), group in per_seed.groupby(["task", "paradigm"], sort=True):
        stats = summarise(group["mask_share"], null=0.5, test=test)
        if stats.n == 0:
            verdict = "undefined (no level where the ticket beats random/reinit by min_gap, or dense <= random)"
        else:
            outcome = stats.verdict(min_n, alpha, GREATER)
            verdict = {"reproduced": "mask share > 0.5", "not reproduced": "mask share < 0.5"}.get(outcome, outcome)
        row = {
            "task": task,
            "paradigm": paradigm,
            "mask_share_mean": stats.mean,
            "mask_share_std": stats.sd,
            "ci95_low": stats.ci95_low,
            "ci95_high": stats.ci95_high,
            "test": test,
            "p_value": stats.p_greater,
            "k_agree": stats.k_greater,
            "agreement": agreement_text(stats.k_greater, stats.n),
            "n_seeds": stats.n,
            "n_levels_used": int(group["n_levels"].sum()),
            "min_gap": min_gap,
            "mask_permuted_minus_ticket": float(group["mask_permuted_gap"].mean()),
            "n_levels_ticket_disconnected": int(group["n_levels_ticket_disconnected"].sum()),
            "n_disconnected": int(group["n_disconnected"].sum()),
            "n_split_levels": int(group["n_split_levels"].sum()),
            "verdict": verdict,
        }
        for part in SPLIT:
            part_stats = summarise(group[part], null=0.0, test=test)
            row |= {
                f"{part}_mean": part_stats.mean,
                f"{part}_ci95_low": part_stats.ci95_low,
                f"{part}_ci95_high": part_stats.ci95_high,
                f"{part}_k_positive": part_stats.k_greater,
                f"{part}_n": part_stats.n,
            }
        rows.append(row)
    return pd.DataFrame(rows)

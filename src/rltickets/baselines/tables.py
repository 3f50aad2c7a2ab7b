"""The baselines stage's tidy tables: every condition of every level (conditions.csv) and the mask share."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..core.statistics import bootstrap_ci
from ..core.tasks import TASKS
from ..imp.tables import IMP_COLUMNS
from ..infra.artifacts import load_json

TICKET_CONDITION = "mask_weights"
CONDITION_KEYS = ("condition", "paradigm", "task", "seed", "level", "fraction_remaining", "best_return", "final_return")
CONDITIONS_COLUMNS = ("condition", *IMP_COLUMNS)


def conditions_table(tickets: pd.DataFrame, baseline_paths: Iterable[str]) -> pd.DataFrame:
    """The tickets (imp.csv, condition `mask_weights`) and their baselines in one tidy table.

    Baselines are normalised exactly like their ticket: by the same seed's dense (level-0 ticket) best return
    and the task's random-policy return, so all four conditions share one scale per seed.
    """
    rows = []
    for path in baseline_paths:
        m = load_json(path, required_keys=CONDITION_KEYS)
        rows.append({**{k: m[k] for k in CONDITION_KEYS}, "percent_remaining": 100.0 * m["fraction_remaining"]})
    reference = tickets.groupby(["task", "paradigm", "seed"])[["random_return", "dense_best_return"]].first()
    baselines = pd.DataFrame(rows, columns=[*CONDITION_KEYS, "percent_remaining"])
    baselines = baselines.join(reference, on=["task", "paradigm", "seed"])
    table = pd.concat([tickets.assign(condition=TICKET_CONDITION), baselines], ignore_index=True)
    span = (table["dense_best_return"] - table["random_return"]).where(lambda s: s > 0)
    table["normalised_best"] = (table["best_return"] - table["random_return"]) / span
    table["normalised_final"] = (table["final_return"] - table["random_return"]) / span
    table["action_space"] = table["task"].map(lambda t: TASKS[t].action_space if t in TASKS else "unknown")
    columns = ["condition", "action_space", "paradigm", "task", "seed", "level", "fraction_remaining"]
    columns += ["percent_remaining", "best_return", "final_return", "random_return", "dense_best_return"]
    columns += ["normalised_best", "normalised_final"]
    return table[columns].sort_values(["task", "paradigm", "condition", "seed", "level"], ignore_index=True)


def mask_share_per_seed(conditions: pd.DataFrame, min_gap: float) -> pd.DataFrame:
    """docs/protocol.md §1.4 per (task, paradigm, seed): the mean over levels of
    (perf(mask_permuted) - perf(random_reinit)) / (perf(mask_weights) - perf(random_reinit)), on normalised best
    performance, over the levels where the ticket beats random/reinit by at least `min_gap` (otherwise the
    ratio divides by noise). Also the mean gap mask_permuted - ticket, to judge whether it tracks the ticket."""
    needed = [TICKET_CONDITION, "mask_permuted", "random_reinit"]
    # Every run gets a row, even one whose normalisation is undefined (dense no better than random): it then
    # reports no usable level instead of silently vanishing from the table.
    keys = ["task", "paradigm", "seed", "level"]
    runs = pd.MultiIndex.from_frame(conditions[keys].drop_duplicates())
    wide = conditions.pivot_table(index=keys, columns="condition", values="normalised_best")
    wide = wide.reindex(index=runs, columns=needed).reset_index()
    wide["denominator"] = wide[TICKET_CONDITION] - wide["random_reinit"]
    wide["share"] = (wide["mask_permuted"] - wide["random_reinit"]) / wide["denominator"]
    wide["gap"] = wide["mask_permuted"] - wide[TICKET_CONDITION]
    rows = []
    for (task, paradigm, seed), group in wide.groupby(["task", "paradigm", "seed"], sort=True):
        used = group[group["denominator"].notna() & group["share"].notna() & (group["denominator"] >= min_gap)]
        rows.append(
            {
                "task": task,
                "paradigm": paradigm,
                "seed": seed,
                "mask_share": float(used["share"].mean()) if len(used) else np.nan,
                "n_levels": len(used),
                "levels_used": " ".join(str(int(k)) for k in used["level"]),
                "mask_permuted_gap": float(group["gap"].mean()),
            }
        )
    return pd.DataFrame(rows)


def mask_share(conditions: pd.DataFrame, min_gap: float) -> pd.DataFrame:
    """Per task and paradigm: the mask share's mean, spread (std, 95% bootstrap CI over seeds) and n, and the
    verdict of the claim "the mask accounts for most of the ticket effect" (share > 0.5)."""
    per_seed = mask_share_per_seed(conditions, min_gap)
    rows = []
    for (task, paradigm), group in per_seed.groupby(["task", "paradigm"], sort=True):
        shares = group["mask_share"].dropna().to_numpy()
        low, high = bootstrap_ci(shares)
        mean = float(shares.mean()) if len(shares) else np.nan
        if len(shares) == 0:
            verdict = "undefined (no level where the ticket beats random/reinit by min_gap, or dense <= random)"
        elif low > 0.5:
            verdict = "mask share > 0.5"
        elif high < 0.5:
            verdict = "mask share < 0.5"
        else:
            verdict = "inconclusive at this n"
        rows.append(
            {
                "task": task,
                "paradigm": paradigm,
                "mask_share_mean": mean,
                "mask_share_std": float(shares.std(ddof=1)) if len(shares) > 1 else np.nan,
                "ci95_low": low,
                "ci95_high": high,
                "n_seeds": len(shares),
                "n_levels_used": int(group["n_levels"].sum()),
                "min_gap": min_gap,
                "mask_permuted_minus_ticket": float(group["mask_permuted_gap"].mean()),
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)

"""Tidy tables from the per-level metrics: the only inputs of the figures."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .artifacts import load_json

LEVEL_KEYS = ("paradigm", "task", "seed", "level", "fraction_remaining", "best_return", "final_return")


def imp_table(metric_paths: Iterable[str], random_paths: Iterable[str]) -> pd.DataFrame:
    """One row per (paradigm, task, seed, level), with returns normalised by random and dense performance.

    normalised = (R - R_random) / (R_dense - R_random), R_dense = the same seed's level-0 best (PROTOCOL §1.3).
    """
    random_return = {}
    for path in random_paths:
        record = load_json(path, required_keys=("task", "mean_return"))
        random_return[record["task"]] = record["mean_return"]
    rows = []
    for path in metric_paths:
        m = load_json(path, required_keys=LEVEL_KEYS)
        rows.append(
            {
                **{k: m[k] for k in LEVEL_KEYS},
                "percent_remaining": 100.0 * m["fraction_remaining"],
                "wall_time_s": m.get("wall_time_s", np.nan),
            }
        )
    table = pd.DataFrame(rows).sort_values(["task", "paradigm", "seed", "level"], ignore_index=True)
    table["random_return"] = table["task"].map(random_return)
    dense = table[table["level"] == 0].set_index(["task", "paradigm", "seed"])["best_return"]
    table["dense_best_return"] = [
        dense.get((t, p, s), np.nan) for t, p, s in table[["task", "paradigm", "seed"]].values
    ]
    span = table["dense_best_return"] - table["random_return"]
    span = span.where(span > 0)  # dense no better than random: normalisation undefined
    table["normalised_best"] = (table["best_return"] - table["random_return"]) / span
    table["normalised_final"] = (table["final_return"] - table["random_return"]) / span
    return table


def critical_sparsity(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Per task and paradigm: the highest sparsity up to which the mean best performance stays >= threshold
    of dense, measured as (mean R - R_random) / (mean R_dense - R_random) so that negative returns
    (Acrobot) are handled. "Stays" means every level up to it passes, not only the level itself.
    """
    rows = []
    for (task, paradigm), group in table.groupby(["task", "paradigm"], sort=True):
        per_level = group.groupby("level").agg(
            percent_remaining=("percent_remaining", "mean"),
            mean_best=("best_return", "mean"),
            std_best=("best_return", "std"),
            n_seeds=("seed", "nunique"),
        )
        random_return = float(group["random_return"].iloc[0])
        dense_mean = float(per_level.loc[0, "mean_best"]) if 0 in per_level.index else np.nan
        # A dense agent no better than random has no performance to keep: the ratio is undefined.
        span = dense_mean - random_return if dense_mean > random_return else np.nan
        per_level["relative"] = (per_level["mean_best"] - random_return) / span
        passing = (per_level["relative"] >= threshold).to_numpy()
        n_pass = int(np.argmin(passing)) if not passing.all() else len(passing)
        critical = per_level.iloc[n_pass - 1] if n_pass > 0 else None
        last = per_level.iloc[-1]
        rows.append(
            {
                "task": task,
                "paradigm": paradigm,
                "n_seeds": int(per_level["n_seeds"].min()),
                "threshold": threshold,
                "random_return": random_return,
                "dense_mean_best": dense_mean,
                "critical_level": int(per_level.index[n_pass - 1]) if critical is not None else np.nan,
                "critical_percent_remaining": critical["percent_remaining"] if critical is not None else np.nan,
                "critical_sparsity_percent": 100 - critical["percent_remaining"] if critical is not None else np.nan,
                "sparsest_level": int(per_level.index[-1]),
                "sparsest_percent_remaining": last["percent_remaining"],
                "sparsest_mean_best": last["mean_best"],
                "sparsest_std_best": last["std_best"],
                "sparsest_relative": last["relative"],
            }
        )
    return pd.DataFrame(rows)

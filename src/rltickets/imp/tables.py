"""The IMP stage's tidy tables: one row per level of every ticket chain (imp.csv), and the critical sparsity."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..infra.artifacts import load_json

LEVEL_KEYS = ("paradigm", "task", "seed", "level", "fraction_remaining", "best_return", "final_return")


# What the readers of imp.csv and conditions.csv need, so a damaged table fails with a clear error.
IMP_COLUMNS = (*LEVEL_KEYS, "percent_remaining", "random_return", "dense_best_return", "normalised_best")


def imp_table(metric_paths: Iterable[str], random_paths: Iterable[str]) -> pd.DataFrame:
    """One row per (paradigm, task, seed, level), with returns normalised by random and dense performance.

    normalised = (R - R_random) / (R_dense - R_random), R_dense = the same seed's level-0 best (docs/protocol.md §1.3).
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


def leading_passes(relative: np.ndarray, threshold: float) -> int:
    """How many levels, from level 0 on and without a break, stay >= threshold (an undefined value fails)."""
    passing = np.asarray(relative, dtype=float) >= threshold
    return len(passing) if passing.all() else int(np.argmin(passing))


def critical_level_per_seed(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Per (task, paradigm, seed): the last level up to which the seed's normalised best performance stays
    >= threshold (the per-seed counterpart of `critical_sparsity`, so that its spread over seeds is known)."""
    rows = []
    for (task, paradigm, seed), group in table.groupby(["task", "paradigm", "seed"], sort=True):
        group = group.sort_values("level")
        n_pass = leading_passes(group["normalised_best"].to_numpy(), threshold)
        last = group.iloc[n_pass - 1] if n_pass else None
        rows.append(
            {
                "task": task,
                "paradigm": paradigm,
                "seed": seed,
                "critical_level": int(last["level"]) if last is not None else np.nan,
                "critical_percent_remaining": float(last["percent_remaining"]) if last is not None else np.nan,
                "sparsest_level": int(group["level"].max()),
            }
        )
    return pd.DataFrame(rows)


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
        n_pass = leading_passes(per_level["relative"].to_numpy(), threshold)
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

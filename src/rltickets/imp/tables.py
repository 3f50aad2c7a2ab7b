"""The IMP stage's tidy tables: one row per level of every ticket chain (imp.csv), and the critical sparsity."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..core.tasks import base_task_id
from ..infra.artifacts import load_json

LEVEL_KEYS = ("paradigm", "task", "seed", "level", "fraction_remaining", "best_return", "final_return")
# Also read from every level's metrics.json: the evaluation history (for last3_return) and the connectivity flag.
METRIC_KEYS = (*LEVEL_KEYS, "history", "disconnected")
# How many of the last evaluations `last3_return` averages.
LAST_EVALUATIONS = 3
# The per-level performance measures and their normalised columns (claim 1 is reported under best and last3).
METRICS = {"best": "best_return", "final": "final_return", "last3": "last3_return"}


# What the readers of imp.csv and conditions.csv need, so a damaged table fails with a clear error.
IMP_COLUMNS = (
    *LEVEL_KEYS,
    "last3_return",
    "disconnected",
    "percent_remaining",
    "random_return",
    "dense_best_return",
    "dense_last3_return",
    "normalised_best",
    "normalised_last3",
)


def last_evaluations_mean(history: list[dict], n: int = LAST_EVALUATIONS) -> float:
    """Mean return of the last `n` evaluations of a level's history (all of them if it has fewer)."""
    returns = [float(h["mean_return"]) for h in history]
    return float(np.mean(returns[-n:])) if returns else np.nan


def level_row(metrics: dict) -> dict:
    """One level's metrics.json as a row of imp.csv / conditions.csv (without the normalisation)."""
    return {
        **{k: metrics[k] for k in LEVEL_KEYS},
        "last3_return": last_evaluations_mean(metrics["history"]),
        "disconnected": bool(metrics["disconnected"]),
        "percent_remaining": 100.0 * metrics["fraction_remaining"],
        "wall_time_s": metrics.get("wall_time_s", np.nan),
    }


def normalise(table: pd.DataFrame) -> pd.DataFrame:
    """normalised_<metric> = (R - R_random) / (R_dense - R_random), NaN where dense is no better than random.

    R_dense is the same seed's level-0 network under the same measure where the table has it: the best return for
    best and final (as before), the level-0 last3 return for last3, so that the dense network is 1 under each
    measure it is judged by (claim 1 under last3 would otherwise start below its own threshold)."""
    for metric, column in METRICS.items():
        dense = table["dense_last3_return"] if metric == "last3" else table["dense_best_return"]
        span = (dense - table["random_return"]).where(lambda s: s > 0)
        table[f"normalised_{metric}"] = (table[column] - table["random_return"]) / span
    return table


def imp_table(metric_paths: Iterable[str], random_paths: Iterable[str]) -> pd.DataFrame:
    """One row per (paradigm, task, seed, level), with returns normalised by random and dense performance.

    normalised = (R - R_random) / (R_dense - R_random), R_dense = the same seed's level-0 best (docs/protocol.md §1.3),
    for the best return and the final one; `last3_return` (the mean of the level's last three evaluations) is
    normalised by the level-0 last3 return (`dense_last3_return`).
    `disconnected` is the level's flag (a masked layer empty, or no input-to-output path left).
    """
    random_return = {}
    for path in random_paths:
        record = load_json(path, required_keys=("task", "mean_return"))
        random_return[record["task"]] = record["mean_return"]
    return imp_table_of([load_json(path, required_keys=METRIC_KEYS) for path in metric_paths], random_return)


def imp_table_of(metrics: Iterable[dict], random_return: dict[str, float]) -> pd.DataFrame:
    """`imp_table` of level metrics already read, with each base task's random-policy return."""
    rows = [level_row(m) for m in metrics]
    table = pd.DataFrame(rows).sort_values(["task", "paradigm", "seed", "level"], ignore_index=True)
    # A variant chain of the sensitivity study (`<task>@<arm>`) is measured against its base task's random policy.
    table["random_return"] = table["task"].map(base_task_id).map(random_return)
    dense = table[table["level"] == 0].set_index(["task", "paradigm", "seed"])
    keys = [tuple(k) for k in table[["task", "paradigm", "seed"]].values]
    for measure in ("best", "last3"):
        table[f"dense_{measure}_return"] = [dense[f"{measure}_return"].get(k, np.nan) for k in keys]
    return normalise(table)


def disconnected_flags(table: pd.DataFrame) -> pd.Series:
    """The `disconnected` column as booleans (all False for a synthetic table without the column)."""
    if "disconnected" not in table.columns:
        return pd.Series(False, index=table.index)
    return table["disconnected"].astype(str).str.lower().isin(["true", "1", "1.0"])


def leading_passes(relative: np.ndarray, threshold: float) -> int:
    """How many levels, from level 0 on and without a break, stay >= threshold (an undefined value fails)."""
    passing = np.asarray(relative, dtype=float) >= threshold
    return len(passing) if passing.all() else int(np.argmin(passing))


def critical_level_per_seed(table: pd.DataFrame, threshold: float, metric: str = "best") -> pd.DataFrame:
    """Per (task, paradigm, seed): the last level up to which the seed's normalised performance (`metric`: best,
    last3 or final) stays >= threshold (the per-seed counterpart of `critical_sparsity`).

    A disconnected level (no input-to-output path, or an empty layer) counts as a failure whatever its return: a
    constant policy is not a working ticket. `n_disconnected` says how many of the seed's levels were.
    """
    column = f"normalised_{metric}"
    table = table.assign(_disconnected=disconnected_flags(table))
    rows = []
    for (task, paradigm, seed), group in table.groupby(["task", "paradigm", "seed"], sort=True):
        group = group.sort_values("level")
        passing = np.where(group["_disconnected"].to_numpy(), -np.inf, group[column].to_numpy(dtype=float))
        n_pass = leading_passes(passing, threshold)
        last = group.iloc[n_pass - 1] if n_pass else None
        first_disconnected = group.loc[group["_disconnected"], "level"]
        rows.append(
            {
                "task": task,
                "paradigm": paradigm,
                "seed": seed,
                "metric": metric,
                "critical_level": int(last["level"]) if last is not None else np.nan,
                "critical_percent_remaining": float(last["percent_remaining"]) if last is not None else np.nan,
                "sparsest_level": int(group["level"].max()),
                "n_disconnected": int(group["_disconnected"].sum()),
                "first_disconnected_level": int(first_disconnected.min()) if len(first_disconnected) else np.nan,
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
        per_level = (
            group.assign(_disconnected=disconnected_flags(group))
            .groupby("level")
            .agg(
                percent_remaining=("percent_remaining", "mean"),
                mean_best=("best_return", "mean"),
                std_best=("best_return", "std"),
                n_seeds=("seed", "nunique"),
                n_disconnected=("_disconnected", "sum"),
            )
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
                # Reported, not averaged away: how many seed x level networks of this chain were disconnected.
                "n_disconnected": int(per_level["n_disconnected"].sum()),
                "first_disconnected_level": (
                    int(per_level.index[per_level["n_disconnected"] > 0][0])
                    if (per_level["n_disconnected"] > 0).any()
                    else np.nan
                ),
            }
        )
    return pd.DataFrame(rows)

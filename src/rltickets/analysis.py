"""Tidy tables from the per-level metrics: the only inputs of the figures."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .artifacts import load_json

LEVEL_KEYS = ("paradigm", "task", "seed", "level", "fraction_remaining", "best_return", "final_return")
# What the readers of imp.csv and conditions.csv need, so a damaged table fails with a clear error.
IMP_COLUMNS = (*LEVEL_KEYS, "percent_remaining", "random_return", "dense_best_return", "normalised_best")
CONDITIONS_COLUMNS = ("condition", *IMP_COLUMNS)


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


# ---- Disentangling baselines (PROTOCOL §1.4) ----
TICKET_CONDITION = "mask_weights"
CONDITION_KEYS = ("condition", "paradigm", "task", "seed", "level", "fraction_remaining", "best_return", "final_return")


def conditions_table(tickets: pd.DataFrame, baseline_paths: Iterable[str]) -> pd.DataFrame:
    """The tickets (imp.csv, condition `mask_weights`) and their baselines in one tidy table.

    Baselines are normalised exactly like their ticket: by the same seed's dense (level-0 ticket) best return
    and the task's random-policy return, so all four conditions share one scale per seed.
    """
    from .tasks import TASKS

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
    """PROTOCOL §1.4 per (task, paradigm, seed): the mean over levels of
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


def bootstrap_ci(values: np.ndarray, n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean (seeded, so tables are reproducible)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.nan, np.nan
    if len(values) == 1:
        return float(values[0]), float(values[0])
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(n_resamples, len(values)), replace=True).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


# ---- Run statistics (Snakemake `benchmark:` files and the jobs' own usage records) ----
BENCHMARK_COLUMNS = ("s", "max_rss", "cpu_time")
USAGE_KEYS = ("cpu_s", "max_rss_mb", "startup_s", "work_s", "warm")


def job_costs(benchmark_dir: str | Path) -> pd.DataFrame:
    """One row per job that has a `benchmark:` file: rule, wall seconds (Snakemake's, from process start to exit),
    and from the job's own usage record beside it (rltickets.workflow.usage_path) CPU seconds, peak memory, the
    seconds of start-up and of work, and whether it ran warm; without a record, Snakemake's sampled cpu_time and
    max_rss, and no start-up."""
    from .artifacts import load_csv, load_json

    root = Path(benchmark_dir)
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        frame = load_csv(path, BENCHMARK_COLUMNS, sep="\t", na_values=["-", "NA"])
        usage_file = path.with_name(path.stem + ".usage.json")
        usage = load_json(usage_file, USAGE_KEYS) if usage_file.exists() else None
        for record in frame[list(BENCHMARK_COLUMNS)].to_dict("records"):
            row = {"rule": path.relative_to(root).parts[0], "job": path.relative_to(root).with_suffix("").as_posix()}
            row["wall_s"] = record["s"]
            if usage is None:
                row.update(cpu_s=record["cpu_time"], max_rss_mb=record["max_rss"])
                row.update(startup_s=np.nan, work_s=np.nan, warm=np.nan)
            else:
                row.update({k: usage[k] for k in USAGE_KEYS})
            rows.append(row)
    return pd.DataFrame(rows, columns=["rule", "job", "wall_s", *USAGE_KEYS])


def run_statistics(benchmark_dir: str | Path) -> pd.DataFrame:
    """Per rule (the first folder under `benchmark_dir`): jobs, wall and CPU time, peak memory, and the share of
    wall time spent starting up (interpreter, imports, or handing over to a warm worker; rltickets.worker)."""
    jobs = job_costs(benchmark_dir)
    table = jobs.groupby("rule").agg(
        jobs=("wall_s", "size"),
        wall_total_s=("wall_s", "sum"),
        wall_median_s=("wall_s", "median"),
        wall_max_s=("wall_s", "max"),
        cpu_total_s=("cpu_s", "sum"),
        max_rss_mb=("max_rss_mb", "max"),
        startup_total_s=("startup_s", lambda s: s.sum(min_count=1)),
        startup_median_s=("startup_s", "median"),
        warm_jobs=("warm", lambda w: int((w == True).sum())),  # noqa: E712 - NaN (no record) is neither
    )
    # Jobs run one torch thread each, so wall time is the core time they held.
    table["core_hours"] = table["wall_total_s"] / 3600
    table["share"] = table["wall_total_s"] / table["wall_total_s"].sum()
    table["startup_share"] = table["startup_total_s"] / table["wall_total_s"]
    return table.sort_values("wall_total_s", ascending=False).reset_index()

"""What a run cost: per rule, from Snakemake's `benchmark:` files and the jobs' own usage records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..infra.artifacts import load_csv, load_json

# ---- Run statistics (Snakemake `benchmark:` files and the jobs' own usage records) ----
BENCHMARK_COLUMNS = ("s", "max_rss", "cpu_time")


USAGE_KEYS = ("cpu_s", "max_rss_mb", "startup_s", "work_s", "warm")


def job_costs(benchmark_dir: str | Path) -> pd.DataFrame:
    """One row per job that has a `benchmark:` file: rule, wall seconds (Snakemake's, from process start to exit),
    and from the job's own usage record beside it (rltickets.infra.jobs.usage_path) CPU seconds, peak memory, the
    seconds of start-up and of work, and whether it ran warm; without a record, Snakemake's sampled cpu_time and
    max_rss, and no start-up."""
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
    wall time spent starting up (interpreter, imports, or handing over to a warm worker; rltickets.infra.worker)."""
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

"""What a run cost: per rule, from Snakemake's `benchmark:` files (wall and CPU time, peak memory of the job's
process tree, start-up included)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..infra.artifacts import load_csv

BENCHMARK_COLUMNS = ("s", "max_rss", "cpu_time")


def job_costs(benchmark_dir: str | Path) -> pd.DataFrame:
    """One row per job that has a `benchmark:` file: rule, job (its path under `benchmark_dir`), wall seconds,
    CPU seconds and peak memory (MB) as Snakemake measured them."""
    root = Path(benchmark_dir)
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        frame = load_csv(path, BENCHMARK_COLUMNS, sep="\t", na_values=["-", "NA"])
        job = {"rule": path.relative_to(root).parts[0], "job": path.relative_to(root).with_suffix("").as_posix()}
        for record in frame[list(BENCHMARK_COLUMNS)].to_dict("records"):
            rows.append({**job, "wall_s": record["s"], "cpu_s": record["cpu_time"], "max_rss_mb": record["max_rss"]})
    return pd.DataFrame(rows, columns=["rule", "job", "wall_s", "cpu_s", "max_rss_mb"])


def run_statistics(benchmark_dir: str | Path) -> pd.DataFrame:
    """Per rule (the first folder under `benchmark_dir`): jobs, wall and CPU time, peak memory."""
    jobs = job_costs(benchmark_dir)
    table = jobs.groupby("rule").agg(
        jobs=("wall_s", "size"),
        wall_total_s=("wall_s", "sum"),
        wall_median_s=("wall_s", "median"),
        wall_max_s=("wall_s", "max"),
        cpu_total_s=("cpu_s", "sum"),
        max_rss_mb=("max_rss_mb", "max"),
    )
    # Jobs run one torch thread each, so wall time is the core time they held.
    table["core_hours"] = table["wall_total_s"] / 3600
    table["share"] = table["wall_total_s"] / table["wall_total_s"].sum()
    return table.sort_values("wall_total_s", ascending=False).reset_index()

"""Where a run's compute went (from results/tables/run_statistics.csv)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..infra import plotting  # noqa: F401 - selects the non-interactive backend


def plot_run_statistics(table: pd.DataFrame):
    """Where the run's compute went: core-hours per rule (bars; wall time, one thread per job) and each rule's
    median wall time per job."""
    table = table.sort_values("wall_total_s", ascending=True)
    hours = table["wall_total_s"] / 3600
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.35 * len(table) + 1.5), sharey=True)
    left.barh(table["rule"], hours, color="tab:blue")
    left.set_xlabel("core-hours (wall time of all jobs; one thread per job)")
    for y, (value, jobs) in enumerate(zip(hours, table["jobs"], strict=True)):
        left.annotate(f" {jobs} jobs", (value, y), va="center", fontsize=8)
    right.barh(table["rule"], table["wall_median_s"], color="tab:grey", label="median wall time")
    right.set_xlabel("per job (s)")
    right.legend(loc="lower right", fontsize=8)
    cpu_hours = table["cpu_total_s"].sum() / 3600
    fig.suptitle(
        f"Run statistics from benchmark: files: {int(table['jobs'].sum())} jobs, {hours.sum():.2f} core-hours "
        f"(wall), {cpu_hours:.2f} CPU-hours"
    )
    fig.tight_layout()
    return fig

"""Benchmark (b): Snakemake + interpreter start-up overhead per job, as a share of the job's wall time.

Goal: <= 5% on the default config. Measured side by side in one run:

1. start-up in fresh interpreters (median of --repeats): bare Python; Snakemake's `script:` preamble (unpickling
   the `snakemake` object imports snakemake.io/logging); and everything workflow_scripts/imp_level.py imports
   (torch, stable-baselines3, gymnasium, the package). Wall and CPU seconds (CPU is robust to a busy machine).
2. real jobs of the default config.yaml in a scratch copy, run with --cores 1: the RL and the BC level 0 of
   CartPole-v1 seed 0 (with their θ0, expert and BC dataset). For each IMP level: the job's wall time from its
   `benchmark:` file, the training time the job measured itself (metrics.json wall_time_s), and the rest
   (= start-up + loading and saving artefacts + pruning).
3. share = start-up / job wall time, for the RL and the BC level, and over the whole default config (the
   README's measured per-job medians weighted by the job counts of `snakemake -n`).

    .venv/bin/python benchmarks/startup_overhead.py [--repeats 5] [--skip-jobs]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import busy_processes, copy_workflow, load, timed_snakemake

IMPORTS = {
    "bare interpreter": "pass",
    "snakemake script preamble": "import pickle; import snakemake.io, snakemake.logging, snakemake.iocontainers",
    "imp_level.py imports (torch, SB3, gymnasium, rltickets)": (
        "import snakemake.io, snakemake.logging, snakemake.iocontainers;"
        "from rltickets import artifacts; from rltickets.bc import check_dataset;"
        "from rltickets.imp import run_level; from rltickets.workflow import provenance, start_job"
    ),
}
LEVEL0 = {
    "rl": "results/imp/rl/CartPole-v1/seed0/level0",
    "bc": "results/imp/bc/CartPole-v1/seed0/level0",
}


def time_import(code: str, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `python -c code` in a fresh interpreter."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return statistics.median(walls), statistics.median(cpus)


def read_benchmark(path: Path) -> dict[str, float]:
    header, values = path.read_text().splitlines()[:2]
    row = dict(zip(header.split("\t"), values.split("\t"), strict=True))
    return {"wall": float(row["s"]), "cpu": float(row["cpu_time"])}


def run_level_jobs(scratch: Path) -> dict[str, dict[str, float]]:
    root = copy_workflow(scratch)
    targets = [f"{d}/metrics.json" for d in LEVEL0.values()]
    seconds, _ = timed_snakemake(root, "--cores", "1", *targets)
    jobs = {}
    for paradigm, level_dir in LEVEL0.items():
        bench = read_benchmark(root / (level_dir.replace("results/imp", "results/benchmarks/imp_level") + ".tsv"))
        trained = json.loads((root / level_dir / "metrics.json").read_text())["wall_time_s"]
        jobs[paradigm] = {**bench, "training": trained}
    jobs["_run_wall"] = {"wall": seconds}
    return jobs


def default_config_job_counts() -> dict[str, int]:
    root = copy_workflow(Path("/tmp/rltickets_bench_startup/dryrun"))
    _, proc = timed_snakemake(root, "-n", "--quiet", "rules")
    counts = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            counts[parts[0]] = int(parts[1])
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-jobs", action="store_true", help="only the import timings")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rltickets_bench_startup/run"))
    args = parser.parse_args()
    print(f"machine: {load()}; other busy processes: {busy_processes() or 'none'}")
    startup = {}
    for name, code in IMPORTS.items():
        wall, cpu = time_import(code, args.repeats)
        startup[name] = (wall, cpu)
        print(f"start-up  {name:58s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  (median of {args.repeats})")
    per_job_wall, per_job_cpu = startup["imp_level.py imports (torch, SB3, gymnasium, rltickets)"]
    if args.skip_jobs:
        return
    jobs = run_level_jobs(args.scratch)
    print(f"real jobs (default config, --cores 1, scratch {args.scratch}): run took {jobs['_run_wall']['wall']:.1f} s")
    for paradigm in LEVEL0:
        job = jobs[paradigm]
        rest = job["wall"] - job["training"]
        print(
            f"IMP level 0 {paradigm.upper()}: job wall {job['wall']:6.1f} s, cpu {job['cpu']:6.1f} s; training "
            f"{job['training']:6.1f} s; everything else {rest:5.1f} s ({100 * rest / job['wall']:.1f}%); "
            f"start-up share wall {100 * per_job_wall / job['wall']:.1f}%, cpu {100 * per_job_cpu / job['cpu']:.1f}%"
        )
    counts = default_config_job_counts()
    level_jobs = counts.get("imp_level", 0)
    other_jobs = sum(counts.values()) - level_jobs - counts.get("all", 0)
    # Job-weighted over the default DAG: half the levels are RL, half BC (paradigms: [rl, bc]); the other jobs
    # (experts, θ0, datasets, tables) are counted with the start-up they pay and the wall time they take, which we
    # approximate by the BC level's (the smallest training job), so the estimate errs towards a larger share.
    total_wall = level_jobs / 2 * (jobs["rl"]["wall"] + jobs["bc"]["wall"]) + other_jobs * jobs["bc"]["wall"]
    total_startup = (level_jobs + other_jobs) * per_job_wall
    print(
        f"default config: {level_jobs} level jobs + {other_jobs} others; start-up share of all job wall time "
        f"{100 * total_startup / total_wall:.1f}% (goal <= 5%)"
    )
    print(f"machine after: {load()}")


if __name__ == "__main__":
    main()

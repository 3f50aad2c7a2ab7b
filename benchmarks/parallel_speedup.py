"""Benchmark (d): wall time of the ci config with --cores 1 and with --cores 2, side by side in one run.

Goal: speed-up >= 1.8 on 2 cores. Needs an otherwise idle machine (the ratio is meaningless when other work competes
for the second core); the script prints the load before and after each run so a reader can judge.

    .venv/bin/python benchmarks/parallel_speedup.py [--configfile configs/ci.yaml] [--repeats 1]
"""

from __future__ import annotations

import argparse
import re
import statistics
from pathlib import Path

from _common import busy_processes, copy_workflow, load, timed_snakemake


def run_once(scratch: Path, cores: int, configfile: str) -> tuple[float, int]:
    """Wall seconds of a full run in a fresh copy, and its job count (from a dry-run, not timed)."""
    root = copy_workflow(scratch / f"cores{cores}")
    _, dry = timed_snakemake(root, "-n", "--configfile", configfile)
    totals = re.findall(r"^total\s+(\d+)$", dry.stdout, flags=re.MULTILINE)
    seconds, _ = timed_snakemake(root, "--cores", str(cores), "--configfile", configfile, "--quiet", "progress")
    return seconds, int(totals[-1]) if totals else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="configs/ci.yaml")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rltickets_bench_speedup"))
    args = parser.parse_args()
    serial, parallel = [], []
    for repeat in range(args.repeats):
        for cores, times in ((1, serial), (2, parallel)):
            before, busy = load(), busy_processes()
            seconds, jobs = run_once(args.scratch, cores, args.configfile)
            times.append(seconds)
            print(
                f"repeat {repeat} --cores {cores}: {seconds:7.1f} s, {jobs} jobs | before: {before}; "
                f"other busy processes: {busy or 'none'} | after: {load()}",
                flush=True,
            )
    ratio = statistics.median(serial) / statistics.median(parallel)
    print(
        f"speed-up --cores 2 vs --cores 1 on {args.configfile}: {ratio:.2f} (median {statistics.median(serial):.1f} s"
        f" / {statistics.median(parallel):.1f} s, n={args.repeats}); goal >= 1.8"
    )


if __name__ == "__main__":
    main()

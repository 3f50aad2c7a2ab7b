"""Benchmark (c): dry-run time of the paper DAG (goal <= 20 s) and no-op rerun time (goal <= 30 s).

Measured side by side in one scratch copy of the workflow (nothing is trained):

1. `snakemake -n --configfile configs/paper.yaml` with no results yet: DAG construction for every job.
2. Every output of that dry-run is created as an empty file and `snakemake --touch` orders their timestamps, so
   the whole study looks finished. Then `snakemake -n` (what a user runs to see what is left) and
   `snakemake --cores 1` (a real rerun that must find nothing to do) are timed.
3. Snakemake's own cost per job, on synthetic DAGs of the same shape (chains of 20 levels, each level reading
   θ0 and level k-1 through an input function), built up one directive at a time from the bare shape (one output,
   `shell:`) to a level job of this pipeline (three outputs, log, benchmark, resources, params, script, conda).

    .venv/bin/python benchmarks/dag_time.py [--configfile configs/paper.yaml] [--repeats 3] [--skip-synthetic]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from pathlib import Path

from _common import busy_processes, copy_workflow, load, timed_snakemake


def scheduled_outputs(stdout: str) -> list[str]:
    """Output files of the jobs a dry-run lists (`output: a, b` lines)."""
    files = []
    for line in stdout.splitlines():
        if line.strip().startswith("output:"):
            files += [name.strip() for name in line.split(":", 1)[1].split(",")]
    return files


def job_count(stdout: str) -> int:
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            return int(parts[1])
    raise SystemExit("no job count in the dry-run output")


def median_time(root: Path, repeats: int, *args: str) -> tuple[float, str]:
    """Median wall seconds of `repeats` calls; prints their median CPU seconds too (robust to a busy machine)."""
    times, cpus, out = [], [], ""
    for _ in range(repeats):
        seconds, proc = timed_snakemake(root, *args)
        times.append(seconds)
        cpus.append(proc.cpu_seconds)
        out = proc.stdout + proc.stderr
    print(f"  snakemake {' '.join(args)}: wall {statistics.median(times):.1f} s, cpu {statistics.median(cpus):.1f} s")
    return statistics.median(times), out


SYNTHETIC_CHAINS, SYNTHETIC_LEVELS = 500, 20
# Cumulative: each variant adds one directive of a real level job to the previous one.
SYNTHETIC_VARIANTS = ["bare", "3 outputs", "+ log", "+ benchmark", "+ resources", "+ params", "+ script", "+ conda"]


def synthetic_snakefile(variant: str) -> str:
    """A DAG of SYNTHETIC_CHAINS chains of SYNTHETIC_LEVELS level jobs (+ one root each), with the directives of
    `variant` and all variants before it."""
    upto = set(SYNTHETIC_VARIANTS[: SYNTHETIC_VARIANTS.index(variant) + 1])
    outputs = ['metrics="out/c{chain}/level{level}/metrics.json"']
    if "3 outputs" in upto:
        outputs += ['mask="out/c{chain}/level{level}/mask.pt"', 'weights="out/c{chain}/level{level}/weights.pt"']
    directives = {
        "+ log": 'log:\n        "logs/c{chain}/level{level}.log",',
        "+ benchmark": 'benchmark:\n        "bench/c{chain}/level{level}.tsv"',
        "+ resources": 'resources:\n        runtime="30m",\n        mem_mb=2000,',
        "+ params": 'params:\n        settings=lambda w: {"a": 1, "b": [1, 2]},\n        imp={"x": 1},',
        "+ conda": 'conda:\n        "env.yaml"',
    }
    body = "".join(f"    {text}\n" for name, text in directives.items() if name in upto)
    run = 'script:\n        "job.py"' if "+ script" in upto else 'shell:\n        "touch {output}"'
    last = SYNTHETIC_LEVELS - 1
    return f"""wildcard_constraints:
    chain=r"\\d+",
    level=r"0|[1-9]\\d*",


rule all:
    input:
        expand("out/c{{chain}}/level{last}/metrics.json", chain=range({SYNTHETIC_CHAINS})),


rule root:
    output:
        "out/c{{chain}}/init.pt",
    shell:
        "touch {{output}}"


def level_inputs(wildcards):
    inputs = {{"theta0": f"out/c{{wildcards.chain}}/init.pt"}}
    level = int(wildcards.level)
    if level > 0:
        inputs["previous"] = f"out/c{{wildcards.chain}}/level{{level - 1}}/metrics.json"
    return inputs


rule level:
    input:
        unpack(level_inputs),
    output:
        {", ".join(outputs)},
{body}    {run}
"""


def synthetic_costs(scratch: Path, repeats: int) -> None:
    jobs = SYNTHETIC_CHAINS * (SYNTHETIC_LEVELS + 1)
    print(f"synthetic DAGs of {jobs} jobs ({SYNTHETIC_CHAINS} chains of {SYNTHETIC_LEVELS} levels + a root each):")
    for variant in SYNTHETIC_VARIANTS:
        root = scratch / "synthetic"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        (root / "Snakefile").write_text(synthetic_snakefile(variant))
        (root / "env.yaml").write_text("channels: []\ndependencies: []\n")
        (root / "job.py").write_text("pass\n")
        times = [timed_snakemake(root, "-n")[0] for _ in range(repeats)]
        seconds = statistics.median(times)
        print(f"  {variant:12s} dry-run {seconds:5.1f} s  = {1000 * seconds / jobs:.2f} ms per job")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="configs/paper.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rltickets_bench_dag"))
    parser.add_argument("--skip-synthetic", action="store_true", help="only the paper DAG")
    args = parser.parse_args()
    print(f"machine: {load()}; other busy processes: {busy_processes() or 'none'}")
    root = copy_workflow(args.scratch)
    config = ("--configfile", args.configfile)
    dry, out = median_time(root, args.repeats, "-n", *config)
    jobs = job_count(out)
    print(f"dry-run, nothing built yet: {dry:6.1f} s for {jobs} jobs (median of {args.repeats}); goal <= 20 s")

    outputs = scheduled_outputs(out)
    for name in outputs:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    touch_seconds, _ = timed_snakemake(root, "--touch", "--cores", "1", *config)
    print(f"(created {len(outputs)} empty outputs; snakemake --touch took {touch_seconds:.1f} s)")
    noop_dry, out = median_time(root, args.repeats, "-n", *config)
    if "Nothing to be done" not in out:
        raise SystemExit(f"after --touch the dry-run still schedules jobs:\n{out[-2000:]}")
    noop_run, out = median_time(root, args.repeats, "--cores", "1", *config)
    if "Nothing to be done" not in out:
        raise SystemExit(f"the no-op rerun ran jobs:\n{out[-2000:]}")
    print(f"no-op dry-run, all {jobs} jobs done: {noop_dry:6.1f} s (median of {args.repeats})")
    print(f"no-op rerun (--cores 1), all done:  {noop_run:6.1f} s (median of {args.repeats}); goal <= 30 s")
    if not args.skip_synthetic:
        synthetic_costs(args.scratch, args.repeats)
    print(f"machine after: {load()}")


if __name__ == "__main__":
    main()

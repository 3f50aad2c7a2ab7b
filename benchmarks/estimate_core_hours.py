"""Job count and core-hour estimate of a config, from a dry-run and the per-job times of a real run.

    .venv/bin/python benchmarks/estimate_core_hours.py --configfile configs/paper.yaml [configs/paper_classic.yaml]
        [--benchmarks results/benchmarks] [--times benchmarks/job_times_default.csv] [--benchmark-config config.yaml]
    .venv/bin/python benchmarks/estimate_core_hours.py --write-times benchmarks/job_times_default.csv \
        --benchmarks results/benchmarks        # refresh the committed table after a default run

Per-job times come from the `benchmark:` files of a run (`--benchmarks`, when that folder exists; tables and
figures have none and take seconds), else from the committed table `benchmarks/job_times_default.csv`:
the wall time of every job of a real run of the default config.yaml on this project's machine (written with
--write-times; its header says which run). Every job of
`snakemake -n` (in a scratch copy, so jobs already done here are counted too) gets the median wall time of the
measured jobs of the same rule, task and paradigm, falling back to the same rule and task, then the same rule.
A level job (rules imp_level*, rescaled_imp_level*: every seed of a level, and at `baselines.levels` every
baseline) is timed per network: its measured wall time divided by the networks it trained, times the networks of
the estimated job (`rltickets.imp.level_jobs`). Training jobs are scaled by their training budget relative to the
config the times were measured with (`--benchmark-config`): PPO steps for RL levels and experts, epochs x dataset
size for BC (`bc.epochs` is the maximum under plateau stopping: the scaling assumes the same share of it is used),
transitions for BC datasets, steps for masked-input agents; evaluation budgets and network sizes are not scaled.
MuJoCo tasks that
were not measured take the per-step time of a measured MuJoCo task (InvertedPendulum-v5 in the default config),
marked "extrapolated": a lower bound for their larger networks and costlier physics. Rules without any measured
job are listed as unknown and left out of the total.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import subprocess
from collections import defaultdict
from datetime import date
from pathlib import Path

from _common import REPO, copy_workflow, timed_snakemake

from rltickets.core.tasks import base_task_id, continuous_task_ids
from rltickets.imp.level_jobs import study_level_job_rules
from rltickets.infra.config import load_config
from rltickets.infra.settings import Study
from rltickets.sensitivity.arms import chain_task_settings
from rltickets.summary.run_statistics import job_costs

TASK = re.compile(r"^[A-Za-z0-9_]+-v\d+(?:@[a-z][a-z0-9_]*)?$")  # a task, or a variant chain <task>@<arm>
DEFAULT_TIMES = REPO / "benchmarks" / "job_times_default.csv"
# Rules that train exactly what another rule trains (same network, budget and evaluation), timed as that rule
# when they have no measured job of their own. Level-job families are timed per network. observation_statistics
# (load one expert dataset, save two vectors) does a θ0 transform's work: a seconds-long setup job.
SAME_WORK_AS = {"rescaled_imp_level": "imp_level", "observation_statistics": "rescaled_initial_parameters"}


def networks_per_job(config: dict) -> dict[str, int]:
    """How many networks each generated level rule's jobs train, under `config`."""
    rules = study_level_job_rules(config, Study.from_config(config))
    return {job.name: len(job.seeds) * (1 + len(job.conditions)) for family in rules.values() for job in family}


def level_family(rule: str) -> str:
    """A generated level rule's family (`imp_level_with_baselines_seeds0_4` -> `imp_level`); other rules as they are."""
    for family in ("rescaled_imp_level", "imp_level"):
        if rule == family or rule.startswith(family + "_"):
            return family
    return rule


def parse_dry_run(stdout: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, wildcards) of every job a dry-run lists."""
    jobs: list[tuple[str, dict[str, str]]] = []
    rule: str | None = None
    wildcards: dict[str, str] = {}
    for line in stdout.splitlines():
        text = line.strip()
        if match := re.match(r"^(?:localrule|rule) (\w+):$", text):
            if rule is not None:
                jobs.append((rule, wildcards))
            rule, wildcards = match.group(1), {}
        elif text.startswith("wildcards:") and rule is not None:
            wildcards = dict(pair.split("=", 1) for pair in text.split(":", 1)[1].strip().split(", "))
    if rule is not None:
        jobs.append((rule, wildcards))
    return [(r, w) for r, w in jobs if r != "all"]


def job_key(job: str) -> tuple[str, str | None, str | None]:
    """(rule, paradigm, task) of a benchmark file's path below the benchmarks folder, e.g.
    `imp_level/bc/CartPole-v1/seed0/level3` -> (imp_level, bc, CartPole-v1)."""
    parts = job.split("/")
    paradigm = next((p for p in parts[1:] if p in ("rl", "bc")), None)
    task = next((p for p in parts[1:] if TASK.match(p)), None)
    return parts[0], paradigm, task


def measured_times(benchmarks: Path, config: dict) -> list[tuple[str, str | None, str | None, float]]:
    """Every job of a run of `config` with a benchmark file: its wall time (per network for level jobs)."""
    costs = job_costs(benchmarks)
    networks = networks_per_job(config)
    times = []
    for job, wall in zip(costs["job"], costs["wall_s"], strict=True):
        rule, paradigm, task = job_key(job)
        times.append((level_family(rule), paradigm, task, wall / networks.get(rule, 1)))
    return times


def write_times(path: Path, times: list, source: str) -> None:
    with open(path, "w", newline="") as fh:
        fh.write(f"# Wall time of every job of {source}; see estimate_core_hours.py\n")
        writer = csv.writer(fh)
        writer.writerow(["rule", "paradigm", "task", "wall_s"])
        writer.writerows((r, p or "", t or "", f"{s:.2f}") for r, p, t, s in sorted(times, key=str))


# Tables written before level jobs existed time each baseline network as a job of its own rule.
PER_NETWORK_RULES = {"baseline_level": "imp_level"}


def read_times(path: Path) -> list[tuple[str, str | None, str | None, float]]:
    """A committed times table (per network for level rules)."""
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    return [
        (PER_NETWORK_RULES.get(r["rule"], r["rule"]), r["paradigm"] or None, r["task"] or None, float(r["wall_s"]))
        for r in csv.DictReader(lines)
    ]


def medians(times: list) -> dict[tuple, float]:
    """Median wall time per (rule, paradigm, task), (rule, None, task) and (rule, None, None)."""
    samples: dict[tuple, list[float]] = defaultdict(list)
    for rule, paradigm, task, seconds in times:
        for key in {(rule, paradigm, task), (rule, None, task), (rule, None, None)}:
            samples[key].append(seconds)
    return {key: statistics.median(values) for key, values in samples.items()}


def budget(config: dict, task: str | None, rule: str, paradigm: str | None) -> float | None:
    """The training budget a job spends, in the units its time is proportional to."""
    if rule == "masked_input_agent":
        return config["representations"]["masked_input"]["total_timesteps"]
    settings = chain_task_settings(config).get(task) if task else None
    if settings is None:
        return None
    if rule == "train_expert":
        return settings["expert"]["total_timesteps"]
    if rule == "collect_bc_dataset":
        return settings["bc_data"]["n_transitions"]
    if paradigm == "rl":
        return settings["rl"]["total_timesteps"]
    if paradigm == "bc":
        return settings["bc"]["epochs"] * settings["bc_data"]["n_transitions"]
    return None


def estimate(jobs, per_job: dict[tuple, float], target: dict, reference: dict) -> dict[str, dict]:
    measured_mujoco = sorted({t for (_, _, t) in per_job if t in continuous_task_ids()})
    networks = networks_per_job(target)
    per_rule: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "unknown": 0, "seconds": 0.0, "sources": set()})
    for rule, wildcards in jobs:
        paradigm, task = wildcards.get("paradigm"), wildcards.get("task")
        row = per_rule[rule]
        row["jobs"] += 1
        # A variant chain is timed as its base task, scaled by its own budget (not by its network's width).
        timed_as, timed_task, source = level_family(rule), task and base_task_id(task), "measured"
        while (timed_as, None, None) not in per_job and timed_as in SAME_WORK_AS:
            timed_as = SAME_WORK_AS[timed_as]
        repeats = float(networks.get(rule, 1))  # a level job: its networks, each timed as one measured network
        if timed_task in continuous_task_ids() and (timed_as, None, timed_task) not in per_job and measured_mujoco:
            timed_task, source = measured_mujoco[0], f"extrapolated from {measured_mujoco[0]}"
        keys = [(timed_as, paradigm, timed_task), (timed_as, None, timed_task), (timed_as, None, None)]
        seconds = next((per_job[k] for k in keys if k in per_job), None)
        if seconds is None:
            row["sources"].add("unknown")
            row["unknown"] += 1
            continue
        new, old = budget(target, task, timed_as, paradigm), budget(reference, timed_task, timed_as, paradigm)
        if new and old:
            seconds *= new / old
        row["seconds"] += seconds * repeats
        row["sources"].add(source)
    return per_rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", nargs="+", default=["configs/paper.yaml"], help="overlays, as snakemake's")
    parser.add_argument("--benchmarks", type=Path, default=REPO / "results" / "benchmarks")
    parser.add_argument("--times", type=Path, default=DEFAULT_TIMES, help="used when --benchmarks does not exist")
    parser.add_argument("--benchmark-config", type=Path, default=REPO / "config.yaml")
    parser.add_argument("--write-times", type=Path, help="write the jobs of --benchmarks to this table and stop")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rltickets_estimate"))
    args = parser.parse_args()

    if args.write_times:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
        machine = f"{os.cpu_count()} cores, one torch thread per job"
        source = f"a run of {args.benchmark_config.name} (commit {commit.stdout.strip()}, {date.today()}, {machine})"
        write_times(args.write_times, measured_times(args.benchmarks, load_config(args.benchmark_config)), source)
        print(f"wrote {args.write_times}")
        return
    if args.benchmarks.is_dir():
        times = measured_times(args.benchmarks, load_config(args.benchmark_config.resolve()))
        source = f"the benchmark files under {args.benchmarks}"
    else:
        times, source = read_times(args.times), f"{args.times.name}: {args.times.read_text().splitlines()[0][2:]}"
    root = copy_workflow(args.scratch)
    _, proc = timed_snakemake(root, "-n", "--configfile", *args.configfile)
    jobs = parse_dry_run(proc.stdout)
    # Presets are overlays over config.yaml: estimate with the merged configs, as Snakemake runs them.
    target = load_config(*((root / c).resolve() for c in args.configfile), base=root / "config.yaml")
    reference = load_config(args.benchmark_config.resolve())
    per_rule = estimate(jobs, medians(times), target, reference)

    configs = " ".join(args.configfile)
    print(f"{configs}: {len(jobs)} jobs (+ rule all); per-job times from {source} ({len(times)} jobs)")
    print(f"{'rule':30s} {'jobs':>6s} {'unknown':>8s} {'core-hours':>11s}  source of the per-job time")
    for rule, row in sorted(per_rule.items(), key=lambda item: (-item[1]["seconds"], -item[1]["jobs"])):
        sources = ", ".join(sorted(row["sources"]))
        print(f"{rule:30s} {row['jobs']:6d} {row['unknown']:8d} {row['seconds'] / 3600:11.1f}  {sources}")
    total = sum(row["seconds"] for row in per_rule.values()) / 3600
    unknown = sum(row["unknown"] for row in per_rule.values())
    missing = f"; {unknown} jobs of unknown duration not counted" if unknown else ""
    print(f"total: {total:.1f} core-hours (one core per job){missing}")


if __name__ == "__main__":
    main()

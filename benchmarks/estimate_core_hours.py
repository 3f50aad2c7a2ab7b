"""Job count and core-hour estimate of a config, from a dry-run and the `benchmark:` files of a real run.

    .venv/bin/python benchmarks/estimate_core_hours.py --configfile configs/paper.yaml \
        [--benchmarks results/benchmarks] [--benchmark-config config.yaml]

Every job of `snakemake -n` (run in a scratch copy, so jobs already done in this directory are counted too) gets
the median wall time of the measured jobs of the same rule, task and paradigm (falling back to the same rule and
task, then the same rule), read from the benchmark TSVs (`s` column; one core per job). Training jobs are scaled
by their training budget relative to the config the benchmarks were measured with (`--benchmark-config`): RL
steps for `rl`/`expert`, epochs x dataset size for `bc`; evaluation budgets are not scaled. Rules without any
benchmark file (baseline and rescaled-init levels are timed as IMP levels of the same task and paradigm: the same
training) fall back to the per-job medians of the README's "Measured run times" table (default config,
this machine) and are marked; rules with neither are listed as unknown and left out of the total.
"""

from __future__ import annotations

import argparse
import re
import statistics
from collections import defaultdict
from pathlib import Path

import yaml
from _common import REPO, copy_workflow, timed_snakemake

TASK = re.compile(r"^[A-Za-z0-9_]+-v\d+$")
# README "Measured run times" (default config.yaml, 2 cores, one torch thread per job), used only for rules that
# have no benchmark file. Seconds per job.
README_MEDIANS = {
    ("train_expert", None, "CartPole-v1"): 25.0,
    ("train_expert", None, "Acrobot-v1"): 80.0,  # the README gives 45-115 s
    ("imp_level", "rl", "CartPole-v1"): 28.0,
    ("imp_level", "rl", "Acrobot-v1"): 43.0,
    ("imp_level", "bc", "CartPole-v1"): 7.4,
    ("imp_level", "bc", "Acrobot-v1"): 6.7,
    ("initial_parameters", None, None): 3.5,
    ("collect_bc_dataset", None, None): 3.5,
    ("evaluate_random_policy", None, None): 3.5,
    ("imp_table", None, None): 3.5,
    ("critical_sparsity_table", None, None): 3.5,
    ("plot_rl_vs_bc", None, None): 3.5,
}


# Rules that train exactly what another rule trains (same network, budget and evaluation), timed as that rule.
SAME_WORK_AS = {"baseline_level": "imp_level", "rescaled_imp_level": "imp_level"}


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


def benchmark_medians(directory: Path) -> dict[tuple, float]:
    """Median `s` per (rule, paradigm, task), (rule, None, task) and (rule, None, None) over the TSVs found."""
    samples: dict[tuple, list[float]] = defaultdict(list)
    for tsv in directory.rglob("*.tsv"):
        parts = tsv.relative_to(directory).parts
        lines = tsv.read_text().splitlines()
        if len(lines) < 2:
            continue
        seconds = float(dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=False))["s"])
        rule = parts[0]
        paradigm = next((p for p in parts[1:] if p in ("rl", "bc")), None)
        task = next((p for p in parts[1:] if TASK.match(p)), None)
        for key in {(rule, paradigm, task), (rule, None, task), (rule, None, None)}:
            samples[key].append(seconds)
    return {key: statistics.median(values) for key, values in samples.items()}


def budget(settings: dict, rule: str, paradigm: str | None) -> float | None:
    """The training budget a job of `rule` spends, in the units its time is proportional to."""
    if rule == "train_expert":
        return settings["expert"]["total_timesteps"]
    if paradigm == "rl":
        return settings["rl"]["total_timesteps"]
    if paradigm == "bc":
        return settings["bc"]["epochs"] * settings["bc_data"]["n_transitions"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="configs/paper.yaml")
    parser.add_argument("--benchmarks", type=Path, default=REPO / "results" / "benchmarks")
    parser.add_argument("--benchmark-config", type=Path, default=REPO / "config.yaml")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rltickets_estimate"))
    args = parser.parse_args()

    root = copy_workflow(args.scratch)
    _, proc = timed_snakemake(root, "-n", "--configfile", args.configfile)
    jobs = parse_dry_run(proc.stdout)
    measured = benchmark_medians(args.benchmarks) if args.benchmarks.is_dir() else {}
    target = yaml.safe_load((root / args.configfile).read_text())["task_settings"]
    reference = yaml.safe_load(args.benchmark_config.read_text())["task_settings"]

    per_rule: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "unknown": 0, "seconds": 0.0, "sources": set()})
    for rule, wildcards in jobs:
        paradigm, task = wildcards.get("paradigm"), wildcards.get("task")
        timed_as = SAME_WORK_AS.get(rule, rule)
        keys = [(timed_as, paradigm, task), (timed_as, None, task), (timed_as, None, None)]
        row = per_rule[rule]
        row["jobs"] += 1
        if seconds := next((measured[k] for k in keys if k in measured), None):
            source = "benchmark TSV"
        elif seconds := next((README_MEDIANS[k] for k in keys if k in README_MEDIANS), None):
            source = "README table"
        else:
            row["sources"].add("unknown")
            row["unknown"] += 1
            continue
        if task in target and task in reference:
            new, old = budget(target[task], timed_as, paradigm), budget(reference[task], timed_as, paradigm)
            if new and old:
                seconds *= new / old
        row["seconds"] += seconds
        row["sources"].add(source)

    print(f"{args.configfile}: {len(jobs)} jobs (+ rule all)")
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

# Config validation and the input functions shared by all rules.
from pathlib import Path

from snakemake.exceptions import WorkflowError

from rltickets.config import ConfigError, canonical, check_config

try:
    check_config(config, Path(workflow.basedir) / "schemas" / "config.schema.yaml")
except ConfigError as err:
    raise WorkflowError(str(err)) from None


TASKS = config["tasks"]
SEEDS = config["seeds"]
PARADIGMS = config["paradigms"]
LEVELS = list(range(config["imp"]["levels"] + 1))
# What one level's job reads of `imp:`. Not `levels`: raising it must only add levels, not redo the chain.
IMP_LEVEL_SETTINGS = canonical(
    {k: v for k, v in config["imp"].items() if k != "levels"}
)
# What a level's job reads of its task's settings: BC never uses PPO's hyper-parameters.
LEVEL_SECTIONS = {"rl": ("network", "ppo", "rl"), "bc": ("network", "bc")}


def settings(wildcards, *sections):
    """The sections of one task's settings a job depends on; passed as params, so editing them reruns only that task."""
    return canonical({s: config["task_settings"][wildcards.task][s] for s in sections})


def level_dir(paradigm, task, seed, level):
    return f"results/imp/{paradigm}/{task}/seed{seed}/level{level}"


def imp_level_inputs(wildcards):
    """θ0, and for level k > 0 the mask and trained weights of level k-1; BC also needs its dataset."""
    inputs = {"theta0": f"results/init/{wildcards.task}/seed{wildcards.seed}.pt"}
    level = int(wildcards.level)
    if level > 0:
        previous = level_dir(
            wildcards.paradigm, wildcards.task, wildcards.seed, level - 1
        )
        inputs["previous_masks"] = f"{previous}/mask.pt"
        inputs["previous_weights"] = f"{previous}/weights.pt"
    if wildcards.paradigm == "bc":
        inputs["dataset"] = f"results/bc_data/{wildcards.task}/seed{wildcards.seed}.npz"
    return inputs


def all_level_metrics():
    return [
        f"{level_dir(p, t, s, k)}/metrics.json"
        for p in PARADIGMS
        for t in TASKS
        for s in SEEDS
        for k in LEVELS
    ]


# What `rule all` builds: one function per stage, each next to its own section of this file.
def imp_outputs():
    return [
        "results/tables/imp.csv",
        "results/tables/critical_sparsity.csv",
        "results/figures/fig2_rl_vs_bc.png",
        "results/figures/fig2_rl_vs_bc.pdf",
    ]


# ---- Disentangling baselines and continuous control (rules/baselines.smk) ----
def baseline_outputs():
    return []


# ---- Minimal task representations (rules/representations.smk) ----
def representation_outputs():
    return []


# ---- Early-Bird tickets in DQN (rules/earlybird.smk) ----
def earlybird_outputs():
    return []


def final_outputs():
    return (
        imp_outputs()
        + baseline_outputs()
        + representation_outputs()
        + earlybird_outputs()
    )

# Config validation and the input functions shared by all rules.
import functools
from pathlib import Path

from snakemake.exceptions import WorkflowError

from rltickets.config import (
    CaptionText,
    ConfigError,
    canonical,
    check_config,
    describe_run,
)
from rltickets.tasks import continuous_task_ids

try:
    check_config(config, Path(workflow.basedir) / "schemas" / "config.schema.yaml")
except ConfigError as err:
    raise WorkflowError(str(err)) from None


TASKS = config["tasks"]
# What this run trained, for every report caption (`{{ snakemake.params.run }}`); a CaptionText, so that editing one
# task's budget does not redraw every figure.
RUN_DESCRIPTION = CaptionText(describe_run(config))
SEEDS = config["seeds"]
PARADIGMS = config["paradigms"]
LEVELS = list(range(config["imp"]["levels"] + 1))
# What one level's job reads of `imp:`. Not `levels`: raising it must only add levels, not redo the chain.
IMP_LEVEL_SETTINGS = canonical(
    {k: v for k, v in config["imp"].items() if k != "levels"}
)
# What a level's job reads of its task's settings: BC never uses PPO's hyper-parameters.
LEVEL_SECTIONS = {"rl": ("network", "ppo", "rl"), "bc": ("network", "bc")}


def task_seeds(task):
    """The seeds run for a task: `task_settings.<task>.seeds` if given (e.g. 10 for MuJoCo), else `seeds`."""
    return config["task_settings"][task].get("seeds", SEEDS)


def task_seed_pairs():
    return [(t, s) for t in TASKS for s in task_seeds(t)]


def settings(wildcards, *sections):
    """The sections of one task's settings a job depends on; passed as params, so editing them reruns only that task."""
    return _task_settings(wildcards.task, sections)


@functools.cache  # one copy per task and rule: thousands of jobs share it (DAG time, BENCHMARKS.md (c))
def _task_settings(task, sections):
    return canonical({s: config["task_settings"][task][s] for s in sections})


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
        for t, s in task_seed_pairs()
        for k in LEVELS
    ]


# What the default target builds: one function per stage, each next to its own section of this file.
def imp_outputs():
    return [
        "results/tables/imp.csv",
        "results/tables/critical_sparsity.csv",
        "results/figures/fig2_rl_vs_bc.png",
        "results/figures/fig2_rl_vs_bc.pdf",
    ]


# ---- Disentangling baselines and continuous control (rules/baselines.smk) ----
BASELINE_CONDITIONS = config["baselines"]["conditions"]
BASELINE_LEVELS = config["baselines"]["levels"]
BASELINE_JOBS = config["baselines"]["jobs"]
# The poster's "toy envs" are the discrete classic-control tasks; Fig. 1 right averages the continuous ones.
TOY_TASKS = [t for t in ("CartPole-v1", "Acrobot-v1") if t in TASKS]
CONTINUOUS_TASKS = [t for t in TASKS if t in continuous_task_ids()]


def baseline_dir(condition, paradigm, task, seed, level):
    return f"results/baselines/{paradigm}/{task}/{condition}/seed{seed}/level{level}"


def baseline_job_levels(wildcards):
    """The levels a baseline job trains: its own (`baseline_level`) or all of `baselines.levels` (`baseline_chain`)."""
    return [int(wildcards.level)] if hasattr(wildcards, "level") else BASELINE_LEVELS


def baseline_inputs(wildcards):
    """θ0, the ticket chain's mask at each level the job trains, and for BC the expert dataset."""
    inputs = {
        "theta0": f"results/init/{wildcards.task}/seed{wildcards.seed}.pt",
        "ticket_masks": [
            f"{level_dir(wildcards.paradigm, wildcards.task, wildcards.seed, k)}/mask.pt"
            for k in baseline_job_levels(wildcards)
        ],
    }
    if wildcards.paradigm == "bc":
        inputs["dataset"] = f"results/bc_data/{wildcards.task}/seed{wildcards.seed}.npz"
    return inputs


def baseline_chain_outputs(name):
    """One file of every level folder a `baseline_chain` job writes (the levels are fixed by the config)."""
    return [
        f"{baseline_dir('{condition}', '{paradigm}', '{task}', '{seed}', k)}/{name}"
        for k in BASELINE_LEVELS
    ]


def all_baseline_metrics():
    return [
        f"{baseline_dir(c, p, t, s, k)}/metrics.json"
        for c in BASELINE_CONDITIONS
        for p in PARADIGMS
        for t, s in task_seed_pairs()
        for k in BASELINE_LEVELS
    ]


def baseline_outputs():
    if not (BASELINE_CONDITIONS and BASELINE_LEVELS):
        return []
    figures = []
    if TOY_TASKS:
        figures += ["results/figures/conditions_toy_envs"]
    if CONTINUOUS_TASKS:
        figures += ["results/figures/fig1_conditions_continuous"]
    if "CartPole-v1" in TASKS and set(PARADIGMS) == {"rl", "bc"}:
        figures += ["results/figures/summary_cartpole_pd"]
    return [
        "results/tables/conditions.csv",
        "results/tables/mask_share.csv",
    ] + [f"{f}.{ext}" for f in figures for ext in ("png", "pdf")]


# ---- Minimal task representations (rules/representations.smk) ----
REPR = config["representations"]
REPR_SEEDS = REPR["seeds"]
GRID_TASK = REPR["grid_task"]
MASKED_INPUT = REPR["masked_input"]
RESCALING = REPR["init_rescaling"]
SUPERVISED = config["supervised"]
# What a supervised level reads (like IMP_LEVEL_SETTINGS, `imp.levels` only adds levels).
SUPERVISED_SETTINGS = canonical(
    {k: v for k, v in SUPERVISED.items() if k not in ("dataset",)}
)
REPR_TASKS = ([GRID_TASK] if GRID_TASK else []) + RESCALING["tasks"]
_missing = [t for t in REPR_TASKS if t not in config["task_settings"]]
if _missing:
    raise WorkflowError(
        f"config key 'representations': task(s) {_missing} (grid_task, init_rescaling.tasks) "
        "have no entry under 'task_settings'; add one for each (see config.yaml)"
    )
if GRID_TASK and MASKED_INPUT["level"] > config["imp"]["levels"]:
    raise WorkflowError(
        f"config key 'representations.masked_input.level': {MASKED_INPUT['level']} is beyond "
        f"imp.levels = {config['imp']['levels']}; expected a level in [1, imp.levels]"
    )


def supervised_dir(dataset, seed, level):
    return f"results/supervised/{dataset}/seed{seed}/level{level}"


def supervised_level_inputs(wildcards):
    inputs = {
        "theta0": f"results/supervised/{wildcards.dataset}/seed{wildcards.seed}/init.pt"
    }
    level = int(wildcards.level)
    if level > 0:
        previous = supervised_dir(wildcards.dataset, wildcards.seed, level - 1)
        inputs["previous_masks"] = f"{previous}/mask.pt"
        inputs["previous_weights"] = f"{previous}/weights.pt"
    return inputs


def rescaled_dir(rescaling, paradigm, task, seed, level):
    return f"results/representations/init_{rescaling}/chain/{paradigm}/{task}/seed{seed}/level{level}"


def rescaled_level_inputs(wildcards):
    """As imp_level_inputs, but θ0 rescaled and level k-1 taken from the rescaled chain."""
    w = wildcards
    inputs = {
        "theta0": f"results/representations/init_{w.rescaling}/theta0/{w.task}/seed{w.seed}.pt"
    }
    level = int(w.level)
    if level > 0:
        previous = rescaled_dir(w.rescaling, w.paradigm, w.task, w.seed, level - 1)
        inputs["previous_masks"] = f"{previous}/mask.pt"
        inputs["previous_weights"] = f"{previous}/weights.pt"
    if w.paradigm == "bc":
        inputs["dataset"] = f"results/bc_data/{w.task}/seed{w.seed}.npz"
    return inputs


def masked_input_inputs(wildcards):
    """The pruned variant reads the RL ticket's mask at `masked_input.level` (θ0 checks its names and shapes)."""
    if wildcards.variant == "full":
        return {}
    chain = level_dir("rl", wildcards.task, wildcards.seed, MASKED_INPUT["level"])
    return {
        "masks": f"{chain}/mask.pt",
        "theta0": f"results/init/{wildcards.task}/seed{wildcards.seed}.pt",
    }


def representation_chains():
    """(paradigm, task, seed) of every main-chain ticket in the input-mask table: the configured tasks, the
    gridworld and the init-rescaling tasks (whose `none` setting is the main chain itself, θ0 unchanged).
    """
    chains = {(p, t, s) for p in PARADIGMS for t, s in task_seed_pairs()}
    if GRID_TASK:
        chains |= {(p, GRID_TASK, s) for p in PARADIGMS for s in REPR_SEEDS}
    chains |= {
        (p, t, s)
        for p in RESCALING["paradigms"]
        for t in RESCALING["tasks"]
        for s in REPR_SEEDS
    }
    return sorted(chains)


def input_mask_inputs(wildcards):
    """Level metrics keyed by init rescaling (`none` = the main chain) plus the supervised chains."""
    inputs = {
        "none": [
            f"{level_dir(p, t, s, k)}/metrics.json"
            for p, t, s in representation_chains()
            for k in LEVELS
        ],
        "supervised": [
            f"{supervised_dir(SUPERVISED['dataset'], s, k)}/metrics.json"
            for s in REPR_SEEDS
            for k in LEVELS
        ],
    }
    for mode in RESCALING["modes"]:
        inputs[mode] = [
            f"{rescaled_dir(mode, p, t, s, k)}/metrics.json"
            for p in RESCALING["paradigms"]
            for t in RESCALING["tasks"]
            for s in REPR_SEEDS
            for k in LEVELS
        ]
    return inputs


def masked_input_metrics(variant):
    return [
        f"results/representations/masked_input/{GRID_TASK}/{variant}/seed{s}/metrics.json"
        for s in REPR_SEEDS
    ]


def representation_outputs():
    tables = ["input_mask", "input_consistency", "representation_claims"]
    figures = ["repr_input_masks", "repr_state_dims", "repr_init_rescaling"]
    if GRID_TASK:
        tables.append("masked_input_curves")
        figures.append("repr_masked_input")
    return [f"results/tables/{t}.csv" for t in tables] + [
        f"results/figures/{f}.{ext}" for f in figures for ext in ("png", "pdf")
    ]


# ---- Early-Bird tickets in DQN (rules/earlybird.smk) ----
EB = config["earlybird"]
EB_DIR = "results/earlybird"
EB_REPS = list(range(EB["repetitions"]))
EB_FRACTIONS = [f"{p:g}" for p in EB["prune_fractions"]]
# Exp 2 also retrains the one-shot winning ticket, pruned where the dense run's early stopping fires ("es").
EB_PRUNE_LABELS = {
    "exp2_rewind": [str(e) for e in EB["prune_episodes"]] + ["es"],
    "exp3_finetune": [str(e) for e in EB["prune_episodes"]],
}
if max(EB["prune_episodes"]) > EB["max_episodes"]:
    raise WorkflowError(
        f"config key 'earlybird.prune_episodes': {max(EB['prune_episodes'])} exceeds "
        f"earlybird.max_episodes ({EB['max_episodes']}); expected episodes the dense run reaches"
    )
if missing_eb_tasks := [t for t in EB["tasks"] if t not in EB["task_settings"]]:
    raise WorkflowError(
        f"config key 'earlybird.task_settings': no settings for task(s) {missing_eb_tasks} listed in "
        "'earlybird.tasks'; add an entry for each (see config.yaml)"
    )
# What every DQN run of the study reads besides its task's settings.
EB_PROTOCOL = canonical(
    {k: EB[k] for k in ("max_episodes", "early_stopping_window", "test_episodes")}
)
# The dense run also decides which masks and checkpoints it keeps.
EB_DENSE_PROTOCOL = canonical(
    {
        **EB_PROTOCOL,
        **{k: EB[k] for k in ("mask_every", "prune_fractions", "prune_episodes")},
    }
)


def eb_settings(wildcards):
    """One task's DQN settings and the DQN variant keys: editing them reruns only that task's jobs."""
    return canonical({"task": EB["task_settings"][wildcards.task], "dqn": EB["dqn"]})


def eb_dense_dir(task, rep):
    return f"{EB_DIR}/{task}/dense/rep{rep}"


def eb_dense_inputs(wildcards):
    """A pruned run or EB Exploit reads θ0, the checkpoints and the log of its repetition's dense run."""
    folder = eb_dense_dir(wildcards.task, wildcards.rep)
    return {
        "theta0": f"{folder}/theta0.pt",
        "checkpoints": f"{folder}/checkpoints.pt",
        "log": f"{folder}/log.json",
    }


def eb_pruned_metrics(task):
    return [
        f"{EB_DIR}/{task}/{experiment}/P{p}/e{e}/rep{r}/metrics.json"
        for experiment, labels in EB_PRUNE_LABELS.items()
        for p in EB_FRACTIONS
        for e in labels
        for r in EB_REPS
    ]


def eb_table_inputs(wildcards):
    return {
        "dense": [
            f"{eb_dense_dir(t, r)}/log.json" for t in EB["tasks"] for r in EB_REPS
        ],
        "pruned": [m for t in EB["tasks"] for m in eb_pruned_metrics(t)],
        "exploit": [
            f"{EB_DIR}/{t}/exp4_exploit/P{p}/rep{r}/metrics.json"
            for t in EB["tasks"]
            for p in EB_FRACTIONS
            for r in EB_REPS
        ],
        "similarity": [f"{EB_DIR}/{t}/exp1_similarity.npz" for t in EB["tasks"]],
    }


def earlybird_outputs():
    figures = [
        "earlybird_mask_similarity",
        "earlybird_retrain",
        "earlybird_finetune",
        "earlybird_exploit",
    ] + [f"earlybird_retrain_vs_finetune_{t}" for t in EB["tasks"]]
    return [
        "results/tables/earlybird_runs.csv",
        "results/tables/earlybird_verdicts.csv",
        "results/tables/earlybird_mask_stability.csv",
    ] + [f"results/figures/{name}.{ext}" for name in figures for ext in ("png", "pdf")]


# ---- Claims and run statistics (rules/summary.smk) ----
def stage_outputs():
    return (
        imp_outputs()
        + baseline_outputs()
        + representation_outputs()
        + earlybird_outputs()
    )


def claims_inputs(wildcards):
    """The tidy tables behind the claims of PROTOCOL §3 that this config measures."""
    inputs = {
        "imp": "results/tables/imp.csv",
        "representation_claims": "results/tables/representation_claims.csv",
    }
    if {"mask_permuted", "random_reinit"} <= set(BASELINE_CONDITIONS):
        inputs["conditions"] = "results/tables/conditions.csv"
    if EB["tasks"]:
        inputs["earlybird_runs"] = "results/tables/earlybird_runs.csv"
    return inputs


def summary_outputs():
    return [
        "results/tables/claims.csv",
        "results/tables/run_statistics.csv",
        "results/figures/run_statistics.png",
    ]


def final_outputs():
    return stage_outputs() + summary_outputs()

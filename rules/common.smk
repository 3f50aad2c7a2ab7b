# What several stages share: the config check, the run description, settings slices passed as params,
# (task, seed) pairs, the generated level rules and their input and output functions (ticket and init-rescaled
# chains), and the final outputs. Paths come from rltickets.infra.layout. Input functions live here too, because
# `snakemake --lint` wants functions out of the rule files; a stage's lambdas stay in its rule file.
import functools
from pathlib import Path

from snakemake.exceptions import WorkflowError

from rltickets.core.tasks import continuous_task_ids
from rltickets.infra import layout
from rltickets.infra.config import (
    CaptionText,
    ConfigError,
    canonical,
    check_config,
    describe_run,
)
from rltickets.infra.numerics import pin_numerics
from rltickets.infra.settings import SettingsError, Study
from rltickets.imp.level_jobs import study_level_job_rules
from rltickets.sensitivity.arms import arm_pairings, chain_task_settings, chains_needed

# The schema is the gate; the typed settings are built once, from the validated config.
try:
    check_config(config, Path(workflow.basedir) / "schemas" / "config.schema.yaml")
    STUDY = Study.from_config(config)
except (ConfigError, SettingsError) as err:
    raise WorkflowError(str(err)) from None


# MKL_CBWR and ATEN_CPU_CAPABILITY for every job started from here (they inherit this environment; under SLURM,
# sbatch exports it and the job's own Snakemake parses this file again). Read when torch loads, so not a param:
# changing them does not rerun finished jobs (docs/reproducibility.md).
NUMERICS_ENVIRONMENT = pin_numerics(STUDY.numerics)

TASKS = STUDY.tasks
PARADIGMS = STUDY.paradigms
LEVELS = STUDY.levels
# What this run trained, for every report caption (`{{ snakemake.params.run }}`); a CaptionText, so that editing one
# task's budget does not redraw every figure.
RUN_DESCRIPTION = CaptionText(describe_run(config))
# What one level's job reads of `imp:`. Not `levels`: raising it must only add levels, not redo the chain; not
# `seeds_per_job`: how seeds are grouped into jobs never changes a number.
IMP_LEVEL_SETTINGS = canonical(
    {k: v for k, v in config["imp"].items() if k not in ("levels", "seeds_per_job")}
)
# The claim-1 sensitivity study's variant chains (`<task>@<arm>`, rltickets.sensitivity.arms): extra ticket chains
# with their arm's settings; empty unless the config lists `sensitivity.arms`.
VARIANTS = STUDY.variants
# Every chain's settings as the config writes them: the tasks', and the variants' merged ones.
CHAIN_SETTINGS = chain_task_settings(config)
# What a level's job reads of its task's settings: BC never uses PPO's hyper-parameters.
LEVEL_SECTIONS = {"rl": ("network", "ppo", "rl"), "bc": ("network", "bc")}
# The generated level rules of the IMP chains (rltickets.imp.level_jobs), by family.
LEVEL_JOBS = study_level_job_rules(config, STUDY)
# Jobs that start a chain of level jobs (experts, θ0, BC datasets) run before level jobs that are ready too: each
# IMP chain is sequential, so a run ends soonest when every chain has started early. Without it Snakemake prefers
# the jobs with the largest inputs, the level jobs of chains already running, and starts a task's chains only when
# another task's are done (seen: CartPole waited for all of Acrobot at the paper scale on 2 cores).
CHAIN_START_PRIORITY = 1
BASELINE_CONDITIONS = config["baselines"]["conditions"]
BASELINE_LEVELS = config["baselines"]["levels"]
# The poster's "toy envs" are the discrete classic-control tasks; Fig. 1 right averages the continuous ones.
TOY_TASKS = [t for t in ("CartPole-v1", "Acrobot-v1") if t in TASKS]
CONTINUOUS_TASKS = [t for t in TASKS if t in continuous_task_ids()]


def task_seed_pairs():
    """(task, seed) of every run: a task's own `seeds` if it has them (e.g. 10 for MuJoCo), else `seeds`."""
    return [(t, s) for t in TASKS for s in STUDY.seeds_of(t)]


def settings(wildcards, *sections):
    """The sections of one task's settings a job depends on; passed as params, so editing them reruns only that task."""
    return _task_settings(wildcards.task, sections)


def level_settings(wildcards):
    """What an RL or BC level job (ticket, baseline or init-rescaled) reads of its task's settings."""
    return _task_settings(wildcards.task, LEVEL_SECTIONS[wildcards.paradigm])


@functools.cache  # one copy per task and rule: thousands of jobs share it (DAG time, BENCHMARKS.md (c))
def _task_settings(task, sections):
    return canonical({s: CHAIN_SETTINGS[task][s] for s in sections})


def imp_level_settings(wildcards):
    """What a level job reads of `imp:`: the study's, or a variant chain's with its arm's overrides."""
    return _imp_level_settings(wildcards.task)


@functools.cache
def _imp_level_settings(task):
    if task not in VARIANTS:
        return IMP_LEVEL_SETTINGS
    imp = VARIANTS[task].imp
    return canonical(
        {k: v for k, v in imp.items() if k not in ("levels", "seeds_per_job")}
    )


def source_task(task, artefact):
    """Whose `artefact` file (expert, random, theta0, bc_dataset) a chain reads: its own, or for a variant chain
    its base task's wherever the arm leaves what the file depends on unchanged (nothing is trained twice).
    """
    return VARIANTS[task].source(artefact) if task in VARIANTS else task


def expert_model(wildcards):
    """The expert whose rollouts make a chain's BC dataset (a variant's: its base task's expert)."""
    return layout.EXPERT.file(
        "model.zip", task=source_task(wildcards.task, "expert"), seed=wildcards.seed
    )


def dataset_settings(wildcards):
    """What collecting a BC dataset reads: the expert's network and the chain's `bc_data`."""
    expert_task = source_task(wildcards.task, "expert")
    return canonical(
        {
            "network": CHAIN_SETTINGS[expert_task]["network"],
            "bc_data": CHAIN_SETTINGS[wildcards.task]["bc_data"],
        }
    )


def wildcard_values(wildcards):
    return dict(wildcards.items())


def sensitivity_metrics(arms):
    """metrics.json of every level and seed of the chains the sensitivity table pairs: the base chains and each
    arm's variant chains of the paradigms it retrains."""
    pairings = arm_pairings(arms)
    return [
        layout.IMP_LEVEL.file("metrics.json", paradigm=p, task=chain, seed=s, level=k)
        for p, chain in chains_needed(TASKS, pairings)
        for s in STUDY.seeds_of(chain)
        for k in STUDY.levels_of(chain)
    ]


def supervised_level_inputs(wildcards):
    """θ0 of the digits chain's seed and, for level k > 0, level k-1's mask and trained weights."""
    values = dict(wildcards.items())
    found = {"theta0": layout.SUPERVISED_THETA0(**values)}
    level = int(wildcards.level)
    if level > 0:
        previous = {**values, "level": level - 1}
        found["previous_masks"] = layout.SUPERVISED_LEVEL.file("mask.pt", **previous)
        found["previous_weights"] = layout.SUPERVISED_LEVEL.file(
            "weights.pt", **previous
        )
    return found


def level_job_inputs(chain, theta0, seeds):
    """The input function of a level job of an IMP chain (ticket or init-rescaled): θ0 of every seed and, for
    level k > 0, level k-1's masks and trained weights of every seed; BC jobs also read the seeds' expert data.
    """

    def inputs(wildcards):
        values = dict(wildcards.items())
        theta0_values = {**values, "task": source_task(wildcards.task, "theta0")}
        found = {"theta0": [theta0(**theta0_values, seed=s) for s in seeds]}
        level = int(wildcards.level)
        if level > 0:
            previous = {**values, "level": level - 1}
            found["previous_masks"] = [
                chain.file("mask.pt", **previous, seed=s) for s in seeds
            ]
            found["previous_weights"] = [
                chain.file("weights.pt", **previous, seed=s) for s in seeds
            ]
        if wildcards.paradigm == "bc":
            dataset_task = source_task(wildcards.task, "bc_dataset")
            found["dataset"] = [
                layout.BC_DATASET(task=dataset_task, seed=s) for s in seeds
            ]
        return found

    return inputs


def rescaled_level_job_inputs(seeds):
    """A rescaled chain's level job reads what an imp_level job reads (on the rescaled θ0); a chain that
    standardises its observations (`obs_standardized`) also reads every seed's fixed statistics.
    """
    chain_inputs = level_job_inputs(
        layout.RESCALED_LEVEL, layout.RESCALED_THETA0, seeds
    )

    def inputs(wildcards):
        found = chain_inputs(wildcards)
        if wildcards.rescaling == layout.OBS_STANDARDIZED:
            found["observation_statistics"] = [
                layout.OBSERVATION_STATISTICS(task=wildcards.task, seed=s)
                for s in seeds
            ]
        return found

    return inputs


LEVEL_JOB_FILES = {
    "masks": "mask.pt",
    "weights": "weights.pt",
    "metrics": "metrics.json",
}


def level_job_outputs(chain, job, baselines=None):
    """A level job's outputs: every seed's level folder of `chain` and, where the job trains baselines, every
    (condition, seed) folder of `baselines` (named baseline_masks, ...), in the order the job script writes them.
    """
    outputs = {
        name: [chain.file(file, seed=s) for s in job.seeds]
        for name, file in LEVEL_JOB_FILES.items()
    }
    for name, file in LEVEL_JOB_FILES.items():
        if job.conditions:
            outputs[f"baseline_{name}"] = [
                baselines.file(file, condition=c, seed=s)
                for c in job.conditions
                for s in job.seeds
            ]
    return outputs


def final_outputs():
    """What the default target builds: every stage's outputs (each stage file defines its <STAGE>_OUTPUTS)."""
    return (
        IMP_OUTPUTS
        + BASELINE_OUTPUTS
        + REPRESENTATION_OUTPUTS
        + EARLYBIRD_OUTPUTS
        + SUMMARY_OUTPUTS
        + SENSITIVITY_OUTPUTS
    )

"""Every path of results/, written once, with the rule that makes it.

The rules take their `output:` templates from here, their consumers' input functions fill in the same templates,
and the library's "this file is made by rule X" errors look the rule up here (`producing_rule`). A test checks this
table against `snakemake --list-rules` and every job of a dry run, so a renamed rule or path fails it.

A template's `{name}` parts are Snakemake wildcards. `artefact(**wildcards)` fills in the given ones and leaves the
others as `{name}`, so one template serves a rule's `output:` (nothing filled in), an input function (all filled in)
and an `expand`-like list (some filled in).

Import-light (no torch): the Snakefile imports it at parse time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RESULTS = "results"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"

# Wildcards shared by every rule (the Snakefile's global wildcard_constraints); a template may narrow one further.
# A task is a registered id, or a variant chain of the sensitivity study: `<task>@<arm>` (rltickets.core.tasks).
WILDCARD_CONSTRAINTS = {
    "task": r"[A-Za-z0-9_]+-v\d+(?:@[a-z][a-z0-9_]*)?",
    "seed": r"\d+",
    "level": r"0|[1-9]\d*",
    "paradigm": "rl|bc",
}
LEVEL_FILES = ("mask.pt", "weights.pt", "metrics.json")
# Level jobs are generated rules (rltickets.imp.level_jobs): a family's base name, `_with_baselines` where baselines are
# trained beside the tickets, `_seeds<first>_<last>` where the seed lists differ or are chunked, `_<n>` to tell
# apart rules that would otherwise share a name.
WITH_BASELINES = "_with_baselines"
GENERATED_SUFFIX = rf"(?:{WITH_BASELINES})?(?:_seeds\d+_\d+)?(?:_\d+)*"
FIGURE_FORMATS = ("png", "pdf")


class _KeepMissing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Artefact:
    """A file, a folder of `files`, or a figure (`files` = its formats), made by `rule` (with `generated`: by the
    rules of the family `rule` names, whose names depend on the config)."""

    template: str
    rule: str
    files: tuple[str, ...] = ()
    constraints: dict[str, str] = field(default_factory=dict)
    figure: bool = False
    generated: bool = False  # `rule` names a family of generated rules (GENERATED_SUFFIX)

    def __call__(self, **wildcards) -> str:
        """The path (of the file, or of the folder), with the given wildcards filled in."""
        return self.template.format_map(_KeepMissing({k: str(v) for k, v in wildcards.items()}))

    def file(self, name: str, **wildcards) -> str:
        """One file of a folder artefact (a figure's format: `file('png')`)."""
        if name not in self.files:
            raise KeyError(f"{self.template} holds {self.files}, not {name!r}")
        separator = "." if self.figure else "/"
        return f"{self(**wildcards)}{separator}{name}"

    def all_files(self, **wildcards) -> list[str]:
        return [self.file(name, **wildcards) for name in self.files] if self.files else [self(**wildcards)]

    def made_by(self, rule: str) -> bool:
        """Whether `rule` makes this artefact (for a generated family: any rule of the family)."""
        if self.generated:
            return re.fullmatch(re.escape(self.rule) + GENERATED_SUFFIX, rule) is not None
        return rule == self.rule

    def pattern(self) -> re.Pattern:
        """Matches the artefact's files, under any folder (runs live in scratch copies, paths may be absolute)."""
        constraints = {**WILDCARD_CONSTRAINTS, **self.constraints}
        regex, position = "", 0
        for match in re.finditer(r"\{(\w+)\}", self.template):
            regex += re.escape(self.template[position : match.start()])
            regex += f"(?:{constraints.get(match.group(1), '[^/]+')})"
            position = match.end()
        regex += re.escape(self.template[position:])
        if self.files:
            separator = r"\." if self.figure else "/"
            regex += separator + "(?:" + "|".join(re.escape(name) for name in self.files) + ")"
        return re.compile(r"(?:^|/)" + regex + "$")


def figure(name: str, rule: str, **options) -> Artefact:
    return Artefact(f"{RESULTS}/figures/{name}", rule, FIGURE_FORMATS, figure=True, **options)


def table(name: str, rule: str) -> Artefact:
    return Artefact(f"{RESULTS}/tables/{name}.csv", rule)


# ---- experts (rules/experts.smk) ----
EXPERT = Artefact(f"{RESULTS}/experts/{{task}}/seed{{seed}}", "train_expert", ("model.zip", "metrics.json"))
THETA0 = Artefact(f"{RESULTS}/init/{{task}}/seed{{seed}}.pt", "initial_parameters")
RANDOM_RETURN = Artefact(f"{RESULTS}/random/{{task}}.json", "evaluate_random_policy")

# ---- behavioural-cloning datasets (rules/bc.smk) ----
BC_DATASET = Artefact(f"{RESULTS}/bc_data/{{task}}/seed{{seed}}.npz", "collect_bc_dataset")

# ---- the ticket chains (rules/imp.smk) ----
IMP_LEVEL = Artefact(
    f"{RESULTS}/imp/{{paradigm}}/{{task}}/seed{{seed}}/level{{level}}", "imp_level", LEVEL_FILES, generated=True
)
IMP_TABLE = table("imp", "imp_table")
CRITICAL_SPARSITY_TABLE = table("critical_sparsity", "critical_sparsity_table")
FIG2 = figure("fig2_rl_vs_bc", "plot_rl_vs_bc")

# ---- disentangling baselines (rules/baselines.smk) ----
BASELINE_CONDITIONS = "mask_permuted|permuted_permuted|random_reinit"
BASELINE_LEVEL = Artefact(
    f"{RESULTS}/baselines/{{paradigm}}/{{task}}/{{condition}}/seed{{seed}}/level{{level}}",
    "imp_level" + WITH_BASELINES,  # trained in the level jobs of the ticket chain, beside the tickets
    LEVEL_FILES,
    constraints={"condition": BASELINE_CONDITIONS},
    generated=True,
)
CONDITIONS_TABLE = table("conditions", "conditions_table")
MASK_SHARE_TABLE = table("mask_share", "mask_share_table")
CONDITIONS_FIGURE = figure(
    "{figure}",
    "plot_conditions",
    constraints={"figure": "conditions_toy_envs|fig1_conditions_continuous|summary_cartpole_pd"},
)

# ---- minimal task representations (rules/representations.smk) ----
SUPERVISED_DATASETS = "digits|mnist"
SUPERVISED_THETA0 = Artefact(
    f"{RESULTS}/supervised/{{dataset}}/seed{{seed}}/init.pt",
    "supervised_initial_parameters",
    constraints={"dataset": SUPERVISED_DATASETS},
)
SUPERVISED_LEVEL = Artefact(
    f"{RESULTS}/supervised/{{dataset}}/seed{{seed}}/level{{level}}",
    "supervised_level",
    LEVEL_FILES,
    constraints={"dataset": SUPERVISED_DATASETS},
)
# `obs_standardized` keeps θ0 and standardises the observations with fixed per-(task, seed) statistics of the
# expert data (rltickets.core.observations), computed by `observation_statistics` and read by its level jobs.
OBS_STANDARDIZED = "obs_standardized"
RESCALINGS = f"layer_equalized|input_layer_matched|{OBS_STANDARDIZED}"
RESCALED_THETA0 = Artefact(
    f"{RESULTS}/representations/init_{{rescaling}}/theta0/{{task}}/seed{{seed}}.pt",
    "rescaled_initial_parameters",
    constraints={"rescaling": RESCALINGS},
)
RESCALED_LEVEL = Artefact(
    f"{RESULTS}/representations/init_{{rescaling}}/chain/{{paradigm}}/{{task}}/seed{{seed}}/level{{level}}",
    "rescaled_imp_level",
    LEVEL_FILES,
    constraints={"rescaling": RESCALINGS},
    generated=True,
)
OBSERVATION_STATISTICS = Artefact(
    f"{RESULTS}/representations/init_{OBS_STANDARDIZED}/observation_statistics/{{task}}/seed{{seed}}.pt",
    "observation_statistics",
)
MASKED_INPUT_RUN = Artefact(
    f"{RESULTS}/representations/masked_input/{{task}}/{{variant}}/seed{{seed}}/metrics.json",
    "masked_input_agent",
    constraints={"variant": "full|pruned"},
)
INPUT_MASK_TABLE = table("input_mask", "input_mask_table")
INPUT_CONSISTENCY_TABLE = table("input_consistency", "input_consistency_table")
MASKED_INPUT_TABLE = table("masked_input_curves", "masked_input_table")
REPRESENTATION_CLAIMS_TABLE = table("representation_claims", "representation_claims_table")
INPUT_MASKS_FIGURE = figure("repr_input_masks", "plot_input_masks")
STATE_DIMS_FIGURE = figure("repr_state_dims", "plot_state_dims")
MASKED_INPUT_FIGURE = figure("repr_masked_input", "plot_masked_input")
INIT_RESCALING_FIGURE = figure("repr_init_rescaling", "plot_init_rescaling")

# ---- Early-Bird tickets in DQN (rules/earlybird.smk) ----
EB_FRACTION, EB_REP = r"0\.\d+", r"\d+"
EB_DENSE = Artefact(
    f"{RESULTS}/earlybird/{{task}}/dense/rep{{rep}}",
    "eb_dense",
    ("theta0.pt", "checkpoints.pt", "masks.npz", "log.json"),
    constraints={"rep": EB_REP},
)
EB_PRUNED = Artefact(
    f"{RESULTS}/earlybird/{{task}}/{{experiment}}/P{{fraction}}/e{{episode}}/rep{{rep}}",
    "eb_pruned",
    ("mask.pt", "metrics.json"),
    constraints={
        "experiment": "exp2_rewind|exp3_finetune",
        "fraction": EB_FRACTION,
        "episode": r"\d+|es",
        "rep": EB_REP,
    },
)
EB_EXPLOIT = Artefact(
    f"{RESULTS}/earlybird/{{task}}/exp4_exploit/P{{fraction}}/rep{{rep}}",
    "eb_exploit",
    ("mask.pt", "metrics.json"),
    constraints={"fraction": EB_FRACTION, "rep": EB_REP},
)
EB_SIMILARITY = Artefact(f"{RESULTS}/earlybird/{{task}}/exp1_similarity.npz", "eb_mask_similarity")
EB_RUNS_TABLE = table("earlybird_runs", "eb_tables")
EB_VERDICTS_TABLE = table("earlybird_verdicts", "eb_tables")
EB_STABILITY_TABLE = table("earlybird_mask_stability", "eb_tables")
EB_SIMILARITY_FIGURE = figure("earlybird_mask_similarity", "eb_plot_mask_similarity")
EB_RETRAIN_FIGURE = figure("earlybird_retrain", "eb_plot_runs")
EB_FINETUNE_FIGURE = figure("earlybird_finetune", "eb_plot_runs")
EB_EXPLOIT_FIGURE = figure("earlybird_exploit", "eb_plot_runs")
EB_RETRAIN_VS_FINETUNE_FIGURE = figure("earlybird_retrain_vs_finetune_{task}", "eb_plot_retrain_vs_finetune")

# ---- the claim-1 sensitivity study (rules/sensitivity.smk; its chains are IMP_LEVEL folders of `<task>@<arm>`) ----
SENSITIVITY_TABLE = table("sensitivity", "sensitivity_table")
SENSITIVITY_FIGURE = figure("sensitivity_claim1", "plot_sensitivity")

# ---- the study's summary (rules/summary.smk) ----
CLAIMS_TABLE = table("claims", "claims_table")
RUN_STATISTICS_TABLE = table("run_statistics", "run_statistics")
RUN_STATISTICS_FIGURE = figure("run_statistics", "run_statistics")

ARTEFACTS: dict[str, Artefact] = {name: value for name, value in globals().items() if isinstance(value, Artefact)}


def artefact_of(path: str) -> Artefact | None:
    """The layout entry `path` belongs to (any folder prefix), or None."""
    posix = str(path).replace("\\", "/")
    return next((artefact for artefact in ARTEFACTS.values() if artefact.pattern().search(posix)), None)


def producing_rule(path: str) -> str:
    """The rule that makes `path` (any folder prefix); 'unknown' for a path outside the layout."""
    posix = str(path).replace("\\", "/")
    if f"{BENCHMARKS}/" in posix:  # Snakemake's benchmark files: results/benchmarks/<rule>/...
        return posix.split(f"{BENCHMARKS}/", 1)[1].split("/", 1)[0]
    for artefact in ARTEFACTS.values():
        if artefact.pattern().search(posix):
            return artefact.rule
    return "unknown"

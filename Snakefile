# Lottery tickets in deep RL (Vischer, Lange & Sprekeler, ICLR 2022) and Early-Bird tickets in DQN: the whole study
# as a DAG. `snakemake --cores 8` reproduces config.yaml; see README.md for presets, stages and cluster use.


from snakemake.utils import min_version

min_version("9.20")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"


wildcard_constraints:
    **layout.WILDCARD_CONSTRAINTS,


include: "rules/experts.smk"
include: "rules/bc.smk"
include: "rules/imp.smk"
include: "rules/baselines.smk"
include: "rules/representations.smk"
include: "rules/earlybird.smk"
include: "rules/summary.smk"
include: "rules/sensitivity.smk"


rule all:
    default_target: True
    input:
        final_outputs(),


# One target per stage, e.g. `snakemake --cores 8 baselines` (each pulls in only what it needs).
rule experts:
    input:
        EXPERT_OUTPUTS,


rule bc:
    input:
        BC_OUTPUTS,


rule imp:
    input:
        IMP_OUTPUTS,


rule baselines:
    input:
        BASELINE_OUTPUTS,


rule representations:
    input:
        REPRESENTATION_OUTPUTS,


rule earlybird:
    input:
        EARLYBIRD_OUTPUTS,


rule summary:
    input:
        SUMMARY_OUTPUTS,


rule sensitivity:
    input:
        SENSITIVITY_OUTPUTS,

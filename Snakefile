# Lottery tickets in deep RL (Vischer, Lange & Sprekeler, ICLR 2022): the whole study as a DAG.
# `snakemake --cores 8` reproduces config.yaml; see README.md for presets and cluster use.


from snakemake.utils import min_version

min_version("9.20")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"


wildcard_constraints:
    task=r"[A-Za-z0-9_]+-v\d+",
    seed=r"\d+",
    level=r"0|[1-9]\d*",
    paradigm="rl|bc",


include: "rules/experts.smk"
include: "rules/bc.smk"
include: "rules/imp.smk"
include: "rules/figures.smk"
include: "rules/baselines.smk"
include: "rules/representations.smk"
include: "rules/earlybird.smk"
include: "rules/summary.smk"


rule all:
    default_target: True
    input:
        final_outputs(),


# One target per stage, e.g. `snakemake --cores 8 baselines` (each pulls in only what it needs).
rule fig2:
    input:
        imp_outputs(),


rule baselines:
    input:
        baseline_outputs(),


rule representations:
    input:
        representation_outputs(),


rule earlybird:
    input:
        earlybird_outputs(),


rule claims:
    input:
        summary_outputs(),

# The study's summary: every claim with its verdict, and what the run cost (benchmark: files).


STAGE_OUTPUTS = (
    IMP_OUTPUTS + BASELINE_OUTPUTS + REPRESENTATION_OUTPUTS + EARLYBIRD_OUTPUTS
)
# The tidy tables behind the claims that this config measures.
CLAIMS_INPUTS = {
    "imp": layout.IMP_TABLE(),
    "representation_claims": layout.REPRESENTATION_CLAIMS_TABLE(),
    **(
        {"conditions": layout.CONDITIONS_TABLE()}
        if {"mask_permuted", "random_reinit"} <= set(BASELINE_CONDITIONS)
        else {}
    ),
    **({"earlybird_runs": layout.EB_RUNS_TABLE()} if EB["tasks"] else {}),
}
SUMMARY_OUTPUTS = [
    layout.CLAIMS_TABLE(),
    layout.RUN_STATISTICS_TABLE(),
    layout.RUN_STATISTICS_FIGURE.file("png"),
]


rule claims_table:
    input:
        **CLAIMS_INPUTS,
    output:
        report(
            layout.CLAIMS_TABLE(),
            category="Claims",
            caption="../report/claims.rst",
        ),
    log:
        "results/logs/claims_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
        min_n=config["analysis"]["claims_min_n"],
        test=config["analysis"]["claims_test"],
        alpha=config["analysis"]["claims_alpha"],
        critical_threshold=config["analysis"]["critical_threshold"],
        mask_share_min_gap=config["analysis"]["mask_share_min_gap"],
        earlybird_bounds={
            t: EB["task_settings"][t]["return_bounds"] for t in EB["tasks"]
        },
        earlybird_verdict=canonical(EB["verdict"]),
        earlybird_existence=canonical(EB["existence"]),
    script:
        "../workflow_scripts/claims_table.py"


# Runs after every table of the study, then reads each benchmark: file present under results/benchmarks.
rule run_statistics:
    input:
        [f for f in STAGE_OUTPUTS if f.endswith(".csv")],
    output:
        table=report(
            layout.RUN_STATISTICS_TABLE(),
            category="Run statistics",
            caption="../report/run_statistics_table.rst",
        ),
        png=report(
            layout.RUN_STATISTICS_FIGURE.file("png"),
            category="Run statistics",
            caption="../report/run_statistics_figure.rst",
        ),
        pdf=layout.RUN_STATISTICS_FIGURE.file("pdf"),
    log:
        "results/logs/run_statistics.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
        benchmark_dir=layout.BENCHMARKS,
    script:
        "../workflow_scripts/run_statistics.py"

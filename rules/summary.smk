# The study's summary: the claims of PROTOCOL §3 with their verdicts, and what the run cost (benchmark: files).


rule claims_table:
    input:
        unpack(claims_inputs),
    output:
        report(
            "results/tables/claims.csv",
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
        critical_threshold=config["analysis"]["critical_threshold"],
        mask_share_min_gap=config["analysis"]["mask_share_min_gap"],
        earlybird_bounds={
            t: EB["task_settings"][t]["return_bounds"] for t in EB["tasks"]
        },
        earlybird_verdict=canonical(EB["verdict"]),
    script:
        "../workflow_scripts/claims_table.py"


# Runs after every table of the study, then reads each benchmark: file present under results/benchmarks.
rule run_statistics:
    input:
        [f for f in stage_outputs() if f.endswith(".csv")],
    output:
        table=report(
            "results/tables/run_statistics.csv",
            category="Run statistics",
            caption="../report/run_statistics_table.rst",
        ),
        png=report(
            "results/figures/run_statistics.png",
            category="Run statistics",
            caption="../report/run_statistics_figure.rst",
        ),
        pdf="results/figures/run_statistics.pdf",
    log:
        "results/logs/run_statistics.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
        benchmark_dir="results/benchmarks",
    script:
        "../workflow_scripts/run_statistics.py"

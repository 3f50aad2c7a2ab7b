# The claim-1 sensitivity study (docs/sensitivity.md): every arm of `sensitivity.arms` is a variant ticket chain per
# base task (`<task>@<arm>`, trained by the imp_level* jobs like any chain); here its table and figure. Without
# arms, nothing here is built.


SENSITIVITY = config.get("sensitivity") or {}
SENSITIVITY_ARMS = SENSITIVITY.get("arms") or {}
SENSITIVITY_OUTPUTS = (
    [layout.SENSITIVITY_TABLE(), layout.SENSITIVITY_FIGURE.file("png")]
    if SENSITIVITY_ARMS
    else []
)


rule sensitivity_table:
    input:
        metrics=sensitivity_metrics(SENSITIVITY_ARMS),
        random=[layout.RANDOM_RETURN(task=t) for t in TASKS],
    output:
        report(
            layout.SENSITIVITY_TABLE(),
            category="Claim-1 sensitivity",
            caption="../report/sensitivity_table.rst",
        ),
    log:
        "results/logs/sensitivity_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
        tasks=TASKS,
        # (name, arm) pairs: the config's order is the table's and the figure's
        arms=[[name, canonical(arm)] for name, arm in SENSITIVITY_ARMS.items()],
        metrics=SENSITIVITY.get("metrics"),
        thresholds=SENSITIVITY.get("thresholds"),
        min_n=config["analysis"]["claims_min_n"],
        test=config["analysis"]["claims_test"],
        alpha=config["analysis"]["claims_alpha"],
    script:
        "../workflow_scripts/sensitivity_table.py"


rule plot_sensitivity:
    input:
        layout.SENSITIVITY_TABLE(),
    output:
        png=report(
            layout.SENSITIVITY_FIGURE.file("png"),
            category="Claim-1 sensitivity",
            caption="../report/sensitivity_figure.rst",
        ),
        pdf=layout.SENSITIVITY_FIGURE.file("pdf"),
    log:
        "results/logs/plot_sensitivity.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
        threshold=(SENSITIVITY.get("thresholds") or [None])[0],
    script:
        "../workflow_scripts/plot_sensitivity.py"

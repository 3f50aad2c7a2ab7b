# Tidy tables from the per-level metrics, and the figures drawn from them.


rule imp_table:
    input:
        metrics=all_level_metrics(),
        random=expand("results/random/{task}.json", task=TASKS),
    output:
        report(
            "results/tables/imp.csv",
            category="Tables",
            caption="../report/imp_table.rst",
        ),
    log:
        "results/logs/imp_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/imp_table.py"


rule critical_sparsity_table:
    input:
        "results/tables/imp.csv",
    output:
        report(
            "results/tables/critical_sparsity.csv",
            category="Tables",
            caption="../report/critical_sparsity.rst",
        ),
    log:
        "results/logs/critical_sparsity_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
        threshold=config["analysis"]["critical_threshold"],
    script:
        "../workflow_scripts/critical_sparsity_table.py"


rule plot_rl_vs_bc:
    input:
        "results/tables/imp.csv",
    output:
        png=report(
            "results/figures/fig2_rl_vs_bc.png",
            category="RL vs BC",
            caption="../report/fig2_rl_vs_bc.rst",
        ),
        pdf="results/figures/fig2_rl_vs_bc.pdf",
    log:
        "results/logs/plot_rl_vs_bc.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/plot_rl_vs_bc.py"

# Disentangling baselines (PROTOCOL §1.4): leaf jobs derived from the ticket chain's mask at a level; they never
# feed the chain. Then the tidy table of all four conditions, the mask share, and their figures.


# `baselines.jobs` picks the job granularity; both rules write the same level folders with the same script.
if BASELINE_JOBS == "per_level":

    rule baseline_level:
        input:
            unpack(baseline_inputs),
        output:
            masks="results/baselines/{paradigm}/{task}/{condition}/seed{seed}/level{level}/mask.pt",
            weights="results/baselines/{paradigm}/{task}/{condition}/seed{seed}/level{level}/weights.pt",
            metrics="results/baselines/{paradigm}/{task}/{condition}/seed{seed}/level{level}/metrics.json",
        log:
            "results/logs/baseline_level/{paradigm}/{task}/{condition}/seed{seed}/level{level}.log",
        benchmark:
            "results/benchmarks/baseline_level/{paradigm}/{task}/{condition}/seed{seed}/level{level}.tsv"
        wildcard_constraints:
            condition="mask_permuted|permuted_permuted|random_reinit",
        conda:
            "../envs/rl.yaml"
        resources:
            runtime="30m",
            mem_mb=2000,
        params:
            levels=baseline_job_levels,
            settings=lambda w: settings(w, *LEVEL_SECTIONS[w.paradigm]),
            imp=IMP_LEVEL_SETTINGS,
        script:
            "../workflow_scripts/baseline_level.py"

else:

    # The same baselines, one job per condition and seed for all of `baselines.levels` (`baselines.jobs: per_chain`):
    # the levels stay independent leaves of the ticket chain, trained one after the other in one process.
    rule baseline_chain:
        input:
            unpack(baseline_inputs),
        output:
            masks=baseline_chain_outputs("mask.pt"),
            weights=baseline_chain_outputs("weights.pt"),
            metrics=baseline_chain_outputs("metrics.json"),
        log:
            "results/logs/baseline_chain/{paradigm}/{task}/{condition}/seed{seed}.log",
        benchmark:
            "results/benchmarks/baseline_chain/{paradigm}/{task}/{condition}/seed{seed}.tsv"
        wildcard_constraints:
            condition="mask_permuted|permuted_permuted|random_reinit",
        conda:
            "../envs/rl.yaml"
        resources:
            runtime=f"{30 * len(BASELINE_LEVELS)}m",
            mem_mb=2000,
        params:
            levels=baseline_job_levels,
            settings=lambda w: settings(w, *LEVEL_SECTIONS[w.paradigm]),
            imp=IMP_LEVEL_SETTINGS,
        script:
            "../workflow_scripts/baseline_level.py"


rule conditions_table:
    input:
        tickets="results/tables/imp.csv",
        metrics=all_baseline_metrics(),
    output:
        report(
            "results/tables/conditions.csv",
            category="Disentangling baselines",
            caption="../report/conditions_table.rst",
        ),
    log:
        "results/logs/conditions_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/conditions_table.py"


rule mask_share_table:
    input:
        "results/tables/conditions.csv",
    output:
        report(
            "results/tables/mask_share.csv",
            category="Disentangling baselines",
            caption="../report/mask_share.rst",
        ),
    log:
        "results/logs/mask_share_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
        min_gap=config["analysis"]["mask_share_min_gap"],
    script:
        "../workflow_scripts/mask_share_table.py"


rule plot_conditions:
    input:
        "results/tables/conditions.csv",
    output:
        png=report(
            "results/figures/{figure}.png",
            category="Disentangling baselines",
            caption="../report/conditions_figure.rst",
        ),
        pdf="results/figures/{figure}.pdf",
    log:
        "results/logs/plot_conditions/{figure}.log",
    wildcard_constraints:
        figure="conditions_toy_envs|fig1_conditions_continuous|summary_cartpole_pd",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
        toy_tasks=TOY_TASKS,
        continuous_tasks=CONTINUOUS_TASKS,
    script:
        "../workflow_scripts/plot_conditions.py"

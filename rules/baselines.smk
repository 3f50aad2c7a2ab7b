# Disentangling baselines: derived from each seed's ticket mask at `baselines.levels` and trained in the ticket
# chain's level jobs (rules/imp.smk, rules imp_level_with_baselines*); they never feed the chain. This file: the
# tidy table of all four conditions, the mask share, and their figures.


# The poster's toy-env panel, Fig. 1 right (continuous tasks) and the CartPole summary, where the config has them.
BASELINE_FIGURES = (
    (["conditions_toy_envs"] if TOY_TASKS else [])
    + (["fig1_conditions_continuous"] if CONTINUOUS_TASKS else [])
    + (
        ["summary_cartpole_pd"]
        if "CartPole-v1" in TASKS and set(PARADIGMS) == {"rl", "bc"}
        else []
    )
)
BASELINE_OUTPUTS = (
    [
        layout.CONDITIONS_TABLE(),
        layout.MASK_SHARE_TABLE(),
        *[
            path
            for name in BASELINE_FIGURES
            for path in layout.CONDITIONS_FIGURE.all_files(figure=name)
        ],
    ]
    if BASELINE_CONDITIONS and BASELINE_LEVELS
    else []
)


rule conditions_table:
    input:
        tickets=layout.IMP_TABLE(),
        metrics=[
            layout.BASELINE_LEVEL.file(
                "metrics.json", condition=c, paradigm=p, task=t, seed=s, level=k
            )
            for c in BASELINE_CONDITIONS
            for p in PARADIGMS
            for t, s in task_seed_pairs()
            for k in BASELINE_LEVELS
        ],
    output:
        report(
            layout.CONDITIONS_TABLE(),
            category="Disentangling baselines",
            caption="../report/conditions_table.rst",
        ),
    log:
        "results/logs/conditions_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="20m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/conditions_table.py"


rule mask_share_table:
    input:
        layout.CONDITIONS_TABLE(),
    output:
        report(
            layout.MASK_SHARE_TABLE(),
            category="Disentangling baselines",
            caption="../report/mask_share.rst",
        ),
    log:
        "results/logs/mask_share_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
        min_gap=config["analysis"]["mask_share_min_gap"],
        min_n=config["analysis"]["claims_min_n"],
        test=config["analysis"]["claims_test"],
        alpha=config["analysis"]["claims_alpha"],
    script:
        "../workflow_scripts/mask_share_table.py"


rule plot_conditions:
    input:
        layout.CONDITIONS_TABLE(),
    output:
        png=report(
            layout.CONDITIONS_FIGURE.file("png"),
            category="Disentangling baselines",
            caption="../report/conditions_figure.rst",
        ),
        pdf=layout.CONDITIONS_FIGURE.file("pdf"),
    log:
        "results/logs/plot_conditions/{figure}.log",
    wildcard_constraints:
        figure=layout.CONDITIONS_FIGURE.constraints["figure"],
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
        toy_tasks=TOY_TASKS,
        continuous_tasks=CONTINUOUS_TASKS,
    script:
        "../workflow_scripts/plot_conditions.py"

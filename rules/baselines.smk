# Disentangling baselines: leaf jobs derived from the ticket chain's mask at a level; they never feed the chain.
# Then the tidy table of all four conditions, the mask share, and their figures.
BASELINE_CONDITIONS = config["baselines"]["conditions"]
BASELINE_LEVELS = config["baselines"]["levels"]
BASELINE_JOBS = config["baselines"]["jobs"]


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


# `baselines.jobs` picks the job granularity; both rules write the same level folders with the same script.
if BASELINE_JOBS == "per_level":

    rule baseline_level:
        input:
            unpack(bc_dataset),
            theta0=lambda w: layout.THETA0(task=w.task, seed=w.seed),
            ticket_masks=lambda w: layout.IMP_LEVEL.file(
                "mask.pt", **wildcard_values(w)
            ),
        output:
            masks=layout.BASELINE_LEVEL.file("mask.pt"),
            weights=layout.BASELINE_LEVEL.file("weights.pt"),
            metrics=layout.BASELINE_LEVEL.file("metrics.json"),
        log:
            "results/logs/baseline_level/{paradigm}/{task}/{condition}/seed{seed}/level{level}.log",
        benchmark:
            "results/benchmarks/baseline_level/{paradigm}/{task}/{condition}/seed{seed}/level{level}.tsv"
        wildcard_constraints:
            condition=layout.BASELINE_LEVEL.constraints["condition"],
        conda:
            "../envs/rl.yaml"
        resources:
            runtime="3h",
            mem_mb=2000,
        params:
            levels=lambda w: [int(w.level)],
            settings=level_settings,
            imp=IMP_LEVEL_SETTINGS,
        script:
            "../workflow_scripts/baseline_level.py"

else:

    # The same baselines, one job per condition and seed for all of `baselines.levels` (`baselines.jobs: per_chain`):
    # the levels stay independent leaves of the ticket chain, trained one after the other in one process.
    rule baseline_chain:
        input:
            unpack(bc_dataset),
            theta0=lambda w: layout.THETA0(task=w.task, seed=w.seed),
            ticket_masks=lambda w: [
                layout.IMP_LEVEL.file("mask.pt", **wildcard_values(w), level=k)
                for k in BASELINE_LEVELS
            ],
        output:
            masks=[
                layout.BASELINE_LEVEL.file("mask.pt", level=k) for k in BASELINE_LEVELS
            ],
            weights=[
                layout.BASELINE_LEVEL.file("weights.pt", level=k)
                for k in BASELINE_LEVELS
            ],
            metrics=[
                layout.BASELINE_LEVEL.file("metrics.json", level=k)
                for k in BASELINE_LEVELS
            ],
        log:
            "results/logs/baseline_chain/{paradigm}/{task}/{condition}/seed{seed}.log",
        benchmark:
            "results/benchmarks/baseline_chain/{paradigm}/{task}/{condition}/seed{seed}.tsv"
        wildcard_constraints:
            condition=layout.BASELINE_LEVEL.constraints["condition"],
        conda:
            "../envs/rl.yaml"
        resources:
            runtime="24h",
            mem_mb=2000,
        params:
            levels=BASELINE_LEVELS,
            settings=level_settings,
            imp=IMP_LEVEL_SETTINGS,
        script:
            "../workflow_scripts/baseline_level.py"


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

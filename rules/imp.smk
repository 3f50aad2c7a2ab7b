# The ticket chains: one job per IMP level of a (paradigm, task) chain. Level k reads level k-1's masks and trained
# weights (recursion on the digits-only {level} wildcard), prunes, rewinds to θ0 and trains. Then the tidy table, the
# critical sparsity and Fig. 2 (RL vs BC).


IMP_OUTPUTS = [
    layout.IMP_TABLE(),
    layout.CRITICAL_SPARSITY_TABLE(),
    *layout.FIG2.all_files(),
]


# One job per (paradigm, task, level) — or per chunk of `imp.seeds_per_job` seeds — trains every seed's ticket of
# that level (and, at `baselines.levels`, every seed's baselines) in one process; the rules differ only in which
# folders they write (rltickets.imp.level_jobs).
for job in LEVEL_JOBS["imp_level"]:

    rule:
        name:
            job.name
        input:
            unpack(level_job_inputs(layout.IMP_LEVEL, layout.THETA0, job.seeds)),
        output:
            **level_job_outputs(layout.IMP_LEVEL, job, layout.BASELINE_LEVEL),
        log:
            f"results/logs/{job.name}/{{paradigm}}/{{task}}/level{{level}}.log",
        benchmark:
            f"results/benchmarks/{job.name}/{{paradigm}}/{{task}}/level{{level}}.tsv"
        wildcard_constraints:
            **job.wildcard_constraints,
        conda:
            "../envs/rl.yaml"
        resources:
            runtime="6h",
            mem_mb=4000,
        params:
            seeds=job.seeds,
            conditions=job.conditions,
            settings=level_settings,
            imp=imp_level_settings,
        script:
            "../workflow_scripts/imp_level.py"


rule imp_table:
    input:
        metrics=[
            layout.IMP_LEVEL.file("metrics.json", paradigm=p, task=t, seed=s, level=k)
            for p in PARADIGMS
            for t, s in task_seed_pairs()
            for k in LEVELS
        ],
        random=[layout.RANDOM_RETURN(task=t) for t in TASKS],
    output:
        report(
            layout.IMP_TABLE(),
            category="Tables",
            caption="../report/imp_table.rst",
        ),
    log:
        "results/logs/imp_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="20m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/imp_table.py"


rule critical_sparsity_table:
    input:
        layout.IMP_TABLE(),
    output:
        report(
            layout.CRITICAL_SPARSITY_TABLE(),
            category="Tables",
            caption="../report/critical_sparsity.rst",
        ),
    log:
        "results/logs/critical_sparsity_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=1000,
    params:
        run=RUN_DESCRIPTION,
        threshold=config["analysis"]["critical_threshold"],
    script:
        "../workflow_scripts/critical_sparsity_table.py"


rule plot_rl_vs_bc:
    input:
        layout.IMP_TABLE(),
    output:
        png=report(
            layout.FIG2.file("png"),
            category="RL vs BC",
            caption="../report/fig2_rl_vs_bc.rst",
        ),
        pdf=layout.FIG2.file("pdf"),
    log:
        "results/logs/plot_rl_vs_bc.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/plot_rl_vs_bc.py"

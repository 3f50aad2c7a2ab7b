# Early-Bird tickets in DQN (PROTOCOL §2, the thesis): one dense run per task and repetition (mask snapshots for
# Exp 1, checkpoints for Exp 2/3), one job per pruned retrain (task, experiment, P, e_prune, repetition), one per
# EB Exploit run (task, P, repetition); then the tidy tables, the verdicts and Fig. 3.3-3.8.


rule eb_dense:
    output:
        theta0=f"{EB_DIR}/{{task}}/dense/rep{{rep}}/theta0.pt",
        checkpoints=f"{EB_DIR}/{{task}}/dense/rep{{rep}}/checkpoints.pt",
        masks=f"{EB_DIR}/{{task}}/dense/rep{{rep}}/masks.npz",
        log=f"{EB_DIR}/{{task}}/dense/rep{{rep}}/log.json",
    log:
        "results/logs/eb_dense/{task}/rep{rep}.log",
    benchmark:
        "results/benchmarks/eb_dense/{task}/rep{rep}.tsv"
    wildcard_constraints:
        rep=r"\d+",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="60m",
        mem_mb=2000,
    params:
        settings=eb_settings,
        protocol=EB_DENSE_PROTOCOL,
    script:
        "../workflow_scripts/eb_dense.py"


rule eb_pruned:
    input:
        unpack(eb_dense_inputs),
    output:
        mask=f"{EB_DIR}/{{task}}/{{experiment}}/P{{fraction}}/e{{episode}}/rep{{rep}}/mask.pt",
        metrics=f"{EB_DIR}/{{task}}/{{experiment}}/P{{fraction}}/e{{episode}}/rep{{rep}}/metrics.json",
    log:
        "results/logs/eb_pruned/{task}/{experiment}/P{fraction}/e{episode}/rep{rep}.log",
    benchmark:
        "results/benchmarks/eb_pruned/{task}/{experiment}/P{fraction}/e{episode}/rep{rep}.tsv"
    wildcard_constraints:
        experiment="exp2_rewind|exp3_finetune",
        fraction=r"0\.\d+",
        episode=r"\d+|es",
        rep=r"\d+",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="60m",
        mem_mb=2000,
    params:
        settings=eb_settings,
        protocol=EB_PROTOCOL,
        finetune_epsilon=EB["finetune_epsilon"],
    script:
        "../workflow_scripts/eb_pruned.py"


rule eb_exploit:
    input:
        unpack(eb_dense_inputs),
    output:
        mask=f"{EB_DIR}/{{task}}/exp4_exploit/P{{fraction}}/rep{{rep}}/mask.pt",
        metrics=f"{EB_DIR}/{{task}}/exp4_exploit/P{{fraction}}/rep{{rep}}/metrics.json",
    log:
        "results/logs/eb_exploit/{task}/P{fraction}/rep{rep}.log",
    benchmark:
        "results/benchmarks/eb_exploit/{task}/P{fraction}/rep{rep}.tsv"
    wildcard_constraints:
        fraction=r"0\.\d+",
        rep=r"\d+",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="60m",
        mem_mb=2000,
    params:
        settings=eb_settings,
        protocol=EB_PROTOCOL,
        exploit=canonical(EB["exploit"]),
    script:
        "../workflow_scripts/eb_exploit.py"


rule eb_mask_similarity:
    input:
        masks=lambda w: [f"{eb_dense_dir(w.task, r)}/masks.npz" for r in EB_REPS],
    output:
        f"{EB_DIR}/{{task}}/exp1_similarity.npz",
    log:
        "results/logs/eb_mask_similarity/{task}.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=4000,
    params:
        fractions=EB["prune_fractions"],
    script:
        "../workflow_scripts/eb_mask_similarity.py"


rule eb_tables:
    input:
        unpack(eb_table_inputs),
    output:
        runs=report(
            "results/tables/earlybird_runs.csv",
            category="Early-Bird tickets",
            caption="../report/earlybird_runs.rst",
        ),
        verdicts=report(
            "results/tables/earlybird_verdicts.csv",
            category="Early-Bird tickets",
            caption="../report/earlybird_verdicts.rst",
        ),
        stability=report(
            "results/tables/earlybird_mask_stability.csv",
            category="Early-Bird tickets",
            caption="../report/earlybird_mask_stability.rst",
        ),
    log:
        "results/logs/eb_tables.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
        return_bounds={t: EB["task_settings"][t]["return_bounds"] for t in EB["tasks"]},
        verdict=canonical(EB["verdict"]),
        tasks=EB["tasks"],
        epsilon_min={t: EB["task_settings"][t]["epsilon"]["min"] for t in EB["tasks"]},
        stable_distance=EB["exploit"]["threshold"],
    script:
        "../workflow_scripts/eb_tables.py"


rule eb_plot_mask_similarity:
    input:
        expand(f"{EB_DIR}/{{task}}/exp1_similarity.npz", task=EB["tasks"]),
    output:
        png=report(
            "results/figures/earlybird_mask_similarity.png",
            category="Early-Bird tickets",
            caption="../report/earlybird_mask_similarity.rst",
        ),
        pdf="results/figures/earlybird_mask_similarity.pdf",
    log:
        "results/logs/eb_plot_mask_similarity.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
        tasks=EB["tasks"],
    script:
        "../workflow_scripts/eb_plot_mask_similarity.py"


rule eb_plot_runs:
    input:
        "results/tables/earlybird_runs.csv",
    output:
        retrain_png=report(
            "results/figures/earlybird_retrain.png",
            category="Early-Bird tickets",
            caption="../report/earlybird_retrain.rst",
        ),
        retrain_pdf="results/figures/earlybird_retrain.pdf",
        finetune_png=report(
            "results/figures/earlybird_finetune.png",
            category="Early-Bird tickets",
            caption="../report/earlybird_finetune.rst",
        ),
        finetune_pdf="results/figures/earlybird_finetune.pdf",
        exploit_png=report(
            "results/figures/earlybird_exploit.png",
            category="Early-Bird tickets",
            caption="../report/earlybird_exploit.rst",
        ),
        exploit_pdf="results/figures/earlybird_exploit.pdf",
    log:
        "results/logs/eb_plot_runs.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/eb_plot_runs.py"


rule eb_plot_retrain_vs_finetune:
    input:
        "results/tables/earlybird_runs.csv",
    output:
        png=report(
            "results/figures/earlybird_retrain_vs_finetune_{task}.png",
            category="Early-Bird tickets",
            caption="../report/earlybird_retrain_vs_finetune.rst",
        ),
        pdf="results/figures/earlybird_retrain_vs_finetune_{task}.pdf",
    log:
        "results/logs/eb_plot_retrain_vs_finetune/{task}.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/eb_plot_retrain_vs_finetune.py"

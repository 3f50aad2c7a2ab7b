# Early-Bird tickets in DQN (the thesis): one dense run per task and repetition (mask snapshots for Exp 1,
# checkpoints for Exp 2/3), one job per pruned retrain (task, experiment, P, e_prune, repetition), one per EB
# Exploit run (task, P, repetition); then the tidy tables, the verdicts and Fig. 3.3-3.8.
EB = config["earlybird"]
EB_REPS = list(range(EB["repetitions"]))
EB_FRACTIONS = [f"{p:g}" for p in EB["prune_fractions"]]
# Exp 2 also retrains the one-shot winning ticket, pruned where the dense run's early stopping fires ("es").
EB_PRUNE_LABELS = {
    "exp2_rewind": [str(e) for e in EB["prune_episodes"]] + ["es"],
    "exp3_finetune": [str(e) for e in EB["prune_episodes"]],
}
# What every DQN run of the study reads besides its task's settings.
EB_PROTOCOL = canonical(
    {k: EB[k] for k in ("max_episodes", "early_stopping_window", "test_episodes")}
)
# The dense run also decides which masks and checkpoints it keeps.
EB_DENSE_PROTOCOL = canonical(
    {
        **EB_PROTOCOL,
        **{k: EB[k] for k in ("mask_every", "prune_fractions", "prune_episodes")},
    }
)


# Every table input of the stage: the dense runs' logs, every pruned run, every EB Exploit run, Exp 1's matrices.
EB_TABLE_INPUTS = {
    "dense": [
        layout.EB_DENSE.file("log.json", task=t, rep=r)
        for t in EB["tasks"]
        for r in EB_REPS
    ],
    "pruned": [
        layout.EB_PRUNED.file(
            "metrics.json", task=t, experiment=x, fraction=p, episode=e, rep=r
        )
        for t in EB["tasks"]
        for x, labels in EB_PRUNE_LABELS.items()
        for p in EB_FRACTIONS
        for e in labels
        for r in EB_REPS
    ],
    "exploit": [
        layout.EB_EXPLOIT.file("metrics.json", task=t, fraction=p, rep=r)
        for t in EB["tasks"]
        for p in EB_FRACTIONS
        for r in EB_REPS
    ],
    "similarity": [layout.EB_SIMILARITY(task=t) for t in EB["tasks"]],
}
# `earlybird.tasks: []` (configs/paper_classic.yaml) runs no Early-Bird experiment at all.
EARLYBIRD_OUTPUTS = (
    [
        layout.EB_RUNS_TABLE(),
        layout.EB_VERDICTS_TABLE(),
        layout.EB_STABILITY_TABLE(),
        *layout.EB_SIMILARITY_FIGURE.all_files(),
        *layout.EB_RETRAIN_FIGURE.all_files(),
        *layout.EB_FINETUNE_FIGURE.all_files(),
        *layout.EB_EXPLOIT_FIGURE.all_files(),
        *[
            path
            for t in EB["tasks"]
            for path in layout.EB_RETRAIN_VS_FINETUNE_FIGURE.all_files(task=t)
        ],
    ]
    if EB["tasks"]
    else []
)


rule eb_dense:
    output:
        theta0=layout.EB_DENSE.file("theta0.pt"),
        checkpoints=layout.EB_DENSE.file("checkpoints.pt"),
        masks=layout.EB_DENSE.file("masks.npz"),
        log=layout.EB_DENSE.file("log.json"),
    log:
        "results/logs/eb_dense/{task}/rep{rep}.log",
    benchmark:
        "results/benchmarks/eb_dense/{task}/rep{rep}.tsv"
    wildcard_constraints:
        rep=layout.EB_DENSE.constraints["rep"],
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="3h",
        mem_mb=2000,
    params:
        # one task's DQN settings and the DQN variant: editing them reruns only that task's jobs
        settings=lambda w: canonical(
            {"task": EB["task_settings"][w.task], "dqn": EB["dqn"]}
        ),
        protocol=EB_DENSE_PROTOCOL,
    script:
        "../workflow_scripts/eb_dense.py"


rule eb_pruned:
    input:
        # θ0, the checkpoints and the log of the repetition's dense run
        theta0=lambda w: layout.EB_DENSE.file("theta0.pt", task=w.task, rep=w.rep),
        checkpoints=lambda w: layout.EB_DENSE.file(
            "checkpoints.pt", task=w.task, rep=w.rep
        ),
        log=lambda w: layout.EB_DENSE.file("log.json", task=w.task, rep=w.rep),
    output:
        mask=layout.EB_PRUNED.file("mask.pt"),
        metrics=layout.EB_PRUNED.file("metrics.json"),
    log:
        "results/logs/eb_pruned/{task}/{experiment}/P{fraction}/e{episode}/rep{rep}.log",
    benchmark:
        "results/benchmarks/eb_pruned/{task}/{experiment}/P{fraction}/e{episode}/rep{rep}.tsv"
    wildcard_constraints:
        **layout.EB_PRUNED.constraints,
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="3h",
        mem_mb=2000,
    params:
        # one task's DQN settings and the DQN variant: editing them reruns only that task's jobs
        settings=lambda w: canonical(
            {"task": EB["task_settings"][w.task], "dqn": EB["dqn"]}
        ),
        protocol=EB_PROTOCOL,
        finetune_epsilon=EB["finetune_epsilon"],
    script:
        "../workflow_scripts/eb_pruned.py"


rule eb_exploit:
    input:
        # θ0, the checkpoints and the log of the repetition's dense run
        theta0=lambda w: layout.EB_DENSE.file("theta0.pt", task=w.task, rep=w.rep),
        checkpoints=lambda w: layout.EB_DENSE.file(
            "checkpoints.pt", task=w.task, rep=w.rep
        ),
        log=lambda w: layout.EB_DENSE.file("log.json", task=w.task, rep=w.rep),
    output:
        mask=layout.EB_EXPLOIT.file("mask.pt"),
        metrics=layout.EB_EXPLOIT.file("metrics.json"),
    log:
        "results/logs/eb_exploit/{task}/P{fraction}/rep{rep}.log",
    benchmark:
        "results/benchmarks/eb_exploit/{task}/P{fraction}/rep{rep}.tsv"
    wildcard_constraints:
        **layout.EB_EXPLOIT.constraints,
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="3h",
        mem_mb=2000,
    params:
        # one task's DQN settings and the DQN variant: editing them reruns only that task's jobs
        settings=lambda w: canonical(
            {"task": EB["task_settings"][w.task], "dqn": EB["dqn"]}
        ),
        protocol=EB_PROTOCOL,
        exploit=canonical(EB["exploit"]),
    script:
        "../workflow_scripts/eb_exploit.py"


rule eb_mask_similarity:
    input:
        masks=lambda w: [
            layout.EB_DENSE.file("masks.npz", task=w.task, rep=r) for r in EB_REPS
        ],
    output:
        layout.EB_SIMILARITY(),
    log:
        "results/logs/eb_mask_similarity/{task}.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="30m",
        mem_mb=4000,
    params:
        fractions=EB["prune_fractions"],
    script:
        "../workflow_scripts/eb_mask_similarity.py"


rule eb_tables:
    input:
        **EB_TABLE_INPUTS,
    output:
        runs=report(
            layout.EB_RUNS_TABLE(),
            category="Early-Bird tickets",
            caption="../report/earlybird_runs.rst",
        ),
        verdicts=report(
            layout.EB_VERDICTS_TABLE(),
            category="Early-Bird tickets",
            caption="../report/earlybird_verdicts.rst",
        ),
        stability=report(
            layout.EB_STABILITY_TABLE(),
            category="Early-Bird tickets",
            caption="../report/earlybird_mask_stability.rst",
        ),
    log:
        "results/logs/eb_tables.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="20m",
        mem_mb=4000,
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
        [layout.EB_SIMILARITY(task=t) for t in EB["tasks"]],
    output:
        png=report(
            layout.EB_SIMILARITY_FIGURE.file("png"),
            category="Early-Bird tickets",
            caption="../report/earlybird_mask_similarity.rst",
        ),
        pdf=layout.EB_SIMILARITY_FIGURE.file("pdf"),
    log:
        "results/logs/eb_plot_mask_similarity.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
        tasks=EB["tasks"],
    script:
        "../workflow_scripts/eb_plot_mask_similarity.py"


rule eb_plot_runs:
    input:
        layout.EB_RUNS_TABLE(),
    output:
        retrain_png=report(
            layout.EB_RETRAIN_FIGURE.file("png"),
            category="Early-Bird tickets",
            caption="../report/earlybird_retrain.rst",
        ),
        retrain_pdf=layout.EB_RETRAIN_FIGURE.file("pdf"),
        finetune_png=report(
            layout.EB_FINETUNE_FIGURE.file("png"),
            category="Early-Bird tickets",
            caption="../report/earlybird_finetune.rst",
        ),
        finetune_pdf=layout.EB_FINETUNE_FIGURE.file("pdf"),
        exploit_png=report(
            layout.EB_EXPLOIT_FIGURE.file("png"),
            category="Early-Bird tickets",
            caption="../report/earlybird_exploit.rst",
        ),
        exploit_pdf=layout.EB_EXPLOIT_FIGURE.file("pdf"),
    log:
        "results/logs/eb_plot_runs.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/eb_plot_runs.py"


rule eb_plot_retrain_vs_finetune:
    input:
        layout.EB_RUNS_TABLE(),
    output:
        png=report(
            layout.EB_RETRAIN_VS_FINETUNE_FIGURE.file("png"),
            category="Early-Bird tickets",
            caption="../report/earlybird_retrain_vs_finetune.rst",
        ),
        pdf=layout.EB_RETRAIN_VS_FINETUNE_FIGURE.file("pdf"),
    log:
        "results/logs/eb_plot_retrain_vs_finetune/{task}.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/eb_plot_retrain_vs_finetune.py"

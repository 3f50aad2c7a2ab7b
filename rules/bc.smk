# Behavioural-cloning datasets: the expert's own deterministic rollouts.


BC_OUTPUTS = [layout.BC_DATASET(task=t, seed=s) for t, s in task_seed_pairs()]


rule collect_bc_dataset:
    input:
        expert=layout.EXPERT.file("model.zip"),
    output:
        layout.BC_DATASET(),
    log:
        "results/logs/collect_bc_dataset/{task}/seed{seed}.log",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="30m",
        mem_mb=2000,
    params:
        settings=lambda w: settings(w, "network", "bc_data"),
    script:
        "../workflow_scripts/collect_bc_dataset.py"
